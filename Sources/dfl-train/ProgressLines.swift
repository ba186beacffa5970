// dfl-train's progress lines on standard error (ToolSupport's TrainingProgress with dfl-train's fields).
import Foundation
import ToolSupport
import Trainer

/// DFL-style progress on standard error: `[hh:mm:ss][#iteration][ms/iter][src][dst]`, redrawn in place on a
/// terminal (a line every 10 s otherwise), and a permanent line with the mean losses at every save.
final class ProgressLines {
    let progress: TrainingProgress
    var quiet: Bool { progress.quiet }
    /// The latest held-out SSIM, shown at the end of each progress line.
    var heldOutSSIM: Double?

    init(quiet: Bool) { progress = TrainingProgress(tool: "dfl-train", quiet: quiet) }

    /// The run's mean iteration time next to the optimizer step's.
    func summary() -> String? { progress.summary() }

    func line(_ iteration: Int, _ ms: Double?, _ src: Double, _ dst: Double, gan: Double? = nil, trueFace: Double? = nil) -> String {
        progress.line(iteration: iteration, milliseconds: ms, values: [src, dst])
            + (gan.map { String(format: "[gan d %.4f]", $0) } ?? "")
            + (trueFace.map { String(format: "[tf d %.4f]", $0) } ?? "")
            + (heldOutSSIM.map { String(format: "[held-out ssim %.4f]", $0) } ?? "")
    }

    func handle(_ event: TrainingEvent) {
        switch event {
        case .iteration(let r):
            progress.iteration(line(r.iteration, r.iterationMilliseconds, r.srcLoss, r.dstLoss, gan: r.ganDiscriminatorLoss,
                                    trueFace: r.trueFaceDiscriminatorLoss),
                               iterationMilliseconds: r.iterationMilliseconds, stepMilliseconds: r.stepMilliseconds)
        case let .saved(iteration, meanSrc, meanDst):
            progress.permanent(line(iteration, nil, meanSrc, meanDst))
        case .backup(let path):
            progress.permanent("dfl-train: backup \(path)")
        case .preview:
            break
        case let .evaluated(record, faces, seconds):
            heldOutSSIM = record.ssim
            progress.permanent(String(format: "dfl-train: held-out quality at iteration %d (%d faces, %.2f s): ssim %.4f, psnr %.2f dB",
                                      record.iteration, faces, seconds, record.ssim, record.psnr))
        case .convolutions(let rows):
            progress.permanent("dfl-train: convolutions of one step (kernel, stride, input, channels, algorithm forward/input gradient/weight gradient):")
            for row in rows {
                progress.permanent(String(format: "  %@  calls %d  forward %.1f ms  backward %.1f ms", row.shape, row.calls,
                                          row.forwardMilliseconds, row.backwardMilliseconds))
            }
        }
    }

    func finish() { progress.finish() }
}
