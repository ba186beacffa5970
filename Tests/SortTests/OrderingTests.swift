import XCTest
import Imaging
@testable import Sort

final class OrderingTests: XCTestCase {
    /// Three unrelated scenes (different backgrounds and shapes), each also shifted by a few pixels and
    /// with faint noise, interleaved: the similarity chain must keep each scene's versions together.
    func testHistChainGroupsNearDuplicates() throws {
        let bases = (0..<3).map { TestImages.scene(width: 48, height: 48, channels: 3, seed: UInt64(100 + $0 * 17), background: 40 + 60 * $0) }
        var images: [Image] = [], group: [Int] = []
        for copy in 0..<3 {
            for (g, b) in bases.enumerated() {
                images.append(copy == 0 ? b : TestImages.noisy(TestImages.shifted(b, dx: copy), amplitude: 1, seed: UInt64(copy * 10 + g)))
                group.append(g)
            }
        }
        let features = try images.map { try SortMethod.hist.feature(of: FaceInput(fileName: "x", image: $0)) }
        let result = try SortMethod.hist.arrange(features)
        XCTAssertEqual(Set(result.order), Set(0..<9))
        let groups = result.order.map { group[$0] }
        // Runs of three equal group numbers.
        for k in stride(from: 0, to: 9, by: 3) {
            XCTAssertEqual(Set(groups[k..<(k + 3)]).count, 1, "groups in chain order: \(groups)")
        }
        XCTAssertEqual(result.order.first, 0, "the chain starts at the first face")
    }

    /// Gray and colour faces in one list: a gray face is compared as three equal channels, so it chains
    /// next to the colour face it was made from.
    func testHistChainMixesGrayAndColourFaces() throws {
        let a = TestImages.scene(width: 32, height: 32, channels: 3, seed: 1, background: 30)
        let b = TestImages.scene(width: 32, height: 32, channels: 3, seed: 2, background: 200)
        func gray3(_ im: Image) -> Image {   // equal channels, so the luma is the value itself
            var out = im
            for i in 0..<(im.width * im.height) { for c in 0..<3 { out.pixels[i * 3 + c] = im.pixels[i * 3] } }
            return out
        }
        let colourA = gray3(a), colourB = gray3(b)
        let grayA = Image(width: 32, height: 32, channels: 1, pixels: stride(from: 0, to: colourA.pixels.count, by: 3).map { colourA.pixels[$0] })
        let images = [colourA, colourB, grayA]
        let features = try images.map { try SortMethod.hist.feature(of: FaceInput(fileName: "x", image: $0)) }
        let result = try SortMethod.hist.arrange(features)
        XCTAssertEqual(result.order, [0, 2, 1])
        XCTAssertEqual(result.scores[2]!, 0, accuracy: 1e-9)
    }

    func testHistDissimPutsTheOddFaceFirst() throws {
        let base = TestImages.scene(width: 32, height: 32, channels: 1, seed: 5)
        let odd = Image(width: 32, height: 32, channels: 1, fill: 3)
        let images = [base, TestImages.noisy(base, amplitude: 1, seed: 1), odd, TestImages.noisy(base, amplitude: 1, seed: 2)]
        let features = try images.map { try SortMethod.histDissim.feature(of: FaceInput(fileName: "x", image: $0)) }
        XCTAssertEqual(try SortMethod.histDissim.arrange(features).order.first, 2)
    }

    func testBrightnessOrdersDarkenedCopies() throws {
        let base = TestImages.scene(width: 40, height: 40, channels: 3, seed: 9)
        // Input order: 50 %, 100 %, 25 %, 75 % brightness → expected 1, 3, 0, 2.
        let images = [0.5, 1.0, 0.25, 0.75].map { TestImages.scaled(base, by: $0) }
        let features = try images.map { try SortMethod.brightness.feature(of: FaceInput(fileName: "x", image: $0)) }
        XCTAssertEqual(try SortMethod.brightness.arrange(features).order, [1, 3, 0, 2])
    }

    func testBlackIsAscending() throws {
        let images = [5, 0, 9].map { zeros -> Image in
            var px = [UInt8](repeating: 7, count: 16); for i in 0..<zeros { px[i] = 0 }
            return Image(width: 4, height: 4, channels: 1, pixels: px)
        }
        let features = try images.map { try SortMethod.black.feature(of: FaceInput(fileName: "x", image: $0)) }
        XCTAssertEqual(try SortMethod.black.arrange(features).order, [1, 0, 2])
    }

    func testMethodsNeedingLandmarksRejectFacesWithout() {
        let face = FaceInput(fileName: "a.jpg", image: Image(width: 8, height: 8, channels: 3))
        for m in [SortMethod.blur, .motionBlur, .faceYaw, .facePitch, .final] {
            XCTAssertThrowsError(try m.feature(of: face)) { XCTAssertEqual($0 as? SortInputError, .missing("landmarks"), "\(m)") }
        }
        XCTAssertThrowsError(try SortMethod.faceSourceRectSize.feature(of: face))
        XCTAssertThrowsError(try SortMethod.origname.feature(of: face))
    }

    func testOneFaceDropsEveryFaceOfCrowdedFrames() {
        let names = ["00001_0.jpg", "00002_0.jpg", "00002_1.jpg", "00003_0.jpg", "cover.jpg", "x/00004_2.jpg"]
        XCTAssertEqual(NameMethods.oneFaceKeep(fileNames: names), [true, false, false, true, true, false])
    }

    func testOrignameSortsBySourceFilename() throws {
        let names = ["b.png", "a.png", "c.png", "a.png"]
        let features = try names.map { try SortMethod.origname.feature(of: FaceInput(fileName: "f", sourceFilename: $0)) }
        let result = try SortMethod.origname.arrange(features)
        XCTAssertEqual(result.order, [1, 3, 0, 2])
        XCTAssertEqual(result.scoreText(0), "b.png")
    }

    func testSourceRectArea() throws {
        let f = try SortMethod.faceSourceRectSize.feature(of: FaceInput(fileName: "f", sourceRect: [10, 20, 40, 60]))
        guard case .score(let s) = f else { return XCTFail() }
        XCTAssertEqual(s, 1200)
    }

    func testAbsDiffChainFollowsNearestNeighbours() throws {
        // 1-pixel gray images with values 0, 100, 10, 90, 50: from 0 the nearest-first walk is
        // 0 → 10 → 50 → 90 → 100, i.e. indices 0, 2, 4, 3, 1; the farthest-first walk is
        // 0 → 100 → 10 → 90 → 50.
        let images = [0, 100, 10, 90, 50].map { Image(width: 1, height: 1, channels: 1, pixels: [UInt8($0)]) }
        XCTAssertEqual(try AbsDiffOrdering.chain(images).order, [0, 2, 4, 3, 1])
        XCTAssertEqual(try AbsDiffOrdering.chain(images, similar: false).order, [0, 1, 2, 3, 4])
        XCTAssertThrowsError(try AbsDiffOrdering.chain(images + [Image(width: 2, height: 1, channels: 1)]))
        // A gray face among colour ones counts as three equal channels: gray 40 is nearest to (40, 40, 40).
        let mixed = [Image(width: 1, height: 1, channels: 3, pixels: [0, 0, 0]),
                     Image(width: 1, height: 1, channels: 3, pixels: [200, 200, 200]),
                     Image(width: 1, height: 1, channels: 1, pixels: [40]),
                     Image(width: 1, height: 1, channels: 3, pixels: [40, 40, 41])]
        let chained = try AbsDiffOrdering.chain(mixed)
        XCTAssertEqual(chained.order, [0, 2, 3, 1])
        XCTAssertEqual(chained.distances, [0, 120, 1, 479])
    }

    func testFiltersReverseDropAndKeep() {
        let a = Arrangement(order: [2, 0, 1, 3], rejected: [], scores: [5, 1, 9, 0.5], labels: [nil, nil, nil, nil])
        XCTAssertEqual(a.filtered(reverse: true, dropBelow: nil, keep: nil).order, [3, 1, 0, 2])
        XCTAssertEqual(a.filtered(reverse: false, dropBelow: 1, keep: nil).order, [2, 0, 1])
        XCTAssertEqual(a.filtered(reverse: false, dropBelow: 1, keep: 2).order, [2, 0])
        XCTAssertEqual(a.filtered(reverse: true, dropBelow: nil, keep: 1).order, [3])
    }

    func testScoreFormatting() {
        XCTAssertEqual(formatScore(3), "3")
        XCTAssertEqual(formatScore(0.25), "0.25")
        XCTAssertEqual(formatScore(-0.123456789012), "-0.123456789")
    }
}

final class BestFacesTests: XCTestCase {
    private func candidate(yaw: Double, pitch: Double = 0, quality: Double, seed: UInt64) -> BestFaceCandidate {
        let im = TestImages.scene(width: 16, height: 16, channels: 1, seed: seed)
        return BestFaceCandidate(yaw: yaw, pitch: pitch, quality: quality, histogram: FaceHistogram(image: im))
    }

    /// Four poses (yaw −0.6, −0.2, 0.2, 0.6, each inside one of DFL's yaw bins), ten faces each: eight
    /// chosen faces are two per pose, and they come in DFL's bin order of −yaw (largest yaw first).
    func testCountFacesSpreadOverYaw() {
        let yaws = [-0.6, -0.2, 0.2, 0.6]
        var faces: [BestFaceCandidate] = []
        for k in 0..<40 { faces.append(candidate(yaw: yaws[k % 4], quality: Double(k), seed: UInt64(k))) }
        let chosen = BestFaces.select(faces, count: 8)
        XCTAssertEqual(chosen.count, 8)
        XCTAssertEqual(Set(chosen).count, 8)
        let poses = chosen.map { k -> Int in yaws.firstIndex { abs($0 - faces[k].yaw) < 0.05 }! }
        XCTAssertEqual(poses, [3, 3, 2, 2, 1, 1, 0, 0])
    }

    /// A pose with few faces gives all it has; the others make up the rest.
    func testSparsePosesAreTakenWholeAndOthersFillIn() {
        var faces: [BestFaceCandidate] = []
        for k in 0..<20 { faces.append(candidate(yaw: 0, quality: Double(k), seed: UInt64(k))) }
        faces.append(candidate(yaw: 0.9, quality: 1, seed: 99))
        let chosen = BestFaces.select(faces, count: 6)
        XCTAssertEqual(chosen.count, 6)
        XCTAssertEqual(chosen.first, 20, "the lone face at yaw 0.9 (−yaw −0.9) comes first")
    }

    /// In one pose with one pitch sub-bin, the shortlist keeps the sharpest 10·quota faces.
    func testShortlistPrefersSharpFaces() {
        var faces: [BestFaceCandidate] = []
        for k in 0..<30 { faces.append(candidate(yaw: 0.3, quality: Double(k), seed: UInt64(k))) }
        XCTAssertEqual(Set(BestFaces.select(faces, count: 1)).isSubset(of: Set(20..<30)), true)
    }

    func testMoreThanAvailableReturnsAll() {
        let faces = (0..<5).map { candidate(yaw: Double($0) * 0.1, quality: 1, seed: UInt64($0)) }
        XCTAssertEqual(Set(BestFaces.select(faces, count: 100)), Set(0..<5))
        XCTAssertEqual(BestFaces.select(faces, count: 0), [])
    }

    func testBinEdgesFollowDFL() {
        let edges = BestFaces.linspace(-1.2, 1.2, 128)
        XCTAssertEqual(BestFaces.binIndex(-5, edges: edges), 0)
        XCTAssertEqual(BestFaces.binIndex(edges[1], edges: edges), 1)
        XCTAssertEqual(BestFaces.binIndex(edges[1] - 1e-9, edges: edges), 0)
        XCTAssertEqual(BestFaces.binIndex(edges[64], edges: edges), 64)
        XCTAssertEqual(BestFaces.binIndex(1.2, edges: edges), 127)
        XCTAssertEqual(BestFaces.binIndex(0.3, edges: [-1.0]), 0)
    }

    func testShareOut() {
        XCTAssertEqual(BestFaces.shareOut(8, capacities: [10, 0, 10, 10, 10]), [2, 0, 2, 2, 2])
        XCTAssertEqual(BestFaces.shareOut(6, capacities: [1, 20]), [1, 5])
        XCTAssertEqual(BestFaces.shareOut(2, capacities: [5, 5, 5, 5]), [0, 1, 0, 1])
        XCTAssertEqual(BestFaces.shareOut(50, capacities: [3, 4]), [3, 4])
    }
}
