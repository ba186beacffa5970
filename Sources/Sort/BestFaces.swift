// `final` / `final-fast` ("best faces"): pick a target number of faces spread evenly over head yaw,
// preferring sharp faces, then spreading over pitch and preferring faces unlike their neighbours
// (docs/dfl-faceset.md §6.4). The steps follow DFL's; the per-bin quota differs on purpose: DFL
// gives every one of its 128 yaw bins round(N / 128) faces (zero when N < 64, and far from N when most
// bins are empty); here the N faces are shared out over the bins that hold faces, so exactly
// min(N, faces) come back.
import Foundation

/// What "best faces" knows about one face.
public struct BestFaceCandidate: Sendable {
    public var yaw: Double
    public var pitch: Double
    /// CPBD sharpness (`final`) or source-rectangle area (`final-fast`); larger is better.
    public var quality: Double
    /// Unmasked gray histogram.
    public var histogram: FaceHistogram

    public init(yaw: Double, pitch: Double, quality: Double, histogram: FaceHistogram) {
        self.yaw = yaw; self.pitch = pitch; self.quality = quality; self.histogram = histogram
    }
}

public enum BestFaces {
    public static let yawBinCount = 128
    public static let yawRange = 1.2
    /// DFL keeps this many times the quota of each yaw bin (the sharpest) before the pitch step.
    public static let sharpShortlistFactor = 10

    /// The chosen faces' indices, in yaw-bin order (from −yaw = −1.2 upward, i.e. from the face's
    /// positive yaw to its negative yaw, as DFL bins −yaw) and round-robin over pitch within a bin.
    public static func select(_ faces: [BestFaceCandidate], count target: Int) -> [Int] {
        guard target > 0, !faces.isEmpty else { return [] }
        let yawEdges = linspace(-yawRange, yawRange, yawBinCount)
        var bins = [[Int]](repeating: [], count: yawBinCount)
        for (i, f) in faces.enumerated() { bins[binIndex(-f.yaw, edges: yawEdges)].append(i) }
        let quotas = shareOut(min(target, faces.count), capacities: bins.map(\.count))

        var chosen: [Int] = []
        for (g, members) in bins.enumerated() where quotas[g] > 0 {
            let quota = quotas[g]
            // The sharpest 10·quota (stable: ties keep input order).
            let shortlist = members.sorted { faces[$0].quality > faces[$1].quality || (faces[$0].quality == faces[$1].quality && $0 < $1) }
                .prefix(sharpShortlistFactor * quota)
            let pitchEdges = linspace(-Double.pi / 2, Double.pi / 2, quota)
            var subBins = [[Int]](repeating: [], count: quota)
            for i in shortlist { subBins[binIndex(faces[i].pitch, edges: pitchEdges)].append(i) }
            // Most unusual first within each pitch sub-bin.
            subBins = subBins.map { sub in
                let scores = HistogramOrdering.dissimilarityScores(sub.map { faces[$0].histogram })
                return sub.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }.map { sub[$0] }
            }
            var taken = 0, heads = [Int](repeating: 0, count: quota)
            while taken < quota {
                var progressed = false
                for s in 0..<quota where taken < quota && heads[s] < subBins[s].count {
                    chosen.append(subBins[s][heads[s]])
                    heads[s] += 1; taken += 1; progressed = true
                }
                if !progressed { break }
            }
        }
        return chosen
    }

    /// numpy.linspace(a, b, n).
    static func linspace(_ a: Double, _ b: Double, _ n: Int) -> [Double] {
        n == 1 ? [a] : (0..<n).map { a + (b - a) * Double($0) / Double(n - 1) }
    }

    /// DFL's binning: bin 0 takes s < edges[1], bin g takes edges[g] ≤ s < edges[g+1], the last bin
    /// takes s ≥ edges[last].
    static func binIndex(_ s: Double, edges: [Double]) -> Int {
        let n = edges.count
        if n <= 1 || s < edges[1] { return 0 }
        if s >= edges[n - 1] { return n - 1 }
        var lo = 1, hi = n - 1          // edges[lo] ≤ s < edges[hi]
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if s >= edges[mid] { lo = mid } else { hi = mid }
        }
        return lo
    }

    /// Shares `total` (≤ Σ capacities) over bins as evenly as their capacities allow: every round gives
    /// each bin with room an equal share; a remainder smaller than the number of such bins goes to bins
    /// spread evenly across them, so no end of the yaw range is favoured.
    static func shareOut(_ total: Int, capacities: [Int]) -> [Int] {
        var quota = [Int](repeating: 0, count: capacities.count)
        var left = min(total, capacities.reduce(0, +))
        while left > 0 {
            let open = capacities.indices.filter { quota[$0] < capacities[$0] }
            if open.isEmpty { break }
            if left >= open.count {
                let share = left / open.count
                for b in open {
                    let give = min(share, capacities[b] - quota[b])
                    quota[b] += give; left -= give
                }
            } else {
                for k in 0..<left {
                    let b = open[(2 * k + 1) * open.count / (2 * left)]
                    quota[b] += 1
                }
                left = 0
            }
        }
        return quota
    }
}
