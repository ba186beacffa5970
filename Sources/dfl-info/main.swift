// dfl-info: print aligned faces' DeepFaceLab metadata as JSON lines, or draw their landmarks.
import ArgumentParser
import AtomicIO
import FaceAlign
import FaceSet
import Imaging
import ToolSupport

struct DFLInfo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dfl-info",
        abstract: "Print the DeepFaceLab metadata of aligned faces as JSON, one object per line.",
        discussion: """
        Each line holds the face's path, its pixel size and channel count, and every key of its metadata \
        dict in stored order (numpy arrays as nested lists; encoded masks summarised as {"bytes": n}). \
        With --overlay DIR, each face is instead written as a PNG with its 68 landmarks drawn, and the \
        written paths are printed.

        With --model DIR, prints one JSON object describing the model in DIR instead: a dfl-train model \
        directory or a DeepFaceLab model folder (NAME_SAEHD_* / NAME_SAEHDBW_*; --dfl-name NAME picks one of \
        several). Keys: path, format (dfl-train or deepfacelab), name (DFL only), class (SAEHD or SAEHDBW), \
        config (archi-res-ae-e-d-dm), channels, face_type, iteration, loss_rows, options (dfl-train's \
        options) and dfl_options (DeepFaceLab's option keys: as stored, or as --export-dfl would write them).

        EXAMPLES:
          dfl-info aligned/00001_0.jpg
          dfl-info aligned/ | python3 -c 'import sys, json; [print(json.loads(l)["metadata"]["source_filename"]) for l in sys.stdin]'
          dfl-info --overlay debug/ aligned/
          dfl-info --model ~/DeepFaceLab/workspace/model | python3 -c 'import sys, json; print(json.load(sys.stdin)["iteration"])'
        """,
        version: toolchainVersion)

    @OptionGroup var input: InputOptions

    @Option(help: "Write each face with its landmarks drawn as DIR/<name>_landmarks.png instead of printing JSON.")
    var overlay: String?

    @Option(help: "Describe the model in this directory (dfl-train's or a DeepFaceLab model folder) as JSON instead of reading faces.")
    var model: String?

    @Option(name: .customLong("dfl-name"), help: "With --model: which DeepFaceLab model of the folder (NAME of NAME_SAEHD_*).")
    var dflName: String?

    @Flag(name: [.short, .long], help: "No progress output on standard error.")
    var quiet = false

    func validate() throws {
        if model != nil && (overlay != nil || !input.paths.isEmpty) {
            throw ValidationError("--model describes a model; give no face paths or --overlay with it")
        }
        if dflName != nil && model == nil { throw ValidationError("--dfl-name goes with --model") }
    }

    func run() throws {
        if let model {
            do { print(try modelInfoJSON(path: model, dflName: dflName)) } catch {
                let text = "\(error)"
                printError("dfl-info: " + (text.hasPrefix(model) ? text : model + ": " + text))
                throw ExitCode(1)
            }
            return
        }
        let inputs = try input.resolvePaths()
        let overlayDir = try overlay.map { try OutputDirectory($0) }
        let status = PerFileRunner.run(tool: "dfl-info", inputs: inputs, quiet: quiet || overlayDir == nil) { path in
            if let dir = overlayDir {
                let face = try FaceFile(path: path)
                let target = dir.file(named: face.stem + "_landmarks.png")
                try ensureNotSameFile(input: path, output: target)
                try AtomicFile.write(encodePNG(landmarkOverlay(face)), to: target)
                return [target]
            }
            let bytes = try FileBytes.read(path)
            let face = try DFLImage.read(bytes)
            guard let dict = face.dictionary else { throw FaceSetError.noMetadata }
            return ["{\"path\":\(PickleJSON.string(path)),\"width\":\(face.width),\"height\":\(face.height),"
                    + "\"channels\":\(face.components),\"metadata\":\(PickleJSON.encode(dict))}"]
        }
        throw ExitCode(status)
    }
}

/// The face in colour with its landmark groups joined by lines and each point marked.
func landmarkOverlay(_ face: FaceFile) -> Image {
    var image = face.image.channels == 1 ? face.image.grayToRGB() : face.image
    if image.channels == 4 { image = image.toGray().grayToRGB() }
    let points = face.metadata.landmarks.map { SIMD2<Int>(Int($0.x.rounded()), Int($0.y.rounded())) }
    let lineColor: [UInt8] = [0, 200, 255]
    // 68-point groups: jaw, brows, nose bridge, nostrils, eyes (closed), lips (closed).
    let open: [ClosedRange<Int>] = [0...16, 17...21, 22...26, 27...30, 31...35]
    let closed: [ClosedRange<Int>] = [36...41, 42...47, 48...59, 60...67]
    for group in open + closed where group.upperBound < points.count {
        let idx = Array(group)
        for k in 0..<(idx.count - 1) { image.drawLine(from: points[idx[k]], to: points[idx[k + 1]], color: lineColor) }
        if closed.contains(group) { image.drawLine(from: points[idx.last!], to: points[idx[0]], color: lineColor) }
    }
    let radius = max(1, image.width / 200)
    for p in points { image.drawCircle(center: p, radius: radius, color: [0, 255, 0], filled: true) }
    return image
}

DFLInfo.runAsTool()
