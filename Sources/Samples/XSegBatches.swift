// XSeg's training batches (docs/xseg.md, "Training samples"): the labelled faces in shuffled epochs, a coin per
// sample for the background mix (whose face comes from a second shuffled queue), and the augmentation of
// sample i of batch k seeded from (seed, k, i), so the sequence does not depend on threads or timing and a
// resumed run continues it.
import ColorTransfer
import Foundation
import Imaging

/// The choices of one XSeg batch.
public struct XSegBatchPlan: Sendable {
    public let index: Int
    /// Labelled face of each sample.
    public let faces: [Int]
    /// The background-mix face of each sample, nil when its coin said no mix.
    public let backgrounds: [Int?]
}

/// One XSeg training step's input, NHWC floats: images (B, r, r, 3) RGB in [0, 1], masks (B, r, r, 1) in {0, 1}.
public struct XSegBatch: Sendable {
    public let index: Int
    public let batchSize: Int
    public let resolution: Int
    public var images: [Float]
    public var masks: [Float]
    public var faceIndices: [Int]
}

/// Builds XSeg batches deterministically from a seed (see the file comment).
public struct XSegBatchGenerator: BatchSource {
    public let samples: [XSegSample]
    public let batchSize: Int
    public let seed: UInt64
    /// DFL's augmentation (`XSegAugmentation.augment`); off: the samples as prepared, mask thresholded.
    public let augment: Bool
    private var order: ShuffledEpochs
    private var backgroundOrder: ShuffledEpochs
    private var planRNG: SeededGenerator
    private var nextIndex = 0

    public init(samples: [XSegSample], batchSize: Int, seed: UInt64, augment: Bool = true) throws {
        guard !samples.isEmpty else { throw SampleError.emptyFaceSet("labelled") }
        precondition(batchSize > 0, "batch size must be positive")
        let r = samples[0].image.width
        precondition(samples.allSatisfy { $0.image.width == r && $0.mask.width == r }, "samples of one resolution")
        self.samples = samples
        self.batchSize = batchSize
        self.seed = seed
        self.augment = augment
        order = ShuffledEpochs(count: samples.count)
        backgroundOrder = ShuffledEpochs(count: samples.count)
        planRNG = SeededGenerator(seed: SeededGenerator.derive(seed, 1))
    }

    public var resolution: Int { samples[0].image.width }

    public mutating func plan() -> XSegBatchPlan {
        var faces: [Int] = [], backgrounds: [Int?] = []
        for _ in 0..<batchSize {
            faces.append(order.next(&planRNG))
            backgrounds.append(augment && planRNG.int(below: 2) == 0 ? backgroundOrder.next(&planRNG) : nil)
        }
        defer { nextIndex += 1 }
        return XSegBatchPlan(index: nextIndex, faces: faces, backgrounds: backgrounds)
    }

    public func index(of plan: XSegBatchPlan) -> Int { plan.index }

    public func build(_ plan: XSegBatchPlan) throws -> XSegBatch {
        let r = resolution, image = r * r * 3, pixels = r * r
        var batch = XSegBatch(index: plan.index, batchSize: batchSize, resolution: r,
                              images: [Float](repeating: 0, count: batchSize * image),
                              masks: [Float](repeating: 0, count: batchSize * pixels), faceIndices: plan.faces)
        for i in 0..<batchSize {
            let sample = samples[plan.faces[i]]
            let out: (image: FloatImage, mask: FloatImage)
            if augment {
                var rng = SeededGenerator(seed: SeededGenerator.derive(seed, UInt64(plan.index), UInt64(i)))
                out = try XSegAugmentation.augment(sample, background: plan.backgrounds[i].map { samples[$0] }, rng: &rng)
            } else {
                out = (XSegAugmentation.clipped(sample.image), sample.binaryMask)
            }
            batch.images.replaceSubrange(i * image..<(i + 1) * image, with: out.image.data)
            batch.masks.replaceSubrange(i * pixels..<(i + 1) * pixels, with: out.mask.data)
        }
        return batch
    }

    /// Plans and builds the next batch (single-threaded use).
    public mutating func next() throws -> XSegBatch { try build(plan()) }
}
