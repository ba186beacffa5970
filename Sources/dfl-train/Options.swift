// dfl-train's options, in groups: what each mode reads. Fixed choices are typed (ExpressibleByArgument), so
// --help lists their values and a bad value is a usage error from the parser.
import ArgumentParser
import ColorTransfer
import FaceSet
import ModelStore
import NeuralNet
import SAEHD
import ToolSupport
import Trainer

extension Optimizer.Kind: ExpressibleByArgument, CaseIterable {
    public static var allCases: [Optimizer.Kind] { [.adabelief, .rmsprop] }
}
extension ConvAlgorithmChoice: ExpressibleByArgument {}
extension MatmulPrecision: ExpressibleByArgument {}
extension PredictionPath: ExpressibleByArgument {}

/// `--config` and `--archi` parse through ModelConfig, whose message says what is wrong (the parser then
/// reports a usage error with it). A --config's channel count comes from --channels or the faceset, so it
/// parses with 3 and the trainer sets the real one.
func parseConfig(_ s: String) throws -> ModelConfig {
    do { return try ModelConfig(s, channels: 3) } catch let e as ModelConfig.ParseError { throw ValidationError(e.description) }
}

func parseArchi(_ s: String) throws -> (archi: ModelConfig.Archi, options: Set<Character>) {
    do { return try ModelConfig.parseArchi(s) } catch let e as ModelConfig.ParseError { throw ValidationError(e.description) }
}

/// `--holdout-side`: which reconstruction the held-out faces are measured on.
enum HeldOutSide: String, CaseIterable, ExpressibleByArgument {
    case dst, src
    var path: PredictionPath { self == .dst ? .dst : .src }
}

/// The facesets of a training run.
struct FaceSetOptions: ParsableArguments {
    @Option(help: "The src faceset: a folder, a face list file, a .pak, or - (a face list on standard input).")
    var src: String?
    @Option(help: "The dst faceset (like --src).")
    var dst: String?
    @Option(help: "Pretrain on this faceset (like --src), which is both src and dst, with DeepFaceLab's pretraining settings. Training the model later with --src/--dst ends pretraining: the iteration count and loss.csv restart and the inter networks are re-initialised.")
    var pretrain: String?
    @Option(help: "Start --model (a new or empty directory) from this saved model folder: a model directory, a backup (DIR/backups/<date>) or DIR/saves/<generation>, which is only read. Alone it restores and exits; with --src/--dst it then trains.")
    var from: String?
    @Option(help: "Held-out faces (like --src), never trained on: evaluated at each save and at exit, figures appended to quality.csv.")
    var holdout: String?
    @Option(help: "Reconstruction path of the held-out faces: dst (dst->dst) or src (src->src).")
    var holdoutSide: HeldOutSide = .dst
    @Option(help: "Evaluate the held-out faces every N iterations instead of at each save (and still at exit).")
    var evalEvery: Int = 0

    /// The options of this group that were given, as the user typed them (for mode errors).
    var given: [String] {
        [("--src", src), ("--dst", dst), ("--pretrain", pretrain), ("--from", from), ("--holdout", holdout)]
            .compactMap { $0.1 == nil ? nil : $0.0 } + (evalEvery != 0 ? ["--eval-every"] : [])
    }

    func validate() throws {
        if pretrain != nil && (src != nil || dst != nil) { throw ValidationError("--pretrain takes the place of --src and --dst") }
        if (src == nil) != (dst == nil) { throw ValidationError("training needs both --src and --dst") }
        if holdout != nil && src == nil && pretrain == nil { throw ValidationError("--holdout needs --src and --dst (or --pretrain)") }
        if [src, dst, holdout, pretrain].filter({ $0 == "-" }).count > 1 {
            throw ValidationError("only one of --src, --dst, --pretrain and --holdout can be -")
        }
        guard evalEvery >= 0 else { throw ValidationError("--eval-every must not be negative") }
    }
}

/// The architecture of a new model; fixed once the model exists (a different value is then an error).
struct ArchitectureOptions: ParsableArguments {
    @Option(help: "Compact architecture: archi[-opts]-res-ae-e-d-dm, e.g. liae-ud-96-32-32-32-16.", transform: parseConfig)
    var config: ModelConfig?
    @Option(help: "Architecture: df or liae with options u, d, t (e.g. df-ud). (default: liae-ud)", transform: parseArchi)
    var archi: (archi: ModelConfig.Archi, options: Set<Character>)?
    @Option(help: "Resolution in pixels (multiple of 16, of 32 with d). (default: 128)")
    var resolution: Int?
    @Option(help: "Autoencoder dims. (default: 256)")
    var aeDims: Int?
    @Option(help: "Encoder dims. (default: 64)")
    var eDims: Int?
    @Option(help: "Decoder dims. (default: 64)")
    var dDims: Int?
    @Option(help: "Decoder mask dims. (default: decoder dims / 3, made even)")
    var dMaskDims: Int?
    @Option(help: "Face type of the model. (default: wf)")
    var faceType: FaceType?
    @Option(help: "Image channels: 1 (SAEHDBW) or 3 (SAEHD). (default: the faceset's)")
    var channels: Int?
    @Option(help: "Optimizer. (default: adabelief)")
    var optimizer: Optimizer.Kind?
    @Option(help: "Seed of weights, sample order and augmentation. (default: 0)")
    var seed: UInt64?

    var givesParts: Bool { archi != nil || resolution != nil || aeDims != nil || eDims != nil || dDims != nil || dMaskDims != nil }

    func validate() throws {
        if config != nil && givesParts {
            throw ValidationError("give either --config or --archi/--resolution/--*-dims, not both")
        }
        if let c = channels, c != 1 && c != 3 { throw ValidationError("--channels must be 1 or 3") }
    }

    /// The architecture asked for on the command line (nil when none was given), for images with `channels`
    /// channels. Parts not given come from `base` (the saved model's on resume) or DeepFaceLab's defaults.
    func asked(base: ModelConfig?, channels: Int) throws -> ModelConfig? {
        if let config { return config.withChannels(channels) }
        guard givesParts else { return nil }
        let d = dDims ?? base?.dDims ?? 64
        return try ModelConfig(archi: archi?.archi ?? base?.archi ?? .liae, options: archi?.options ?? base?.options ?? ["u", "d"],
                               resolution: resolution ?? base?.resolution ?? 128, aeDims: aeDims ?? base?.aeDims ?? 256,
                               eDims: eDims ?? base?.eDims ?? 64, dDims: d,
                               dMaskDims: dMaskDims ?? base?.dMaskDims ?? ModelConfig.defaultMaskDims(decoderDims: d),
                               channels: channels)
    }
}

/// Options that may change on resume.
struct TrainingChangeOptions: ParsableArguments {
    @Option(name: [.short, .long], help: "Samples per side per iteration. (default: 8)")
    var batchSize: Int?
    @Option(help: "Stop (and save) at this iteration; 0 = no limit. (default: 0)")
    var targetIter: Int?
    @Option(help: "Learning rate of the optimizer, 0...0.01. (default: 5e-05, DeepFaceLab's)")
    var learningRate: Double?
    @Flag(inversion: .prefixedNo, help: "Learning-rate dropout (0.3) with the 500-iteration cosine cycle. (default: off)")
    var lrDropout: Bool?
    @Flag(inversion: .prefixedNo, help: "Clip the global gradient norm at 1. (default: off)")
    var clipgrad: Bool?
    @Flag(inversion: .prefixedNo, help: "Random elastic warp of the network input. (default: on)")
    var randomWarp: Bool?
    @Flag(inversion: .prefixedNo, help: "Flip src samples with probability 0.4. (default: off)")
    var randomSrcFlip: Bool?
    @Flag(inversion: .prefixedNo, help: "Flip dst samples with probability 0.4. (default: on)")
    var randomDstFlip: Bool?
    @Flag(inversion: .prefixedNo, help: "Mask the image losses with the face mask. (default: on)")
    var maskedTraining: Bool?
    @Flag(inversion: .prefixedNo, help: "Eyes and mouth priority (L1 x300 on those regions). (default: off)")
    var eyesMouthPrio: Bool?
    @Flag(inversion: .prefixedNo, help: "Sample faces uniformly over yaw. (default: off)")
    var uniformYaw: Bool?
    @Option(help: "Random HSV shift of src inputs, 0...0.3 (colour models only). (default: 0)")
    var randomHsvPower: Double?
    @Option(help: "Colour transfer of src toward dst (1-channel: lct, sot, idt). (default: none)")
    var ctMode: ColorTransferChoice?
    @Flag(inversion: .prefixedNo, help: "Replace each target outside its mask by a normalised blur. (default: off)")
    var blurOutMask: Bool?
    @Option(help: "Face style power, 0...100: style loss of the swapped face against the dst face. (default: 0)")
    var faceStylePower: Double?
    @Option(help: "Background style power, 0...100: DSSIM + MSE of the swap's background against dst. (default: 0)")
    var bgStylePower: Double?
    @Option(help: "GAN power, 0...5: the patch discriminator's weight in the src loss; DeepFaceLab's users turn it on at 0.1 once the face is trained. (default: 0)")
    var ganPower: Double?
    @Option(help: "GAN patch size, 3...640: the discriminator's receptive field. (default: resolution / 8)")
    var ganPatchSize: Int?
    @Option(help: "GAN dims, 4...512: the discriminator's top-level channels. (default: 16)")
    var ganDims: Int?
    @Option(help: "True-face power, 0...1 (df archis only): the code discriminator's weight in the src loss. (default: 0)")
    var trueFacePower: Double?

    /// Applies the options that were given to `o`.
    func apply(to o: inout TrainingOptions) {
        if let v = batchSize { o.batchSize = v }
        if let v = targetIter { o.targetIteration = v }
        if let v = lrDropout { o.lrDropout = v }
        if let v = learningRate { o.learningRate = v }
        if let v = clipgrad { o.clipGradient = v }
        if let v = randomWarp { o.randomWarp = v }
        if let v = randomSrcFlip { o.randomSrcFlip = v }
        if let v = randomDstFlip { o.randomDstFlip = v }
        if let v = maskedTraining { o.maskedTraining = v }
        if let v = eyesMouthPrio { o.eyesMouthPriority = v }
        if let v = uniformYaw { o.uniformYaw = v }
        if let v = randomHsvPower { o.randomHSVPower = v }
        if let v = ctMode { o.ctMode = v.mode }
        if let v = blurOutMask { o.blurOutMask = v }
        if let v = faceStylePower { o.faceStylePower = v }
        if let v = bgStylePower { o.bgStylePower = v }
        if let v = ganPower { o.ganPower = v }
        if let v = ganPatchSize { o.ganPatchSize = v }
        if let v = ganDims { o.ganDims = v }
        if let v = trueFacePower { o.trueFacePower = v }
    }
}

/// The training loop: how long, saves, backups, previews, threads.
struct LoopOptions: ParsableArguments {
    @Option(help: "Train this many iterations in this run, then save and exit (0 = no limit).")
    var iterations: Int = 0
    @Option(help: "Autosave every MIN minutes (fractions allowed; 0 = only at exit).")
    var saveEvery: Double = 25
    @Option(help: "Keep a dated backup under backups/ every HOURS hours (0 = none).")
    var backupEvery: Double = 0
    @Option(help: "Write preview/latest.png and preview/loss.png every N iterations and at exit (0 = never).")
    var previewEvery: Int = 100
    @Flag(help: "Keep numbered copies of the previews in preview/history/.")
    var previewHistory = false
    @Option(help: "Threads of the training step (default: all cores).")
    var threads: Int?
    @Option(help: "Threads of the sample generator.")
    var samplerThreads: Int = 1
    @Option(help: "Convolution algorithms: fast (Winograd for 3x3 stride-1 layers, and for 5x5 stride-2 ones rewritten as 3x3, by shape rules), dense (im2col + sgemm everywhere, for comparison), f2 or f4 (that Winograd tile wherever it applies). (default: fast)")
    var convAlgo: ConvAlgorithmChoice?
    @Option(help: "Operands of the convolutions' and dense layers' matrix multiplies: fp32, bf16 (rounded to bfloat16, accumulated in float32; fast only on CPUs with AVX512-BF16) or auto (bf16 where the CPU has AVX512-BF16). Weights, optimizer state and losses stay float32. DFL_PRECISION in the environment replaces the default. (default: auto)")
    var precision: MatmulPrecision?
    @Flag(name: [.short, .long], help: "Also print which algorithm each convolution shape runs and its time in one step.")
    var verbose = false

    func validate() throws {
        guard saveEvery >= 0, backupEvery >= 0, previewEvery >= 0, iterations >= 0, samplerThreads >= 1 else {
            throw ValidationError("intervals and counts must not be negative")
        }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1") }
    }
}

/// --reconstruct: evaluate a saved model instead of training.
struct EvaluationOptions: ParsableArguments {
    @Option(help: "Evaluate: reconstruct these aligned faces (folder, list file, .pak or -) instead of training.")
    var reconstruct: String?
    @Option(name: [.short, .long], help: "Output directory of --reconstruct.")
    var out: String?
    @Option(help: "Reconstruction path for --reconstruct: src (src->src), dst (dst->dst) or swap (dst->src).")
    var side: PredictionPath = .dst

    func validate() throws {
        if reconstruct != nil && out == nil { throw ValidationError("--reconstruct needs --out DIR") }
        if reconstruct == nil && out != nil { throw ValidationError("--out goes with --reconstruct") }
    }
}

/// DeepFaceLab model folders: import, export, and which model of a folder.
struct DFLFolderOptions: ParsableArguments {
    @Option(name: .customLong("import-dfl"), help: ArgumentHelp("Create --model DIR from the DeepFaceLab SAEHD/SAEHDBW model in this folder (weights, optimizer, iteration, options, loss history).", valueName: "dfl-dir"))
    var importDFL: String?
    @Option(name: .customLong("export-dfl"), help: ArgumentHelp("Write the model as a DeepFaceLab model folder (NAME_SAEHD_* or NAME_SAEHDBW_*) in this folder.", valueName: "dfl-dir"))
    var exportDFL: String?
    @Option(name: .customLong("dfl-name"), help: "The DeepFaceLab model's name (NAME_SAEHD_*): which one to import or reconstruct with, or the name to export under, without '_' (DFL names a model by the part before the first '_'). (default: the only model there; new for export)")
    var dflName: String?
    @Flag(help: "With --export-dfl: replace a DeepFaceLab model of the same name.")
    var force = false

    func validate() throws {
        if importDFL != nil && exportDFL != nil { throw ValidationError("give --import-dfl or --export-dfl, not both") }
        if force && exportDFL == nil { throw ValidationError("--force goes with --export-dfl") }
    }
}

/// What one run of dfl-train does; each mode reads some option groups and refuses the others.
enum Mode {
    case train, restore, evaluate, importDFL, exportDFL

    var name: String {
        switch self {
        case .train: return "training"
        case .restore: return "--from"
        case .evaluate: return "--reconstruct"
        case .importDFL: return "--import-dfl"
        case .exportDFL: return "--export-dfl"
        }
    }
}
