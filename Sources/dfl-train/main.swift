// dfl-train: train an SAEHD (3-channel) or SAEHDBW (1-channel) model, or evaluate one (--reconstruct).
import ArgumentParser
import AtomicIO
import FaceSet
import Foundation
import Imaging
import NeuralNet
import SAEHD
import Samples
import ToolSupport
import Trainer
#if canImport(Glibc)
import Glibc
#endif

struct DFLTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dfl-train",
        abstract: "Train an SAEHD / SAEHDBW face-swap model on a src and a dst faceset, or evaluate one.",
        discussion: """
        Training: --model DIR --src PATH --dst PATH, each PATH a folder of aligned faces, a face list file \
        (one path per line), a faceset.pak, or - (a face list on standard input, for one of them). A new \
        model takes its architecture from --config or --archi/--resolution/--*-dims (DeepFaceLab's defaults \
        otherwise); its channel count is the faceset's (1-channel faces train an SAEHDBW model) unless \
        --channels says otherwise (colour faces are then converted to luma while loading).

        An existing model directory resumes at its saved iteration with its saved options. Options that \
        can change on resume: --batch-size, --target-iter, --learning-rate, --lr-dropout, --clipgrad, --random-warp, \
        --random-src-flip, --random-dst-flip, --masked-training, --eyes-mouth-prio, --uniform-yaw, \
        --random-hsv-power, --ct-mode, --blur-out-mask, --face-style-power, --bg-style-power, --gan-power, \
        --gan-patch-size, --gan-dims, --true-face-power, --pretrain, and \
        everything about saving, previews and threads. Fixed at creation \
        (giving a different value is an error): the architecture and dims, --resolution, --channels, \
        --face-type, --optimizer, --seed.

        Progress lines [hh:mm:ss][#iteration][ms/iter][src loss][dst loss] go to standard error. The model \
        directory holds model.json, weights.safetensors and optimizer.safetensors (links to the current \
        save under saves/; the previous save is kept), loss.csv, preview/latest.png and preview/loss.png. \
        Saves are atomic: a crash or kill at any moment leaves the last or the previous save loadable. \
        Ctrl-C (SIGINT) or SIGTERM finishes the current step, saves and exits 0; a second one exits at once.

        Pretraining (--pretrain FACES) trains on one faceset as both src and dst with random warp off, both \
        flips and uniform yaw on, and no lr dropout, HSV shift, colour transfer or style power (saved \
        options are kept). Training the model later with --src/--dst ends it: the iteration count and \
        loss.csv restart at 0 and the inter networks are re-initialised; the encoder and decoders keep what \
        they learnt.

        Held-out quality: --holdout FACES (like --src) names faces that are never trained on, at the model's \
        resolution and face type. At each save (or every --eval-every N iterations) and at exit they are \
        reconstructed through --holdout-side (dst->dst by default) and "iteration,seconds,ssim,psnr" is \
        appended to quality.csv in the model directory: the same figures --reconstruct prints for that save. \
        The progress lines show the latest SSIM and preview/loss.png plots it on a second axis.

        Backups and rollback: --backup-every keeps dated copies of a save under backups/. Any saved model \
        folder (a model directory, backups/<date> or saves/<generation>) is a model for --reconstruct and \
        dfl-merge --model, read-only. To roll back, start a new model directory from a backup: \
        --model NEW --from DIR/backups/<date> (alone, or with --src/--dst to train on at once); NEW resumes \
        at the backup's iteration with its weights, and the original directory is not touched.

        GAN and true face: --gan-power P (typically 0.1, once the face is trained) adds DeepFaceLab's UNet patch \
        discriminator, which judges the src->src prediction against the src target for fine detail; \
        --true-face-power P (df archis only, typically 0.01) adds the code discriminator, which pulls the \
        src code toward the dst codes' distribution so the swapped face looks more like src. Each trains one \
        step after each generator step on the same batch, with its own optimizer (the generator's kind, \
        learning rate, lr dropout and clipgrad). Both may change on resume; a changed --gan-patch-size or \
        --gan-dims starts the GAN discriminator again (the trainer says so). Pretraining turns both off. \
        Their losses end the progress lines ([gan d ...][tf d ...]) and fill loss.csv's gan_d_loss and \
        true_face_d_loss columns.

        DeepFaceLab models: --model DIR --import-dfl DFLDIR makes the new model directory DIR from the DFL \
        SAEHD or SAEHDBW model in DFLDIR (NAME_SAEHD_*.npy, NAME_SAEHD_data.dat; --dfl-name NAME picks one \
        when DFLDIR holds several): weights, optimizer slots and iteration, DFL's options and its loss history \
        (loss.csv); training DIR then resumes where DFL stopped. --model DIR --export-dfl DFLDIR writes the \
        model as DFL model NAME (default new; class SAEHDBW for 1-channel models) that DeepFaceLab's trainer \
        and merger load; an existing DFL model of that name is replaced only with --force. Both print the \
        written paths. GAN and true-face power must be 0 to import a model for training.

        Evaluation: --model DIR --reconstruct FACES --out DIR writes each face's reconstruction as \
        <face-stem>.png at the model's resolution and prints, per face, a tab-separated line \
        "path ssim psnr" on standard output (masked luma SSIM, 11x11 Gaussian window, sigma 1.5, and PSNR \
        in dB, both inside the face mask), then "mean ssim psnr".

        EXAMPLES:
          dfl-train --model m --src src.pak --dst dst.pak --config liae-ud-96-32-32-32-16 --batch-size 8
          dfl-train --model m --src src.pak --dst dst.pak --target-iter 100000 --ct-mode lct
          dfl-train --model m --reconstruct dst_heldout/ --out recon --side dst
          dfl-train --model m --import-dfl ~/DeepFaceLab/workspace/model --dfl-name new
          dfl-train --model m --export-dfl ~/DeepFaceLab/workspace/model --dfl-name fromcpu
          dfl-train --model m --src src.pak --dst dst_train/ --holdout dst_heldout/
          dfl-train --model m2 --from m/backups/2026-01-31T12-00-00Z
        """,
        version: toolchainVersion)

    @Option(name: [.short, .long], help: "The model directory (created if missing).")
    var model: String

    @Option(help: "The src faceset: a folder, a face list file, a .pak, or - (a face list on standard input).")
    var src: String?

    @Option(help: "The dst faceset (like --src).")
    var dst: String?
    @Option(help: "Start --model (a new or empty directory) from this saved model folder: a model directory, a backup (DIR/backups/<date>) or DIR/saves/<generation>, which is only read. Alone it restores and exits; with --src/--dst it then trains.")
    var from: String?
    @Option(help: "Held-out faces (like --src), never trained on: evaluated at each save and at exit, figures appended to quality.csv.")
    var holdout: String?
    @Option(help: "Reconstruction path of the held-out faces: dst (dst->dst) or src (src->src). (default: dst)")
    var holdoutSide: String = "dst"
    @Option(help: "Evaluate the held-out faces every N iterations instead of at each save (and still at exit).")
    var evalEvery: Int = 0
    @Option(help: "Pretrain on this faceset (like --src), which is both src and dst, with DeepFaceLab's pretraining settings. Training the model later with --src/--dst ends pretraining: the iteration count and loss.csv restart and the inter networks are re-initialised.")
    var pretrain: String?

    // Architecture (fixed at creation).
    @Option(help: "Compact architecture: archi[-opts]-res-ae-e-d-dm, e.g. liae-ud-96-32-32-32-16.")
    var config: String?
    @Option(help: "Architecture: df or liae with options u, d, t (e.g. df-ud). (default: liae-ud)")
    var archi: String?
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
    @Option(help: "Face type of the model: h, mf, f, wf or head. (default: wf)")
    var faceType: String?
    @Option(help: "Image channels: 1 (SAEHDBW) or 3 (SAEHD). (default: the faceset's)")
    var channels: Int?
    @Option(help: "Optimizer: adabelief or rmsprop. (default: adabelief)")
    var optimizer: String?
    @Option(help: "Seed of weights, sample order and augmentation. (default: 0)")
    var seed: UInt64?

    // Training options (may change on resume).
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
    @Option(help: "Colour transfer of src toward dst: none, rct, lct, mkl, idt, sot (1-channel: lct, sot, idt). (default: none)")
    var ctMode: String?
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

    // Loop.
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
    var convAlgo: String?
    @Flag(name: [.short, .long], help: "Also print which algorithm each convolution shape runs and its time in one step.")
    var verbose = false

    // Evaluation.
    @Option(help: "Evaluate: reconstruct these aligned faces (folder, list file, .pak or -) instead of training.")
    var reconstruct: String?
    @Option(name: [.short, .long], help: "Output directory of --reconstruct.")
    var out: String?
    @Option(help: "Reconstruction path for --reconstruct: src (src->src), dst (dst->dst) or swap (dst->src).")
    var side: String = "dst"

    // DeepFaceLab model folders.
    @Option(name: .customLong("import-dfl"), help: ArgumentHelp("Create --model DIR from the DeepFaceLab SAEHD/SAEHDBW model in this folder (weights, optimizer, iteration, options, loss history).", valueName: "dfl-dir"))
    var importDFL: String?
    @Option(name: .customLong("export-dfl"), help: ArgumentHelp("Write the model as a DeepFaceLab model folder (NAME_SAEHD_* or NAME_SAEHDBW_*) in this folder.", valueName: "dfl-dir"))
    var exportDFL: String?
    @Option(name: .customLong("dfl-name"), help: "The DeepFaceLab model's name (NAME_SAEHD_*): which one to import or reconstruct with, or the name to export under, without '_' (DFL names a model by the part before the first '_'). (default: the only model there; new for export)")
    var dflName: String?
    @Flag(help: "With --export-dfl: replace a DeepFaceLab model of the same name.")
    var force = false

    @Flag(name: [.short, .long], help: "No progress lines.")
    var quiet = false

    func validate() throws {
        if importDFL != nil || exportDFL != nil {
            guard importDFL == nil || exportDFL == nil else { throw ValidationError("give --import-dfl or --export-dfl, not both") }
            guard src == nil, dst == nil, pretrain == nil, reconstruct == nil else {
                throw ValidationError("--import-dfl and --export-dfl do not train or evaluate: leave out --src, --dst, --pretrain and --reconstruct")
            }
            if force && exportDFL == nil { throw ValidationError("--force goes with --export-dfl") }
            return
        }
        if force { throw ValidationError("--force goes with --export-dfl") }
        if dflName != nil && reconstruct == nil {
            throw ValidationError("--dfl-name goes with --import-dfl, --export-dfl or --reconstruct (of a DeepFaceLab folder)")
        }
        if reconstruct != nil {
            guard out != nil else { throw ValidationError("--reconstruct needs --out DIR") }
            guard PredictionPath(rawValue: side) != nil else { throw ValidationError("--side must be src, dst or swap") }
        } else {
            if pretrain != nil {
                guard src == nil, dst == nil else { throw ValidationError("--pretrain takes the place of --src and --dst") }
            } else if from != nil && src == nil && dst == nil {
                guard holdout == nil else { throw ValidationError("--holdout needs --src and --dst") }
            } else {
                guard src != nil, dst != nil else {
                    throw ValidationError("training needs --src and --dst, or --pretrain (or --reconstruct to evaluate)")
                }
            }
            let stdinUsers = [src, dst, holdout].filter { $0 == "-" }.count
            guard stdinUsers <= 1 else { throw ValidationError("only one of --src, --dst and --holdout can be -") }
            guard holdoutSide == "dst" || holdoutSide == "src" else { throw ValidationError("--holdout-side must be dst or src") }
        }
        if reconstruct != nil && (from != nil || holdout != nil) {
            throw ValidationError("--reconstruct evaluates a saved model; --from and --holdout are for training")
        }
        if config != nil && (archi != nil || resolution != nil || aeDims != nil || eDims != nil || dDims != nil || dMaskDims != nil) {
            throw ValidationError("give either --config or --archi/--resolution/--*-dims, not both")
        }
        if let c = channels, c != 1 && c != 3 { throw ValidationError("--channels must be 1 or 3") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1") }
        if let a = convAlgo, ConvAlgorithmChoice(rawValue: a) == nil {
            throw ValidationError("--conv-algo must be fast, dense, f2 or f4")
        }
        if verbose && quiet { throw ValidationError("--verbose and --quiet exclude each other") }
        guard saveEvery >= 0, backupEvery >= 0, previewEvery >= 0, iterations >= 0, samplerThreads >= 1, evalEvery >= 0 else {
            throw ValidationError("intervals and counts must not be negative")
        }
    }

    func run() throws {
        if let t = threads { Threads.set(t) }
        if let a = convAlgo.flatMap(ConvAlgorithmChoice.init) { ConvolutionSelection.choice = a }
        do {
            if let dir = importDFL {
                let state = try importDFLModel(from: dir, name: dflName, into: model)
                if !quiet { printError("dfl-train: imported \(state.options.config) (\(state.options.channels == 1 ? "SAEHDBW" : "SAEHD")) at iteration \(state.iteration) into \(model)") }
                print(model)
            } else if let dir = exportDFL {
                let opened = try openModel(model, dflName: nil, includeOptimizer: true)
                for path in try DFLModelFolder.export(model: opened.model, state: opened.state, losses: opened.losses,
                                                      to: dir, name: dflName ?? "new", force: force) { print(path) }
            } else if reconstruct != nil { try evaluate() } else { try train() }
        } catch let error as TrainerError {
            printError("dfl-train: \(error)")
            throw ExitCode(1)
        } catch let error as ModelConfig.ParseError {
            printError("dfl-train: \(error)")
            throw ExitCode(1)
        }
    }

    /// The architecture string asked for on the command line, nil when none was given. Parts not given
    /// come from `base` (the saved model's config on resume) or DeepFaceLab's defaults.
    func askedConfig(base: ModelConfig? = nil) -> String? {
        if let config { return config }
        guard archi != nil || resolution != nil || aeDims != nil || eDims != nil || dDims != nil || dMaskDims != nil else { return nil }
        let baseArchi = base.map { c in
            c.archi.rawValue + (c.options.isEmpty ? "" : "-" + ["u", "d", "t"].filter { c.options.contains(Character($0)) }.joined())
        }
        let d = dDims ?? base?.dDims ?? 64
        let dm = dMaskDims ?? base?.dMaskDims ?? max(2, (d / 3 + 1) / 2 * 2)
        return "\(archi ?? baseArchi ?? "liae-ud")-\(resolution ?? base?.resolution ?? 128)-\(aeDims ?? base?.aeDims ?? 256)-"
            + "\(eDims ?? base?.eDims ?? 64)-\(d)-\(dm)"
    }

    /// The options of this run: the saved ones (resume) with the allowed changes, or new ones.
    func runOptions(saved: TrainingOptions?, faceChannels: () throws -> Int) throws -> TrainingOptions {
        var o: TrainingOptions
        if let saved {
            o = saved
            if let asked = askedConfig(base: try? saved.modelConfig()) {
                let want = try ModelConfig(asked, channels: saved.channels).description
                if want != saved.config {
                    throw TrainerError.incompatibleModel("\(model) holds a \(saved.config) model, not \(want); use another --model directory")
                }
            }
            func check<T: Equatable>(_ asked: T?, _ have: T, _ what: String) throws {
                if let asked, asked != have {
                    throw TrainerError.incompatibleModel("\(model) was created with \(what) \(have), not \(asked) (fixed at creation)")
                }
            }
            try check(channels, saved.channels, "--channels")
            try check(faceType.flatMap { FaceType(argument: $0)?.shortName } ?? faceType, saved.faceType, "--face-type")
            try check(optimizer, saved.optimizer, "--optimizer")
            try check(seed, saved.seed, "--seed")
        } else {
            let cfg = try ModelConfig(askedConfig() ?? "liae-ud-128-256-64-64-22", channels: 3).description
            let ft = faceType.flatMap { FaceType(argument: $0)?.shortName } ?? faceType ?? "wf"
            o = TrainingOptions(config: cfg, channels: 3, faceType: ft)
            o.optimizer = optimizer ?? "adabelief"
            o.seed = seed ?? 0
            try o.validate()
            o.channels = try channels ?? faceChannels()
        }
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
        if let v = ctMode { o.ctMode = v }
        if let v = blurOutMask { o.blurOutMask = v }
        if let v = faceStylePower { o.faceStylePower = v }
        if let v = bgStylePower { o.bgStylePower = v }
        if let v = ganPower { o.ganPower = v }
        if let v = ganPatchSize { o.ganPatchSize = v }
        if let v = ganDims { o.ganDims = v }
        if let v = trueFacePower { o.trueFacePower = v }
        o.pretrain = pretrain != nil ? true : (saved?.pretrain == nil ? nil : false)
        try o.validate()
        return o
    }

    func train() throws {
        let directory = ModelDirectory(model)
        if let from {
            // Rollback: NEW starts as a copy of the save in FROM (only read); without faces, that is all.
            if directory.hasModel { throw TrainerError.invalidOption("\(model) already holds a model; --from needs a new or empty directory") }
            if src == nil && pretrain == nil {
                let state = try directory.restore(from: from)
                if !quiet { printError("dfl-train: \(model): restored from \(from) at iteration \(state.iteration)") }
                return
            }
        }
        let saved: TrainingOptions?
        if let from { saved = try ModelDirectory.openSaved(from).1.options } else {
            saved = directory.hasModel ? try directory.loadState().options : nil
        }
        // Architecture checks first: a mismatch is reported before any face is read.
        let early = try runOptions(saved: saved, faceChannels: { 3 })
        let config = try early.modelConfig()
        let faceTypeValue = try early.parsedFaceType()
        func source(_ path: String) throws -> FaceSetSource {
            try FaceSetSource.resolve(path, stdinList: {
                return [UInt8](FileHandle.standardInput.readDataToEndOfFile())
            })
        }
        let ct = (ctMode ?? saved?.ctMode ?? "none") != "none" && pretrain == nil
        let srcStore = try loadFaceStore(try source(src ?? pretrain!), side: pretrain == nil ? "src" : "pretraining",
                                         resolution: config.resolution, faceType: faceTypeValue)
        // Pretraining: the one faceset is both sides.
        let dstStore = try pretrain != nil ? srcStore
            : loadFaceStore(try source(dst!), side: "dst", resolution: config.resolution, faceType: faceTypeValue,
                            keepColorReference: ct)
        // Held-out faces must already be at the model's resolution and face type (no conversion to measure).
        let heldOut = try holdout.map {
            try loadFaceStore(try source($0), side: "held-out", resolution: config.resolution, faceType: faceTypeValue, exact: true)
        }
        let options = try runOptions(saved: saved, faceChannels: {
            guard srcStore.channels == dstStore.channels else {
                throw TrainerError.badFaceSet("src faces have \(srcStore.channels ?? 0) channels and dst faces \(dstStore.channels ?? 0); give --channels 1 or convert with dfl-gray")
            }
            return srcStore.channels ?? 3
        })
        for (store, name) in [(srcStore, "src"), (dstStore, "dst")] where (store.channels ?? 3) < options.channels {
            throw TrainerError.badFaceSet("the \(name) faces have 1 channel but the model has 3 (a gray faceset cannot train a colour model)")
        }
        if saved?.isPretraining == true && !options.isPretraining && !quiet {
            printError("dfl-train: pretraining ends: the iteration count and loss.csv restart at 0, the inter networks are re-initialised")
        }
        if let heldOut, (heldOut.channels ?? 3) < options.channels {
            throw TrainerError.badFaceSet("the held-out faces have 1 channel but the model has 3")
        }
        if let heldOut, !quiet {
            let shared = sharedFaces(heldOut, in: [srcStore, dstStore])
            if !shared.isEmpty {
                printError("dfl-train: warning: \(shared.count) of the \(heldOut.count) held-out faces are also training faces; "
                           + "their quality figure then measures memory as well as generalisation")
            }
        }
        if let from {
            let state = try directory.restore(from: from)
            if !quiet { printError("dfl-train: \(model): restored from \(from) at iteration \(state.iteration)") }
        }
        let session = try TrainingSession(directory: directory, options: options, src: srcStore, dst: dstStore)
        if let heldOut { try session.setHeldOut(heldOut, path: PredictionPath(rawValue: holdoutSide)!) }
        var settings = SessionSettings()
        settings.saveEveryMinutes = saveEvery
        settings.backupEveryHours = backupEvery
        settings.previewEvery = previewEvery
        settings.previewHistory = previewHistory
        settings.maxIterations = iterations > 0 ? iterations : nil
        settings.samplerWorkers = samplerThreads
        settings.profileConvolutions = verbose
        settings.evalEvery = evalEvery
        if !quiet {
            printError("dfl-train: \(saved == nil ? "new" : "resumed") \(options.channels == 1 ? "SAEHDBW" : "SAEHD") model \(options.config) "
                       + (options.isPretraining ? "(pretraining) " : "")
                       + "face type \(options.faceType), \(session.model.parameterCount) parameters, iteration \(session.state.iteration), "
                       + "\(srcStore.count) src and \(dstStore.count) dst faces"
                       + (heldOut.map { ", \($0.count) held out" } ?? "") + ", batch \(options.batchSize)")
        }
        if !quiet {
            let m = session.model
            for d in m.discriminators {
                let what = d.network == "GAN"
                    ? String(format: "GAN power %g, patch size %d, dims %d", options.ganPower ?? 0, d.shapeOptions["gan_patch_size"] ?? 0,
                             d.shapeOptions["gan_dims"] ?? 0)
                    : String(format: "true-face power %g", options.trueFacePower ?? 0)
                let fresh = saved != nil && m.freshDiscriminators.contains(d.network)
                    ? " (its discriminator starts from fresh weights: it was off, or its patch size or dims changed)" : ""
                printError("dfl-train: \(what), \(d.parameters.reduce(0) { $0 + $1.value.count }) discriminator parameters\(fresh)")
            }
        }
        StopRequest.install()
        let progress = ProgressLines(quiet: quiet)
        progress.heldOutSSIM = session.qualityRecords.last?.ssim   // on resume, the last saved figure
        try session.run(settings: settings, shouldStop: { StopRequest.isRequested }, events: progress.handle)
        progress.finish()
        if !quiet, let line = progress.summary() { printError(line) }
    }

    func evaluate() throws {
        // Our model directory (or a backup or save of one) or a DeepFaceLab model folder, only read.
        let opened = try openModel(model, dflName: dflName, includeOptimizer: false)
        let (net, state) = (opened.model, opened.state)
        let r = net.config.resolution, c = net.config.channels
        let source = try FaceSetSource.resolve(reconstruct!, stdinList: { [UInt8](FileHandle.standardInput.readDataToEndOfFile()) })
        let store = try loadFaceStore(source, side: "evaluation", resolution: r, faceType: try state.options.parsedFaceType())
        if (store.channels ?? 3) < c { throw TrainerError.badFaceSet("the faces have 1 channel but the model has 3") }
        let names: [String]
        switch source {
        case .files(let paths): names = paths.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }
        case .pak(let path): names = try pakStems(path, count: store.count)
        }
        let outputs = try OutputDirectory(out!)
        // The training batch size, as the trainer's held-out evaluation uses: quality.csv's figures exactly.
        let result = ReconstructionResult(predictor: Predictor(model: net, batch: state.options.batchSize), faces: store,
                                          path: PredictionPath(rawValue: side)!)
        for i in 0..<store.count {
            let path = outputs.file(named: names[i] + ".png")
            try AtomicFile.write(try encodePNG(result.predictions[i].toUInt8()), to: path)
            print(String(format: "%@\t%.4f\t%.2f", path, result.qualities[i].ssim, result.qualities[i].psnr))
        }
        print(String(format: "mean\t%.4f\t%.2f", result.mean.ssim, result.mean.psnr))
    }
}

/// Output names for the faces of a pak: the stored file names' stems, `face00000`… where a name is missing
/// or repeated (so no output overwrites another).
func pakStems(_ path: String, count: Int) throws -> [String] {
    var names = (0..<count).map { String(format: "face%05d", $0) }
    guard let handle = FileHandle(forReadingAtPath: path) else { return names }
    defer { try? handle.close() }
    let size = Int(try handle.seekToEnd())
    guard let index = try? PackedFaceset.readIndex(fileSize: size, readAt: { offset, n in
        try handle.seek(toOffset: UInt64(offset))
        return [UInt8](try handle.read(upToCount: n) ?? Data())
    }), index.configs.count == count else { return names }
    var seen = Set<String>()
    for (i, config) in index.configs.enumerated() {
        guard let file = config["filename"]?.stringValue else { continue }
        let stem = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        if !stem.isEmpty, !stem.hasPrefix("."), seen.insert(stem).inserted { names[i] = stem }
    }
    return names
}

/// DFL-style progress on standard error: `[hh:mm:ss][#iteration][ms/iter][src][dst]`, redrawn in place on a
/// terminal (a line every 10 s otherwise), and a permanent line with the mean losses at every save.
final class ProgressLines {
    let quiet: Bool
    let terminal = isatty(STDERR_FILENO) == 1
    var lastLine = Date.distantPast
    var pendingNewline = false

    var iterations = 0
    var iterationMilliseconds = 0.0
    var stepMilliseconds = 0.0
    /// The latest held-out SSIM, shown at the end of each progress line.
    var heldOutSSIM: Double?

    init(quiet: Bool) { self.quiet = quiet }

    /// The run's mean iteration time next to the optimizer step's (the rest is waiting for samples and
    /// bookkeeping); the first iteration (allocations) is left out when there are more.
    func summary() -> String? {
        guard iterations > 1 else { return nil }
        let n = Double(iterations - 1)
        return String(format: "dfl-train: %d iterations, mean %.1f ms/iteration, of which the training step %.1f ms",
                      iterations, iterationMilliseconds / n, stepMilliseconds / n)
    }

    let clock: DateFormatter = {
        let f = DateFormatter()
        f.dateFormat = "HH:mm:ss"
        return f
    }()

    func line(_ iteration: Int, _ ms: Double, _ src: Double, _ dst: Double, gan: Double? = nil, trueFace: Double? = nil) -> String {
        let f = clock
        let time = ms >= 10_000 ? String(format: "%5.2fs", ms / 1000) : String(format: "%04dms", Int(ms.rounded()))
        return String(format: "[%@][#%06d][%@][%.4f][%.4f]", f.string(from: Date()), iteration, time, src, dst)
            + (gan.map { String(format: "[gan d %.4f]", $0) } ?? "")
            + (trueFace.map { String(format: "[tf d %.4f]", $0) } ?? "")
            + (heldOutSSIM.map { String(format: "[held-out ssim %.4f]", $0) } ?? "")
    }

    func handle(_ event: TrainingEvent) {
        if case .iteration(let r) = event {
            if iterations > 0 { iterationMilliseconds += r.iterationMilliseconds; stepMilliseconds += r.stepMilliseconds }
            iterations += 1
        }
        guard !quiet else { return }
        switch event {
        case .iteration(let r):
            let text = line(r.iteration, r.iterationMilliseconds, r.srcLoss, r.dstLoss, gan: r.ganDiscriminatorLoss,
                            trueFace: r.trueFaceDiscriminatorLoss)
            if terminal {
                FileHandle.standardError.write(Data(("\r" + text).utf8)); pendingNewline = true
            } else if Date().timeIntervalSince(lastLine) >= 10 {
                printError(text + String(format: " step %.0f ms", r.stepMilliseconds)); lastLine = Date()
            }
        case let .saved(iteration, meanSrc, meanDst):
            finish()
            printError(line(iteration, 0, meanSrc, meanDst).replacingOccurrences(of: "[0000ms]", with: "[saved]"))
        case .backup(let path):
            finish(); printError("dfl-train: backup \(path)")
        case .preview:
            break
        case let .evaluated(record, faces, seconds):
            heldOutSSIM = record.ssim
            finish()
            printError(String(format: "dfl-train: held-out quality at iteration %d (%d faces, %.1f s): ssim %.4f, psnr %.2f dB",
                              record.iteration, faces, seconds, record.ssim, record.psnr))
        case .convolutions(let rows):
            finish()
            printError("dfl-train: convolutions of one step (kernel, stride, input, channels, algorithm forward/input gradient/weight gradient):")
            for row in rows {
                printError(String(format: "  %@  calls %d  forward %.1f ms  backward %.1f ms", row.shape, row.calls,
                                  row.forwardMilliseconds, row.backwardMilliseconds))
            }
        }
    }

    func finish() {
        if pendingNewline { FileHandle.standardError.write(Data("\n".utf8)); pendingNewline = false }
    }
}

DFLTrain.runAsTool()
