// DeepFaceLab's model files (SAEHD and XSeg folders alike: docs/dfl-model-folder.md §7, docs/xseg.md) are
// pickles: weight and optimizer files are dicts of numpy arrays, data.dat a dict of plain values. They are
// read through the whitelist reader (PickleReader: nothing is imported or called) and refused when they name
// any Python global the reader does not interpret, with limits that grow with the file but stay bounded by it.
import AtomicIO
import Foundation

public enum DFLPickleFile {
    /// Why a file was refused; the description starts with the path.
    public struct ReadError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// The pickle in the file at `path` (at most `limit` bytes), refused when it names a global outside the
    /// reader's whitelist.
    public static func read(_ path: String, limit: Int) throws -> PickleValue {
        guard FileManager.default.fileExists(atPath: path) else { throw ReadError("\(path): file is missing") }
        let bytes: [UInt8]
        do { bytes = try FileBytes.read(path, limit: limit) } catch { throw ReadError("\(path): \(error)") }
        var limits = PickleReader.Limits()
        limits.maxValues = max(limits.maxValues, 2 * bytes.count)
        limits.maxMemo = max(limits.maxMemo, bytes.count)
        limits.maxStack = max(limits.maxStack, bytes.count)
        let value: PickleValue
        do { value = try PickleReader.read(bytes, limits: limits) } catch let FaceSetError.pickle(m, offset) {
            throw ReadError("\(path): not a readable pickle (byte \(offset): \(m))")
        } catch {
            throw ReadError("\(path): not a readable pickle (\(error))")
        }
        if let g = firstOpaque(value) {
            throw ReadError("\(path): the pickle calls the Python global \(g), which is not allowed "
                            + "(only numpy arrays and plain values are read; nothing was run)")
        }
        return value
    }

    /// A weight or optimizer file: a dict of string keys (each once) to little-endian float32/float16 arrays
    /// and, with `allowIntegers`, integer scalars (`iters:0`, returned as 0-d int64 arrays).
    public static func arrays(_ path: String, limit: Int, allowIntegers: Bool) throws -> [String: NDArray] {
        guard case let .dict(pairs) = try read(path, limit: limit) else {
            throw ReadError("\(path): not a DeepFaceLab weight file (the pickle is not a dict)")
        }
        var out: [String: NDArray] = [:]
        for pair in pairs {
            guard case let .string(key) = pair.key else { throw ReadError("\(path): a key is not a string") }
            guard out[key] == nil else { throw ReadError("\(path): key \(key) appears twice") }
            switch pair.value {
            case let .ndarray(a) where ["f4", "f2"].contains(a.typeString) && a.byteOrder != ">":
                out[key] = a
            case let .ndarray(a) where allowIntegers && a.typeString.hasPrefix("i") && a.count == 1:
                out[key] = a
            case let .int(i) where allowIntegers:
                out[key] = try NDArray(int64s: [i], shape: [])
            default:
                throw ReadError("\(path): \(key) is not a float32 or float16 array")
            }
        }
        return out
    }

    /// The first global outside the reader's whitelist, as `module.name`.
    public static func firstOpaque(_ v: PickleValue) -> String? {
        switch v {
        case let .opaque(o): return o.module + "." + o.name
        case let .list(a), let .tuple(a): return a.lazy.compactMap(firstOpaque).first
        case let .dict(p): return p.lazy.compactMap { firstOpaque($0.key) ?? firstOpaque($0.value) }.first
        default: return nil
        }
    }
}
