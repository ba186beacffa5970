// --rename DIR: DFL renames the faces in place to 00000.jpg, 00001.jpg, …; here they are copied into DIR
// under those names (atomic writes), and the inputs stay as they were.
import AtomicIO
import FaceSet
import Foundation
import ToolSupport

enum Renamer {
    /// Copies each row's file to DIR/%05d<original extension> in row order; returns the rows with the new
    /// paths. A file that cannot be copied, or whose metadata names Python globals, is reported and left out.
    static func copy(_ rows: [(path: String, score: String)], into dir: String,
                     diagnostics: Diagnostics) throws -> [(path: String, score: String)] {
        let out = try OutputDirectory(dir)
        var written: [(path: String, score: String)] = []
        for (k, row) in rows.enumerated() {
            let ext = (row.path as NSString).pathExtension
            let target = out.file(named: String(format: "%05d", k) + (ext.isEmpty ? "" : "." + ext))
            do {
                try ensureNotSameFile(input: row.path, output: target)
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
}
