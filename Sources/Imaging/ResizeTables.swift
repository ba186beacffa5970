// Coefficient tables for resizing, following OpenCV 4.x's cv::resize (imgproc/src/resize.cpp) behaviour:
// pixel-centre mapping sx = (dx + 0.5)·scale − 0.5, replicated borders, and OpenCV's fixed-point scale of
// 2048 for 8-bit data.

import Foundation

/// Interpolation used by `resized(width:height:method:)`.
public enum ResizeMethod: Sendable, Equatable {
    /// Bilinear (cv2.INTER_LINEAR).
    case linear
    /// Bicubic with a = −0.75 (cv2.INTER_CUBIC).
    case cubic
    /// Pixel-area averaging for shrinking (cv2.INTER_AREA); enlarging falls back to OpenCV's area-linear.
    case area
    /// 8×8 Lanczos (cv2.INTER_LANCZOS4).
    case lanczos4
}

/// OpenCV's INTER_RESIZE_COEF_SCALE: 8-bit resizes use integer weights scaled by 2^11.
let resizeCoefScale: Float = 2048

/// Cubic convolution weights for fraction x in [0, 1) with a = −0.75.
@inline(__always) func cubicWeights(_ x: Float) -> (Float, Float, Float, Float) {
    let a: Float = -0.75
    let w0 = ((a * (x + 1) - 5 * a) * (x + 1) + 8 * a) * (x + 1) - 4 * a
    let w1 = ((a + 2) * x - (a + 3)) * x * x + 1
    let w2 = ((a + 2) * (1 - x) - (a + 3)) * (1 - x) * (1 - x) + 1
    return (w0, w1, w2, 1 - w0 - w1 - w2)
}

/// Lanczos-4 weights for the 8 taps at offsets −3...4 from the sample left of the point, fraction x,
/// normalised to sum 1. Uses the sine angle-addition identity so only one sin/cos pair is evaluated.
func lanczos4Weights(_ x: Float, into w: inout [Float]) {
    let s45 = 0.70710678118654752440084436210485
    // sin(θ − i·3π/4) = sin θ·cos(i·3π/4) − cos θ·sin(i·3π/4), written as (c0, c1) pairs per tap.
    let rot: [(Double, Double)] = [(1, 0), (-s45, -s45), (0, 1), (s45, -s45),
                                   (-1, 0), (s45, s45), (0, -1), (-s45, s45)]
    let y0 = -(Double(x) + 3) * Double.pi * 0.25
    let s0 = sin(y0), c0 = cos(y0)
    var sum: Float = 0
    for i in 0..<8 {
        let d = Double(x) + 3 - Double(i)
        if abs(d) >= 1e-6 {
            let y = -d * Double.pi * 0.25
            w[i] = Float((rot[i].0 * s0 + rot[i].1 * c0) / (y * y))
        } else {
            w[i] = 1e30  // the point sits on this tap: after normalising it takes all the weight
        }
        sum += w[i]
    }
    let inv = 1 / sum
    for i in 0..<8 { w[i] *= inv }
}

/// Per output index: `ksize` clamped source indices and their weights (float and 2048-scaled integer).
struct InterpAxis {
    let ksize: Int
    var index: [Int]
    var weight: [Float]
    var fixed: [Int32]

    /// Taps for one axis. `areaMode` is OpenCV's enlarging INTER_AREA mapping; `clampLinearEnds` resets
    /// the fraction at the ends for linear interpolation (OpenCV does so horizontally, not vertically).
    init(src: Int, dst: Int, method: ResizeMethod, areaMode: Bool, clampLinearEnds: Bool) {
        let inv = Double(dst) / Double(src)
        let scale = 1 / inv
        let linear = method == .linear || method == .area
        ksize = linear ? 2 : (method == .cubic ? 4 : 8)
        index = [Int](repeating: 0, count: dst * ksize)
        weight = [Float](repeating: 0, count: dst * ksize)
        fixed = [Int32](repeating: 0, count: dst * ksize)
        var w = [Float](repeating: 0, count: 8)
        for d in 0..<dst {
            var s: Int
            var f: Float
            if !areaMode {
                let p = Float((Double(d) + 0.5) * scale - 0.5)
                let fl = p.rounded(.down)
                s = Int(fl)
                f = p - fl
            } else {
                s = Int((Double(d) * scale).rounded(.down))
                let p = Float(Double(d + 1) - Double(s + 1) * inv)
                f = p <= 0 ? 0 : p - p.rounded(.down)
            }
            if linear && clampLinearEnds {
                if s < 0 { f = 0; s = 0 }
                if s >= src - 1 { f = 0; s = src - 1 }
            }
            switch ksize {
            case 2: w[0] = 1 - f; w[1] = f
            case 4: (w[0], w[1], w[2], w[3]) = cubicWeights(f)
            default: lanczos4Weights(f, into: &w)
            }
            for k in 0..<ksize {
                index[d * ksize + k] = min(max(s - ksize / 2 + 1 + k, 0), src - 1)
                weight[d * ksize + k] = w[k]
                fixed[d * ksize + k] = Int32((w[k] * resizeCoefScale).rounded(.toNearestOrEven))
            }
        }
    }
}

/// One (destination, source, weight) term of an area-averaging axis (OpenCV's computeResizeAreaTab).
struct AreaTerm {
    var dst: Int
    var src: Int
    var alpha: Float
}

/// Terms of pixel-area averaging along one axis for a shrink by `scale` = src / dst (≥ 1).
func areaTerms(src: Int, dst: Int, scale: Double) -> [AreaTerm] {
    var terms: [AreaTerm] = []
    terms.reserveCapacity(src * 2)
    for d in 0..<dst {
        let f1 = Double(d) * scale
        let f2 = f1 + scale
        let cell = min(scale, Double(src) - f1)
        var s2 = Int(f2.rounded(.down))
        s2 = min(s2, src - 1)
        let s1 = min(Int(f1.rounded(.up)), s2)
        if Double(s1) - f1 > 1e-3 {
            terms.append(AreaTerm(dst: d, src: s1 - 1, alpha: Float((Double(s1) - f1) / cell)))
        }
        for s in s1..<max(s1, s2) {
            terms.append(AreaTerm(dst: d, src: s, alpha: Float(1.0 / cell)))
        }
        if f2 - Double(s2) > 1e-3 {
            terms.append(AreaTerm(dst: d, src: s2, alpha: Float(min(min(f2 - Double(s2), 1), cell) / cell)))
        }
    }
    return terms
}

/// What `resized` does for a given size change, decided as OpenCV decides it.
enum ResizePlan {
    case copy
    case areaFast(kx: Int, ky: Int)
    case area(x: [AreaTerm], y: [AreaTerm])
    case separable(x: InterpAxis, y: InterpAxis)

    init(srcW: Int, srcH: Int, dstW: Int, dstH: Int, method: ResizeMethod) {
        if srcW == dstW && srcH == dstH { self = .copy; return }
        let scaleX = 1 / (Double(dstW) / Double(srcW))
        let scaleY = 1 / (Double(dstH) / Double(srcH))
        let ikx = Int(scaleX.rounded(.toNearestOrEven)), iky = Int(scaleY.rounded(.toNearestOrEven))
        let integerScale = abs(scaleX - Double(ikx)) < Double.ulpOfOne && abs(scaleY - Double(iky)) < Double.ulpOfOne
        var method = method
        // OpenCV: halving with INTER_LINEAR is done as a 2×2 area average.
        if method == .linear && integerScale && ikx == 2 && iky == 2 { method = .area }
        if method == .area && scaleX >= 1 && scaleY >= 1 {
            if integerScale {
                self = .areaFast(kx: ikx, ky: iky)
            } else {
                self = .area(x: areaTerms(src: srcW, dst: dstW, scale: scaleX),
                             y: areaTerms(src: srcH, dst: dstH, scale: scaleY))
            }
            return
        }
        let areaMode = method == .area
        self = .separable(
            x: InterpAxis(src: srcW, dst: dstW, method: method, areaMode: areaMode, clampLinearEnds: true),
            y: InterpAxis(src: srcH, dst: dstH, method: method, areaMode: areaMode, clampLinearEnds: false))
    }
}
