// loss.csv: `iteration,src_loss,dst_loss,seconds`, one row per iteration (seconds = training time so far,
// all sessions together). Rows are appended as training goes and flushed at every save; on resume the
// file is cut back to the saved iteration so it always matches the model. Once a GAN or true-face
// discriminator has trained, the file has two more columns, `gan_d_loss,true_face_d_loss` (empty where
// that discriminator was off), after the first four, which keep their meaning.
import AtomicIO
import Foundation

/// One row of loss.csv.
public struct LossRecord: Sendable, Equatable {
    public var iteration: Int
    public var src: Double
    public var dst: Double
    public var seconds: Double
    /// The GAN and true-face discriminators' mean losses of the iteration (nil when off).
    public var ganDiscriminator: Double?
    public var trueFaceDiscriminator: Double?

    public init(iteration: Int, src: Double, dst: Double, seconds: Double, ganDiscriminator: Double? = nil,
                trueFaceDiscriminator: Double? = nil) {
        self.iteration = iteration
        self.src = src
        self.dst = dst
        self.seconds = seconds
        self.ganDiscriminator = ganDiscriminator
        self.trueFaceDiscriminator = trueFaceDiscriminator
    }

    /// Whether the row needs the discriminator columns.
    var hasDiscriminatorLosses: Bool { ganDiscriminator != nil || trueFaceDiscriminator != nil }
}

public final class LossLog {
    public static let header = "iteration,src_loss,dst_loss,seconds"
    /// The header once a discriminator has trained.
    public static let discriminatorHeader = header + ",gan_d_loss,true_face_d_loss"
    public let path: String
    /// Every row, in order (the loss plot is drawn from these).
    public private(set) var records: [LossRecord] = []
    private var pending = ""
    /// The kept rows as read, so that rewriting the file keeps their digits (imported DFL losses keep every bit).
    private var keptText = ""
    /// Whether the file has the discriminator columns (then every row is written with six fields).
    private var wide = false

    /// Opens `path`, keeping the rows with iteration ≤ `upTo` (rewritten atomically when rows are dropped).
    public init(path: String, upTo iteration: Int) throws {
        self.path = path
        let kept = Self.rows(path: path).filter { $0.0.iteration <= iteration }
        wide = kept.contains { $0.0.hasDiscriminatorLosses }
        for (record, line) in kept {
            records.append(record)
            keptText += Self.padded(line, wide: wide) + "\n"
        }
        try rewrite()
    }

    /// A row as read, with two empty discriminator fields added when the file is wide and the row has none.
    private static func padded<S: StringProtocol>(_ line: S, wide: Bool) -> String {
        wide && line.split(separator: ",", omittingEmptySubsequences: false).count == 4 ? line + ",," : String(line)
    }

    /// The rows of `path` with iteration ≤ `upTo`, read without changing the file (empty when it is missing).
    public static func read(path: String, upTo iteration: Int) -> [LossRecord] {
        rows(path: path).map(\.0).filter { $0.iteration <= iteration }
    }

    /// Writes `records` as a new loss.csv, atomically, each loss in Swift's shortest exact form (so losses
    /// imported from DeepFaceLab keep every bit).
    public static func write(_ records: [LossRecord], to path: String) throws {
        let wide = records.contains { $0.hasDiscriminatorLosses }
        var text = (wide ? discriminatorHeader : header) + "\n"
        for r in records {
            text += "\(r.iteration),\(r.src),\(r.dst)," + String(format: "%.3f", r.seconds)
            if wide { text += "," + (r.ganDiscriminator.map { "\($0)" } ?? "") + "," + (r.trueFaceDiscriminator.map { "\($0)" } ?? "") }
            text += "\n"
        }
        try AtomicFile.write(Array(text.utf8), to: path)
    }

    private static func rows(path: String) -> [(LossRecord, Substring)] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else { return [] }
        var out: [(LossRecord, Substring)] = []
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            guard f.count == 4 || f.count == 6, let it = Int(f[0]), let s = Double(f[1]), let d = Double(f[2]),
                  let t = Double(f[3]) else { continue }
            var record = LossRecord(iteration: it, src: s, dst: d, seconds: t)
            if f.count == 6 {
                guard f[4].isEmpty || Double(f[4]) != nil, f[5].isEmpty || Double(f[5]) != nil else { continue }
                record.ganDiscriminator = Double(f[4])
                record.trueFaceDiscriminator = Double(f[5])
            }
            out.append((record, line))
        }
        return out
    }

    /// Adds one iteration's losses (written at the next `flush`).
    public func append(_ record: LossRecord) {
        if record.hasDiscriminatorLosses && !wide {
            // The first row with discriminator losses widens the file: the rows so far get empty fields.
            wide = true
            keptText = keptText.split(separator: "\n").map { Self.padded($0, wide: true) + "\n" }.joined()
            pending = pending.split(separator: "\n").map { Self.padded($0, wide: true) + "\n" }.joined()
            widenFile = true
        }
        records.append(record)
        pending += format(record)
    }

    /// Set when the header on disk must become the wide one at the next flush.
    private var widenFile = false

    /// Appends the pending rows to the file and syncs it (rewriting it atomically when it just became wide).
    public func flush() throws {
        guard !pending.isEmpty else { return }
        if widenFile {
            keptText += pending
            try rewrite()
            widenFile = false
        } else {
            try appendSynced(pending, to: path)
            keptText += pending
        }
        pending = ""
    }

    private func rewrite() throws {
        try AtomicFile.write(Array(((wide ? Self.discriminatorHeader : Self.header) + "\n" + keptText).utf8), to: path)
    }

    func format(_ r: LossRecord) -> String {
        var row = String(format: "%d,%.6f,%.6f,%.3f", r.iteration, r.src, r.dst, r.seconds)
        if wide {
            row += "," + (r.ganDiscriminator.map { String(format: "%.6f", $0) } ?? "")
            row += "," + (r.trueFaceDiscriminator.map { String(format: "%.6f", $0) } ?? "")
        }
        return row + "\n"
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
