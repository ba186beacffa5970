import FaceAlign
import Foundation
import Imaging
@testable import Merge
import XCTest

/// The fringe of a luma-mode merge: chroma edges inside the mask with no luma edge under them.
///
/// Measured on the 8-bit output: luma Y and chroma Cb = 0.564 (B − Y), Cr = 0.713 (R − Y) (BT.601, 8-bit
/// levels), each smoothed by a Gaussian of σ = 1 px (JPEG noise and rounding), gradients by central
/// differences. Over the pixels where the blend mask is 255 (eroded by 2 px, so the mask edge does not count):
/// `fringe` is the mean of |∇(Cb, Cr)| over the region, counting only pixels whose luma gradient is below
/// `tau` levels/px (elsewhere 0); `cb` and `cr` are the region's mean chroma.
struct FringeMeasure {
    static let tau = 1.5
    let fringe: Double, cb: Double, cr: Double, pixels: Int

    init(image: Image, mask: Image) {
        let w = image.width, h = image.height, n = w * h
        var ycc = FloatImage(width: w, height: h, channels: 3)
        for i in 0..<n {
            let r = Double(image.pixels[3 * i]), g = Double(image.pixels[3 * i + 1]), b = Double(image.pixels[3 * i + 2])
            let c = chroma(r, g, b)
            ycc.data[3 * i] = Float(0.299 * r + 0.587 * g + 0.114 * b)
            ycc.data[3 * i + 1] = Float(c.0); ycc.data[3 * i + 2] = Float(c.1)
        }
        let smooth = ycc.gaussianBlurred(sigma: 1)
        var inside = [Bool](repeating: false, count: n)
        for y in 2..<(h - 2) {
            for x in 2..<(w - 2) {
                var all = true
                for dy in -2...2 where all { for dx in -2...2 where mask.pixels[(y + dy) * w + x + dx] != 255 { all = false } }
                inside[y * w + x] = all
            }
        }
        var sum = 0.0, sumCb = 0.0, sumCr = 0.0, count = 0
        for y in 1..<(h - 1) {
            for x in 1..<(w - 1) where inside[y * w + x] {
                func g(_ c: Int) -> Double {
                    let gx = Double(smooth.data[3 * (y * w + x + 1) + c] - smooth.data[3 * (y * w + x - 1) + c]) / 2
                    let gy = Double(smooth.data[3 * ((y + 1) * w + x) + c] - smooth.data[3 * ((y - 1) * w + x) + c]) / 2
                    return gx * gx + gy * gy
                }
                if g(0).squareRoot() < Self.tau { sum += (g(1) + g(2)).squareRoot() }
                let i = y * w + x
                sumCb += Double(ycc.data[3 * i + 1]); sumCr += Double(ycc.data[3 * i + 2])
                count += 1
            }
        }
        pixels = count
        fringe = sum / Double(max(count, 1))
        cb = sumCb / Double(max(count, 1)); cr = sumCr / Double(max(count, 1))
    }
}

/// Luma mode's chroma strategies on real frames, with a real face of the other clip as the prediction.
final class ChromaTests: XCTestCase {
    /// The luma of an aligned src face (whole face, 256 px, from the src clip) at `resolution`: a prediction
    /// whose mouth, eyes and brows differ from every dst face's, as a trained model's do.
    func srcFaceLuma(_ name: String, resolution: Int) throws -> FloatImage {
        let path = Fixtures.directory.appendingPathComponent("src/\(name)_0.jpg").path
        return try readImage(path: path).toFloat().toGray().resized(width: resolution, height: resolution, method: .area)
    }

    func merge(_ stem: String, prediction: FloatImage, chroma: ChromaMode) throws -> MergedFrame {
        var settings = MergeSettings()
        settings.maskMode = .dst
        settings.blur = 40
        settings.chroma = chroma
        let predictor = FunctionPredictor(resolution: prediction.width, channels: 1) { _ in prediction }
        let merger = try FrameMerger(predictor: predictor, settings: settings)
        return try merger.merge(frame: try Fixtures.frame(stem), faces: [try Fixtures.frameFace(stem)])
    }

    /// The fringe drops well below `keep`'s while the face keeps the dst's mean skin chroma.
    func testChromaModesRemoveTheFringeAndKeepTheSkinTone() throws {
        let pairs = [("hill_0000", "ocasio_0010"), ("hill_0070", "ocasio_0040"), ("hill_0140", "ocasio_0070")]
        for (stem, src) in pairs {
            let frame = try Fixtures.frame(stem)
            let prediction = try srcFaceLuma(src, resolution: 128)
            let keep = try merge(stem, prediction: prediction, chroma: .keep)
            let before = FringeMeasure(image: frame, mask: keep.mask)
            let kept = FringeMeasure(image: keep.image, mask: keep.mask)
            XCTAssertGreaterThan(kept.pixels, 20000, stem)
            // keep leaves the frame's chroma, so its chroma means are the frame's (8-bit rounding aside).
            XCTAssertEqual(kept.cb, before.cb, accuracy: 0.3); XCTAssertEqual(kept.cr, before.cr, accuracy: 0.3)
            for mode in [ChromaMode.fit, .smooth] {
                let out = try merge(stem, prediction: prediction, chroma: mode)
                XCTAssertEqual(out.mask, keep.mask)
                let m = FringeMeasure(image: out.image, mask: out.mask)
                print("chroma \(stem) \(src) \(mode.rawValue): fringe \(m.fringe) (keep \(kept.fringe), frame \(before.fringe)) "
                      + "Cb \(m.cb - before.cb) Cr \(m.cr - before.cr)")
                XCTAssertLessThan(m.fringe, 0.5 * kept.fringe, "\(stem) \(mode)")
                XCTAssertEqual(m.cb, before.cb, accuracy: 2, "\(stem) \(mode) mean Cb")
                XCTAssertEqual(m.cr, before.cr, accuracy: 2, "\(stem) \(mode) mean Cr")
                // Outside the mask the frame's bytes are untouched.
                for i in 0..<(frame.width * frame.height) where out.mask.pixels[i] == 0 {
                    for c in 0..<3 where out.image.pixels[3 * i + c] != frame.pixels[3 * i + c] {
                        XCTFail("\(stem) \(mode): pixel \(i) outside the mask changed"); return
                    }
                }
            }
        }
    }

    /// A prediction equal to the dst face's own luma (the identity model) gives `keep`'s frame: the chroma
    /// modes only act where the luma changed.
    func testIdentityPredictionGivesTheKeepResult() throws {
        for stem in Fixtures.frameNames {
            let frame = try Fixtures.frame(stem)
            let face = try Fixtures.frameFace(stem)
            for resolution in [96, 192] {
                func run(_ chroma: ChromaMode) throws -> MergedFrame {
                    var settings = MergeSettings()
                    settings.maskMode = .dst
                    settings.blur = 40
                    settings.chroma = chroma
                    let predictor = IdentityPredictor(resolution: resolution, channels: 1, faceType: .wholeFace)
                    return try FrameMerger(predictor: predictor, settings: settings).merge(frame: frame, faces: [face])
                }
                let keep = try run(.keep)
                for mode in [ChromaMode.fit, .smooth] {
                    let out = try run(mode)
                    var worst = 0
                    for i in out.image.pixels.indices {
                        worst = max(worst, abs(Int(out.image.pixels[i]) - Int(keep.image.pixels[i])))
                    }
                    XCTAssertLessThanOrEqual(worst, 1, "\(stem) r=\(resolution) \(mode)")
                }
            }
        }
    }

    /// Where the luma changes, `fit` gives a pixel the chroma its dst neighbours of the same luma have:
    /// on a frame whose chroma is a linear function of its luma, a new luma gets exactly that function's chroma.
    func testFitFollowsALinearLumaChromaRelation() throws {
        let w = 200, h = 200
        var frame = FloatImage(width: w, height: h, channels: 3)
        var luma = FloatImage(width: w, height: h, channels: 1)
        let mask = FloatImage(width: w, height: h, channels: 1, fill: 1)
        for y in 0..<h {
            for x in 0..<w {
                let i = y * w + x
                let yOld = Float(0.3 + 0.4 * Double((x / 10 + y / 10) % 2) + 0.05 * sin(Double(x) / 7))
                let u = 0.1 - 0.2 * yOld, v = -0.05 + 0.25 * yOld   // B − Y and R − Y
                let r = yOld + v, b = yOld + u, g = yOld - (0.299 * v + 0.114 * u) / 0.587
                frame.data[3 * i] = r; frame.data[3 * i + 1] = g; frame.data[3 * i + 2] = b
                luma.data[i] = Float(0.35 + 0.3 * Double((x / 13) % 2))   // another structure
            }
        }
        var change = luma
        for i in 0..<(w * h) {
            let yOld = 0.299 * frame.data[3 * i] + 0.587 * frame.data[3 * i + 1] + 0.114 * frame.data[3 * i + 2]
            change.data[i] = abs(luma.data[i] - yOld)
        }
        let out = replaceLuma(of: frame, with: luma, mask: mask, change: change, chroma: .fit, faceSize: 200)
        var worst: Float = 0
        for y in 20..<(h - 20) {
            for x in 20..<(w - 20) {
                let i = y * w + x
                let r = out.data[3 * i], g = out.data[3 * i + 1], b = out.data[3 * i + 2]
                let yOut = 0.299 * r + 0.587 * g + 0.114 * b
                XCTAssertEqual(yOut, luma.data[i], accuracy: 1e-4)
                worst = max(worst, abs((b - yOut) - (0.1 - 0.2 * yOut)), abs((r - yOut) - (-0.05 + 0.25 * yOut)))
            }
        }
        // The fit is regularised (ε on the luma variance), so the slope is slightly shrunk.
        XCTAssertLessThan(worst, 0.01)
    }
}

extension ChromaTests {
    /// The luma of an 8-bit RGB pixel (BT.601, 8-bit levels).
    func luma(_ image: Image, _ i: Int) -> Double {
        0.299 * Double(image.pixels[3 * i]) + 0.587 * Double(image.pixels[3 * i + 1]) + 0.114 * Double(image.pixels[3 * i + 2])
    }

    /// A prediction brighter or darker than the dst face as a whole (a model early in training, a src clip of
    /// another exposure): `fit` keeps the face's mean chroma within 2 levels of the frame's, the fringe stays
    /// gone, and the output luma is `keep`'s (the chroma modes change only the chroma). Before the fit measured
    /// the new luma from its own local mean, a 20-level offset moved the face's mean Cr by 2–3 levels.
    func testFitKeepsTheFaceChromaWhenThePredictionIsBrighterOrDarker() throws {
        let pairs = [("hill_0000", "ocasio_0010"), ("hill_0070", "ocasio_0040"), ("hill_0140", "ocasio_0070")]
        var fringes: [Double] = []
        for (stem, src) in pairs {
            let frame = try Fixtures.frame(stem)
            let face = try srcFaceLuma(src, resolution: 128)
            for offset: Float in [20, -20] {
                var prediction = face
                for i in prediction.data.indices { prediction.data[i] = min(max(prediction.data[i] + offset / 255, 0), 1) }
                let keep = try merge(stem, prediction: prediction, chroma: .keep)
                let fit = try merge(stem, prediction: prediction, chroma: .fit)
                XCTAssertEqual(fit.mask, keep.mask)
                let before = FringeMeasure(image: frame, mask: keep.mask)
                let kept = FringeMeasure(image: keep.image, mask: keep.mask)
                let m = FringeMeasure(image: fit.image, mask: fit.mask)
                let tag = "\(stem) \(src) offset \(offset)"
                print("chroma offset \(tag): fringe \(m.fringe) (keep \(kept.fringe)) Cb \(m.cb - before.cb) Cr \(m.cr - before.cr)")
                XCTAssertEqual(m.cb, before.cb, accuracy: 2, "\(tag) mean Cb")
                XCTAssertEqual(m.cr, before.cr, accuracy: 2, "\(tag) mean Cr")
                XCTAssertLessThan(m.fringe, 0.35 * kept.fringe, tag)
                fringes.append(m.fringe)
                var worst = 0.0
                for i in 0..<(frame.width * frame.height) { worst = max(worst, abs(luma(fit.image, i) - luma(keep.image, i))) }
                XCTAssertLessThanOrEqual(worst, 1, "\(tag): output luma differs from keep's")
            }
        }
        // The fit measured from the dst's mean luma left a mean fringe of 0.0433 on these six merges.
        XCTAssertLessThanOrEqual(fringes.reduce(0, +) / Double(fringes.count), 0.0433)
    }

    /// A frame whose chroma is a linear function of its luma, and a new luma that is the old one plus a
    /// constant: `fit` gives every pixel the frame's own chroma back (the offset is no structure), so the
    /// mean chroma does not move; measured from the dst's mean luma it moved by slope × offset.
    func testFitIgnoresAUniformLumaOffset() throws {
        let w = 200, h = 200
        var frame = FloatImage(width: w, height: h, channels: 3)
        var luma = FloatImage(width: w, height: h, channels: 1)
        var change = luma
        let mask = FloatImage(width: w, height: h, channels: 1, fill: 1)
        for y in 0..<h {
            for x in 0..<w {
                let i = y * w + x
                let yOld = Float(0.3 + 0.3 * Double((x / 10 + y / 10) % 2) + 0.05 * sin(Double(x) / 7))
                let u = 0.1 - 0.2 * yOld, v = -0.05 + 0.25 * yOld   // B − Y and R − Y
                frame.data[3 * i] = yOld + v; frame.data[3 * i + 2] = yOld + u
                frame.data[3 * i + 1] = yOld - (0.299 * v + 0.114 * u) / 0.587
                luma.data[i] = yOld + 0.1
                change.data[i] = 0.1
            }
        }
        let out = replaceLuma(of: frame, with: luma, mask: mask, change: change, chroma: .fit, faceSize: 200)
        var shiftU = 0.0, shiftV = 0.0, worst: Float = 0, n = 0
        for y in 20..<(h - 20) {
            for x in 20..<(w - 20) {
                let i = y * w + x
                let yIn = 0.299 * frame.data[3 * i] + 0.587 * frame.data[3 * i + 1] + 0.114 * frame.data[3 * i + 2]
                let yOut = 0.299 * out.data[3 * i] + 0.587 * out.data[3 * i + 1] + 0.114 * out.data[3 * i + 2]
                XCTAssertEqual(yOut, luma.data[i], accuracy: 1e-4)
                let du = (out.data[3 * i + 2] - yOut) - (frame.data[3 * i + 2] - yIn)
                let dv = (out.data[3 * i] - yOut) - (frame.data[3 * i] - yIn)
                shiftU += Double(du); shiftV += Double(dv); n += 1
                worst = max(worst, abs(du), abs(dv))
            }
        }
        // 0.5/255: well under a level (the slope × offset of the old fit: 0.02 and 0.025, 5–6 levels).
        XCTAssertEqual(shiftU / Double(n), 0, accuracy: 0.002)
        XCTAssertEqual(shiftV / Double(n), 0, accuracy: 0.002)
        XCTAssertLessThan(worst, 0.01)
    }

    /// `smooth` puts the dst chroma low-passed at σ = face size / 10 where the luma changed: a chroma that is a
    /// linear ramp plus a fine checker comes back as the ramp (a Gaussian keeps a linear function and removes
    /// the checker), whatever the new luma.
    func testSmoothGivesTheLowPassedChroma() throws {
        let w = 300, h = 300
        var frame = FloatImage(width: w, height: h, channels: 3)
        var luma = FloatImage(width: w, height: h, channels: 1)
        var change = luma
        let mask = FloatImage(width: w, height: h, channels: 1, fill: 1)
        func ramp(_ x: Int, _ y: Int) -> (Float, Float) {
            (Float(0.05 + 0.1 * Double(x) / Double(w)), Float(-0.03 + 0.08 * Double(y) / Double(h)))
        }
        for y in 0..<h {
            for x in 0..<w {
                let i = y * w + x
                let yOld = Float(0.4 + 0.2 * Double((x / 8 + y / 8) % 2))
                let checker: Float = (x + y) % 2 == 0 ? 1 : -1
                let (u0, v0) = ramp(x, y)
                let u = u0 + 0.04 * checker, v = v0 - 0.03 * checker
                frame.data[3 * i] = yOld + v; frame.data[3 * i + 2] = yOld + u
                frame.data[3 * i + 1] = yOld - (0.299 * v + 0.114 * u) / 0.587
                luma.data[i] = Float(0.45 + 0.2 * Double((x / 13) % 2))
                change.data[i] = abs(luma.data[i] - yOld) + 0.1
            }
        }
        let out = replaceLuma(of: frame, with: luma, mask: mask, change: change, chroma: .smooth, faceSize: 200)
        var worst: Float = 0
        for y in 80..<(h - 80) {
            for x in 80..<(w - 80) {
                let i = y * w + x
                let yOut = 0.299 * out.data[3 * i] + 0.587 * out.data[3 * i + 1] + 0.114 * out.data[3 * i + 2]
                XCTAssertEqual(yOut, luma.data[i], accuracy: 1e-4)
                let (u0, v0) = ramp(x, y)
                worst = max(worst, abs(out.data[3 * i + 2] - yOut - u0), abs(out.data[3 * i] - yOut - v0))
            }
        }
        print("smooth formula: worst chroma error \(worst)")
        XCTAssertLessThan(worst, 0.002)
    }

    /// raw-predict in luma mode shows the gray prediction in colour: its luma is the prediction's, its chroma
    /// the chroma mode's (keep: exactly the dst crop's).
    func testRawPredictInLumaModeIsColouredByTheChromaMode() throws {
        let stem = "hill_0070", r = 128
        let frame = try Fixtures.frame(stem)
        let face = try Fixtures.frameFace(stem)
        let prediction = try srcFaceLuma("ocasio_0040", resolution: r)
        let crop = warpAffine(frame.toFloat(), matrix: try cropMatrix(face, size: r).rowMajor, width: r, height: r,
                              interpolation: .cubic).clipped().toUInt8()
        for mode in ChromaMode.allCases {
            var settings = MergeSettings()
            settings.mode = .rawPredict
            settings.chroma = mode
            let predictor = FunctionPredictor(resolution: r, channels: 1) { _ in prediction }
            let out = try FrameMerger(predictor: predictor, settings: settings).merge(frame: frame, faces: [face]).image
            XCTAssertEqual(out.width, r)
            var lumaKept = 0, chromaSpread = 0.0
            for i in 0..<(r * r) {
                let o = (0..<3).map { Double(out.pixels[3 * i + $0]) }
                let y = 0.299 * o[0] + 0.587 * o[1] + 0.114 * o[2]
                if abs(y - Double(prediction.data[i]) * 255) <= 1.5 { lumaKept += 1 }
                let c = chroma(o[0], o[1], o[2])
                chromaSpread += abs(c.0) + abs(c.1)
                if mode == .keep {
                    let f = (0..<3).map { Double(crop.pixels[3 * i + $0]) }
                    let cf = chroma(f[0], f[1], f[2])
                    // Pixels whose luma had to give way at a channel limit keep the chroma too.
                    XCTAssertEqual(c.0, cf.0, accuracy: 1.2, "Cb \(i)"); XCTAssertEqual(c.1, cf.1, accuracy: 1.2, "Cr \(i)")
                }
            }
            // The luma gives way where a channel would leave 0...255 (saturated colours of the background).
            XCTAssertGreaterThan(lumaKept, r * r * 3 / 4, "\(mode): luma differs from the prediction")
            XCTAssertGreaterThan(chromaSpread / Double(r * r), 3, "\(mode): the output is not in colour")
        }
    }
}
