// dfl-xseg import / export: models between DeepFaceLab's XSeg folder and our model directory
// (docs/xseg.md, "Model folder", "Our model directory").
import ArgumentParser
import Foundation
import ModelStore
import ToolSupport

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make an XSeg model directory from a DeepFaceLab XSeg model folder.",
        discussion: """
        Reads DeepFaceLab's XSeg model in DFLDIR (XSeg_<res>.npy, XSeg_<res>_opt.npy, XSeg_data.dat) through \
        the whitelist pickle reader (only arrays and plain values are read; nothing in the files is run) and \
        makes the new model directory --model from it: weights (turned from DeepFaceLab's BGR input to RGB), \
        optimizer state and step count, iteration, face type and batch size, the loss history (loss.csv), \
        and the rest of XSeg_data.dat kept for a later export. Training --model then resumes where \
        DeepFaceLab stopped. Prints the model directory.

        EXAMPLES:
          dfl-xseg import --model xseg ~/DeepFaceLab/workspace/model
        """)

    @Option(name: [.short, .long], help: "The new XSeg model directory (missing or empty).")
    var model: String
    @Option(help: "Which XSeg_<res>.npy when the folder holds several.")
    var resolution: Int?
    @Flag(name: [.short, .long], help: "No message on standard error.")
    var quiet = false
    @Argument(help: ArgumentHelp("DeepFaceLab's model folder.", valueName: "dfl-dir"))
    var dflDirectory: String

    func run() throws {
        do {
            let state = try XSegStore.importDFL(from: dflDirectory, into: model, resolution: resolution)
            if !quiet {
                printError("dfl-xseg: imported XSeg \(state.resolution) px, base \(state.baseChannels), face type "
                           + "\(state.faceType.shortName), at iteration \(state.iteration) into \(model)")
            }
            print(model)
        } catch let e as TrainerError {
            printError("dfl-xseg: \(e)")
            throw ExitCode(1)
        }
    }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write an XSeg model as DeepFaceLab's XSeg model files.",
        discussion: """
        Writes the model of --model into DFLDIR (created if missing) as DeepFaceLab writes an XSeg model: \
        XSeg_summary.txt, XSeg_<res>_opt.npy, XSeg_<res>.npy, XSeg_data.dat last, and \
        XSeg_default_options.dat when the folder has none; each file atomically. DeepFaceLab's trainer, \
        'xseg apply' and merger load it (its merger looks for XSeg_256.npy in the SAEHD model folder). An \
        XSeg model of that resolution already there is replaced only with --force. Prints the written paths.

        EXAMPLES:
          dfl-xseg export --model xseg ~/DeepFaceLab/workspace/model
        """)

    @Option(name: [.short, .long], help: "The XSeg model directory (or a backup or save of one).")
    var model: String
    @Flag(help: "Replace an XSeg model of the same resolution in DFLDIR.")
    var force = false
    @Argument(help: ArgumentHelp("DeepFaceLab's model folder.", valueName: "dfl-dir"))
    var dflDirectory: String

    func run() throws {
        do {
            guard case .ours = try XSegStore.locate(model) else {
                throw TrainerError.invalidOption("\(model): a DeepFaceLab folder; export takes a dfl-xseg model directory")
            }
            for path in try XSegStore.exportDFL(model, to: dflDirectory, force: force) { print(path) }
        } catch let e as TrainerError {
            printError("dfl-xseg: \(e)")
            throw ExitCode(1)
        }
    }
}
