// dfl-train --reconstruct: a saved model's reconstructions of given faces, and their quality.
import AtomicIO
import FaceSet
import Foundation
import Imaging
import ModelStore
import ToolSupport
import Trainer

extension DFLTrain {
    func evaluate() throws {
        // Our model directory (or a backup or save of one) or a DeepFaceLab model folder, only read.
        let opened = try ModelStore.open(model, dflName: dfl.dflName, includeOptimizer: false)
        let (net, state) = (opened.model, opened.state)
        let r = net.config.resolution, c = net.config.channels
        let source = try FaceSetSource.resolve(evaluation.reconstruct!, stdinList: { [UInt8](FileHandle.standardInput.readDataToEndOfFile()) })
        let store = try loadFaceStore(source, side: "evaluation", resolution: r, faceType: state.options.faceType)
        if (store.channels ?? 3) < c { throw TrainerError.badFaceSet("the faces have 1 channel but the model has 3") }
        let names: [String]
        switch source {
        case .files(let paths): names = paths.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }
        case .pak(let path): names = try pakStems(path, count: store.count)
        }
        let outputs = try OutputDirectory(evaluation.out!)
        // The training batch size, as the trainer's held-out evaluation uses: quality.csv's figures exactly.
        let result = ReconstructionResult(predictor: Predictor(model: net, batch: state.options.batchSize), faces: store,
                                          path: evaluation.side)
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
