// dfl-xseg apply / remove: a model's masks into the faces' metadata (xseg_mask), or out again
// (docs/xseg.md, "Applying a model").
import ArgumentParser
import AtomicIO
import FaceSet
import Foundation
import Imaging
import ModelStore
import NeuralNet
import ToolSupport
import XSeg

/// `--face-type`: a face type, or `same` (each face in its own type).
enum ApplyFaceType: ExpressibleByArgument {
    case same
    case type(FaceType)

    init?(argument: String) {
        if argument.lowercased() == "same" { self = .same; return }
        guard let t = FaceType(argument: argument) else { return nil }
        self = .type(t)
    }

    static var allValueStrings: [String] { ["same"] + FaceType.allValueStrings }
}

struct Apply: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Mask faces with an XSeg model: store the mask in each face (xseg_mask).",
        discussion: """
        Runs the model on each face and stores its mask in the face's metadata as DeepFaceLab's 'xseg apply' \
        does: a binary mask (the network's output thresholded at 0.5) at the model's resolution (256×256 for \
        DeepFaceLab's models), PNG-encoded, in the face's own crop. A face of another face type than the \
        model's is converted to the model's crop with its frame landmarks, masked, and the mask taken back \
        (parts of the face outside the model's crop get 0); --face-type same masks every face as it is. \
        An existing xseg_mask is replaced. The image data is not touched: only the metadata is rewritten \
        (to a temporary file renamed into place). The rewritten faces' paths are printed.

        --model is an XSeg model directory of dfl-xseg, or a DeepFaceLab folder holding XSeg_256.npy (an \
        XSeg model folder, DeepFaceLab's generic XSeg model, or the SAEHD model folder where its merger \
        looks). A folder without XSeg_data.dat does not say its face type: the faces are then masked as they \
        are unless --face-type says otherwise.

        The network runs --batch-size faces at a time on all cores; reading, converting and writing the \
        faces run in parallel around it. 1-channel faces are masked with their gray value in R, G and B.

        EXAMPLES:
          dfl-xseg apply --model xseg dst/aligned
          dfl-xseg apply --model ~/DeepFaceLab/_internal/model_generic_xseg --face-type wf src/aligned
        """)

    @Option(name: [.short, .long], help: "The XSeg model: a dfl-xseg model directory or a DeepFaceLab folder with XSeg_<res>.npy.")
    var model: String
    @Option(help: "The crops the model sees: a face type, or same (each face as it is). (default: the model's; same when it has none)")
    var faceType: ApplyFaceType?
    @Option(name: [.short, .long], help: "Faces per forward pass.")
    var batchSize: Int = 4
    @Option(help: "Threads (default: all cores).")
    var threads: Int?
    @Flag(name: [.short, .long], help: "No progress output on standard error.")
    var quiet = false
    @OptionGroup var input: InputOptions

    func validate() throws {
        guard (1...256).contains(batchSize) else { throw ValidationError("--batch-size must be 1...256") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        if let t = threads { Threads.set(t) }
        let (masker, inputs) = try exitingOnFailure("dfl-xseg") {
            (try XSegStore.openMasker(model, batchSize: batchSize), try input.resolvePaths())
        }
        let target: FaceType?
        switch faceType {
        case nil: target = masker.faceType
        case .same?: target = nil
        case .type(let t)?: target = t
        }
        let diagnostics = Diagnostics(toolName: "dfl-xseg")
        let progress = Progress(label: "dfl-xseg apply", total: inputs.count, quiet: quiet)
        // Chunks of a few batches: the faces of a chunk are read in parallel, masked a batch at a time, and
        // written in parallel; the paths come out in input order.
        let chunk = batchSize * max(2, ProcessInfo.processInfo.activeProcessorCount)
        for start in stride(from: 0, to: inputs.count, by: chunk) {
            let paths = Array(inputs[start..<min(start + chunk, inputs.count)])
            var files = [Result<FaceFile, Error>?](repeating: nil, count: paths.count)
            files.withUnsafeMutableBufferPointer { slots in
                let base = slots.baseAddress!
                DispatchQueue.concurrentPerform(iterations: paths.count) { i in
                    base[i] = Result {
                        let f = try FaceFile(path: paths[i])
                        guard ImageFormat(sniffing: f.bytes) == .jpeg else {
                            throw FaceSetError.jpeg("a legacy PNG face, which DeepFaceLab no longer reads; only JPEG faces take a mask")
                        }
                        return f
                    }
                }
            }
            let ready = files.indices.filter { if case .success = files[$0]! { return true } else { return false } }
            let faces = ready.map { i -> (image: Image, metadata: FaceMetadata) in
                let f = try! files[i]!.get()
                return (f.image, f.metadata)
            }
            let masks = masker.appliedMasks(faces, modelFaceType: target)
            var written = [Result<String, Error>?](repeating: nil, count: paths.count)
            for i in files.indices { if case .failure(let e) = files[i]! { written[i] = .failure(e) } }
            written.withUnsafeMutableBufferPointer { slots in
                let base = slots.baseAddress!
                DispatchQueue.concurrentPerform(iterations: ready.count) { j in
                    let i = ready[j]
                    base[i] = Result {
                        let file = try files[i]!.get()
                        let encoded = try XSegApply.encode(try masks[j].get())
                        guard let out = try MetadataEdit.setting("xseg_mask", to: try MetadataEdit.xsegMaskValue(encoded), in: file.bytes) else {
                            return file.path
                        }
                        try AtomicFile.write(out, to: file.path)
                        return file.path
                    }
                }
            }
            for (i, r) in written.enumerated() {
                switch r! {
                case .success(let p): print(p)
                case .failure(let e): diagnostics.fail(paths[i], e)
                }
                progress.advance()
            }
            fflush(stdout)
        }
        progress.finish()
        throw ExitCode(diagnostics.exitStatus)
    }
}

struct Remove: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Take the stored XSeg mask (xseg_mask) out of faces.",
        discussion: """
        Removes xseg_mask from each face's metadata (the polygons stay), rewriting only the metadata \
        (to a temporary file renamed into place), and prints the rewritten faces' paths; faces without a \
        mask are left as they are and counted. A mask that 'dfl-xseg apply' added is cut out again, so the \
        face gets back its metadata bytes from before the apply.

        EXAMPLES:
          dfl-xseg remove dst/aligned
        """)

    @Flag(name: [.short, .long], help: "No progress output on standard error.")
    var quiet = false
    @OptionGroup var input: InputOptions

    func run() throws {
        let inputs = try exitingOnFailure("dfl-xseg") { try input.resolvePaths() }
        let lock = NSLock()
        var without = 0
        let status = PerFileRunner.run(tool: "dfl-xseg", inputs: inputs, quiet: quiet) { path in
            let file = try FaceFile(path: path)
            guard ImageFormat(sniffing: file.bytes) == .jpeg else {
                throw FaceSetError.jpeg("a legacy PNG face, which DeepFaceLab no longer reads")
            }
            guard let out = try MetadataEdit.setting("xseg_mask", to: nil, in: file.bytes) else {
                lock.lock(); without += 1; lock.unlock()
                return []
            }
            try AtomicFile.write(out, to: path)
            return [path]
        }
        if without > 0 && !quiet { printError("dfl-xseg: \(without) of \(inputs.count) faces had no xseg_mask") }
        throw ExitCode(status)
    }
}
