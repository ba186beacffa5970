// dfl-train: train an SAEHD (3-channel) or SAEHDBW (1-channel) model, or evaluate one (--reconstruct).
import ArgumentParser
import Foundation
import ModelStore
import NeuralNet
import SAEHD
import ToolSupport
import Trainer

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
        written paths. DFL's colour networks see BGR images: their image-facing weights are turned to RGB on \
        the way in and back on export, so a model paints the same colours in both. An export name has no '_'.

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

    @OptionGroup(title: "Facesets") var faces: FaceSetOptions
    @OptionGroup(title: "Architecture (fixed at creation)") var architecture: ArchitectureOptions
    @OptionGroup(title: "Training options (may change on resume)") var training: TrainingChangeOptions
    @OptionGroup(title: "Training loop") var loop: LoopOptions
    @OptionGroup(title: "Evaluation") var evaluation: EvaluationOptions
    @OptionGroup(title: "DeepFaceLab model folders") var dfl: DFLFolderOptions

    @Flag(name: [.short, .long], help: "No progress lines.")
    var quiet = false

    /// The mode the options ask for. Each option group belongs to the modes that read it; an option of
    /// another mode's group is a usage error naming both.
    func mode() throws -> Mode {
        let asked: [(Mode, String)] = [(.importDFL, dfl.importDFL), (.exportDFL, dfl.exportDFL),
                                       (.evaluate, evaluation.reconstruct)].compactMap { m, v in v.map { _ in (m, "") } }
        guard asked.count <= 1 else {
            throw ValidationError("give one of --import-dfl, --export-dfl and --reconstruct")
        }
        let mode: Mode
        if let only = asked.first { mode = only.0 }
        else if faces.from != nil && faces.src == nil && faces.pretrain == nil { mode = .restore }
        else { mode = .train }
        // What each mode must not be given.
        let facesGiven = faces.given
        switch mode {
        case .importDFL, .exportDFL, .evaluate:
            if let first = facesGiven.first {
                throw ValidationError("\(mode.name) does not train: leave out \(first)")
            }
        case .train:
            guard faces.src != nil || faces.pretrain != nil else {
                throw ValidationError("training needs --src and --dst, or --pretrain (or --reconstruct to evaluate)")
            }
        case .restore:
            if faces.holdout != nil { throw ValidationError("--holdout needs --src and --dst") }
        }
        if dfl.dflName != nil && ![.importDFL, .exportDFL, .evaluate].contains(mode) {
            throw ValidationError("--dfl-name goes with --import-dfl, --export-dfl or --reconstruct (of a DeepFaceLab folder)")
        }
        return mode
    }

    func validate() throws {
        _ = try mode()
        if loop.verbose && quiet { throw ValidationError("--verbose and --quiet exclude each other") }
    }

    func run() throws {
        if let t = loop.threads { Threads.set(t) }
        if let a = loop.convAlgo { ConvolutionSelection.choice = a }
        // auto by default: bf16 multiplies where the CPU has AVX512-BF16 (README "bf16 training": same held-out
        // quality at equal iterations, reached sooner); DFL_PRECISION in the environment overrides the default.
        MatmulPrecision.global = loop.precision ?? MatmulPrecision.environmentSetting ?? .auto
        do {
            switch try mode() {
            case .importDFL:
                let state = try ModelStore.importDFL(from: dfl.importDFL!, name: dfl.dflName, into: model)
                if !quiet {
                    printError("dfl-train: imported \(state.options.config) (\(state.options.channels == 1 ? "SAEHDBW" : "SAEHD")) "
                               + "at iteration \(state.iteration) into \(model)")
                }
                print(model)
            case .exportDFL:
                for path in try ModelStore.exportDFL(model, to: dfl.exportDFL!, name: dfl.dflName ?? "new", force: dfl.force) {
                    print(path)
                }
            case .evaluate:
                try evaluate()
            case .restore:
                let state = try ModelDirectory(model).restore(from: faces.from!)
                if !quiet { printError("dfl-train: \(model): restored from \(faces.from!) at iteration \(state.iteration)") }
            case .train:
                try train()
            }
        } catch let error as TrainerError {
            printError("dfl-train: \(error)")
            throw ExitCode(1)
        } catch let error as ModelConfig.ParseError {
            printError("dfl-train: \(error)")
            throw ExitCode(1)
        }
    }
}

DFLTrain.runAsTool()
