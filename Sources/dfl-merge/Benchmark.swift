// `dfl-merge --bench`: merge throughput per mode on the given frames and faces, nothing written. Frames are
// decoded once up front and nothing is encoded, so the figures are the merge alone (prediction included).
import Foundation
import Imaging
import Merge
import ToolSupport

func runBenchmark(merger: FrameMerger, frames: [String], faces: [AlignedFace], identity: Bool, onlyGivenMode: Bool) throws {
    var byStem: [String: [FrameFace]] = [:]
    for face in faces { byStem[face.frameStem, default: []].append(face.face) }
    let images = try frames.map { try readImage(path: $0) }
    let frameFaces = frames.map { byStem[fileStem($0)] ?? [] }
    guard let first = images.first else { throw InputError.noInputs }
    let p = merger.predictor
    // One `bench merge …` line per measurement, as `make bench` prints every figure.
    let what = "\(first.width)x\(first.height) predictor=\(identity ? "identity" : "model") resolution=\(p.resolution) "
        + "ch=\(p.channels) frames=\(images.count) faces=\(frameFaces.reduce(0) { $0 + $1.count }) "
        + "threads=\(ProcessInfo.processInfo.activeProcessorCount)"
    // The predictor alone, one face at a time, to separate the network's share from the merge's.
    let probe = FloatImage(width: p.resolution, height: p.resolution, channels: p.channels, fill: 0.5)
    _ = try p.predict(probe, masks: merger.settings.maskMode.learnedMasks)
    let predictStart = Date()
    for _ in 0..<8 { _ = try p.predict(probe, masks: merger.settings.maskMode.learnedMasks) }
    let predictMs = Date().timeIntervalSince(predictStart) * 1000 / 8
    print("bench merge \(what) stage=predict " + String(format: "ms_per_face=%.1f", predictMs))
    let modes: [MergeMode] = onlyGivenMode ? [merger.settings.mode] : [.overlay, .histMatch, .seamless, .seamlessHistMatch, .rawRGB]
    for mode in modes {
        var settings = merger.settings
        settings.mode = mode
        let m = try FrameMerger(predictor: p, settings: settings, segmenter: merger.segmenter)
        let lock = NSLock()
        var failure: Error?
        let start = Date()
        DispatchQueue.concurrentPerform(iterations: images.count) { i in
            do {
                _ = try m.merge(frame: images[i], faces: frameFaces[i])
            } catch { lock.lock(); failure = error; lock.unlock() }
        }
        if let failure { throw failure }
        let seconds = Date().timeIntervalSince(start)
        print("bench merge \(what) mode=\(mode.rawValue) " + String(format: "frames_per_s=%.2f", Double(images.count) / seconds))
    }
}
