/// Writes a `PickleValue` as a protocol-3 pickle that Python 3.6+ with numpy 1.x or 2.x loads
/// (docs/dfl-faceset.md §1.9). numpy arrays use the `numpy.core.multiarray` module path, which DFL's numpy 1.19
/// can import (numpy 2 still accepts it). No memo opcodes are emitted; the output is deterministic.
public enum PickleWriter {
    /// Encodes `value`. Throws for `.opaque` values: re-emitting an unknown global would make Python import
    /// and call it on load, so the writer never does that.
    public static func write(_ value: PickleValue, maxDepth: Int = 64) throws -> [UInt8] {
        var out: [UInt8] = [0x80, 0x03]
        try emit(value, into: &out, depth: 0, maxDepth: maxDepth)
        out.append(0x2E) // STOP
        return out
    }

    private static func emit(_ v: PickleValue, into out: inout [UInt8], depth: Int, maxDepth: Int) throws {
        guard depth <= maxDepth else { throw FaceSetError.pickleWrite("nesting deeper than \(maxDepth)") }
        func sub(_ x: PickleValue) throws { try emit(x, into: &out, depth: depth + 1, maxDepth: maxDepth) }
        switch v {
        case .none: out.append(0x4E)
        case let .bool(b): out.append(b ? 0x88 : 0x89)
        case let .int(i): int(i, &out)
        case let .float(d):
            out.append(0x47)
            let bits = d.bitPattern
            for k in (0..<8).reversed() { out.append(UInt8(truncatingIfNeeded: bits >> UInt64(8 * k))) }
        case let .string(s): string(s, &out)
        case let .bytes(b): bytes(b, &out)
        case let .list(a):
            out.append(0x5D)
            if !a.isEmpty {
                out.append(0x28)
                for x in a { try sub(x) }
                out.append(0x65)
            }
        case let .tuple(a):
            switch a.count {
            case 0: out.append(0x29)
            case 1...3:
                for x in a { try sub(x) }
                out.append([0x85, 0x86, 0x87][a.count - 1])
            default:
                out.append(0x28)
                for x in a { try sub(x) }
                out.append(0x74)
            }
        case let .dict(pairs):
            out.append(0x7D)
            if !pairs.isEmpty {
                out.append(0x28)
                for p in pairs { try sub(p.key); try sub(p.value) }
                out.append(0x75)
            }
        case let .ndarray(a): try ndarray(a, &out)
        case let .opaque(o):
            throw FaceSetError.pickleWrite("refusing to write the unknown Python global \(o.module).\(o.name)")
        }
    }

    /// The shortest of BININT1 / BININT2 / BININT, or LONG1 for 64-bit values.
    private static func int(_ i: Int, _ out: inout [UInt8]) {
        if i >= 0 && i < 256 {
            out += [0x4B, UInt8(i)]
        } else if i >= 0 && i < 65536 {
            out += [0x4D, UInt8(i & 0xFF), UInt8(i >> 8)]
        } else if let w = Int32(exactly: i) {
            out.append(0x4A)
            le(UInt64(UInt32(bitPattern: w)), 4, &out)
        } else {
            // LONG1: minimal two's-complement little-endian bytes.
            var bytes: [UInt8] = []
            var x = Int64(i)
            repeat {
                bytes.append(UInt8(truncatingIfNeeded: x))
                x >>= 8
            } while !((x == 0 && bytes.last! & 0x80 == 0) || (x == -1 && bytes.last! & 0x80 != 0))
            out += [0x8A, UInt8(bytes.count)] + bytes
        }
    }

    private static func string(_ s: String, _ out: inout [UInt8]) {
        let u = Array(s.utf8)
        out.append(0x58)
        le(UInt64(u.count), 4, &out)
        out += u
    }

    private static func bytes(_ b: [UInt8], _ out: inout [UInt8]) {
        if b.count < 256 {
            out += [0x43, UInt8(b.count)]
        } else {
            out.append(0x42)
            le(UInt64(b.count), 4, &out)
        }
        out += b
    }

    private static func global(_ module: String, _ name: String, _ out: inout [UInt8]) {
        out.append(0x63)
        out += Array("\(module)\n\(name)\n".utf8)
    }

    /// The ndarray template of docs/dfl-faceset.md §1.9.
    private static func ndarray(_ a: NDArray, _ out: inout [UInt8]) throws {
        guard a.data.count <= Int(UInt32.max) else { throw FaceSetError.pickleWrite("array too large") }
        global("numpy.core.multiarray", "_reconstruct", &out)
        global("numpy", "ndarray", &out)
        out += [0x4B, 0x00, 0x85, 0x43, 0x01, 0x62, 0x87, 0x52]  // (0,), b'b', TUPLE3, REDUCE
        out += [0x28, 0x4B, 0x01]                                // MARK, 1
        out.append(0x28)
        for d in a.shape { int(d, &out) }
        out.append(0x74)                                         // shape tuple
        global("numpy", "dtype", &out)
        string(a.typeString, &out)
        out += [0x4B, 0x00, 0x4B, 0x01, 0x87, 0x52]              // (typestr, 0, 1) REDUCE
        out += [0x28, 0x4B, 0x03]
        string(a.byteOrder, &out)
        out += [0x4E, 0x4E, 0x4E, 0x4A, 0xFF, 0xFF, 0xFF, 0xFF, 0x4A, 0xFF, 0xFF, 0xFF, 0xFF, 0x4B, 0x00, 0x74, 0x62]
        out.append(a.fortranOrder ? 0x88 : 0x89)
        bytes(a.data, &out)
        out += [0x74, 0x62]                                      // TUPLE, BUILD
    }

    private static func le(_ v: UInt64, _ n: Int, _ out: inout [UInt8]) {
        for k in 0..<n { out.append(UInt8(truncatingIfNeeded: v >> UInt64(8 * k))) }
    }
}
