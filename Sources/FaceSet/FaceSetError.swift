/// Everything that can go wrong while reading or writing DeepFaceLab face files, pickles and paks.
/// Each case carries enough context for a one-line `tool: path: reason` message.
public enum FaceSetError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The pickle stream is malformed (bad opcode, truncated, stack misuse …); `offset` is where.
    case pickle(String, offset: Int)
    /// A value could not be written as a pickle.
    case pickleWrite(String)
    /// The JPEG segment structure is malformed.
    case jpeg(String)
    /// The PNG chunk structure is malformed.
    case png(String)
    /// The file has no DeepFaceLab metadata.
    case noMetadata
    /// The metadata dict is present but a field has the wrong type or shape.
    case metadata(String)
    /// The metadata pickle is too large for one APP15 segment.
    case metadataTooLarge(bytes: Int)
    /// faceset.pak structure is malformed.
    case pak(String)

    public var description: String {
        switch self {
        case let .pickle(m, offset): return "corrupt metadata pickle at byte \(offset): \(m)"
        case let .pickleWrite(m): return "cannot write metadata pickle: \(m)"
        case let .jpeg(m): return "bad JPEG: \(m)"
        case let .png(m): return "bad PNG: \(m)"
        case .noMetadata: return "not a DFL face (no DeepFaceLab metadata)"
        case let .metadata(m): return "bad face metadata: \(m)"
        case let .metadataTooLarge(n): return "metadata pickle is \(n) bytes; one JPEG APP15 segment holds at most 65533"
        case let .pak(m): return "bad faceset.pak: \(m)"
        }
    }
}
