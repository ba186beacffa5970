// The command line of dfl-extract.
import ArgumentParser
import FaceDetect
import FaceSet
import ToolSupport

struct ExtractCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dfl-extract",
        abstract: "Find faces in frames and write DeepFaceLab aligned faces (JPEG with embedded metadata).",
        discussion: """
            Faces are found with dlib's face detectors (--detector: HOG, the CNN, or both) and its 68-point \
            landmark model (Debian package libdlib-data), aligned as DeepFaceLab's extractor aligns them, and written as OUT/<frame-stem>_<i>.jpg, largest \
            face first. The written paths are printed on standard output in frame order. A frame that cannot \
            be read is reported as `dfl-extract: path: reason` and the exit status is 1; a frame without a \
            face is not an error (--verbose reports it).

            EXAMPLES:
              ffmpeg -i clip.mp4 frames/%05d.png && dfl-extract --out aligned frames/
              ls frames/*.png | dfl-extract --size 384 --out src/aligned | dfl-gray --out src/gray
              dfl-extract --gray --out bw/aligned --debug bw/debug frames/
              dfl-extract --detector hog --out aligned frames/   # frontal faces, faster
              dfl-extract --bench examples/data
            """,
        version: toolchainVersion)

    @OptionGroup var input: InputOptions

    @Option(name: [.short, .long], help: "Directory for the aligned faces (created if needed).")
    var out: String?

    @Option(name: .customLong("face-type"), help: "Face type.")
    var faceType: FaceType = .wholeFace

    @Option(name: [.short, .long], help: "Side of the aligned faces in pixels (256...2048; default 512, 768 for head).")
    var size: Int?

    @Option(help: "JPEG quality 1...100 (default 90, 100 with --gray).")
    var quality: Int?

    @Flag(help: "Write 1-channel (luma) faces, the input of SAEHDBW models.")
    var gray = false

    @Option(help: ArgumentHelp("Also write each frame with the boxes (blue: HOG, yellow: CNN), landmarks and face squares drawn, as DIR/<frame-stem>.jpg.", valueName: "DIR"))
    var debug: String?

    @Option(help: "Face detector: hog (frontal faces, fast), cnn (dlib's CNN: also 3/4 views and profiles, several times slower) or auto (both: every HOG face plus the CNN faces HOG missed).")
    var detector: DetectorKind = .auto

    @Option(name: .customLong("detector-model"), help: ArgumentHelp("The CNN detector's model (default $DFL_DETECTOR_MODEL, else \(CNNFaceModel.fileName) installed under PREFIX/share/dfl-swift or in the source tree's models/).", valueName: "PATH"))
    var detectorModel: String?

    @Option(name: .customLong("max-faces"), help: "Keep at most N faces per frame, the largest (0 = all).")
    var maxFaces: Int = 0

    @Option(name: .customLong("min-face-size"), help: "Ignore detections smaller than this many frame pixels.")
    var minFaceSize: Int = 40

    @Option(help: "HOG upsamplings 0...4 (the CNN uses one fewer, at most 2): each finds faces half as small and costs about 4x the time.")
    var upsample: Int = 1

    @Option(name: .customLong("detect-size"), help: "Detect on a copy whose longer side is at most this (0 = full frame); landmarks always use the full frame.")
    var detectSize: Int = 640

    @Flag(name: .customLong("no-rotation-search"), help: "Do not retry a frame without faces turned by 90, 270 and 180 degrees.")
    var noRotationSearch = false

    @Option(name: .customLong("landmarks-model"), help: ArgumentHelp("The dlib 68-point model (default $DFL_LANDMARKS_MODEL, else \(LandmarkModel.debianPath)).", valueName: "PATH"))
    var landmarksModel: String?

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @Flag(name: [.short, .long], help: "Report frames without a face on standard error.")
    var verbose = false

    @Flag(name: [.short, .long], help: "No progress and no summary on standard error.")
    var quiet = false

    @Flag(help: "Measure extraction speed (frames/s at 640x360 and 1280x720 per detector: HOG at --upsample 0 and 1, cnn and auto at --upsample) on the input images instead of writing faces.")
    var bench = false

    func validate() throws {
        if let s = size, !(256...2048).contains(s) { throw ValidationError("--size must be in 256...2048") }
        if let q = quality, !(1...100).contains(q) { throw ValidationError("--quality must be in 1...100") }
        guard maxFaces >= 0 else { throw ValidationError("--max-faces must be 0 or more") }
        guard minFaceSize >= 0 else { throw ValidationError("--min-face-size must be 0 or more") }
        guard (0...4).contains(upsample) else { throw ValidationError("--upsample must be in 0...4") }
        guard detectSize == 0 || detectSize >= 64 else { throw ValidationError("--detect-size must be 0 or at least 64") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1") }
        if !bench && out == nil { throw ValidationError("missing --out DIR") }
    }

    var detectionOptions: FaceDetectionOptions {
        FaceDetectionOptions(detector: detector, upsample: upsample, detectionMaxSide: detectSize, maxFaces: maxFaces,
                             minFaceSize: minFaceSize, rotationSearch: !noRotationSearch)
    }

    func settings(outputDirectory: String, debugDirectory: String?) -> ExtractSettings {
        let type = faceType
        return ExtractSettings(faceType: type, size: size ?? (type >= .head ? 768 : 512),
                               quality: quality ?? (gray ? 100 : 90), gray: gray,
                               outputDirectory: outputDirectory, debugDirectory: debugDirectory,
                               detection: detectionOptions)
    }
}

extension DetectorKind: ExpressibleByArgument {}
