// The command line of dfl-merge: frames + dst faces + model → frames with the swapped faces.
import ArgumentParser
import ColorTransfer
import FaceSet
import Foundation
import Merge
import NeuralNet
import ToolSupport
import XSeg

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dfl-merge",
        abstract: "Put the model's face into every frame: frames + aligned dst faces + model → merged frames.",
        discussion: """
            Each frame gets every aligned face whose source_filename has the frame's file-name stem: the face \
            is cut out of the frame at the model's face type and resolution, predicted dst→src, warped back \
            and blended (DeepFaceLab's merger). A frame without a face is written unchanged. Output frames \
            keep their names and format (.png or .jpg) in --out; --mask-out writes each frame's blend mask as \
            <stem>.png. Settings come from the flags or --config FILE (key=value lines, keys as the long \
            options); flags win. The resolved settings are printed once on standard error. Written paths are \
            printed on standard output in frame order.

            EXAMPLES:
              dfl-merge --aligned dst/aligned --model model --out merged frames/
              dfl-merge --aligned dst.pak --model model --config merge.cfg --out merged --mask-out masks frames/
              ffmpeg -framerate 25 -i merged/%05d.png -c:v libx264 -pix_fmt yuv420p out.mp4
            """,
        version: toolchainVersion)

    @OptionGroup var input: InputOptions

    @Option(name: .long, help: "The aligned dst faces: a directory or a faceset.pak.")
    var aligned: String

    @Option(name: .long, help: "The model, only read: a dfl-train model directory, one of its backups (DIR/backups/<date>) or saves (DIR/saves/<generation>), or a DeepFaceLab model folder (NAME_SAEHD_*.npy).")
    var model: String?
    @Option(name: .customLong("dfl-name"), help: "Which DeepFaceLab model of the --model folder to use (NAME of NAME_SAEHD_*) when it holds several.")
    var dflName: String?

    @Option(name: .customLong("xseg-model"), help: ArgumentHelp("The XSeg model of the xseg-prd / xseg-dst mask modes, only read: a dfl-xseg model directory or a DeepFaceLab XSeg folder (XSeg_256.npy; often the SAEHD model's own folder).", valueName: "PATH"))
    var xsegModel: String?

    @Option(name: [.short, .long], help: "Directory for the merged frames (created if needed).")
    var out: String?

    @Option(name: .long, help: "Also write each frame's blend mask as DIR/<stem>.png.")
    var maskOut: String?

    @Option(name: .long, help: "Read settings from FILE (key=value lines; flags override them).")
    var config: String?

    @Option(help: "Merge mode. (default: overlay)")
    var mode: MergeMode?

    @Option(help: "Mask: the face square, the landmark hull, the model's learned masks, the face's stored XSeg mask, the XSeg network's mask of the predicted or the dst face (--xseg-model), or products of these (DFL's modes 0-9: full, dst, learned-prd, learned-dst, learned-prd*dst, learned-prd+dst, xseg-prd, xseg-dst, xseg-prd*dst, learned-prd*dst*xseg-prd*dst). (default: dst)")
    var maskMode: MaskMode?

    // Options that take negative values read the next word as their value even when it starts with '-'.
    @Option(parsing: .unconditional, help: "Erode (> 0) or dilate (< 0) the mask, in 1/(4·resolution) of the face crop, -400...400 (default 0).")
    var erode: Int?

    @Option(help: "Feather the mask edge, same units, 0...400 (default 0).")
    var blur: Int?

    @Option(help: "Blur the merged face along its motion between neighbouring frames, 0...100 (default 0; frames with one face only).")
    var motionBlur: Int?

    @Option(parsing: .unconditional, help: "Scale the face's crop by 1 % per unit, -50...50, as DeepFaceLab does: a larger crop of the frame holds the same face, so a positive value pastes a smaller face (20: 1/1.2 of the size) and a negative one a larger face (default 0).")
    var outputFaceScale: Int?

    @Option(help: "Colour transfer toward the frame's face. (default: none)")
    var colorTransfer: ColorTransferChoice?

    @Option(help: "Histogram matching only inside the mask. (default: yes)")
    var maskedHistMatch: YesNo?

    @Option(help: "Histogram-match threshold 0...255 (default 255).")
    var histMatchThreshold: Int?

    @Option(help: "Sharpen kernel. (default: box)")
    var sharpenMode: SharpenMode?

    @Option(parsing: .unconditional, help: "Sharpen (> 0) or blur (< 0) the merged face, -100...100 (default 0).")
    var sharpenAmount: Int?

    @Option(help: "auto, color, gray (grayscale frames, as SAEHDBW) or luma (replace only the luma; auto's choice for 1-channel models on colour frames). (default: auto)")
    var colorMode: ColorMode?

    @Option(help: "Chroma inside the mask in luma colour mode: fit (chroma follows the new luma, fitted per face region on the frame's face), smooth (the frame's face chroma low-passed) or keep (the frame's chroma exactly, fringes where the faces differ). (default: fit)")
    var chroma: ChromaMode?

    @Option(help: "Seed of the random colour transfers idt and sot (default 0).")
    var seed: UInt64?

    @Option(help: "JPEG quality of .jpg output frames, 1...100 (default 95).")
    var jpegQuality: Int?

    @Option(help: "Operands of the network's matrix multiplies: fp32, bf16 (fast only on CPUs with AVX512-BF16) or auto (bf16 where the CPU has it). (default: fp32)")
    var precision: MatmulPrecision?

    @Flag(help: "Time the merge (every mode, or the one --mode names) on the given frames and faces; nothing is written.")
    var bench = false

    @Flag(name: [.short, .long], help: "No progress output on standard error.")
    var quiet = false

    func validate() throws {
        if !bench && out == nil { throw ValidationError("--out is required") }
        if !bench && model == nil { throw ValidationError("--model is required") }
        if let out, let maskOut,
           URL(fileURLWithPath: out).standardizedFileURL.path == URL(fileURLWithPath: maskOut).standardizedFileURL.path {
            throw ValidationError("--mask-out must differ from --out (masks are named like the frames)")
        }
        let settings: MergeSettings
        do { settings = try resolvedSettings().0 } catch let e as ConfigError { throw ValidationError(e.description) }
        catch let e as MergeError { throw ValidationError(e.description) }
        if settings.maskMode.needsXSegModel && xsegModel == nil {
            throw ValidationError("mask mode \(settings.maskMode.rawValue) runs an XSeg model: give --xseg-model PATH")
        }
    }

    /// Settings from the flags, then the config file, then the defaults; and the JPEG quality.
    func resolvedSettings() throws -> (MergeSettings, jpegQuality: Int) {
        var file: [String: String] = [:]
        if let config {
            guard let text = try? String(contentsOfFile: config, encoding: .utf8) else {
                throw ConfigError(description: "\(config): cannot read the config file")
            }
            file = try parseConfig(text, path: config)
        }
        /// The flag's value, else the file's parsed by the flag's own parser.
        func choice<T: ExpressibleByArgument>(_ flag: T?, _ key: String) throws -> T? {
            if let flag { return flag }
            return try file[key].map { try SettingValue.choice($0, key, T.self) }
        }
        func int(_ flag: Int?, _ key: String) throws -> Int? {
            if let flag { return flag }
            return try file[key].map { try SettingValue.int($0, key) }
        }
        var s = MergeSettings()
        if let v = try choice(mode, "mode") { s.mode = v }
        if let v = try choice(maskMode, "mask-mode") { s.maskMode = v }
        if let v = try int(erode, "erode") { s.erode = v }
        if let v = try int(blur, "blur") { s.blur = v }
        if let v = try int(motionBlur, "motion-blur") { s.motionBlur = v }
        if let v = try int(outputFaceScale, "output-face-scale") { s.outputFaceScale = v }
        if let v = try choice(colorTransfer, "color-transfer") { s.colorTransfer = v.mode }
        if let v = try choice(maskedHistMatch, "masked-hist-match") { s.maskedHistMatch = v.value }
        if let v = try int(histMatchThreshold, "hist-match-threshold") { s.histMatchThreshold = v }
        if let v = try choice(sharpenMode, "sharpen-mode") { s.sharpenMode = v }
        if let v = try int(sharpenAmount, "sharpen-amount") { s.sharpenAmount = v }
        if let v = try choice(colorMode, "color-mode") { s.colorMode = v }
        if let v = try choice(chroma, "chroma") { s.chroma = v }
        if let v = seed { s.seed = v } else if let v = file["seed"] {
            guard let n = UInt64(v) else { throw ConfigError(description: "seed: '\(v)' is not a non-negative integer") }
            s.seed = n
        }
        try s.validate()
        let quality = try int(jpegQuality, "jpeg-quality") ?? 95
        guard (1...100).contains(quality) else { throw ConfigError(description: "jpeg-quality must be 1...100") }
        return (s, quality)
    }

    func run() throws {
        let (settings, quality) = try resolvedSettings()
        if let precision { MatmulPrecision.global = precision }
        let diagnostics = Diagnostics(toolName: "dfl-merge")
        let frames = try input.resolvePaths()
        var faces = try readAlignedFaces(aligned) { diagnostics.fail($0, $1) }
        if settings.motionBlur > 0 { faces = try addMotion(faces, frames: frames) { diagnostics.warn($0) } }
        let predictor: FacePredictor
        do {
            predictor = try model.map { try loadPredictor(modelDirectory: $0, dflName: dflName) }
                ?? IdentityPredictor(resolution: 192, channels: 3, faceType: .wholeFace)   // --bench only
        } catch {
            diagnostics.fail(model ?? "model", error)
            throw ExitCode(1)
        }
        var segmenter: XSegMasker?
        if let xsegModel {
            if settings.maskMode.needsXSegModel {
                do { segmenter = try loadFaceSegmenter(path: xsegModel) } catch {
                    diagnostics.fail(xsegModel, error)
                    throw ExitCode(1)
                }
            } else {
                diagnostics.warn("--xseg-model is not used by mask mode \(settings.maskMode.rawValue)")
            }
        }
        let merger = try FrameMerger(predictor: predictor, settings: settings, segmenter: segmenter)
        if bench {
            try runBenchmark(merger: merger, frames: frames, faces: faces, identity: model == nil,
                             onlyGivenMode: mode != nil || (config != nil && settings.mode != .overlay))
            return
        }
        printError("dfl-merge: model \(model!): \(predictor.resolution) px, \(predictor.channels) channel(s), face type \(predictor.faceType.shortName), matmul \(MatmulPrecision.global.resolved)")
        if let segmenter, let xsegModel {
            printError("dfl-merge: xseg model \(xsegModel): \(segmenter.resolution) px, face type "
                       + (segmenter.faceType.map { "\($0.shortName)" } ?? "not recorded (the model's, \(predictor.faceType.shortName), is used)"))
        }
        printError("dfl-merge: settings: " + settings.keyValueLines.joined(separator: " ") + " jpeg-quality=\(quality)")
        let job = MergeJob(merger: merger, frames: frames, faces: faces, outDirectory: try OutputDirectory(out!),
                           maskDirectory: try maskOut.map { try OutputDirectory($0) }, jpegQuality: quality,
                           diagnostics: diagnostics, quiet: quiet)
        job.run()
        throw ExitCode(diagnostics.exitStatus)
    }
}
