// cv2.remap for the random-warp grid, which Imaging does not have: OpenCV's conventions (pixel centres at
// integer coordinates, bicubic a = −0.75, bilinear, replicate or constant-zero border, positions rounded to
// 1/32 px). Generic: it belongs in Imaging next to warpAffine.
import Foundation
import Imaging

/// Interpolation kernel for resampling.
public enum Interpolation: Sendable { case linear, cubic }

/// What samples outside the source image read.
public enum BorderMode: Sendable { case replicate, zero }

/// OpenCV's bicubic weights (a = −0.75) for taps at −1, 0, 1, 2 around a fraction `t`.
@inline(__always) func cubicWeights(_ t: Float) -> SIMD4<Float> {
    let A: Float = -0.75
    let w0 = ((A * (t + 1) - 5 * A) * (t + 1) + 8 * A) * (t + 1) - 4 * A
    let w1 = ((A + 2) * t - (A + 3)) * t * t + 1
    let w2 = ((A + 2) * (1 - t) - (A + 3)) * (1 - t) * (1 - t) + 1
    return SIMD4(w0, w1, w2, 1 - w0 - w1 - w2)
}

/// Bicubic weights for the 32 fractions OpenCV quantises positions to.
private let cubicTable: [SIMD4<Float>] = (0..<32).map { cubicWeights(Float($0) / 32) }

/// Reads a source image at fractional positions.
struct Sampler {
    let src: UnsafeBufferPointer<Float>
    let width: Int, height: Int, channels: Int
    let interpolation: Interpolation
    let border: BorderMode

    /// Writes the `channels` values at (x, y) to `out`.
    @inline(__always) func sample(_ x: Float, _ y: Float, into out: UnsafeMutablePointer<Float>) {
        let c = channels
        let fx = x.rounded(.down), fy = y.rounded(.down)
        // Far outside (or NaN): everything is border.
        guard fx > -4, fy > -4, fx < Float(width + 4), fy < Float(height + 4) else {
            if border == .zero || width == 0 { for k in 0..<c { out[k] = 0 }; return }
            let cx = min(max(Int(x.isNaN ? 0 : max(min(x, 1e6), -1e6)), 0), width - 1)
            let cy = min(max(Int(y.isNaN ? 0 : max(min(y, 1e6), -1e6)), 0), height - 1)
            for k in 0..<c { out[k] = src[(cy * width + cx) * c + k] }
            return
        }
        let ix = Int(fx), iy = Int(fy)
        let tx = x - fx, ty = y - fy
        switch interpolation {
        case .linear:
            let wx: (Float, Float) = (1 - tx, tx), wy: (Float, Float) = (1 - ty, ty)
            if ix >= 0, iy >= 0, ix + 1 < width, iy + 1 < height {
                for k in 0..<c {
                    let p = (iy * width + ix) * c + k
                    out[k] = wy.0 * (wx.0 * src[p] + wx.1 * src[p + c])
                        + wy.1 * (wx.0 * src[p + width * c] + wx.1 * src[p + width * c + c])
                }
            } else {
                for k in 0..<c { out[k] = 0 }
                for j in 0..<2 {
                    let wyj = j == 0 ? wy.0 : wy.1
                    for i in 0..<2 {
                        let wxi = i == 0 ? wx.0 : wx.1
                        guard let p = index(ix + i, iy + j) else { continue }
                        for k in 0..<c { out[k] += wyj * wxi * src[p + k] }
                    }
                }
            }
        case .cubic:
            let wxs = cubicWeights(tx), wys = cubicWeights(ty)
            if ix >= 1, iy >= 1, ix + 2 < width, iy + 2 < height {
                for k in 0..<c {
                    var acc: Float = 0
                    var p = ((iy - 1) * width + ix - 1) * c + k
                    for j in 0..<4 {
                        acc += wys[j] * (wxs[0] * src[p] + wxs[1] * src[p + c] + wxs[2] * src[p + 2 * c]
                                         + wxs[3] * src[p + 3 * c])
                        p += width * c
                    }
                    out[k] = acc
                }
            } else {
                for k in 0..<c { out[k] = 0 }
                for j in 0..<4 {
                    for i in 0..<4 {
                        guard let p = index(ix - 1 + i, iy - 1 + j) else { continue }
                        let w = wys[j] * wxs[i]
                        for k in 0..<c { out[k] += w * src[p + k] }
                    }
                }
            }
        }
    }

    /// Offset of pixel (x, y) after the border rule; nil when it reads zero.
    @inline(__always) private func index(_ x: Int, _ y: Int) -> Int? {
        if x >= 0, y >= 0, x < width, y < height { return (y * width + x) * channels }
        if border == .zero { return nil }
        return (min(max(y, 0), height - 1) * width + min(max(x, 0), width - 1)) * channels
    }
}

/// `cv2.remap(image, mapX, mapY, interpolation, BORDER_CONSTANT 0)`: output pixel i reads the source at
/// (mapX[i], mapY[i]). The maps have the output's size (`width`·`height` values, row-major). As OpenCV
/// does for float maps, positions are rounded to 1/32 px before interpolation.
public func remap(_ image: FloatImage, mapX: [Float], mapY: [Float], width: Int, height: Int,
                  interpolation: Interpolation, border: BorderMode = .zero) -> FloatImage {
    precondition(mapX.count == width * height && mapY.count == width * height, "map size")
    let c = image.channels
    var out = [Float](repeating: 0, count: width * height * c)
    let sw = image.width, sh = image.height
    image.data.withUnsafeBufferPointer { src in
        let sampler = Sampler(src: src, width: sw, height: sh, channels: c,
                              interpolation: interpolation, border: border)
        mapX.withUnsafeBufferPointer { mx in
            mapY.withUnsafeBufferPointer { my in
                out.withUnsafeMutableBufferPointer { dst in
                    cubicTable.withUnsafeBufferPointer { table in
                        let s0 = src.baseAddress!
                        for i in 0..<(width * height) {
                            let qx = (mx[i] * 32).rounded(.toNearestOrEven), qy = (my[i] * 32).rounded(.toNearestOrEven)
                            // Fast path: bicubic with all 16 taps inside (the common case).
                            if interpolation == .cubic, qx.isFinite, qy.isFinite, abs(qx) < 1e8, abs(qy) < 1e8 {
                                let X = Int(qx), Y = Int(qy)
                                let ix = X >> 5, iy = Y >> 5
                                if ix >= 1, iy >= 1, ix + 2 < sw, iy + 2 < sh {
                                    let wx = table[X & 31], wy = table[Y & 31]
                                    if c == 1 {
                                        var p = s0 + (iy - 1) * sw + ix - 1
                                        var acc: Float = 0
                                        for j in 0..<4 {
                                            acc += wy[j] * (SIMD4(p[0], p[1], p[2], p[3]) * wx).sum()
                                            p += sw
                                        }
                                        dst[i] = acc
                                        continue
                                    }
                                    let rowStride = sw * c
                                    for k in 0..<c {
                                        var p = s0 + ((iy - 1) * sw + ix - 1) * c + k
                                        var acc: Float = 0
                                        for j in 0..<4 {
                                            let row = SIMD4(p[0], p[c], p[2 * c], p[3 * c])
                                            acc += wy[j] * (row * wx).sum()
                                            p += rowStride
                                        }
                                        dst[i * c + k] = acc
                                    }
                                    continue
                                }
                            }
                            sampler.sample(qx / 32, qy / 32, into: dst.baseAddress! + i * c)
                        }
                    }
                }
            }
        }
    }
    return FloatImage(width: width, height: height, channels: c, data: out)
}
