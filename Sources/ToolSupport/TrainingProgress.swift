// DeepFaceLab-style training progress on standard error, shared by dfl-train and dfl-xseg:
// `[hh:mm:ss][#iteration][ms/iter][loss]…`, redrawn in place on a terminal (a line every 10 s otherwise, with the
// step's time), permanent lines for saves and other news, and the run's mean timings at the end.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public final class TrainingProgress {
    public let tool: String
    public let quiet: Bool
    let terminal = isatty(STDERR_FILENO) == 1
    var lastLine = Date.distantPast
    var pendingNewline = false
    var iterations = 0
    var iterationMilliseconds = 0.0
    var stepMilliseconds = 0.0

    public init(tool: String, quiet: Bool) {
        self.tool = tool
        self.quiet = quiet
    }

    let clock: DateFormatter = {
        let f = DateFormatter()
        f.dateFormat = "HH:mm:ss"
        return f
    }()

    /// `[hh:mm:ss][#iteration][time]` and one `[value]` per loss (4 decimals); the time is `[saved]` when `ms`
    /// is nil.
    public func line(iteration: Int, milliseconds ms: Double?, values: [Double]) -> String {
        let time: String
        if let ms {
            time = ms >= 10_000 ? String(format: "%5.2fs", ms / 1000) : String(format: "%04dms", Int(ms.rounded()))
        } else {
            time = "saved"
        }
        return String(format: "[%@][#%06d][%@]", clock.string(from: Date()), iteration, time)
            + values.map { String(format: "[%.4f]", $0) }.joined()
    }

    /// Counts an iteration's times and shows `text` (see the file comment).
    public func iteration(_ text: String, iterationMilliseconds: Double, stepMilliseconds: Double) {
        if iterations > 0 { self.iterationMilliseconds += iterationMilliseconds; self.stepMilliseconds += stepMilliseconds }
        iterations += 1
        guard !quiet else { return }
        if terminal {
            FileHandle.standardError.write(Data(("\r" + text).utf8)); pendingNewline = true
        } else if Date().timeIntervalSince(lastLine) >= 10 {
            printError(text + String(format: " step %.0f ms", stepMilliseconds)); lastLine = Date()
        }
    }

    /// A permanent line (ends a redrawn one first); nothing when quiet.
    public func permanent(_ text: String) {
        guard !quiet else { return }
        finish()
        printError(text)
    }

    /// Ends a redrawn line on a terminal.
    public func finish() {
        if pendingNewline { FileHandle.standardError.write(Data("\n".utf8)); pendingNewline = false }
    }

    /// The run's mean iteration time next to the optimizer step's (the rest is waiting for samples and
    /// bookkeeping); the first iteration (allocations) is left out when there are more.
    public func summary() -> String? {
        guard iterations > 1 else { return nil }
        let n = Double(iterations - 1)
        return String(format: "%@: %d iterations, mean %.1f ms/iteration, of which the training step %.1f ms",
                      tool, iterations, iterationMilliseconds / n, stepMilliseconds / n)
    }
}
