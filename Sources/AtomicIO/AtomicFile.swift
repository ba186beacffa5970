// Every output file of the toolchain goes through here: the bytes are written to a temporary file in the
// target's directory, flushed to disk, and renamed over the target, so a reader (or a crash) never sees
// a half-written file.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum AtomicFileError: Error, CustomStringConvertible {
    case cannotCreate(path: String, errno: Int32)
    case writeFailed(path: String, errno: Int32)
    case renameFailed(path: String, errno: Int32)

    public var description: String {
        switch self {
        case .cannotCreate(let p, let e): return "cannot create temporary file for \(p): \(String(cString: strerror(e)))"
        case .writeFailed(let p, let e): return "cannot write \(p): \(String(cString: strerror(e)))"
        case .renameFailed(let p, let e): return "cannot rename into \(p): \(String(cString: strerror(e)))"
        }
    }
}

public enum AtomicFile {
    /// Writes `bytes` to `path` atomically (temp file + fsync + rename, then fsync of the directory).
    public static func write<Bytes: Collection>(_ bytes: Bytes, to path: String) throws where Bytes.Element == UInt8 {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        var template = ((dir.isEmpty ? "." : dir) + "/.\(url.lastPathComponent).tmp-XXXXXX").utf8CString
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw AtomicFileError.cannotCreate(path: path, errno: errno) }
        let tempPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        var ok = false
        defer {
            if !ok { unlink(tempPath) }
        }
        // mkstemp creates 0600; outputs are ordinary files, so use the usual 0644 (less the umask).
        let mask = umask(0); umask(mask)
        fchmod(fd, 0o666 & ~mask)
        let contiguous = Array(bytes)
        var written = 0
        while written < contiguous.count {
            let n = contiguous.withUnsafeBytes { raw in
                Glibc.write(fd, raw.baseAddress! + written, raw.count - written)
            }
            if n < 0 {
                if errno == EINTR { continue }
                let e = errno; close(fd); throw AtomicFileError.writeFailed(path: path, errno: e)
            }
            written += n
        }
        if fsync(fd) != 0 { let e = errno; close(fd); throw AtomicFileError.writeFailed(path: path, errno: e) }
        close(fd)
        if rename(tempPath, path) != 0 { throw AtomicFileError.renameFailed(path: path, errno: errno) }
        ok = true
        syncDirectory(dir.isEmpty ? "." : dir)
    }

    /// Makes a rename in `dir` durable.
    public static func syncDirectory(_ dir: String) {
        let dfd = open(dir, O_RDONLY | O_DIRECTORY)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }
}
