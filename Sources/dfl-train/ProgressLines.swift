// dfl-train's progress lines on standard error.
import Foundation
import ToolSupport
import Trainer
#if canImport(Glibc)
import Glibc
#endif

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
