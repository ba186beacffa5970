// A face whose metadata names a Python global other than the numpy/DFL ones we interpret (e.g.
// `os.system`) is never passed on: DeepFaceLab's own pickle loader would call that global when it reads
// our output. We only read such faces (dfl-info shows them); tools that write refuse them.
import FaceSet

public struct UnsafeMetadataError: Error, CustomStringConvertible {
    public let globals: [String]
    public var description: String {
        "metadata names Python globals \(globals.joined(separator: ", ")) that DeepFaceLab would execute; refusing to copy it"
    }
}

extension PickleValue {
    /// `module.name` of every opaque global inside this value.
    public var opaqueGlobals: [String] {
        switch self {
        case .opaque(let o): return [o.module + "." + o.name]
        case .list(let a), .tuple(let a): return a.flatMap(\.opaqueGlobals)
        case .dict(let pairs): return pairs.flatMap { $0.key.opaqueGlobals + $0.value.opaqueGlobals }
        default: return []
        }
    }
}

/// Throws `UnsafeMetadataError` when the face's metadata holds opaque globals.
public func rejectUnsafeMetadata(_ face: DFLFace) throws {
    if let globals = face.dictionary?.opaqueGlobals, !globals.isEmpty {
        throw UnsafeMetadataError(globals: globals)
    }
}
