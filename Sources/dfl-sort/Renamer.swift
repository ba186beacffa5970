// --rename DIR: DFL renames the faces in place to 00000.jpg, 00001.jpg, …; here they are copied into DIR
// under those names (atomic writes), and the inputs stay as they were.
import AtomicIO
import FaceSet
import Foundation
import ToolSupport
#if canImport(Glibc)
import Glibc
#endif

struct RenameOverwritesInput: Error, CustomStringConvertible {
    let target: String
    var description: String {
        "--rename would write \(target) over one of the input faces; choose a directory that holds none of them"
    }
}

enum Renamer {
    /// Copies each row's file to DIR/%05d<original extension> in row order; returns the rows with the new
    /// paths. A file that cannot be copied, or whose metadata names Python globals, is reported and left out.
    /// Nothing is written when a target name is one of `inputs` (copying into the faces' own directory
    /// would overwrite faces not yet copied).
    static func copy(_ rows: [(path: String, score: String)], into dir: String, inputs: [String],
                     diagnostics: Diagnostics) throws -> [(path: String, score: String)] {
        let out = try OutputDirectory(dir)
        let targets = rows.enumerated().map { k, row -> String in
            let ext = (row.path as NSString).pathExtension
            return out.file(named: String(format: "%05d", k) + (ext.isEmpty ? "" : "." + ext))
        }
        let inputFiles = Set(inputs.compactMap(fileIdentity))
        if let clash = targets.first(where: { fileIdentity($0).map(inputFiles.contains) ?? false }) {
            throw RenameOverwritesInput(target: clash)
        }
        var written: [(path: String, score: String)] = []
        for (row, target) in zip(rows, targets) {
            do {
                let bytes = try FileBytes.read(row.path)
                // Like every writing tool, never pass on metadata that would run code in DFL's loader.
                if let face = try? DFLImage.read(bytes) { try rejectUnsafeMetadata(face) }
                try AtomicFile.write(bytes, to: target)
                written.append((path: target, score: row.score))
            } catch {
                diagnostics.fail(row.path, error)
            }
        }
        return written
    }

    /// Device and inode of an existing file (nil when it does not exist).
    private static func fileIdentity(_ path: String) -> [UInt64]? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return [UInt64(st.st_dev), UInt64(st.st_ino)]
    }
}
