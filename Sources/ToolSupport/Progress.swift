// Progress on standard error: a redrawn bar when stderr is a terminal, otherwise a plain line about
// every ten seconds (so logs of long Makefile runs show that work goes on without filling up).
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public final class Progress: @unchecked Sendable {
    private let label: String
    private let total: Int
    private let isTerminal: Bool
    private let enabled: Bool
    private let start = Date()
    private let lock = NSLock()
    private var done = 0
    private var lastDraw: Date
    private var drewSomething = false

    /// - Parameters:
    ///   - quiet: draw nothing at all.
    public init(label: String, total: Int, quiet: Bool = false) {
        self.label = label
        self.total = total
        self.isTerminal = isatty(STDERR_FILENO) == 1
        self.enabled = !quiet && total > 0
        // A terminal gets the bar at once; a log gets its first line only after ten seconds, so
        // short runs stay silent there.
        self.lastDraw = isTerminal ? .distantPast : start
    }

    public func advance(by n: Int = 1) {
        guard enabled else { return }
        lock.lock(); defer { lock.unlock() }
        done += n
        let now = Date()
        let interval: TimeInterval = isTerminal ? 0.1 : 10
        let finalLine = done == total && (isTerminal || drewSomething)
        guard now.timeIntervalSince(lastDraw) >= interval || finalLine else { return }
        lastDraw = now
        drewSomething = true
        draw(now: now)
    }

    /// Ends the bar's line on a terminal.
    public func finish() {
        guard enabled, isTerminal, drewSomething else { return }
        lock.lock(); defer { lock.unlock() }
        FileHandle.standardError.write("\n".data(using: .utf8)!)
    }

    private func draw(now: Date) {
        let elapsed = now.timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        if isTerminal {
            let width = 30
            let filled = total > 0 ? width * done / total : 0
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            let line = String(format: "\r%@ [%@] %d/%d %.1f/s", label, bar, done, total, rate)
            FileHandle.standardError.write(line.data(using: .utf8)!)
        } else {
            let line = String(format: "%@: %d/%d (%.1f/s)\n", label, done, total, rate)
            FileHandle.standardError.write(line.data(using: .utf8)!)
        }
    }
}
