// Which faces go into each batch (docs/saehd-model.md §5.1): shuffled epochs over all faces, or over yaw bins
// for uniform_yaw, so that rare poses are seen as often as common ones.
import ColorTransfer

/// An endless sequence of indices 0..<count: each pass ("epoch") is a fresh shuffle.
struct ShuffledEpochs: Sendable {
    private var order: [Int] = []
    private var position = 0
    let count: Int

    init(count: Int) { self.count = count }

    mutating func next(_ rng: inout SeededGenerator) -> Int {
        if position >= order.count {
            order = Array(0..<count)
            rng.shuffle(&order)
            position = 0
        }
        defer { position += 1 }
        return order[position]
    }
}

/// Draws face indices for one side.
public struct IndexSampler: Sendable {
    private var rng: SeededGenerator
    private var plain: ShuffledEpochs?
    private var bins: [[Int]] = []
    private var binEpochs = ShuffledEpochs(count: 0)
    private var withinBin: [ShuffledEpochs] = []

    /// Number of yaw bins and their range (radians); values outside go to the first/last bin.
    public static let yawBinCount = 128
    public static let yawRange: ClosedRange<Double> = -1.2...1.2

    /// Plain shuffled epochs over `count` faces, or, when `yaws` is given (one per face), uniform-yaw
    /// sampling: a shuffled epoch over the non-empty yaw bins, then a shuffled epoch within the bin.
    public init(count: Int, yaws: [Double]? = nil, seed: UInt64) {
        precondition(count > 0, "no faces")
        rng = SeededGenerator(seed: seed)
        guard let yaws = yaws else { plain = ShuffledEpochs(count: count); return }
        precondition(yaws.count == count, "one yaw per face")
        var grouped = [[Int]](repeating: [], count: IndexSampler.yawBinCount)
        for (i, y) in yaws.enumerated() { grouped[IndexSampler.yawBin(y)].append(i) }
        bins = grouped.filter { !$0.isEmpty }
        binEpochs = ShuffledEpochs(count: bins.count)
        withinBin = bins.map { ShuffledEpochs(count: $0.count) }
    }

    /// The bin of a yaw value: 128 equal bins over [−1.2, 1.2], the end bins open-ended.
    public static func yawBin(_ yaw: Double) -> Int {
        let width = (yawRange.upperBound - yawRange.lowerBound) / Double(yawBinCount)
        let b = Int(((yaw - yawRange.lowerBound) / width).rounded(.down))
        return min(max(b, 0), yawBinCount - 1)
    }

    public mutating func next() -> Int {
        if plain != nil { return plain!.next(&rng) }
        let b = binEpochs.next(&rng)
        return bins[b][withinBin[b].next(&rng)]
    }
}
