// The row logs of a model directory, one type for both:
//
//   loss.csv     `iteration,src_loss,dst_loss,seconds`, a row per iteration (seconds = training time so far,
//                all sessions together). Once a GAN or true-face discriminator has trained, two more columns,
//                `gan_d_loss,true_face_d_loss` (empty where that discriminator was off), after the first four.
//   quality.csv  `iteration,seconds,ssim,psnr`, a row per held-out evaluation (dfl-train --holdout): the mean
//                masked SSIM and PSNR of the held-out faces' reconstructions, as `--reconstruct` prints them.
//
// Rows are appended as training goes and synced at `flush` (every save for losses, every evaluation for
// quality). Opening a log cuts it back to the saved iteration, so a resume appends after the last save without
// repeating or keeping rows of iterations that were never saved.
import AtomicIO
import Foundation

/// A row type of a `RowLog`.
public protocol LogRow: Sendable, Equatable {
    /// The iteration the row belongs to (the log is cut back by it).
    var iteration: Int { get }
    /// The header line; `wide` when the log has the optional columns.
    static func header(wide: Bool) -> String
    /// Whether the row needs the optional columns (then the whole log gets them).
    var needsWideColumns: Bool { get }
    /// The row as written while training (fixed decimals).
    func line(wide: Bool) -> String
    /// The row with every value in Swift's shortest exact form (imported histories keep every bit).
    func exactLine(wide: Bool) -> String
    /// Parses a line's fields (nil for a malformed line, which is skipped).
    init?(fields: [Substring])
    /// Largest file read.
    static var maxFileBytes: Int { get }
}

/// A CSV log of `Row`s at `path` (see the file comment).
public final class RowLog<Row: LogRow> {
    public let path: String
    /// Every row, in order.
    public private(set) var records: [Row] = []
    private var pending = ""
    /// The kept rows as read, so that rewriting the file keeps their digits.
    private var keptText = ""
    /// Whether the file has the optional columns (then every row is written with them).
    private var wide = false
    /// Set when the header on disk must become the wide one at the next flush.
    private var widenFile = false

    /// Opens `path`, keeping the rows with iteration ≤ `upTo` (rewritten atomically).
    public init(path: String, upTo iteration: Int) throws {
        self.path = path
        let kept = Self.rows(path: path).filter { $0.0.iteration <= iteration }
        wide = kept.contains { $0.0.needsWideColumns }
        for (record, line) in kept {
            records.append(record)
            keptText += Self.padded(line, wide: wide) + "\n"
        }
        try rewrite()
    }

    /// The rows of `path` with iteration ≤ `upTo`, read without changing the file (none when it is missing).
    public static func read(path: String, upTo iteration: Int = .max) -> [Row] {
        rows(path: path).map(\.0).filter { $0.iteration <= iteration }
    }

    /// Writes `records` as a new log, atomically, each value in its shortest exact form.
    public static func write(_ records: [Row], to path: String) throws {
        let wide = records.contains { $0.needsWideColumns }
        let text = Row.header(wide: wide) + "\n" + records.map { $0.exactLine(wide: wide) + "\n" }.joined()
        try AtomicFile.write(Array(text.utf8), to: path)
    }

    /// Adds a row (written at the next `flush`). The first row that needs the optional columns widens the
    /// log: the rows so far get empty fields.
    public func append(_ record: Row) {
        if record.needsWideColumns && !wide {
            wide = true
            keptText = keptText.split(separator: "\n").map { Self.padded($0, wide: true) + "\n" }.joined()
            pending = pending.split(separator: "\n").map { Self.padded($0, wide: true) + "\n" }.joined()
            widenFile = true
        }
        records.append(record)
        pending += record.line(wide: wide) + "\n"
    }

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
        try AtomicFile.write(Array((Row.header(wide: wide) + "\n" + keptText).utf8), to: path)
    }

    /// A row as read, with empty optional fields added when the log is wide and the row has none.
    private static func padded<S: StringProtocol>(_ line: S, wide: Bool) -> String {
        let narrow = Row.header(wide: false).split(separator: ",").count
        let extra = Row.header(wide: true).split(separator: ",").count - narrow
        guard wide, extra > 0, line.split(separator: ",", omittingEmptySubsequences: false).count == narrow else { return String(line) }
        return line + String(repeating: ",", count: extra)
    }

    private static func rows(path: String) -> [(Row, Substring)] {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = attributes[.size] as? Int, size <= Row.maxFileBytes,
              let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").dropFirst().compactMap { line in
            Row(fields: line.split(separator: ",", omittingEmptySubsequences: false)).map { ($0, line) }
        }
    }
}

/// Appends `text` to the existing file at `path` and syncs it.
func appendSynced(_ text: String, to path: String) throws {
    guard let handle = FileHandle(forWritingAtPath: path) else { throw TrainerError.io("\(path): cannot open") }
    defer { try? handle.close() }
    try handle.seekToEnd()
    try handle.write(contentsOf: Data(text.utf8))
    try handle.synchronize()
}

// MARK: loss.csv

/// One row of loss.csv.
public struct LossRecord: LogRow {
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

    public static let header = "iteration,src_loss,dst_loss,seconds"
    /// The header once a discriminator has trained.
    public static let discriminatorHeader = header + ",gan_d_loss,true_face_d_loss"
    public static func header(wide: Bool) -> String { wide ? discriminatorHeader : header }
    public static let maxFileBytes = 1 << 30
    public var needsWideColumns: Bool { ganDiscriminator != nil || trueFaceDiscriminator != nil }

    public func line(wide: Bool) -> String {
        var row = String(format: "%d,%.6f,%.6f,%.3f", iteration, src, dst, seconds)
        if wide {
            row += "," + (ganDiscriminator.map { String(format: "%.6f", $0) } ?? "")
            row += "," + (trueFaceDiscriminator.map { String(format: "%.6f", $0) } ?? "")
        }
        return row
    }

    public func exactLine(wide: Bool) -> String {
        var row = "\(iteration),\(src),\(dst)," + String(format: "%.3f", seconds)
        if wide { row += "," + (ganDiscriminator.map { "\($0)" } ?? "") + "," + (trueFaceDiscriminator.map { "\($0)" } ?? "") }
        return row
    }

    public init?(fields f: [Substring]) {
        guard f.count == 4 || f.count == 6, let it = Int(f[0]), let s = Double(f[1]), let d = Double(f[2]),
              let t = Double(f[3]) else { return nil }
        self.init(iteration: it, src: s, dst: d, seconds: t)
        if f.count == 6 {
            guard f[4].isEmpty || Double(f[4]) != nil, f[5].isEmpty || Double(f[5]) != nil else { return nil }
            ganDiscriminator = Double(f[4])
            trueFaceDiscriminator = Double(f[5])
        }
    }
}

public typealias LossLog = RowLog<LossRecord>

// MARK: quality.csv

/// One row of quality.csv.
public struct QualityRecord: LogRow {
    public var iteration: Int
    public var seconds: Double
    public var ssim: Double
    public var psnr: Double

    public init(iteration: Int, seconds: Double, ssim: Double, psnr: Double) {
        self.iteration = iteration
        self.seconds = seconds
        self.ssim = ssim
        self.psnr = psnr
    }

    public static func header(wide: Bool) -> String { "iteration,seconds,ssim,psnr" }
    public static let maxFileBytes = 16 << 20
    public var needsWideColumns: Bool { false }
    public func line(wide: Bool) -> String { String(format: "%d,%.3f,%.6f,%.4f", iteration, seconds, ssim, psnr) }
    public func exactLine(wide: Bool) -> String { line(wide: wide) }

    public init?(fields f: [Substring]) {
        guard f.count == 4, let it = Int(f[0]), let t = Double(f[1]), let s = Double(f[2]), let p = Double(f[3]) else { return nil }
        self.init(iteration: it, seconds: t, ssim: s, psnr: p)
    }
}

public typealias QualityLog = RowLog<QualityRecord>
