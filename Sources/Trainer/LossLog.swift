// loss.csv: `iteration,src_loss,dst_loss,seconds`, one row per iteration (seconds = training time so far,
// all sessions together). Rows are appended as training goes and flushed at every save; on resume the
// file is cut back to the saved iteration so it always matches the model.
import AtomicIO
import Foundation

/// One row of loss.csv.
public struct LossRecord: Sendable, Equatable {
    public var iteration: Int
    public var src: Double
    public var dst: Double
    public var seconds: Double

    public init(iteration: Int, src: Double, dst: Double, seconds: Double) {
        self.iteration = iteration
        self.src = src
        self.dst = dst
        self.seconds = seconds
    }
}

public final class LossLog {
    public static let header = "iteration,src_loss,dst_loss,seconds"
    public let path: String
    /// Every row, in order (the loss plot is drawn from these).
    public private(set) var records: [LossRecord] = []
    private var pending = ""
    /// The kept rows as read, so that rewriting the file keeps their digits (imported DFL losses keep every bit).
    private var keptText = ""

    /// Opens `path`, keeping the rows with iteration ≤ `upTo` (rewritten atomically when rows are dropped).
    public init(path: String, upTo iteration: Int) throws {
        self.path = path
        for (record, line) in Self.rows(path: path) where record.iteration <= iteration {
            records.append(record)
            keptText += line + "\n"
        }
        try rewrite()
    }

    /// The rows of `path` with iteration ≤ `upTo`, read without changing the file (empty when it is missing).
    public static func read(path: String, upTo iteration: Int) -> [LossRecord] {
        rows(path: path).map(\.0).filter { $0.iteration <= iteration }
    }

    /// Writes `records` as a new loss.csv, atomically, each loss in Swift's shortest exact form (so losses
    /// imported from DeepFaceLab keep every bit).
    public static func write(_ records: [LossRecord], to path: String) throws {
        var text = header + "\n"
        for r in records { text += "\(r.iteration),\(r.src),\(r.dst)," + String(format: "%.3f", r.seconds) + "\n" }
        try AtomicFile.write(Array(text.utf8), to: path)
    }

    private static func rows(path: String) -> [(LossRecord, Substring)] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else { return [] }
        var out: [(LossRecord, Substring)] = []
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",")
            guard f.count == 4, let it = Int(f[0]), let s = Double(f[1]), let d = Double(f[2]), let t = Double(f[3]) else { continue }
            out.append((LossRecord(iteration: it, src: s, dst: d, seconds: t), line))
        }
        return out
    }

    /// Adds one iteration's losses (written at the next `flush`).
    public func append(_ record: LossRecord) {
        records.append(record)
        pending += Self.format(record)
    }

    /// Appends the pending rows to the file and syncs it.
    public func flush() throws {
        guard !pending.isEmpty else { return }
        try appendSynced(pending, to: path)
        pending = ""
    }

    private func rewrite() throws {
        try AtomicFile.write(Array((Self.header + "\n" + keptText).utf8), to: path)
    }

    static func format(_ r: LossRecord) -> String {
        String(format: "%d,%.6f,%.6f,%.3f\n", r.iteration, r.src, r.dst, r.seconds)
    }
}

/// Appends `text` to the existing file at `path` and syncs it (the row logs: loss.csv, quality.csv).
func appendSynced(_ text: String, to path: String) throws {
    guard let handle = FileHandle(forWritingAtPath: path) else { throw TrainerError.io("\(path): cannot open") }
    defer { try? handle.close() }
    try handle.seekToEnd()
    try handle.write(contentsOf: Data(text.utf8))
    try handle.synchronize()
}
