// The eight tensors fed to one SAEHD training step (docs/saehd-model.md §3.1), as NHWC float buffers.
import ColorTransfer
import Foundation
import Imaging

/// The four tensors of one side: `batchSize × resolution × resolution × channels` (images) or `× 1`
/// (masks), NHWC, values in [0, 1].
public struct SideBatch: Sendable {
    public let batchSize: Int
    public let resolution: Int
    public let channels: Int
    public var warped: [Float]
    public var target: [Float]
    public var targetMask: [Float]
    public var targetEyesMouthMask: [Float]
    /// Face indices of the samples, in batch order.
    public var faceIndices: [Int]

    init(batchSize: Int, resolution: Int, channels: Int) {
        self.batchSize = batchSize
        self.resolution = resolution
        self.channels = channels
        let pixels = batchSize * resolution * resolution
        warped = [Float](repeating: 0, count: pixels * channels)
        target = warped
        targetMask = [Float](repeating: 0, count: pixels)
        targetEyesMouthMask = targetMask
        faceIndices = []
    }

    mutating func store(_ s: SampleOutputs, at i: Int) {
        let image = resolution * resolution * channels, mask = resolution * resolution
        warped.replaceSubrange(i * image..<(i + 1) * image, with: s.warped.data)
        target.replaceSubrange(i * image..<(i + 1) * image, with: s.target.data)
        targetMask.replaceSubrange(i * mask..<(i + 1) * mask, with: s.fullMask.data)
        targetEyesMouthMask.replaceSubrange(i * mask..<(i + 1) * mask, with: s.eyesMouthMask.data)
    }
}

/// One training step's input: src and dst sides. (Named apart from the SAEHD model's `TrainingBatch`,
/// which holds both sides concatenated; `copyConcatenated` fills that layout.)
public struct SampleBatch: Sendable {
    /// Position in the sequence of batches (0, 1, 2, …).
    public let index: Int
    public var src: SideBatch
    public var dst: SideBatch

    /// Copies the batch into four buffers of 2·batchSize samples each, src samples first, then dst
    /// (warped and target: r·r·C floats per sample; masks: r·r). Each buffer must hold exactly that.
    public func copyConcatenated(warped: UnsafeMutableBufferPointer<Float>,
                                 target: UnsafeMutableBufferPointer<Float>,
                                 targetMask: UnsafeMutableBufferPointer<Float>,
                                 targetEyesMouth: UnsafeMutableBufferPointer<Float>) {
        func copy(_ a: [Float], _ b: [Float], into out: UnsafeMutableBufferPointer<Float>) {
            precondition(out.count == a.count + b.count, "buffer size does not match the batch")
            a.withUnsafeBufferPointer { out.baseAddress!.update(from: $0.baseAddress!, count: a.count) }
            b.withUnsafeBufferPointer { (out.baseAddress! + a.count).update(from: $0.baseAddress!, count: b.count) }
        }
        copy(src.warped, dst.warped, into: warped)
        copy(src.target, dst.target, into: target)
        copy(src.targetMask, dst.targetMask, into: targetMask)
        copy(src.targetEyesMouthMask, dst.targetEyesMouthMask, into: targetEyesMouth)
    }
}

/// Which faces batch k uses: drawn in batch order, so that it does not depend on thread timing.
public struct BatchPlan: Sendable {
    public let index: Int
    public let src: [Int]
    public let dst: [Int]
    /// For each src sample, the dst face whose raw image is its colour-transfer reference (ct_mode).
    public let colorReferences: [Int]?
}

/// Builds training batches deterministically from a seed: the face choice is a sequential stream
/// (`plan(next:)`), the augmentation of sample i of batch k uses the seed derive(seed, k, side, i).
public struct BatchGenerator: Sendable {
    public let src: FaceStore
    public let dst: FaceStore
    public let batchSize: Int
    public let srcOptions: SampleOptions
    public let dstOptions: SampleOptions
    /// DFL ct_mode: src images recoloured toward a random dst face (DFL turns it off in pretraining:
    /// pass nil there).
    public let colorTransfer: ColorTransferMode?
    public let seed: UInt64
    private var srcIndices: IndexSampler
    private var dstIndices: IndexSampler
    private var referenceIndices: IndexSampler?
    private var nextPlanIndex = 0

    /// `uniformYaw` switches both sides to uniform-yaw sampling (faces without a yaw count as yaw 0).
    /// Throws when a store is empty, when an output channel count cannot be made from the stored faces, or
    /// when `colorTransfer` does not support the faces' channel count.
    public init(src: FaceStore, dst: FaceStore, batchSize: Int, srcOptions: SampleOptions,
                dstOptions: SampleOptions, colorTransfer: ColorTransferMode? = nil, uniformYaw: Bool = false,
                seed: UInt64) throws {
        guard src.count > 0 else { throw SampleError.emptyFaceSet("src") }
        guard dst.count > 0 else { throw SampleError.emptyFaceSet("dst") }
        precondition(batchSize > 0, "batch size must be positive")
        precondition(src.resolution == dst.resolution, "src and dst resolutions differ")
        for (store, options) in [(src, srcOptions), (dst, dstOptions)] {
            let stored = store.channels ?? options.outputChannels
            // 3 → 1 converts to gray; 1 → 3 (DFL's GGG) is not offered.
            guard options.outputChannels == 1 || options.outputChannels == stored else {
                throw SampleError.channelMismatch(expected: options.outputChannels, got: stored)
            }
        }
        if let mode = colorTransfer {
            precondition(dst.keepsColorReference, "ct_mode needs a dst store built with keepColorReference")
            let channels = src.channels ?? 3
            if !mode.supports(channels: channels) {
                throw ColorTransferError.unsupportedChannels(mode: mode, channels: channels)
            }
        }
        self.src = src
        self.dst = dst
        self.batchSize = batchSize
        self.srcOptions = srcOptions
        self.dstOptions = dstOptions
        self.colorTransfer = colorTransfer
        self.seed = seed
        func yaws(_ s: FaceStore) -> [Double]? {
            guard uniformYaw else { return nil }
            return s.faces.map { $0.yaw ?? 0 }
        }
        srcIndices = IndexSampler(count: src.count, yaws: yaws(src), seed: SeededGenerator.derive(seed, 1))
        dstIndices = IndexSampler(count: dst.count, yaws: yaws(dst), seed: SeededGenerator.derive(seed, 2))
        referenceIndices = colorTransfer == nil ? nil
            : IndexSampler(count: dst.count, seed: SeededGenerator.derive(seed, 3))
    }

    /// The faces of the next batch in sequence.
    public mutating func plan() -> BatchPlan {
        let srcFaces = (0..<batchSize).map { _ in srcIndices.next() }
        let dstFaces = (0..<batchSize).map { _ in dstIndices.next() }
        var refs: [Int]? = nil
        if referenceIndices != nil { refs = (0..<batchSize).map { _ in referenceIndices!.next() } }
        defer { nextPlanIndex += 1 }
        return BatchPlan(index: nextPlanIndex, src: srcFaces, dst: dstFaces, colorReferences: refs)
    }

    /// Builds the batch of `plan` (thread-safe: reads only immutable state).
    public func build(_ plan: BatchPlan) throws -> SampleBatch {
        let k = UInt64(plan.index)
        var srcBatch = SideBatch(batchSize: batchSize, resolution: src.resolution,
                                 channels: srcOptions.outputChannels)
        var dstBatch = SideBatch(batchSize: batchSize, resolution: dst.resolution,
                                 channels: dstOptions.outputChannels)
        for i in 0..<batchSize {
            let reference = plan.colorReferences.map { dst.faces[$0[i]].colorReference } ?? nil
            let s = try SampleProcessor.process(src.faces[plan.src[i]], options: srcOptions,
                                                seed: SeededGenerator.derive(seed, k, 0, UInt64(i)),
                                                colorTransfer: colorTransfer, colorReference: reference)
            try check(s, srcOptions)
            srcBatch.store(s, at: i)
            let d = try SampleProcessor.process(dst.faces[plan.dst[i]], options: dstOptions,
                                                seed: SeededGenerator.derive(seed, k, 1, UInt64(i)))
            try check(d, dstOptions)
            dstBatch.store(d, at: i)
        }
        srcBatch.faceIndices = plan.src
        dstBatch.faceIndices = plan.dst
        return SampleBatch(index: plan.index, src: srcBatch, dst: dstBatch)
    }

    /// Plans and builds the next batch (single-threaded use).
    public mutating func next() throws -> SampleBatch { try build(plan()) }

    private func check(_ s: SampleOutputs, _ options: SampleOptions) throws {
        if s.warped.channels != options.outputChannels {
            throw SampleError.channelMismatch(expected: options.outputChannels, got: s.warped.channels)
        }
    }
}
