import FaceAlign
import FaceSet
import Foundation
import Imaging
@testable import Merge
import NeuralNet
import XCTest
import XSeg

/// The XSeg network as the merger's masker (dfl-merge declares the same conformance).
extension XSegMasker: FaceSegmenter {}

/// The DFL-written XSeg fixture folder of XSegTests (64 px, base 4, face type wf; its masks vary over the
/// face: about a quarter of each fixture face above 0.5, values down to 0).
let xsegFixtureFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("XSegTests/Fixtures/xseg-64-b4").path

/// A masker whose mask is a fixed function of the crop it is given; it records the crops.
final class FunctionMasker: FaceSegmenter, @unchecked Sendable {
    let resolution: Int
    let faceType: FaceType?
    let function: (FloatImage) -> FloatImage
    private let lock = NSLock()
    private var _crops: [FloatImage] = []
    var crops: [FloatImage] { lock.lock(); defer { lock.unlock() }; return _crops }

    init(resolution: Int = 64, faceType: FaceType?, function: @escaping (FloatImage) -> FloatImage) {
        self.resolution = resolution; self.faceType = faceType; self.function = function
    }

    func mask(_ face: FloatImage) throws -> FloatImage {
        lock.lock(); _crops.append(face); lock.unlock()
        return function(face)
    }
}

/// The r×r work mask (step 4, values below 1/255 dropped) of one face, in float, as raw-predict returns it.
func workMask(_ mode: MaskMode, predictor: FacePredictor, masker: FaceSegmenter?, frame: Image,
              face: FrameFace) throws -> FloatImage {
    var settings = MergeSettings()
    settings.mode = .rawPredict
    settings.maskMode = mode
    let merger = try FrameMerger(predictor: predictor, settings: settings, segmenter: masker)
    var work = frame.toFloat()
    var total = FloatImage(width: frame.width, height: frame.height, channels: 1)
    var change: FloatImage?
    return try merger.mergeFace(face, index: 0, into: &work, mask: &total, change: &change, xsegFrame: frame.toFloat()).1
}

/// Bilinear sample of a 1-channel image at (x, y) (pixel centres at integers), edges clamped.
func bilinear(_ m: FloatImage, _ x: Double, _ y: Double) -> Double {
    let cx = min(max(x, 0), Double(m.width - 1)), cy = min(max(y, 0), Double(m.height - 1))
    let x0 = min(Int(cx), m.width - 2), y0 = min(Int(cy), m.height - 2)
    let fx = cx - Double(x0), fy = cy - Double(y0)
    func v(_ x: Int, _ y: Int) -> Double { Double(m.data[y * m.width + x]) }
    return (v(x0, y0) * (1 - fx) + v(x0 + 1, y0) * fx) * (1 - fy) + (v(x0, y0 + 1) * (1 - fx) + v(x0 + 1, y0 + 1) * fx) * fy
}

/// DFL's XSeg mask modes 6–9 (docs/xseg.md, "XSeg in the merger").
final class XSegMaskModeTests: XCTestCase {
    let xsegModes: [MaskMode] = [.xsegPrd, .xsegDst, .xsegPrdTimesDst, .learnedTimesXSeg]

    func testXSegModesNeedAnXSegModel() throws {
        let predictor = IdentityPredictor(resolution: 64, channels: 3, faceType: .wholeFace)
        let masker = FunctionMasker(faceType: nil) { FloatImage(width: $0.width, height: $0.height, channels: 1, fill: 1) }
        for mode in MaskMode.allCases {
            var settings = MergeSettings()
            settings.maskMode = mode
            if xsegModes.contains(mode) {
                XCTAssertThrowsError(try FrameMerger(predictor: predictor, settings: settings), "\(mode)") { error in
                    XCTAssertEqual(error as? MergeError, .missingXSegModel(mode))
                }
                XCTAssertNoThrow(try FrameMerger(predictor: predictor, settings: settings, segmenter: masker))
            } else {
                XCTAssertNoThrow(try FrameMerger(predictor: predictor, settings: settings), "\(mode)")
            }
        }
    }

    /// xseg-prd*dst = xseg-prd · xseg-dst and learned-prd*dst*xseg-prd*dst = learned-prd · learned-dst ·
    /// xseg-prd · xseg-dst, element by element, with masks that differ from each other everywhere.
    func testProductModesAreElementwiseProductsOfTheirParts() throws {
        let r = 96
        final class Ramps: FacePredictor, @unchecked Sendable {
            let resolution = 96, channels = 3, faceType = FaceType.wholeFace
            func predict(_ face: FloatImage, masks: LearnedMasks) throws -> FacePrediction {
                var p = FloatImage(width: 96, height: 96, channels: 1), d = p, image = face
                for y in 0..<96 {
                    for x in 0..<96 {
                        p.data[y * 96 + x] = 0.2 + 0.8 * Float(x) / 95
                        d.data[y * 96 + x] = 1 - 0.7 * Float(y) / 95
                    }
                }
                for i in image.data.indices { image.data[i] = 1 - face.data[i] }   // the "swap": inverted face
                return FacePrediction(image: image, predictedMask: p, dstMask: d)
            }
        }
        // The mask: the crop's mean brightness, stretched (so it follows the image it is given).
        let masker = FunctionMasker(faceType: .wholeFace) { crop in
            var m = FloatImage(width: crop.width, height: crop.height, channels: 1)
            for i in 0..<(crop.width * crop.height) {
                let v = (crop.data[3 * i] + crop.data[3 * i + 1] + crop.data[3 * i + 2]) / 3
                m.data[i] = min(max((v - 0.1) * 1.6, 0), 1)
            }
            return m
        }
        let frame = try Fixtures.frame("hill_0000"), face = try Fixtures.frameFace("hill_0000")
        func mask(_ mode: MaskMode) throws -> FloatImage {
            try workMask(mode, predictor: Ramps(), masker: masker, frame: frame, face: face)
        }
        let xp = try mask(.xsegPrd), xd = try mask(.xsegDst), lp = try mask(.learnedPrd), ld = try mask(.learnedDst)
        // The parts are different masks, and none is constant.
        XCTAssertGreaterThan(zip(xp.data, xd.data).map { abs($0 - $1) }.max()!, 0.3)
        for m in [xp, xd, lp, ld] { XCTAssertGreaterThan(m.data.max()! - m.data.min()!, 0.3) }
        let both = try mask(.xsegPrdTimesDst), all = try mask(.learnedTimesXSeg)
        var worstBoth: Float = 0, worstAll: Float = 0
        for i in 0..<(r * r) {
            worstBoth = max(worstBoth, abs(both.data[i] - xp.data[i] * xd.data[i]))
            worstAll = max(worstAll, abs(all.data[i] - lp.data[i] * ld.data[i] * xp.data[i] * xd.data[i]))
        }
        // Only the 1/255 floor, applied to each part and to the product, separates them.
        XCTAssertLessThanOrEqual(worstBoth, 1 / 255 + 1e-6)
        XCTAssertLessThanOrEqual(worstAll, 1 / 255 + 1e-6)
    }

    /// xseg-dst with an XSeg model of another face type: the network gets the frame cut at its own face type
    /// and resolution (cubic), and its mask comes back into the model's crop through the frame, zero outside
    /// the XSeg crop. The masker's mask is a ramp, so where each crop pixel lands is read off its value.
    func testXSegDstCutsAtTheXSegFaceTypeAndMapsTheMaskBack() throws {
        let frame = try Fixtures.frame("hill_0000"), face = try Fixtures.frameFace("hill_0000")
        let x = 64, r = 96
        let masker = FunctionMasker(resolution: x, faceType: .full) { crop in
            var m = FloatImage(width: x, height: x, channels: 1)
            for yy in 0..<x { for xx in 0..<x { m.data[yy * x + xx] = Float(xx + yy) / Float(2 * (x - 1)) } }
            return m
        }
        let predictor = IdentityPredictor(resolution: r, channels: 3, faceType: .wholeFace)
        let mask = try workMask(.xsegDst, predictor: predictor, masker: masker, frame: frame, face: face)
        // The crop the network saw.
        let xsegMat = try transformMatrix(landmarks: face.landmarks, size: x, faceType: .full)
        let expectedCrop = warpAffine(frame.toFloat(), matrix: xsegMat.rowMajor, width: x, height: x, interpolation: .cubic)
        XCTAssertEqual(masker.crops.count, 1)
        XCTAssertLessThanOrEqual(zip(masker.crops[0].data, expectedCrop.data).map { abs($0 - $1) }.max()!, 1e-6)
        // Each model-crop pixel p carries the ramp's value at its place in the XSeg crop.
        let faceMat = try transformMatrix(landmarks: face.landmarks, size: r, faceType: .wholeFace)
        let toXSeg = xsegMat.composed(after: faceMat.inverted!)
        var inside = 0, outside = 0, worst = 0.0
        for py in 0..<r {
            for px in 0..<r {
                let s = toXSeg.apply(Point2D(Double(px), Double(py)))
                let value = Double(mask.data[py * r + px])
                if s.x >= 2 && s.y >= 2 && s.x <= Double(x) - 3 && s.y <= Double(x) - 3 {
                    worst = max(worst, abs(value - (s.x + s.y) / Double(2 * (x - 1))))
                    inside += 1
                } else if s.x < -3 || s.y < -3 || s.x > Double(x) + 2 || s.y > Double(x) + 2 {
                    XCTAssertEqual(value, 0, "(\(px), \(py)) lies outside the XSeg crop")
                    outside += 1
                }
            }
        }
        XCTAssertGreaterThan(inside, 1000)
        XCTAssertGreaterThan(outside, 500)
        XCTAssertLessThan(worst, 0.01)
    }

    /// xseg-prd: with the same face type the network gets the prediction resized to its resolution (cubic, as
    /// DFL); with a larger XSeg face type it gets its crop of the frame with the prediction pasted in.
    func testXSegPrdSeesThePrediction() throws {
        let frame = try Fixtures.frame("hill_0000"), face = try Fixtures.frameFace("hill_0000")
        let x = 64, r = 96
        let colour: [Float] = [0.9, 0.2, 0.1]
        let ones: (FloatImage) -> FloatImage = { FloatImage(width: $0.width, height: $0.height, channels: 1, fill: 1) }
        let same = FunctionMasker(resolution: x, faceType: .wholeFace, function: ones)
        let predictor = FunctionPredictor(resolution: r) { input in
            var out = input
            for i in out.data.indices { out.data[i] = 1 - input.data[i] }
            return out
        }
        _ = try workMask(.xsegPrd, predictor: predictor, masker: same, frame: frame, face: face)
        var prediction = predictor.lastInput!
        for i in prediction.data.indices { prediction.data[i] = 1 - prediction.data[i] }
        let expected = prediction.resized(width: x, height: x, method: .cubic)
        XCTAssertEqual(same.crops.count, 1)
        XCTAssertLessThanOrEqual(zip(same.crops[0].data, expected.data).map { abs($0 - $1) }.max()!, 1e-6)

        // Model `f`, XSeg `wf`: the wf crop reaches past the predicted square.
        let larger = FunctionMasker(resolution: x, faceType: .wholeFace, function: ones)
        let flat = FunctionPredictor(resolution: r, faceType: .full) { input in
            var out = input
            for i in out.data.indices { out.data[i] = colour[i % 3] }
            return out
        }
        _ = try workMask(.xsegPrd, predictor: flat, masker: larger, frame: frame, face: face)
        let crop = larger.crops[0]
        let xsegMat = try transformMatrix(landmarks: face.landmarks, size: x, faceType: .wholeFace)
        let frameCrop = warpAffine(frame.toFloat(), matrix: xsegMat.rowMajor, width: x, height: x, interpolation: .cubic)
        let toModel = try transformMatrix(landmarks: face.landmarks, size: r, faceType: .full).composed(after: xsegMat.inverted!)
        var predicted = 0, framed = 0
        for yy in 0..<x {
            for xx in 0..<x {
                let p = toModel.apply(Point2D(Double(xx), Double(yy)))
                let i = 3 * (yy * x + xx)
                if p.x >= 3 && p.y >= 3 && p.x <= Double(r) - 4 && p.y <= Double(r) - 4 {
                    for c in 0..<3 { XCTAssertEqual(crop.data[i + c], colour[c], accuracy: 1e-4) }
                    predicted += 1
                } else if p.x < -3 || p.y < -3 || p.x > Double(r) + 2 || p.y > Double(r) + 2 {
                    for c in 0..<3 { XCTAssertEqual(crop.data[i + c], frameCrop.data[i + c], accuracy: 1e-6) }
                    framed += 1
                }
            }
        }
        XCTAssertGreaterThan(predicted, 1000)
        XCTAssertGreaterThan(framed, 100)
    }

    /// DFL's XSeg folder of the fixtures on a real frame: the xseg-dst work mask is the network's mask of the
    /// 64 px wf crop of the frame (the network run here directly, not through the masker), resized to the
    /// model's 96 px crop with DFL's cubic resize and the 1/255 floor of step 4: equal to float rounding
    /// (1e-6). (The fixture network's mask is rough, adjacent pixels differ by 0.12 on average, so another
    /// interpolation would differ by up to 0.15: the resize is DFL's, not a free choice.)
    func testFixtureFolderXSegDstIsTheNetworksMaskOfTheCropMappedBack() throws {
        let masker = try XSegMasker(model: try XSegModelFolder.read(xsegFixtureFolder, includeOptimizer: false))
        XCTAssertEqual(masker.faceType, .wholeFace)
        let network = try XSegModelFolder.read(xsegFixtureFolder, includeOptimizer: false).network
        let r = 96, x = 64
        for stem in Fixtures.frameNames {
            let frame = try Fixtures.frame(stem), face = try Fixtures.frameFace(stem)
            let predictor = IdentityPredictor(resolution: r, channels: 3, faceType: .wholeFace)
            let mask = try workMask(.xsegDst, predictor: predictor, masker: masker, frame: frame, face: face)
            let reference = try networkMask(network, frame: frame, face: face, size: x)
            XCTAssertGreaterThan(reference.data.max()! - reference.data.min()!, 0.5, "the fixture's mask varies")
            var expected = reference.resized(width: r, height: r, method: .cubic)
            for i in expected.data.indices {
                let v = min(max(expected.data[i], 0), 1)
                expected.data[i] = v < 1 / 255 ? 0 : v
            }
            let worst = zip(mask.data, expected.data).map { abs($0 - $1) }.max()!
            print("xseg-dst fixture \(stem): max |diff| \(worst)")
            XCTAssertLessThanOrEqual(worst, 1e-6, stem)
        }
    }
}

/// The fixture network's own mask (DFL's extract) of the frame's `size`-px whole-face crop (cubic).
func networkMask(_ network: XSegNetwork, frame: Image, face: FrameFace, size x: Int) throws -> FloatImage {
    let mat = try transformMatrix(landmarks: face.landmarks, size: x, faceType: .wholeFace)
    let crop = warpAffine(frame.toFloat(), matrix: mat.rowMajor, width: x, height: x, interpolation: .cubic)
    let input = Tensor(shape: [1, x, x, 3])
    for i in crop.data.indices { input.data[i] = crop.data[i] }
    let out = XSegNetwork.extract(network.forward(input))
    return FloatImage(width: x, height: x, channels: 1, data: (0..<(x * x)).map { out.data[$0] })
}
