// The `dst` mask (the landmark hull) drawn anti-aliased. DFL fills the hull at the model's resolution r with
// 0/1 pixels and scales that up (r → 4r → frame), so for a 64–96 px model on a 720p frame its edge is a
// staircase of 4–5 px steps. Here the hull is the polygon of the landmarks themselves (floating point, no
// rounding to crop pixels) and each pixel gets the fraction of its area the polygon covers, on whatever
// grid the mask is drawn: the frame itself when the mask is used as it is, the 4r crop grid when it is
// eroded or blurred there (`FrameMerger.mergeFace`).
import FaceAlign
import Imaging

/// The convex parts of DFL's face hull (`faceHullParts`, brows pushed up as `expandedEyebrows` with
/// `eyebrowsExpandMod`) as floating-point polygons in the landmarks' own coordinates. The same construction as
/// `faceHullMask` without its rounding to integer pixels; every step (midpoints, the push, the convex hull)
/// commutes with affine maps, so the parts of mapped landmarks are the mapped parts.
func faceHullPolygons(landmarks: [Point2D], eyebrowsExpandMod mod: Double = 1) throws -> [[Point2D]] {
    guard landmarks.count == 68 else { throw FaceAlignError.wrongLandmarkCount(expected: 68, got: landmarks.count) }
    var lm = landmarks
    func mid(_ a: Point2D, _ b: Point2D) -> Point2D { Point2D((a.x + b.x) / 2, (a.y + b.y) / 2) }
    let ml = mid(lm[36], lm[0]), mr = mid(lm[16], lm[45])
    let bottomLeft = [mid(lm[36], ml), lm[36], lm[37], lm[38], lm[39]]
    let bottomRight = [lm[42], lm[43], lm[44], lm[45], mid(lm[45], mr)]
    func pushed(_ top: Point2D, _ bottom: Point2D) -> Point2D {
        Point2D(top.x + mod * 0.5 * (top.x - bottom.x), top.y + mod * 0.5 * (top.y - bottom.y))
    }
    for i in 0..<5 {
        lm[17 + i] = pushed(lm[17 + i], bottomLeft[i])
        lm[22 + i] = pushed(lm[22 + i], bottomRight[i])
    }
    return faceHullParts.map { part in convexHull(points: part.map { lm[$0] }) }
}

/// A convex polygon cut to the axis-aligned box [x0, x1] × [y0, y1] (Sutherland–Hodgman); empty when it misses.
func clipConvexPolygon(_ polygon: [Point2D], x0: Double, y0: Double, x1: Double, y1: Double) -> [Point2D] {
    var out = polygon
    // Each half-plane as (inside test value): v(p) >= 0 inside.
    let planes: [(Point2D) -> Double] = [{ $0.x - x0 }, { x1 - $0.x }, { $0.y - y0 }, { y1 - $0.y }]
    for v in planes {
        guard !out.isEmpty else { break }
        var next: [Point2D] = []
        var previous = out[out.count - 1]
        var vp = v(previous)
        for p in out {
            let vc = v(p)
            if (vc >= 0) != (vp >= 0) {
                let t = vp / (vp - vc)
                next.append(Point2D(previous.x + t * (p.x - previous.x), previous.y + t * (p.y - previous.y)))
            }
            if vc >= 0 { next.append(p) }
            previous = p; vp = vc
        }
        out = next
    }
    return out
}

/// Number of sample lines per pixel row of `coverageMask`: coverage is exact along x and sampled 16 times
/// along y, so the 0.5 iso-line is within 1/32 px of the polygon edge in any direction.
let coverageSubRows = 16

/// A `width`×`height` 1-channel mask whose pixel (x, y) holds the fraction of its square
/// [x − 0.5, x + 0.5] × [y − 0.5, y + 0.5] (pixel centres at integers, as the warp matrices count) covered by
/// the union of the convex `polygons`.
func coverageMask(of polygons: [[Point2D]], width: Int, height: Int) -> FloatImage {
    var mask = FloatImage(width: width, height: height, channels: 1)
    guard width > 0, height > 0 else { return mask }
    let parts = polygons.filter { $0.count >= 3 }
    let n = coverageSubRows, weight = 1 / Float(n)
    // Each part's y range, to skip it on rows it does not reach.
    let ranges = parts.map { p in (p.map(\.y).min()!, p.map(\.y).max()!) }
    let yLo = max(Int((ranges.map(\.0).min() ?? 0).rounded(.down)), 0)
    let yHi = min(Int((ranges.map(\.1).max() ?? -1).rounded(.up)), height - 1)
    guard yLo <= yHi else { return mask }
    var spans: [(Double, Double)] = []
    spans.reserveCapacity(parts.count)
    mask.data.withUnsafeMutableBufferPointer { data in
        for y in yLo...yHi {
            let row = data.baseAddress! + y * width
            for k in 0..<n {
                let sy = Double(y) - 0.5 + (Double(k) + 0.5) / Double(n)
                spans.removeAll(keepingCapacity: true)
                for (j, p) in parts.enumerated() where sy >= ranges[j].0 && sy <= ranges[j].1 {
                    // A horizontal line meets a convex polygon in one interval: the extreme crossings.
                    var a = Double.infinity, b = -Double.infinity
                    var previous = p[p.count - 1]
                    for q in p {
                        if (previous.y <= sy && q.y >= sy) || (q.y <= sy && previous.y >= sy) {
                            let x = previous.y == q.y ? min(previous.x, q.x) : previous.x + (sy - previous.y) / (q.y - previous.y) * (q.x - previous.x)
                            let x2 = previous.y == q.y ? max(previous.x, q.x) : x
                            a = min(a, x); b = max(b, x2)
                        }
                        previous = q
                    }
                    if a < b { spans.append((a, b)) }
                }
                guard !spans.isEmpty else { continue }
                spans.sort { $0.0 < $1.0 }
                // The union of the intervals, each added to the row as exact per-pixel overlap lengths.
                var (a, b) = spans[0]
                func add(_ a: Double, _ b: Double) {
                    let lo = max(a, -0.5), hi = min(b, Double(width) - 0.5)
                    guard lo < hi else { return }
                    let first = Int((lo + 0.5).rounded(.down)), last = min(Int((hi + 0.5).rounded(.down)), width - 1)
                    if first == last { row[first] += Float(hi - lo) * weight; return }
                    row[first] += Float(Double(first) + 0.5 - lo) * weight
                    if first + 1 <= last - 1 { for x in (first + 1)..<last { row[x] += weight } }
                    row[last] += Float(hi - (Double(last) - 0.5)) * weight
                }
                for s in spans.dropFirst() {
                    if s.0 <= b { b = max(b, s.1) } else { add(a, b); (a, b) = s }
                }
                add(a, b)
            }
            for x in 0..<width where row[x] > 1 { row[x] = 1 }
        }
    }
    return mask
}
