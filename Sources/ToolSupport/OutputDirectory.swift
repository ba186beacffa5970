// `--out DIR` for tools that write one file per input: creates the directory, builds output paths, and
// refuses to write over an input file (inputs are never modified unless a flag says so).
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public struct OutputDirectory: Sendable {
    public let path: String

    /// Creates `path` (and parents) if needed.
    public init(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        self.path = path
    }

    /// `DIR/name`.
    public func file(named name: String) -> String {
        path.hasSuffix("/") ? path + name : path + "/" + name
    }

    /// The output path for an input, with the input's file name and `newExtension` if given.
    public func file(for input: String, newExtension: String? = nil) -> String {
        var name = (input as NSString).lastPathComponent
        if let ext = newExtension {
            name = ((name as NSString).deletingPathExtension as String) + "." + ext
        }
        return file(named: name)
    }
}

public enum SameFileError: Error, CustomStringConvertible {
    case wouldOverwriteInput(String)
    public var description: String {
        switch self {
        case .wouldOverwriteInput(let p): return "output \(p) is the input file itself; choose another --out directory"
        }
    }
}

/// Throws when `output` names the same file as `input` (same device and inode, or the same path).
public func ensureNotSameFile(input: String, output: String) throws {
    var a = stat(), b = stat()
    if stat(input, &a) == 0, stat(output, &b) == 0, a.st_dev == b.st_dev, a.st_ino == b.st_ino {
        throw SameFileError.wouldOverwriteInput(output)
    }
}
