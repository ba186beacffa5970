import AtomicIO
import Foundation

/// Errors reading a safetensors file.
public enum SafeTensorsError: Error, CustomStringConvertible {
    case truncated(String)
    case badHeader(String)
    case unsupported(String)
    case io(String)

    public var description: String {
        switch self {
        case .truncated(let s): return "safetensors file truncated: \(s)"
        case .badHeader(let s): return "safetensors header invalid: \(s)"
        case .unsupported(let s): return "safetensors content unsupported: \(s)"
        case .io(let s): return "safetensors I/O error: \(s)"
        }
    }
}

/// The safetensors format: an 8-byte little-endian header length, a JSON header mapping each name to
/// `{dtype, shape, data_offsets}` (plus optional `__metadata__` of strings), then the raw little-endian data.
/// Only F32 tensors are written and read.
public enum SafeTensors {
    /// Largest header accepted (100 MB, as the reference implementation).
    public static let maxHeaderBytes = 100_000_000

    /// One named float tensor.
    public struct Entry {
        public var name: String
        public var shape: [Int]
        public var values: [Float]

        public init(name: String, shape: [Int], values: [Float]) {
            self.name = name; self.shape = shape; self.values = values
        }
    }

    /// Serialises `tensors` (names must be unique) and `metadata`.
    public static func encode(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:]) throws -> [UInt8] {
        var out = [UInt8]()
        try encode(tensors, metadata: metadata) { out.append(contentsOf: $0) }
        return out
    }

    /// Serialises `tensors` and `metadata` in pieces handed to `sink` in file order: the header, then each
    /// tensor's bytes straight from its storage, so that saving a model needs no second copy of it in memory.
    public static func encode(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:],
                              into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for (name, t) in tensors {
            guard header[name] == nil, name != "__metadata__" else { throw SafeTensorsError.badHeader("duplicate name \(name)") }
            let bytes = t.count * 4
            header[name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + bytes]] as [String: Any]
            offset += bytes
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }  // pad with spaces so the data is 8-byte aligned
        try withUnsafeBytes(of: UInt64(json.count).littleEndian) { try sink($0) }
        try json.withUnsafeBytes { try sink($0) }
        for (_, t) in tensors {
            #if _endian(little)
            try sink(UnsafeRawBufferPointer(start: t.data, count: t.count * 4))
            #else
            var bytes = [UInt8](); bytes.reserveCapacity(t.count * 4)
            for i in 0..<t.count { withUnsafeBytes(of: t.data[i].bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
            try bytes.withUnsafeBytes { try sink($0) }
            #endif
        }
    }

    /// Writes `tensors` to `path` atomically.
    public static func write(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:], to path: String) throws {
        try AtomicFile.write(try encode(tensors, metadata: metadata), to: path)
    }

    /// Parses a safetensors byte buffer; every length and offset is checked against the buffer.
    public static func decode(_ bytes: [UInt8]) throws -> (tensors: [String: Entry], metadata: [String: String]) {
        guard bytes.count >= 8 else { throw SafeTensorsError.truncated("no header length") }
        var len: UInt64 = 0
        for i in 0..<8 { len |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard len <= UInt64(maxHeaderBytes), Int(len) <= bytes.count - 8 else {
            throw SafeTensorsError.truncated("header length \(len) beyond file size \(bytes.count)")
        }
        let headerEnd = 8 + Int(len)
        let obj: Any
        do { obj = try JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd])) } catch {
            throw SafeTensorsError.badHeader("not JSON")
        }
        guard let dict = obj as? [String: Any] else { throw SafeTensorsError.badHeader("not an object") }
        let dataSize = bytes.count - headerEnd
        var tensors: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in dict {
            if name == "__metadata__" {
                guard let m = value as? [String: Any] else { throw SafeTensorsError.badHeader("metadata not an object") }
                for (k, v) in m { guard let s = v as? String else { throw SafeTensorsError.badHeader("metadata \(k) not a string") }; metadata[k] = s }
                continue
            }
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let shapeAny = info["shape"] as? [Any], let offs = info["data_offsets"] as? [Any], offs.count == 2
            else { throw SafeTensorsError.badHeader("entry \(name) malformed") }
            guard dtype == "F32" else { throw SafeTensorsError.unsupported("\(name) has dtype \(dtype)") }
            var shape: [Int] = []
            var count = 1
            for d in shapeAny {
                guard let v = (d as? NSNumber)?.intValue, v >= 0, v <= Int(Int32.max) else { throw SafeTensorsError.badHeader("\(name) shape") }
                shape.append(v)
                let (c, o) = count.multipliedReportingOverflow(by: v)
                guard !o else { throw SafeTensorsError.badHeader("\(name) shape overflows") }
                count = c
            }
            guard let b = (offs[0] as? NSNumber)?.intValue, let e = (offs[1] as? NSNumber)?.intValue,
                  b >= 0, e >= b, e <= dataSize else { throw SafeTensorsError.truncated("\(name) offsets outside the data") }
            guard e - b == count * 4 else { throw SafeTensorsError.badHeader("\(name) size does not match its shape") }
            var values = [Float](repeating: 0, count: count)
            let start = headerEnd + b
            for i in 0..<count {
                let p = start + 4 * i
                let bits = UInt32(bytes[p]) | UInt32(bytes[p + 1]) << 8 | UInt32(bytes[p + 2]) << 16 | UInt32(bytes[p + 3]) << 24
                values[i] = Float(bitPattern: bits)
            }
            tensors[name] = Entry(name: name, shape: shape, values: values)
        }
        return (tensors, metadata)
    }

    /// Reads and parses the file at `path`.
    public static func read(path: String) throws -> (tensors: [String: Entry], metadata: [String: String]) {
        guard let data = FileManager.default.contents(atPath: path) else { throw SafeTensorsError.io("cannot read \(path)") }
        return try decode([UInt8](data))
    }
}
