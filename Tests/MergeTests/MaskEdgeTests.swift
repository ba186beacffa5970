import FaceAlign
import Foundation
import Imaging
@testable import Merge
import XCTest

/// The `dst` mask's edge on real frames: drawn anti-aliased, its 0.5 iso-line is smooth at a 64 px model
/// resolution, where DFL's hull (filled at r, scaled up) is a staircase of 4–5 px steps on these 512×512 frames.
final class MaskEdgeTests: XCTestCase {
    /// DFL's `dst` mask in the frame (the merger's former code): the hull filled with 0/1 at r, cubic to 4r,
    /// shaped, warped into the frame rectangle with `maskMat`, values below 1/255 dropped.
    func dflHullMask(_ face: FrameFace, frame: Image, r: Int, erode: Int = 0, blur: Int = 0, faceScale: Int = 0) throws -> FloatImage {
        let faceMat = try cropMatrix(face, size: r)
        let maskMat = try transformMatrix(landmarks: face.landmarks, size: 4 * r, faceType: .wholeFace, scale: 1 + 0.01 * Double(faceScale))
        let hull = try faceHullMask(landmarks: faceMat.apply(face.landmarks), width: r, height: r)
        var mask4r = hull.resized(width: 4 * r, height: 4 * r, method: .cubic).clipped()
        mask4r = shapeMask(mask4r, resolution: r, erode: erode, blur: blur)
        let rect = try XCTUnwrap(frameRect(covering: [(maskMat, 4 * r), (faceMat, r)], frameWidth: frame.width, frameHeight: frame.height))
        var m = warpToFrame(mask4r, toFace: maskMat, rect: rect, interpolation: .cubic).clipped()
        for i in m.data.indices where m.data[i] < 1 / 255 { m.data[i] = 0 }
        var out = FloatImage(width: frame.width, height: frame.height, channels: 1)
        out.setRegion(rect, m)
        return out
    }

    /// The merger's frame mask (mode `original`: the frame is kept, the mask computed as for overlay).
    func mergedMask(_ stem: String, r: Int, erode: Int = 0, blur: Int = 0, faceScale: Int = 0) throws -> FloatImage {
        var settings = MergeSettings()
        settings.outputFaceScale = faceScale
        settings.mode = .original
        settings.maskMode = .dst
        settings.erode = erode
        settings.blur = blur
        let predictor = IdentityPredictor(resolution: r, channels: 3, faceType: .wholeFace)
        return try FrameMerger(predictor: predictor, settings: settings)
            .merge(frame: try Fixtures.frame(stem), faces: [try Fixtures.frameFace(stem)]).mask.toFloat()
    }

    func area(_ m: FloatImage) -> Double { m.data.reduce(0) { $0 + Double($1) } }

    /// The mask's 0.5 iso-line, sampled as the first and last crossing (sub-pixel, linear between pixels) of
    /// every row and every column: four curves x(y) or y(x).
    func isoLines(_ m: FloatImage) -> [[Double?]] {
        var curves: [[Double?]] = []
        for transposed in [false, true] {
            let lines = transposed ? m.width : m.height, length = transposed ? m.height : m.width
            func v(_ line: Int, _ i: Int) -> Double { Double(transposed ? m.data[i * m.width + line] : m.data[line * m.width + i]) }
            var first: [Double?] = [], last: [Double?] = []
            for line in 0..<lines {
                guard let a = (0..<length).first(where: { v(line, $0) >= 0.5 }),
                      let b = (0..<length).last(where: { v(line, $0) >= 0.5 }) else { first.append(nil); last.append(nil); continue }
                first.append(a > 0 ? Double(a) - (v(line, a) - 0.5) / (v(line, a) - v(line, a - 1)) : Double(a))
                last.append(b + 1 < length ? Double(b) + (v(line, b) - 0.5) / (v(line, b) - v(line, b + 1)) : Double(b))
            }
            curves += [first, last]
        }
        return curves
    }

    /// How far each iso-line sample lies from the least-squares line through it and its 4 neighbours on each
    /// side, where the curve is steep for its sampling direction (no jump over 3 px inside the window): a
    /// staircase of s-px steps leaves residuals up to about s/4, a smooth curve (a polygon with its corners)
    /// far less.
    func isoLineResiduals(_ m: FloatImage) -> [Double] {
        var out: [Double] = []
        let w = 4
        for curve in isoLines(m) {
            guard curve.count > 2 * w else { continue }
            for i in w..<(curve.count - w) {
                let window = curve[(i - w)...(i + w)].compactMap { $0 }
                guard window.count == 2 * w + 1 else { continue }
                if zip(window, window.dropFirst()).contains(where: { abs($0 - $1) > 3 }) { continue }
                // The window is symmetric about the sample, so the fitted line passes there at the window's mean.
                out.append(abs(window[w] - window.reduce(0, +) / Double(window.count)))
            }
        }
        return out.sorted()
    }

    func percentile(_ sorted: [Double], _ p: Double) -> Double { sorted[min(Int(p * Double(sorted.count)), sorted.count - 1)] }

    func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(max(v.count, 1)) }

    /// At r = 64 the mask edge has no steps: its iso-line lies close to a straight line over every 9 samples,
    /// where DFL's stepped one does not. DFL's fill counts the pixels the outline touches, so its hull is about
    /// one model pixel larger all round: the area is DFL's within 8 % at r = 64 (4–5 frame px per model pixel
    /// here) and within 2.5 % at r = 256, toward which DFL's converges. Without erosion and blur the hull is
    /// covered per frame pixel, so the mask is the same at any model resolution.
    func testDstMaskEdgeIsSmoothAtAnyModelResolution() throws {
        for stem in Fixtures.frameNames {
            let face = try Fixtures.frameFace(stem), frame = try Fixtures.frame(stem)
            var masks: [FloatImage] = []
            for (r, tolerance) in [(64, 0.08), (256, 0.025)] {
                let new = try mergedMask(stem, r: r), old = try dflHullMask(face, frame: frame, r: r)
                masks.append(new)
                let rn = isoLineResiduals(new), ro = isoLineResiduals(old)
                let ratio = area(new) / area(old)
                print(String(format: "mask %@ r=%d: area new/old %.4f; iso-line residual mean %.3f p80 %.3f p95 %.3f (DFL's: %.3f %.3f %.3f)",
                             stem, r, ratio, mean(rn), percentile(rn, 0.8), percentile(rn, 0.95),
                             mean(ro), percentile(ro, 0.8), percentile(ro, 0.95)))
                XCTAssertGreaterThan(rn.count, 600, stem)
                XCTAssertLessThan(mean(rn), 0.15, "\(stem) r=\(r)")
                XCTAssertLessThan(percentile(rn, 0.8), 0.2, "\(stem) r=\(r)")
                XCTAssertGreaterThan(percentile(ro, 0.8), 0.5, "\(stem) r=\(r): the measure does not see DFL's steps")
                XCTAssertEqual(ratio, 1, accuracy: tolerance, "\(stem) r=\(r)")
                // Anti-aliased: the partial pixels are a band about one frame pixel wide.
                let curves = isoLines(new).map { $0.compactMap { $0 }.count }
                XCTAssertLessThan(Double(new.data.filter { $0 > 0 && $0 < 1 }.count), 1.5 * Double(curves.reduce(0, +)), stem)
            }
            XCTAssertLessThanOrEqual(zip(masks[0].data, masks[1].data).map { abs($0 - $1) }.max()!, 1.5 / 255, stem)
        }
    }

    /// The output face scale scales the hull about the crop's centre, as it scales DFL's (through `maskMat`).
    func testOutputFaceScaleScalesTheHull() throws {
        let stem = "hill_0070"
        let face = try Fixtures.frameFace(stem), frame = try Fixtures.frame(stem)
        for scale in [-20, 20] {
            let new = try mergedMask(stem, r: 64, faceScale: scale), old = try dflHullMask(face, frame: frame, r: 64, faceScale: scale)
            let plain = try mergedMask(stem, r: 64)
            let k = 1 + 0.01 * Double(scale)
            print(String(format: "mask scale %d: area new/old %.4f, new/unscaled %.4f (1/k² %.4f)", scale,
                         area(new) / area(old), area(new) / area(plain), 1 / (k * k)))
            XCTAssertEqual(area(new) / area(old), 1, accuracy: 0.08)
            XCTAssertEqual(area(new) / area(plain), 1 / (k * k), accuracy: 0.01)
        }
    }

    /// Erosion and blur keep DFL's units (pixels of the 4r mask): the hull is drawn on the 4r grid for them.
    /// Eroding by an n-px ellipse moves the side edges in by n/2 4r-pixels; blurred, the mask is DFL's blurred
    /// one within the hulls' size difference; eroded without blur, the edge is as smooth as the plain one.
    func testErodeAndBlurKeepTheirUnitsOnTheAntiAliasedHull() throws {
        let r = 64
        for stem in Fixtures.frameNames {
            let face = try Fixtures.frameFace(stem), frame = try Fixtures.frame(stem)
            let frameIn4r = 1 / abs(try cropMatrix(face, size: 4 * r).determinant).squareRoot()   // frame px per 4r px
            let plain = try mergedMask(stem, r: r), eroded = try mergedMask(stem, r: r, erode: 40)
            // Side edges (middle rows of the face): the inward shift of the left and right crossings.
            let a = isoLines(plain), b = isoLines(eroded)
            let rows = a[0].indices.filter { a[0][$0] != nil && b[0][$0] != nil }
            let middle = rows[(rows.count * 3 / 10)..<(rows.count * 6 / 10)]
            let shift = mean(middle.flatMap { [b[0][$0]! - a[0][$0]!, a[1][$0]! - b[1][$0]!] })
            print(String(format: "mask %@ erode 40: side edges in by %.2f frame px (expected %.2f)", stem, shift, 20 * frameIn4r))
            XCTAssertEqual(shift, 20 * frameIn4r, accuracy: 0.15 * 20 * frameIn4r, stem)
            let rn = isoLineResiduals(eroded)
            XCTAssertLessThan(mean(rn), 0.15, stem)
            XCTAssertLessThan(percentile(rn, 0.8), 0.2, stem)

            let blurred = try mergedMask(stem, r: r, blur: 40), old = try dflHullMask(face, frame: frame, r: r, blur: 40)
            let difference = mean(zip(blurred.data, old.data).filter { $0.0 > 0 || $0.1 > 0 }.map { Double(abs($0.0 - $0.1)) })
            print(String(format: "mask %@ blur 40: area new/old %.4f, mean |difference| %.4f", stem, area(blurred) / area(old), difference))
            XCTAssertEqual(area(blurred) / area(old), 1, accuracy: 0.08, stem)
            XCTAssertLessThan(difference, 0.06, stem)
        }
    }
}
