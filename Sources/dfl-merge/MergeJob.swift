// The frame loop: frames in parallel, written paths printed in frame order, failures reported per file.
import AtomicIO
import Foundation
import Imaging
import Merge
import ToolSupport

struct MergeJob {
    let merger: FrameMerger
    let frames: [String]
    let faces: [AlignedFace]
    let outDirectory: OutputDirectory
    let maskDirectory: OutputDirectory?
    let jpegQuality: Int
    let diagnostics: Diagnostics
    let quiet: Bool

    private struct FrameResult {
        var written: [String] = []
        var faces = 0
        var error: Error?
    }

    func run() {
        let start = Date()
        // Faces by frame stem, in the order they were read. Faces of frames not given are left out, as DFL's
        // merger does: merging one frame against the whole aligned folder is the usual preview (and the
        // per-frame recipe of the README); the summary line counts them.
        var byStem: [String: [AlignedFace]] = [:]
        for face in faces { byStem[face.frameStem, default: []].append(face) }
        let frameStems = Set(frames.map(fileStem))
        let otherFrames = faces.count(where: { !frameStems.contains($0.frameStem) })
        let progress = Progress(label: "dfl-merge", total: frames.count, quiet: quiet)
        var merged = 0, facesMerged = 0, withoutFace = 0, failed = 0
        OrderedParallel.run(count: frames.count, work: { i -> FrameResult in
            var result = FrameResult()
            do {
                let frameFaces = (byStem[fileStem(frames[i])] ?? []).map(\.face)
                result.faces = frameFaces.count
                result.written = try mergeFrame(frames[i], faces: frameFaces)
            } catch {
                result.error = error
            }
            return result
        }, emit: { i, result in
            if let error = result.error {
                diagnostics.fail(frames[i], error)
                failed += 1
            } else {
                for path in result.written { print(path) }
                merged += 1
                facesMerged += result.faces
                if result.faces == 0 { withoutFace += 1 }
            }
            progress.advance()
        })
        progress.finish()
        fflush(stdout)
        let seconds = Date().timeIntervalSince(start)
        if !quiet {
            printError(String(format: "dfl-merge: %d frames merged, %d faces, %d frames without a face, %d failed, "
                              + "%d faces of other frames left out, %.1f s (%.2f frames/s)",
                              merged, facesMerged, withoutFace, failed, otherFrames, seconds, Double(merged) / max(seconds, 1e-9)))
        }
    }

    /// Merges one frame and writes it (and its mask); returns the written paths.
    private func mergeFrame(_ path: String, faces: [FrameFace]) throws -> [String] {
        let bytes = try FileBytes.read(path)
        let frame = try decodeImage(bytes)
        let result = try merger.merge(frame: frame, faces: faces)
        let name = (path as NSString).lastPathComponent
        let ext = (name as NSString).pathExtension
        let format = ImageFormat(pathExtension: ext) ?? ImageFormat(sniffing: bytes) ?? .png
        let target = outDirectory.file(named: name)
        try ensureNotSameFile(input: path, output: target)
        // Encode everything before writing anything: a failure leaves no output for this frame.
        let encoded = try encodeImage(result.image, format: format, quality: jpegQuality)
        let maskBytes = try maskDirectory.map { _ in try encodePNG(result.mask) }
        try AtomicFile.write(encoded, to: target)
        var written = [target]
        if let maskDirectory, let maskBytes {
            let maskPath = maskDirectory.file(named: fileStem(path) + ".png")
            try ensureNotSameFile(input: path, output: maskPath)
            try AtomicFile.write(maskBytes, to: maskPath)
            written.append(maskPath)
        }
        return written
    }
}
