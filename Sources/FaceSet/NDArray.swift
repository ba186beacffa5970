/// A numpy array as it travels in a pickle: dtype, shape, memory order and the raw element bytes.
///
/// `typeString` is numpy's kind+size (`f8`, `f4`, `i4`, `i8`, `u1`, `b1` …) and `byteOrder` its prefix
/// (`<`, `>`, `|`, `=`; `=` means native, little-endian on every platform we build for).
public struct NDArray: Equatable, Sendable {
    public var typeString: String
    public var byteOrder: String
    public var shape: [Int]
    public var fortranOrder: Bool
    /// The elements' bytes, in C order (or Fortran order when `fortranOrder`).
    public var data: [UInt8]

    /// Builds an array and checks that `data` holds exactly the elements of `shape`.
    public init(typeString: String, byteOrder: String, shape: [Int], fortranOrder: Bool = false,
                data: [UInt8]) throws {
        self.typeString = typeString
        self.byteOrder = byteOrder
        self.shape = shape
        self.fortranOrder = fortranOrder
        self.data = data
        let count = try NDArray.elementCount(shape)
        if let size = NDArray.itemSize(typeString) {
            let (bytes, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow, bytes == data.count else {
                throw FaceSetError.metadata("ndarray of shape \(shape) and dtype \(typeString) needs \(overflow ? "too many" : String(bytes)) bytes, has \(data.count)")
            }
        }
    }

    /// Number of elements (product of the shape), with overflow and negative dimensions rejected.
    public static func elementCount(_ shape: [Int]) throws -> Int {
        var n = 1
        for d in shape {
            guard d >= 0 else { throw FaceSetError.metadata("negative ndarray dimension \(d)") }
            let (p, o) = n.multipliedReportingOverflow(by: d)
            guard !o else { throw FaceSetError.metadata("ndarray shape \(shape) overflows") }
            n = p
        }
        return n
    }

    /// Bytes per element for the dtypes we interpret; nil for others (kept raw, accessors throw).
    public static func itemSize(_ typeString: String) -> Int? {
        switch typeString {
        case "b1", "i1", "u1": return 1
        case "i2", "u2", "f2": return 2
        case "i4", "u4", "f4": return 4
        case "i8", "u8", "f8": return 8
        default: return nil
        }
    }

    public var count: Int { (try? NDArray.elementCount(shape)) ?? 0 }

    // MARK: Typed accessors (elements in C order)

    /// The elements as Double (any integer, float or bool dtype).
    public func doubles() throws -> [Double] {
        try elements { bits, size in
            switch (typeString.first, size) {
            case ("f", 8): return Double(bitPattern: bits)
            case ("f", 4): return Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits)))
            case ("f", 2): return Double(NDArray.halfToFloat(UInt16(truncatingIfNeeded: bits)))
            case ("u", _), ("b", _): return Double(bits)
            case ("i", _): return Double(NDArray.signExtend(bits, size))
            default: throw FaceSetError.metadata("ndarray dtype \(typeString) is not numeric")
            }
        }
    }

    /// The elements as Float (float16 widened exactly). Little-endian C-order float32, the layout of model
    /// weights, is copied in one pass.
    public func floats() throws -> [Float] {
        if typeString == "f4", byteOrder != ">", !fortranOrder || shape.count <= 1 {
            let n = try NDArray.elementCount(shape)
            guard n * 4 == data.count else { throw FaceSetError.metadata("ndarray data length mismatch") }
            var out = [Float](repeating: 0, count: n)
            out.withUnsafeMutableBytes { dst in data.withUnsafeBytes { dst.copyMemory(from: $0) } }
            #if _endian(big)
            for i in out.indices { out[i] = Float(bitPattern: UInt32(littleEndian: out[i].bitPattern)) }
            #endif
            return out
        }
        return try doubles().map { Float($0) }
    }

    /// The elements as Int (integer and bool dtypes only; u8 values above Int.max are rejected).
    public func ints() throws -> [Int] {
        try elements { bits, size in
            switch typeString.first {
            case "i": return NDArray.signExtend(bits, size)
            case "u", "b":
                guard bits <= UInt64(Int.max) else { throw FaceSetError.metadata("ndarray value \(bits) too large") }
                return Int(bits)
            default: throw FaceSetError.metadata("ndarray dtype \(typeString) is not an integer type")
            }
        }
    }

    /// The raw bytes of a `u1`/`i1` array (C order).
    public func uint8s() throws -> [UInt8] {
        guard typeString == "u1" || typeString == "i1" || typeString == "b1" else {
            throw FaceSetError.metadata("ndarray dtype \(typeString) is not a byte array")
        }
        return try elements { bits, _ in UInt8(truncatingIfNeeded: bits) }
    }

    // MARK: Constructors for the writer (little-endian, C order)

    public init(doubles: [Double], shape: [Int]) throws {
        var d = [UInt8](); d.reserveCapacity(doubles.count * 8)
        for v in doubles { NDArray.appendLE(&d, v.bitPattern, 8) }
        try self.init(typeString: "f8", byteOrder: "<", shape: shape, data: d)
    }

    public init(floats: [Float], shape: [Int]) throws {
        var d = [UInt8](repeating: 0, count: floats.count * 4)
        d.withUnsafeMutableBytes { dst in floats.withUnsafeBytes { dst.copyMemory(from: $0) } }
        #if _endian(big)
        d = []; for v in floats { NDArray.appendLE(&d, UInt64(v.bitPattern), 4) }
        #endif
        try self.init(typeString: "f4", byteOrder: "<", shape: shape, data: d)
    }

    /// An `i4` array; throws if a value does not fit in 32 bits.
    public init(int32s: [Int], shape: [Int]) throws {
        var d = [UInt8]()
        for v in int32s {
            guard let w = Int32(exactly: v) else { throw FaceSetError.metadata("\(v) does not fit in int32") }
            NDArray.appendLE(&d, UInt64(UInt32(bitPattern: w)), 4)
        }
        try self.init(typeString: "i4", byteOrder: "<", shape: shape, data: d)
    }

    public init(int64s: [Int], shape: [Int]) throws {
        var d = [UInt8]()
        for v in int64s { NDArray.appendLE(&d, UInt64(bitPattern: Int64(v)), 8) }
        try self.init(typeString: "i8", byteOrder: "<", shape: shape, data: d)
    }

    public init(uint8s: [UInt8], shape: [Int]) throws {
        try self.init(typeString: "u1", byteOrder: "|", shape: shape, data: uint8s)
    }

    // MARK: Internals

    /// Calls `convert` with each element's bits (byte order resolved), visiting elements in C order.
    private func elements<T>(_ convert: (UInt64, Int) throws -> T) throws -> [T] {
        guard let size = NDArray.itemSize(typeString) else {
            throw FaceSetError.metadata("unsupported ndarray dtype \(byteOrder)\(typeString)")
        }
        let n = try NDArray.elementCount(shape)
        let (bytes, overflow) = n.multipliedReportingOverflow(by: size)
        guard !overflow, bytes == data.count else { throw FaceSetError.metadata("ndarray data length mismatch") }
        let bigEndian = byteOrder == ">"
        let order = fortranOrder && shape.count > 1 ? fortranIndexMap() : nil
        var out = [T](); out.reserveCapacity(n)
        for i in 0..<n {
            let base = (order?[i] ?? i) * size
            var bits: UInt64 = 0
            for b in 0..<size {
                let byte = UInt64(data[base + (bigEndian ? b : size - 1 - b)])
                bits = (bits << 8) | byte
            }
            out.append(try convert(bits, size))
        }
        return out
    }

    /// For each C-order element index, the storage index in Fortran order.
    private func fortranIndexMap() -> [Int] {
        let n = count
        var map = [Int](repeating: 0, count: n)
        var idx = [Int](repeating: 0, count: shape.count)
        for c in 0..<n {
            var f = 0, stride = 1
            for (k, d) in shape.enumerated() { f += idx[k] * stride; stride *= d }
            map[c] = f
            var k = shape.count - 1
            while k >= 0 { idx[k] += 1; if idx[k] < shape[k] { break }; idx[k] = 0; k -= 1 }
        }
        return map
    }

    private static func signExtend(_ bits: UInt64, _ size: Int) -> Int {
        let shift = UInt64(64 - 8 * size)
        return Int(Int64(bitPattern: bits << shift) >> Int64(shift))
    }

    private static func appendLE(_ d: inout [UInt8], _ bits: UInt64, _ size: Int) {
        for b in 0..<size { d.append(UInt8(truncatingIfNeeded: bits >> UInt64(8 * b))) }
    }

    private static func halfToFloat(_ h: UInt16) -> Float {
        let sign: Float = (h & 0x8000) != 0 ? -1 : 1
        let e = Int((h >> 10) & 0x1F), m = Float(h & 0x3FF)
        if e == 0 { return sign * m * Float(pow2: -24) }
        if e == 31 { return m == 0 ? sign * .infinity : .nan }
        return sign * (1 + m / 1024) * Float(pow2: e - 15)
    }
}

private extension Float {
    init(pow2 e: Int) { self = Float(sign: .plus, exponent: e, significand: 1) }
}
