// Reading whole input files with a clear error instead of Foundation's generic one.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum FileReadError: Error, CustomStringConvertible {
    case cannotOpen(errno: Int32)
    case notRegularFile
    case tooLarge(Int)
    case readFailed(errno: Int32)

    public var description: String {
        switch self {
        case .cannotOpen(let e): return String(cString: strerror(e))
        case .notRegularFile: return "not a regular file"
        case .tooLarge(let n): return "file too large (\(n) bytes)"
        case .readFailed(let e): return "read failed: \(String(cString: strerror(e)))"
        }
    }
}

public enum FileBytes {
    /// Files larger than this are refused (faces are kilobytes, frames a few megabytes, paks gigabytes).
    public static let defaultLimit = 16 << 30

    /// Reads a whole regular file.
    public static func read(_ path: String, limit: Int = defaultLimit) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileReadError.cannotOpen(errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FileReadError.readFailed(errno: errno) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw FileReadError.notRegularFile }
        let size = Int(st.st_size)
        guard size <= limit else { throw FileReadError.tooLarge(size) }
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + done, size - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileReadError.readFailed(errno: errno)
            }
            if n == 0 { break }   // the file shrank while we read it
            done += n
        }
        if done < size { bytes.removeLast(size - done) }
        return bytes
    }
}
