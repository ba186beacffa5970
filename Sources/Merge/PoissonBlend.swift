// Seamless cloning (the effect of cv2.seamlessClone NORMAL_CLONE, written here): inside the mask the result
// has the guide image's discrete Laplacian, on the mask's border it meets the frame. With v = result − guide
// this is Laplace's equation for v with Dirichlet values frame − guide outside the mask. It is solved per
// channel by conjugate gradients on the 5-point stencil, started from the solution on a grid half as fine
// (recursively), which leaves CG mostly the fine-scale error to remove.
import Foundation
import Imaging

/// The Poisson blend of `guide` into `frame` (same size and channels) where `mask` (1 channel, > 0.5 means
/// inside) is set: outside the mask the frame's values are returned unchanged; at every inside pixel the
/// 5-point Laplacian of the result equals the guide's. Pixels on the image edge count as outside.
/// `tolerance` is the relative residual at which the conjugate-gradient solve stops (the default 1e-4 keeps
/// the result within about 0.4 of an 8-bit level of the exact solution on a 512-px face).
public func poissonBlend(guide: FloatImage, frame: FloatImage, mask: FloatImage,
                         tolerance: Double = 1e-4, maxIterations: Int = 5000) -> FloatImage {
    precondition(guide.width == frame.width && guide.height == frame.height && guide.channels == frame.channels,
                 "guide and frame differ in shape")
    precondition(mask.width == frame.width && mask.height == frame.height && mask.channels == 1, "bad mask")
    let w = frame.width, h = frame.height, cn = frame.channels
    var unknown = [Bool](repeating: false, count: w * h)
    var any = false
    if w > 2 && h > 2 {
        for y in 1..<(h - 1) {
            for x in 1..<(w - 1) where mask.data[y * w + x] > 0.5 { unknown[y * w + x] = true; any = true }
        }
    }
    var out = frame
    guard any else { return out }
    var values = [Double](repeating: 0, count: w * h)
    for c in 0..<cn {
        for i in 0..<(w * h) where !unknown[i] { values[i] = Double(frame.data[i * cn + c] - guide.data[i * cn + c]) }
        let v = solveLaplace(values: values, unknown: unknown, width: w, height: h,
                             tolerance: tolerance, maxIterations: maxIterations)
        for i in 0..<(w * h) where unknown[i] { out.data[i * cn + c] = guide.data[i * cn + c] + Float(v[i]) }
    }
    return out
}

/// Solves 5-point Laplace(v) = 0 on the `unknown` pixels with v = `values` elsewhere (unknown pixels are never
/// on the grid's edge). Returns v on the whole grid.
func solveLaplace(values: [Double], unknown: [Bool], width w: Int, height h: Int,
                  tolerance: Double, maxIterations: Int) -> [Double] {
    var index = [Int32](repeating: -1, count: w * h)
    var pixels: [Int] = []
    for i in 0..<(w * h) where unknown[i] { index[i] = Int32(pixels.count); pixels.append(i) }
    let n = pixels.count
    var result = values
    guard n > 0 else { return result }

    // Initial guess: the solution on the half-resolution grid (a block is unknown when all its 4 pixels
    // are; a known block takes the mean of its known pixels).
    var x = [Double](repeating: 0, count: n)
    if n > 256 && w > 8 && h > 8 {
        let cw = (w + 1) / 2, ch = (h + 1) / 2
        var coarseValues = [Double](repeating: 0, count: cw * ch)
        var coarseUnknown = [Bool](repeating: false, count: cw * ch)
        for by in 0..<ch {
            for bx in 0..<cw {
                var sum = 0.0, known = 0, cells = 0
                for y in (2 * by)..<min(2 * by + 2, h) {
                    for x in (2 * bx)..<min(2 * bx + 2, w) {
                        cells += 1
                        if !unknown[y * w + x] { sum += values[y * w + x]; known += 1 }
                    }
                }
                if known == 0 && cells == 4 { coarseUnknown[by * cw + bx] = true } else { coarseValues[by * cw + bx] = known > 0 ? sum / Double(known) : 0 }
            }
        }
        // Coarse unknowns on the coarse edge would break the invariant; they cannot occur (fine edge pixels are known).
        let coarse = solveLaplace(values: coarseValues, unknown: coarseUnknown, width: cw, height: ch,
                                  tolerance: tolerance, maxIterations: maxIterations)
        // Bilinear prolongation: coarse sample (X, Y) sits at fine (2X + 0.5, 2Y + 0.5).
        for (k, p) in pixels.enumerated() {
            let fx = (Double(p % w) - 0.5) / 2, fy = (Double(p / w) - 0.5) / 2
            let x0 = min(max(Int(fx.rounded(.down)), 0), cw - 1), y0 = min(max(Int(fy.rounded(.down)), 0), ch - 1)
            let x1 = min(x0 + 1, cw - 1), y1 = min(y0 + 1, ch - 1)
            let tx = min(max(fx - Double(x0), 0), 1), ty = min(max(fy - Double(y0), 0), 1)
            let top = coarse[y0 * cw + x0] * (1 - tx) + coarse[y0 * cw + x1] * tx
            let bottom = coarse[y1 * cw + x0] * (1 - tx) + coarse[y1 * cw + x1] * tx
            x[k] = top * (1 - ty) + bottom * ty
        }
    }

    var neighbours = [Int32](repeating: -1, count: 4 * n)
    var b = [Double](repeating: 0, count: n)
    for (k, p) in pixels.enumerated() {
        var s = 0.0
        for (j, q) in [p - 1, p + 1, p - w, p + w].enumerated() {
            if index[q] >= 0 { neighbours[4 * k + j] = index[q] } else { s += values[q] }
        }
        b[k] = s
    }
    conjugateGradient(neighbours: neighbours, b: b, x: &x, tolerance: tolerance, maxIterations: maxIterations)
    for (k, p) in pixels.enumerated() { result[p] = x[k] }
    return result
}

/// Solves A·x = b for the 5-point operator A (4 on the diagonal, −1 per unknown neighbour), from the given x.
private func conjugateGradient(neighbours: [Int32], b: [Double], x: inout [Double], tolerance: Double, maxIterations: Int) {
    let n = b.count
    var r = [Double](repeating: 0, count: n), d = r, q = r
    neighbours.withUnsafeBufferPointer { nb in
    x.withUnsafeMutableBufferPointer { x in
    r.withUnsafeMutableBufferPointer { r in
    d.withUnsafeMutableBufferPointer { d in
    q.withUnsafeMutableBufferPointer { q in
        func apply(_ v: UnsafeMutableBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) -> Double {
            var dot = 0.0
            for k in 0..<n {
                var s = 4 * v[k]
                let base = 4 * k
                for j in 0..<4 { let m = Int(nb[base + j]); if m >= 0 { s -= v[m] } }
                out[k] = s
                dot += v[k] * s
            }
            return dot
        }
        var bNorm2 = 0.0
        for k in 0..<n { bNorm2 += b[k] * b[k] }
        _ = apply(x, into: q)
        var rr = 0.0
        for k in 0..<n { r[k] = b[k] - q[k]; d[k] = r[k]; rr += r[k] * r[k] }
        let stop = max(tolerance * tolerance * bNorm2, 1e-30)
        if rr <= stop { return }
        for _ in 0..<maxIterations {
            let dq = apply(d, into: q)
            if dq <= 0 { return }
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
    }}}}}
}
