// Metadata as JSON: every key of the pickled dict, in stored order. ndarrays become nested lists by
// shape; byte blobs (encoded masks) are summarised by their length, so a line stays readable.
import FaceSet
import Foundation

enum PickleJSON {
    /// uint8 arrays and bytes longer than this are shown as `{"bytes": n}` (they are encoded images).
    static let blobThreshold = 64

    static func encode(_ value: PickleValue) -> String {
        switch value {
        case .none: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .float(let d): return number(d)
        case .string(let s): return string(s)
        case .bytes(let b): return "{\"bytes\":\(b.count)}"
        case .list(let a), .tuple(let a): return "[" + a.map(encode).joined(separator: ",") + "]"
        case .dict(let pairs):
            return "{" + pairs.map { pair in
                let key: String
                if case .string(let s) = pair.key { key = s } else { key = encode(pair.key) }
                return string(key) + ":" + encode(pair.value)
            }.joined(separator: ",") + "}"
        case .ndarray(let a): return ndarray(a)
        case .opaque(let o): return "{\"python_global\":" + string(o.module + "." + o.name) + "}"
        }
    }

    static func ndarray(_ a: NDArray) -> String {
        if a.typeString.hasSuffix("u1") && a.count > blobThreshold {
            return "{\"bytes\":\(a.count)}"
        }
        let values: [String]
        if a.typeString.contains("f"), let d = try? a.doubles() {
            values = d.map(number)
        } else if let i = try? a.ints() {
            values = i.map { String($0) }
        } else {
            return "{\"ndarray\":" + string(a.typeString) + "}"
        }
        return nested(values[...], shape: a.shape[...])
    }

    /// Values in C order grouped by `shape` into nested JSON arrays.
    static func nested(_ values: ArraySlice<String>, shape: ArraySlice<Int>) -> String {
        guard let first = shape.first else { return values.first ?? "null" }
        if shape.count == 1 { return "[" + values.joined(separator: ",") + "]" }
        let stride = shape.dropFirst().reduce(1, *)
        let parts = (0..<first).map { k -> String in
            let start = values.startIndex + k * stride
            return nested(values[start..<(start + stride)], shape: shape.dropFirst())
        }
        return "[" + parts.joined(separator: ",") + "]"
    }

    static func number(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int(d)) + ".0" }
        return "\(d)"
    }

    static func string(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}
