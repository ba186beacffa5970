// Seamless cloning (the effect of cv2.seamlessClone NORMAL_CLONE, written here): inside the mask the result
// has the guide image's discrete Laplacian, on the mask's border it meets the frame. With h = result − guide
// this is Laplace's equation for h with Dirichlet values frame − guide outside the mask, solved per channel by
// conjugate gradients on the 5-point stencil.
import Foundation
import Imaging

/// The Poisson blend of `guide` into `frame` (same size and channels) where `mask` (1 channel, > 0.5 means
/// inside) is set: outside the mask the frame's values are returned unchanged; at every inside pixel the
/// 5-point Laplacian of the result equals the guide's. Pixels on the image edge count as outside.
/// `tolerance` is the relative residual at which the conjugate-gradient solve stops.
public func poissonBlend(guide: FloatImage, frame: FloatImage, mask: FloatImage,
                         tolerance: Double = 1e-4, maxIterations: Int = 5000) -> FloatImage {
    precondition(guide.width == frame.width && guide.height == frame.height && guide.channels == frame.channels,
                 "guide and frame differ in shape")
    precondition(mask.width == frame.width && mask.height == frame.height && mask.channels == 1, "bad mask")
    let w = frame.width, h = frame.height, cn = frame.channels
    // Unknowns: inside pixels not on the image edge.
    var index = [Int32](repeating: -1, count: w * h)
    var pixels: [Int] = []
    if w > 2 && h > 2 {
        for y in 1..<(h - 1) {
            for x in 1..<(w - 1) where mask.data[y * w + x] > 0.5 {
                index[y * w + x] = Int32(pixels.count)
                pixels.append(y * w + x)
            }
        }
    }
    var out = frame
    let n = pixels.count
    guard n > 0 else { return out }
    // Neighbour unknowns (−1 where the neighbour is a boundary value).
    var neighbours = [Int32](repeating: -1, count: 4 * n)
    for (k, p) in pixels.enumerated() {
        neighbours[4 * k] = index[p - 1]; neighbours[4 * k + 1] = index[p + 1]
        neighbours[4 * k + 2] = index[p - w]; neighbours[4 * k + 3] = index[p + w]
    }
    var b = [Double](repeating: 0, count: n), x = [Double](repeating: 0, count: n)
    var r = [Double](repeating: 0, count: n), d = [Double](repeating: 0, count: n), q = [Double](repeating: 0, count: n)
    for c in 0..<cn {
        // b = Σ over boundary neighbours of (frame − guide).
        for (k, p) in pixels.enumerated() {
            var s = 0.0
            for (j, np) in [p - 1, p + 1, p - w, p + w].enumerated() where neighbours[4 * k + j] < 0 {
                s += Double(frame.data[np * cn + c] - guide.data[np * cn + c])
            }
            b[k] = s
            x[k] = 0
        }
        conjugateGradient(neighbours: neighbours, b: b, x: &x, r: &r, d: &d, q: &q,
                          tolerance: tolerance, maxIterations: maxIterations)
        for (k, p) in pixels.enumerated() {
            out.data[p * cn + c] = guide.data[p * cn + c] + Float(x[k])
        }
    }
    return out
}

/// Solves A·x = b for the 5-point operator A (4 on the diagonal, −1 per unknown neighbour), x starting at 0.
private func conjugateGradient(neighbours: [Int32], b: [Double], x: inout [Double], r: inout [Double],
                               d: inout [Double], q: inout [Double], tolerance: Double, maxIterations: Int) {
    let n = b.count
    var bNorm2 = 0.0
    for k in 0..<n { r[k] = b[k]; d[k] = b[k]; bNorm2 += b[k] * b[k] }
    if bNorm2 == 0 { return }
    var rr = bNorm2
    let stop = tolerance * tolerance * bNorm2
    neighbours.withUnsafeBufferPointer { nb in
        for _ in 0..<maxIterations {
            var dq = 0.0
            for k in 0..<n {
                var v = 4 * d[k]
                for j in 0..<4 { let m = Int(nb[4 * k + j]); if m >= 0 { v -= d[m] } }
                q[k] = v
                dq += d[k] * v
            }
            let alpha = rr / dq
            var rrNew = 0.0
            for k in 0..<n {
                x[k] += alpha * d[k]
                r[k] -= alpha * q[k]
                rrNew += r[k] * r[k]
            }
            if rrNew <= stop { return }
            let beta = rrNew / rr
            rr = rrNew
            for k in 0..<n { d[k] = r[k] + beta * d[k] }
        }
    }
}
