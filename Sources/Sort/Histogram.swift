// 256-bin histograms and OpenCV's Bhattacharyya distance, the basis of `hist`, `hist-dissim` and the
// dissimilarity step of `final`. A histogram is kept as √(H / ΣH) per channel, so that the distance
// d = √max(0, 1 − Σ√(H1·H2) / √(ΣH1·ΣH2)) is one dot product per channel.
import Foundation
import Imaging

/// Per-channel 256-bin histograms of a face, stored ready for Bhattacharyya comparisons.
public struct FaceHistogram: Sendable, Equatable {
    /// Number of channels histogrammed (1 or 3).
    public let channels: Int
    /// `channels × 256` values √(count / total), channel-major.
    public let rootNormalized: [Double]

    /// Histograms of each colour channel (alpha ignored); one histogram for a 1-channel face.
    public init(image: Image) {
        let used = FacePixels.colourChannelCount(image)
        var counts = [Int](repeating: 0, count: used * 256)
        let n = image.width * image.height, c = image.channels
        image.pixels.withUnsafeBufferPointer { px in
            for i in 0..<n { for k in 0..<used { counts[k * 256 + Int(px[i * c + k])] += 1 } }
        }
        self.init(counts: counts, channels: used)
    }

    /// The histogram of one gray plane.
    public init(gray: [UInt8]) {
        var counts = [Int](repeating: 0, count: 256)
        for v in gray { counts[Int(v)] += 1 }
        self.init(counts: counts, channels: 1)
    }

    /// From raw bin counts, `channels × 256`, channel-major.
    public init(counts: [Int], channels: Int) {
        precondition(counts.count == channels * 256, "expected 256 bins per channel")
        var values = [Double](repeating: 0, count: counts.count)
        for k in 0..<channels {
            let total = counts[(k * 256)..<((k + 1) * 256)].reduce(0, +)
            guard total > 0 else { continue }
            for b in 0..<256 { values[k * 256 + b] = (Double(counts[k * 256 + b]) / Double(total)).squareRoot() }
        }
        self.channels = channels
        self.rootNormalized = values
    }

    /// A 1-channel histogram repeated over three channels: how a gray face looks to a colour comparison
    /// (a gray JPEG loaded as BGR has three equal channels). Other histograms are returned unchanged.
    public func replicated(toChannels count: Int) -> FaceHistogram {
        guard channels == 1, count > 1 else { return self }
        return FaceHistogram(channels: count, rootNormalized: Array([[Double]](repeating: rootNormalized, count: count).joined()))
    }

    private init(channels: Int, rootNormalized: [Double]) {
        self.channels = channels
        self.rootNormalized = rootNormalized
    }

    /// Sum over channels of the Bhattacharyya distances (OpenCV's HISTCMP_BHATTACHARYYA). An empty
    /// histogram is at distance 1 from everything, as in OpenCV.
    public func distance(to other: FaceHistogram) -> Double {
        precondition(channels == other.channels, "histograms with different channel counts")
        var total = 0.0
        rootNormalized.withUnsafeBufferPointer { a in
            other.rootNormalized.withUnsafeBufferPointer { b in
                for k in 0..<channels {
                    var dot = 0.0
                    for i in (k * 256)..<((k + 1) * 256) { dot += a[i] * b[i] }
                    total += max(0, 1 - dot).squareRoot()
                }
            }
        }
        return total
    }
}

public enum HistogramOrdering {
    /// DFL's chunk size for the similarity chain.
    public static let chunkSize = 20_000

    /// `hist`: a greedy similarity chain. Starting from the first face, the next position always takes
    /// the remaining face nearest to the current one. Inputs over 20 000 faces are chained in chunks as
    /// DFL does, but the chunks are joined in input order (DFL joins them in completion order, which is
    /// not reproducible). Returns the order and each face's distance to its predecessor (0 first).
    /// A mix of gray and colour faces is compared in colour, each gray histogram standing for three
    /// equal channels; an all-gray list compares one channel (SAEHDBW).
    public static func similarityChain(_ input: [FaceHistogram]) -> (order: [Int], distances: [Double]) {
        let channels = input.map(\.channels).max() ?? 1
        let hists = input.map { $0.replicated(toChannels: channels) }
        let n = hists.count
        var chunk = chunkSize
        if n / chunkSize > 12 { chunk = Int(Double(n) / 11.9) }
        var order: [Int] = [], distances: [Double] = []
        var start = 0
        while start < n {
            let end = min(n, start + chunk)
            let (o, d) = chain(hists, indices: Array(start..<end))
            order += o; distances += d
            start = end
        }
        return (order, distances)
    }

    static func chain(_ hists: [FaceHistogram], indices: [Int]) -> ([Int], [Double]) {
        var seq = indices
        var dist = [Double](repeating: 0, count: seq.count)
        guard seq.count > 1 else { return (seq, dist) }
        let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        for i in 0..<(seq.count - 1) {
            let current = hists[seq[i]]
            let candidates = seq.count - (i + 1)
            // Parallel argmin over the rest; ties go to the earliest position.
            let parts = min(workers, max(1, candidates / 256))
            var best = [(Double, Int)](repeating: (.infinity, Int.max), count: parts)
            best.withUnsafeMutableBufferPointer { out in
                DispatchQueue.concurrentPerform(iterations: parts) { p in
                    let lo = i + 1 + p * candidates / parts, hi = i + 1 + (p + 1) * candidates / parts
                    var b = (Double.infinity, Int.max)
                    for j in lo..<hi {
                        let d = current.distance(to: hists[seq[j]])
                        if d < b.0 { b = (d, j) }
                    }
                    out[p] = b
                }
            }
            let winner = best.min { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }!
            seq.swapAt(i + 1, winner.1)
            dist[i + 1] = winner.0
        }
        return (seq, dist)
    }

    /// `hist-dissim`: each face's summed distance to every other face (larger = more unusual).
    public static func dissimilarityScores(_ hists: [FaceHistogram]) -> [Double] {
        let n = hists.count
        var scores = [Double](repeating: 0, count: n)
        scores.withUnsafeMutableBufferPointer { out in
            DispatchQueue.concurrentPerform(iterations: n) { i in
                var s = 0.0
                for j in 0..<n where j != i { s += hists[i].distance(to: hists[j]) }
                out[i] = s
            }
        }
        return scores
    }
}
