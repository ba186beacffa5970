// quality.csv: `iteration,seconds,ssim,psnr`, one row per held-out evaluation (dfl-train --holdout): the
// mean masked SSIM and PSNR of the held-out faces' reconstructions, the same figures `--reconstruct` prints.
// Like loss.csv, the file is cut back to the saved iteration when a model is opened, so a resume appends
// after the last save without repeating or keeping rows of iterations that were never saved.
import AtomicIO
import Foundation

/// One row of quality.csv.
public struct QualityRecord: Sendable, Equatable {
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
}

public final class QualityLog {
    public static let header = "iteration,seconds,ssim,psnr"
    public let path: String
    public private(set) var records: [QualityRecord] = []

    /// Opens `path`, keeping the rows with iteration ≤ `upTo` (rewritten atomically).
    public init(path: String, upTo iteration: Int) throws {
        self.path = path
        records = Self.read(path).filter { $0.iteration <= iteration }
        var text = Self.header + "\n"
        for r in records { text += Self.format(r) }
        try AtomicFile.write(Array(text.utf8), to: path)
    }

    /// The rows of a quality.csv (none when it is missing; malformed rows are skipped). At most 16 MiB read.
    public static func read(_ path: String) -> [QualityRecord] {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = attributes[.size] as? Int, size <= 16 << 20,
              let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else { return [] }
        var out: [QualityRecord] = []
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",")
            guard f.count == 4, let it = Int(f[0]), let t = Double(f[1]), let s = Double(f[2]), let p = Double(f[3]) else { continue }
            out.append(QualityRecord(iteration: it, seconds: t, ssim: s, psnr: p))
        }
        return out
    }

    /// Appends a row and syncs the file (evaluations are rare, so each one is durable at once).
    public func append(_ record: QualityRecord) throws {
        records.append(record)
        try appendSynced(Self.format(record), to: path)
    }

    static func format(_ r: QualityRecord) -> String {
        String(format: "%d,%.3f,%.6f,%.4f\n", r.iteration, r.seconds, r.ssim, r.psnr)
    }
}
