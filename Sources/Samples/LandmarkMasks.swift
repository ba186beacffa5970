// Face masks from 68 aligned landmarks (dfl-faceset-reference §3.9): the face hull with raised eyebrows,
// and the blurred eye and mouth masks. Interim copies for the sample generator: FaceAlign owns this
// geometry and these functions should be replaced by its versions once it has landed.
import Foundation
import Imaging

enum LandmarkMasks {
    /// DFL `expand_eyebrows`: integer landmarks, brows pushed up by mod·½ of the brow-to-eye distance.
    static func expandEyebrows(_ lm: [SIMD2<Double>], mod: Double) -> [SIMD2<Int>] {
        var p = lm.map { SIMD2(Int($0.x), Int($0.y)) }   // truncation toward zero, as numpy astype(int)
        func floorHalf(_ a: SIMD2<Int>, _ b: SIMD2<Int>) -> SIMD2<Int> {
            let s = a &+ b
            return SIMD2(Int((Double(s.x) / 2).rounded(.down)), Int((Double(s.y) / 2).rounded(.down)))
        }
        let ml = floorHalf(p[36], p[0]), mr = floorHalf(p[16], p[45])
        let ql = floorHalf(p[36], ml), qr = floorHalf(p[45], mr)
        let botL = [ql, p[36], p[37], p[38], p[39]]
        let botR = [p[42], p[43], p[44], p[45], qr]
        let original = p
        for (k, idx) in (17...21).enumerated() {
            let d = original[idx] &- botL[k]
            p[idx] = SIMD2(Int(Double(original[idx].x) + mod * 0.5 * Double(d.x)),
                           Int(Double(original[idx].y) + mod * 0.5 * Double(d.y)))
        }
        for (k, idx) in (22...26).enumerated() {
            let d = original[idx] &- botR[k]
            p[idx] = SIMD2(Int(Double(original[idx].x) + mod * 0.5 * Double(d.x)),
                           Int(Double(original[idx].y) + mod * 0.5 * Double(d.y)))
        }
        return p
    }

    /// DFL `get_image_hull_mask`: union of eight convex hulls, exact 0/1, 1 channel.
    static func hullMask(width: Int, height: Int, landmarks: [SIMD2<Double>], eyebrowsExpandMod: Double = 1)
        -> FloatImage {
        precondition(landmarks.count == 68, "68 landmarks needed")
        let p = expandEyebrows(landmarks, mod: eyebrowsExpandMod)
        let groups: [[Int]] = [
            Array(0...8) + [17], Array(8...16) + [26], Array(17...19) + [8], Array(24...26) + [8],
            Array(19...24) + [8], Array(17...21) + [27] + Array(31...35) + [8],
            Array(22...26) + [27] + Array(31...35) + [8], Array(27...30) + Array(31...35),
        ]
        var mask = FloatImage(width: width, height: height, channels: 1)
        for g in groups { fillConvexHull(g.map { p[$0] }, into: &mask) }
        return mask
    }

    /// DFL `get_image_eye_mask` + `get_image_mouth_mask`, summed and clipped: hulls of 36–41, 42–47 and
    /// 60–67, dilated with an ellipse of side h/32 and blurred with an odd kernel of about h/16.
    static func eyesMouthMask(width: Int, height: Int, landmarks: [SIMD2<Double>]) -> FloatImage {
        precondition(landmarks.count == 68, "68 landmarks needed")
        let p = landmarks.map { SIMD2(Int($0.x), Int($0.y)) }
        func featureMask(_ groups: [[Int]]) -> FloatImage {
            var m = FloatImage(width: width, height: height, channels: 1)
            for g in groups { fillConvexHull(g.map { p[$0] }, into: &m) }
            m = dilateEllipse(m, side: height / 32)
            var k = max(1, height / 16)
            if k % 2 == 0 { k += 1 }
            return gaussianBlur(m, kernelSize: k, sigma: 0.3 * (Double(k - 1) * 0.5 - 1) + 0.8)
        }
        let eyes = featureMask([Array(36...41), Array(42...47)])
        let mouth = featureMask([Array(60...67)])
        var out = eyes
        for i in 0..<out.data.count { out.data[i] = min(max(eyes.data[i] + mouth.data[i], 0), 1) }
        return out
    }

    /// Fills the convex hull of integer points with 1, boundary included (cv2.fillConvexPoly-like).
    static func fillConvexHull(_ points: [SIMD2<Int>], into mask: inout FloatImage) {
        let hull = convexHull(points)
        guard let minY = hull.map(\.y).min(), let maxY = hull.map(\.y).max() else { return }
        let w = mask.width, h = mask.height
        let firstRow = max(0, minY), lastRow = min(h - 1, maxY)
        guard firstRow <= lastRow else { return }
        for y in firstRow...lastRow {
            // The polygon's x extent on this row: intersections of every edge with the horizontal line.
            var lo = Double.infinity, hi = -Double.infinity
            for i in 0..<hull.count {
                let a = hull[i], b = hull[(i + 1) % hull.count]
                if a.y == b.y {
                    if a.y == y { lo = min(lo, Double(min(a.x, b.x))); hi = max(hi, Double(max(a.x, b.x))) }
                    continue
                }
                guard (a.y <= y && y <= b.y) || (b.y <= y && y <= a.y) else { continue }
                let x = Double(a.x) + Double(y - a.y) * Double(b.x - a.x) / Double(b.y - a.y)
                lo = min(lo, x)
                hi = max(hi, x)
            }
            if hull.count == 1 { lo = Double(hull[0].x); hi = lo }
            guard lo <= hi else { continue }
            let x0 = max(0, Int(lo.rounded())), x1 = min(w - 1, Int(hi.rounded()))
            if x0 > x1 { continue }
            for x in x0...x1 { mask.data[y * w + x] = 1 }
        }
    }

    /// Andrew's monotone chain, counter-clockwise, without collinear points.
    static func convexHull(_ points: [SIMD2<Int>]) -> [SIMD2<Int>] {
        let pts = points.sorted { $0.x != $1.x ? $0.x < $1.x : $0.y < $1.y }
        guard pts.count > 2 else { return pts }
        func cross(_ o: SIMD2<Int>, _ a: SIMD2<Int>, _ b: SIMD2<Int>) -> Int {
            (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x)
        }
        var lower = [SIMD2<Int>](), upper = [SIMD2<Int>]()
        for p in pts {
            while lower.count >= 2 && cross(lower[lower.count - 2], lower[lower.count - 1], p) <= 0 { lower.removeLast() }
            lower.append(p)
        }
        for p in pts.reversed() {
            while upper.count >= 2 && cross(upper[upper.count - 2], upper[upper.count - 1], p) <= 0 { upper.removeLast() }
            upper.append(p)
        }
        return Array(lower.dropLast() + upper.dropLast())
    }

    /// cv2.dilate with getStructuringElement(MORPH_ELLIPSE, (side, side)); border pixels ignored.
    static func dilateEllipse(_ m: FloatImage, side: Int) -> FloatImage {
        guard side > 1 else { return m }
        let r = side / 2
        var offsets = [(Int, Int)]()
        for i in 0..<side {
            let dy = i - r
            guard abs(dy) <= r else { continue }
            let dx = Int((Double(r) * (Double(r * r - dy * dy) / Double(r * r)).squareRoot()).rounded())
            for j in max(r - dx, 0)..<min(r + dx + 1, side) { offsets.append((j - r, dy)) }
        }
        let w = m.width, h = m.height
        var out = m
        for y in 0..<h { for x in 0..<w {
            var v: Float = -Float.infinity
            for (dx, dy) in offsets {
                let xx = x + dx, yy = y + dy
                if xx >= 0, yy >= 0, xx < w, yy < h { v = max(v, m.data[yy * w + xx]) }
            }
            out.data[y * w + x] = v
        } }
        return out
    }

    /// cv2.GaussianBlur with an odd kernel, separable, BORDER_REFLECT_101.
    static func gaussianBlur(_ m: FloatImage, kernelSize k: Int, sigma: Double) -> FloatImage {
        let r = k / 2
        var kernel = (0..<k).map { exp(-Double(($0 - r) * ($0 - r)) / (2 * sigma * sigma)) }
        let s = kernel.reduce(0, +)
        kernel = kernel.map { $0 / s }
        let kf = kernel.map { Float($0) }
        let w = m.width, h = m.height
        func reflect(_ i: Int, _ n: Int) -> Int {
            if n == 1 { return 0 }
            var j = i
            while j < 0 || j >= n { j = j < 0 ? -j : 2 * (n - 1) - j }
            return j
        }
        var tmp = [Float](repeating: 0, count: w * h), out = tmp
        for y in 0..<h { for x in 0..<w {
            var acc: Float = 0
            for t in 0..<k { acc += kf[t] * m.data[y * w + reflect(x + t - r, w)] }
            tmp[y * w + x] = acc
        } }
        for y in 0..<h { for x in 0..<w {
            var acc: Float = 0
            for t in 0..<k { acc += kf[t] * tmp[reflect(y + t - r, h) * w + x] }
            out[y * w + x] = acc
        } }
        return FloatImage(width: w, height: h, channels: 1, data: out)
    }
}
