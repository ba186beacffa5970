import XCTest
import ColorTransfer
import FaceSet
import Imaging
@testable import Samples

final class BatchTests: XCTestCase {
    func generator(seed: UInt64, ct: ColorTransferMode? = nil, channels: Int = 1) throws -> BatchGenerator {
        let src = try store(faces: 5, size: 40, resolution: 32, channels: channels)
        let dst = try store(faces: 3, size: 40, resolution: 32, channels: channels, keepReference: ct != nil)
        return try BatchGenerator(src: src, dst: dst, batchSize: 3,
                                  srcOptions: SampleOptions(outputChannels: channels),
                                  dstOptions: SampleOptions(randomFlip: true, outputChannels: channels),
                                  colorTransfer: ct, seed: seed)
    }

    func testBatchShapesAndRanges() throws {
        var g = try generator(seed: 1, channels: 3)
        let b = try g.next()
        XCTAssertEqual(b.src.warped.count, 3 * 32 * 32 * 3)
        XCTAssertEqual(b.dst.target.count, 3 * 32 * 32 * 3)
        XCTAssertEqual(b.src.targetMask.count, 3 * 32 * 32)
        XCTAssertEqual(b.dst.targetEyesMouthMask.count, 3 * 32 * 32)
        for buffer in [b.src.warped, b.src.target, b.src.targetMask, b.dst.warped, b.dst.targetEyesMouthMask] {
            XCTAssertTrue(buffer.allSatisfy { $0 >= 0 && $0 <= 1 })
        }
        XCTAssertNotEqual(b.src.warped, b.src.target)
        // Concatenated layout: src samples, then dst samples.
        var w = [Float](repeating: -1, count: 2 * b.src.warped.count), t = w
        var m = [Float](repeating: -1, count: 2 * b.src.targetMask.count), e = m
        w.withUnsafeMutableBufferPointer { wp in t.withUnsafeMutableBufferPointer { tp in
            m.withUnsafeMutableBufferPointer { mp in e.withUnsafeMutableBufferPointer { ep in
                b.copyConcatenated(warped: wp, target: tp, targetMask: mp, targetEyesMouth: ep)
            } }
        } }
        XCTAssertEqual(w, b.src.warped + b.dst.warped)
        XCTAssertEqual(t, b.src.target + b.dst.target)
        XCTAssertEqual(m, b.src.targetMask + b.dst.targetMask)
        XCTAssertEqual(e, b.src.targetEyesMouthMask + b.dst.targetEyesMouthMask)
    }

    func testSameSeedSameBatchesDifferentSeedDifferent() throws {
        var a = try generator(seed: 11), b = try generator(seed: 11), c = try generator(seed: 12)
        for _ in 0..<3 {
            let x = try a.next(), y = try b.next(), z = try c.next()
            XCTAssertEqual(x.src.warped, y.src.warped)
            XCTAssertEqual(x.dst.targetMask, y.dst.targetMask)
            XCTAssertEqual(x.src.faceIndices, y.src.faceIndices)
            XCTAssertNotEqual(x.src.warped, z.src.warped)
        }
    }

    func testEpochsVisitEveryFaceOnce() throws {
        var g = try generator(seed: 3)
        // 5 src faces, batch 3: after 5 batches (15 draws) every face was drawn exactly 3 times.
        var counts = [Int](repeating: 0, count: 5)
        for _ in 0..<5 { for i in g.plan().src { counts[i] += 1 } }
        XCTAssertEqual(counts, [3, 3, 3, 3, 3])
    }

    func testProducerMatchesSequentialGenerationForAnyWorkerCount() throws {
        var sequential = try generator(seed: 21)
        let expected = try (0..<6).map { _ in try sequential.next() }
        for workers in [1, 3] {
            let producer = BatchProducer(generator: try generator(seed: 21), capacity: 2, workers: workers)
            for k in 0..<6 {
                let b = try producer.next()
                XCTAssertEqual(b.index, k)
                XCTAssertEqual(b.src.warped, expected[k].src.warped)
                XCTAssertEqual(b.dst.warped, expected[k].dst.warped)
                XCTAssertEqual(b.dst.targetEyesMouthMask, expected[k].dst.targetEyesMouthMask)
            }
            producer.stop()
        }
        // Resuming at batch 4 gives batch 4 of the uninterrupted sequence.
        let resumed = BatchProducer(generator: try generator(seed: 21), workers: 2, skip: 4)
        XCTAssertEqual(try resumed.next().src.target, expected[4].src.target)
    }

    func testColourTransferPairsSrcWithADstFace() throws {
        var g = try generator(seed: 5, ct: .lct)
        let plan = g.plan()
        XCTAssertEqual(plan.colorReferences?.count, 3)
        let batch = try g.build(plan)
        // lct matches the mean of the whole image: the target of sample 0 before pose change had the
        // reference's mean; after the small pose change its mean stays close.
        let refIndex = plan.colorReferences![0]
        let ref = g.dst.faces[refIndex].colorReference!.toFloat().data
        let refMean = ref.reduce(0, +) / Float(ref.count)
        let n = 32 * 32
        let target = batch.src.target[0..<n]
        let srcOwn = g.src.faces[plan.src[0]].image.toFloat().data
        let ownMean = srcOwn.reduce(0, +) / Float(n)
        let gotMean = target.reduce(0, +) / Float(n)
        XCTAssertLessThan(abs(gotMean - refMean), abs(ownMean - refMean) * 0.5 + 0.02)
    }

    func testUnsupportedColourTransferForGrayThrows() throws {
        let src = try store(faces: 2, size: 40, resolution: 32, channels: 1)
        let dst = try store(faces: 2, size: 40, resolution: 32, channels: 1, keepReference: true)
        XCTAssertThrowsError(try BatchGenerator(src: src, dst: dst, batchSize: 2,
                                                srcOptions: SampleOptions(outputChannels: 1),
                                                dstOptions: SampleOptions(outputChannels: 1),
                                                colorTransfer: .rct, seed: 1))
    }
}

final class IndexSamplerTests: XCTestCase {
    func testUniformYawFlattensASkewedDistribution() {
        // 90 % of the faces look almost straight ahead; the rest spread over ±1.2 rad.
        var yaws = [Double]()
        for i in 0..<1800 { yaws.append(-0.05 + 0.1 * Double(i) / 1800) }
        for i in 0..<200 { yaws.append(-1.19 + 2.38 * Double(i) / 199) }
        func quarterShares(_ sampler: inout IndexSampler) -> [Double] {
            var q = [Double](repeating: 0, count: 4)
            let draws = 8000
            for _ in 0..<draws {
                let y = yaws[sampler.next()]
                q[min(3, max(0, Int((y + 1.2) / 0.6)))] += 1
            }
            return q.map { $0 / Double(draws) }
        }
        var uniform = IndexSampler(count: yaws.count, yaws: yaws, seed: 1)
        var plain = IndexSampler(count: yaws.count, seed: 1)
        let u = quarterShares(&uniform), p = quarterShares(&plain)
        for share in u { XCTAssertEqual(share, 0.25, accuracy: 0.04) }
        XCTAssertGreaterThan(p[1] + p[2], 0.9)
    }

    func testParallelLoadKeepsOrderAndSkipsBadFaces() throws {
        struct Broken: Error {}
        var s = FaceStore(resolution: 32, faceType: .full)
        var failures = [Int]()
        let added = s.load(count: 6, threads: 3, read: { i in
            if i == 2 { throw Broken() }
            var f = syntheticFace(size: 40, channels: 1, phase: Float(i) / 6)
            if i == 4 { f.landmarks.removeLast() }
            return f
        }, failed: { i, _ in failures.append(i) })
        XCTAssertEqual(added, 4)
        XCTAssertEqual(failures, [2, 4])
        var sequential = FaceStore(resolution: 32, faceType: .full)
        for i in [0, 1, 3, 5] { try sequential.add(syntheticFace(size: 40, channels: 1, phase: Float(i) / 6)) }
        XCTAssertEqual(s.faces.map(\.image), sequential.faces.map(\.image))
    }

    func testStoreEstimatesYawOfFrontalFacesNearZero() throws {
        let s = try store(faces: 2, size: 64, resolution: 32, channels: 1)
        for face in s.faces { XCTAssertEqual(try XCTUnwrap(face.yaw), 0, accuracy: 0.1) }
    }

    func testYawBinsClampAtTheEnds() {
        XCTAssertEqual(IndexSampler.yawBin(-5), 0)
        XCTAssertEqual(IndexSampler.yawBin(5), 127)
        XCTAssertEqual(IndexSampler.yawBin(0), 64)
        XCTAssertEqual(IndexSampler.yawBin(-1.2 + 2.4 / 128 * 0.5), 0)
    }
}
