// dfl-xseg label / labelme: XSeg polygons between labelme's annotation files and the faces' seg_ie_polys
// (docs/xseg.md, "Labels"; the label rule is LabelmeLabels.swift's).
import ArgumentParser
import AtomicIO
import FaceSet
import Foundation
import Imaging
import Samples
import ToolSupport

/// Where a face's labelme file is: `<json-dir>/<face stem>.json`, or next to the face.
func labelmePath(for face: String, jsonDirectory: String?) -> String {
    let url = URL(fileURLWithPath: face)
    let stem = url.deletingPathExtension().lastPathComponent
    let dir = jsonDirectory ?? url.deletingLastPathComponent().path
    return (dir.hasSuffix("/") ? dir : dir + "/") + stem + ".json"
}

struct Label: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write labelme polygons into faces as their XSeg labels (seg_ie_polys).",
        discussion: """
        For each face, reads its labelme annotation file (<face-stem>.json next to the face, where labelme \
        saves it, or in --json-dir) and stores its polygons in the face as seg_ie_polys, the labels \
        DeepFaceLab's XSeg editor writes and 'dfl-xseg train' learns from. The label rule: a shape labelled \
        'exclude', or whose label starts with 'exclude' or '-' ('exclude-hand', '-mic'), is an EXCLUDE \
        polygon (an occluder); any other label ('face', 'include', 'skin') is an INCLUDE polygon. Polygons \
        and rectangles are read. As in DeepFaceLab, every EXCLUDE polygon wins over every INCLUDE one. A file \
        with no shapes removes the face's polygons.

        Only the metadata is rewritten (to a temporary file renamed into place); the rewritten faces' paths \
        are printed. Faces without an annotation file, or whose polygons are already those, are left as they \
        are and counted. A malformed file (not labelme's JSON, another image size, a polygon with fewer than 3 \
        points, a non-finite point, another shape type) is an error for that face, which is not changed.

        EXAMPLES:
          labelme src/aligned && dfl-xseg label src/aligned
          dfl-xseg label --json-dir labels/ dst/aligned
        """)

    @Option(help: "Folder of the annotation files (default: each face's folder).")
    var jsonDir: String?
    @Flag(name: [.short, .long], help: "No progress output on standard error.")
    var quiet = false
    @OptionGroup var input: InputOptions

    func run() throws {
        let inputs = try exitingOnFailure("dfl-xseg") { try input.resolvePaths() }
        let lock = NSLock()
        var noFile = 0, unchanged = 0
        let status = PerFileRunner.run(tool: "dfl-xseg", inputs: inputs, quiet: quiet) { path in
            let jsonPath = labelmePath(for: path, jsonDirectory: jsonDir)
            guard FileManager.default.fileExists(atPath: jsonPath) else {
                lock.lock(); noFile += 1; lock.unlock()
                return []
            }
            let file = try FaceFile(path: path)
            guard ImageFormat(sniffing: file.bytes) == .jpeg else {
                throw FaceSetError.jpeg("a legacy PNG face, which DeepFaceLab no longer reads")
            }
            let json: [UInt8]
            do { json = try FileBytes.read(jsonPath, limit: LabelmeLabels.maxFileBytes) } catch {
                throw XSegLabelError("\(jsonPath): \(error)")
            }
            let polygons: [SegIEPolygon]
            do {
                polygons = try LabelmeLabels.polygons(json: json, width: file.image.width, height: file.image.height)
                try XSegLabels.validate(polygons, width: file.image.width, height: file.image.height)
            } catch {
                throw XSegLabelError("\(jsonPath): \(error)")
            }
            // As stored (float32 points): unchanged labels are not rewritten.
            let stored = polygons.map { SegIEPolygon(kind: $0.kind, points: $0.points.map { SIMD2(Double(Float($0.x)), Double(Float($0.y))) }) }
            if stored == file.metadata.segIEPolys {
                lock.lock(); unchanged += 1; lock.unlock()
                return []
            }
            guard let out = try MetadataEdit.setting("seg_ie_polys", to: try MetadataEdit.polygonsValue(polygons), in: file.bytes) else {
                lock.lock(); unchanged += 1; lock.unlock()
                return []
            }
            try AtomicFile.write(out, to: path)
            return [path]
        }
        if !quiet && (noFile > 0 || unchanged > 0) {
            printError("dfl-xseg: \(noFile) faces without an annotation file, \(unchanged) with their polygons already")
        }
        if noFile == inputs.count && !inputs.isEmpty {
            printError("dfl-xseg: no annotation file found (looked for <face-stem>.json in "
                       + (jsonDir ?? "each face's folder") + ")")
            throw ExitCode(1)
        }
        throw ExitCode(status)
    }
}

struct Labelme: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write labelme annotation files from the faces' XSeg polygons.",
        discussion: """
        For each face that has polygons (seg_ie_polys), writes a labelme annotation file \
        <face-stem>.json next to the face (or in --json-dir), so that DeepFaceLab's labels can be edited in \
        labelme and read back with 'dfl-xseg label'. INCLUDE polygons are labelled 'include', EXCLUDE ones \
        'exclude'. An existing annotation file is replaced only with --force. Prints the written files; \
        faces without polygons are counted.

        EXAMPLES:
          dfl-xseg labelme src/aligned && labelme src/aligned && dfl-xseg label src/aligned
        """)

    @Option(help: "Folder for the annotation files (default: each face's folder).")
    var jsonDir: String?
    @Flag(help: "Replace existing annotation files.")
    var force = false
    @Flag(name: [.short, .long], help: "No progress output on standard error.")
    var quiet = false
    @OptionGroup var input: InputOptions

    func run() throws {
        let inputs = try exitingOnFailure("dfl-xseg") {
            let inputs = try input.resolvePaths()
            if let jsonDir { try FileManager.default.createDirectory(atPath: jsonDir, withIntermediateDirectories: true) }
            return inputs
        }
        let lock = NSLock()
        var unlabelled = 0
        let status = PerFileRunner.run(tool: "dfl-xseg", inputs: inputs, quiet: quiet) { path in
            let file = try FaceFile(path: path)
            guard !file.metadata.segIEPolys.isEmpty else {
                lock.lock(); unlabelled += 1; lock.unlock()
                return []
            }
            let jsonPath = labelmePath(for: path, jsonDirectory: jsonDir)
            if !force && FileManager.default.fileExists(atPath: jsonPath) {
                throw XSegLabelError("\(jsonPath) exists (--force replaces it)")
            }
            // labelme finds the image relative to the annotation file.
            let faceURL = URL(fileURLWithPath: path).standardizedFileURL
            let jsonFolder = URL(fileURLWithPath: jsonPath).deletingLastPathComponent().standardizedFileURL
            let imagePath = faceURL.deletingLastPathComponent().path == jsonFolder.path ? faceURL.lastPathComponent : faceURL.path
            let json = try LabelmeLabels.json(polygons: file.metadata.segIEPolys, imagePath: imagePath,
                                              width: file.image.width, height: file.image.height)
            try AtomicFile.write(json, to: jsonPath)
            return [jsonPath]
        }
        if unlabelled > 0 && !quiet { printError("dfl-xseg: \(unlabelled) of \(inputs.count) faces have no polygons") }
        throw ExitCode(status)
    }
}
