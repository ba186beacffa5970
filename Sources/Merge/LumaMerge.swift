// Luma mode: a grayscale prediction changes only the frame's BT.601 luma. Adding the same amount d to R, G
// and B changes Y = 0.299 R + 0.587 G + 0.114 B by exactly d and leaves Cb ∝ B − Y and Cr ∝ R − Y as they
// were, so the frame's chroma survives exactly; d is limited so that no channel leaves [0, 1] (clipping one
// channel would shift the chroma).
//
// Keeping the frame's chroma exactly also keeps the dst face's fine chroma structure (red lips, white teeth,
// eye colours) where the new face has other structure: a fringe. The other chroma modes replace the chroma
// inside the mask, wherever the luma changed, by one that follows the new luma (see `ChromaMode`).
import Imaging

/// `frame` (RGB, floats in [0, 1]) with its luma replaced by `luma` (1 channel, same size): every pixel
/// moves by d = luma − Y(frame) in all three channels, d clamped to keep each channel in [0, 1].
public func replaceLuma(of frame: FloatImage, with luma: FloatImage) -> FloatImage {
    precondition(frame.channels == 3 && luma.channels == 1, "replaceLuma takes an RGB frame and a gray image")
    precondition(frame.width == luma.width && frame.height == luma.height, "sizes differ")
    var out = frame
    let n = frame.width * frame.height
    for i in 0..<n {
        let r = frame.data[3 * i], g = frame.data[3 * i + 1], b = frame.data[3 * i + 2]
        let y = bt601Luma(r: r, g: g, b: b)
        var d = luma.data[i] - y
        if d == 0 { continue }
        d = min(max(d, -min(r, g, b)), 1 - max(r, g, b))
        out.data[3 * i] = r + d; out.data[3 * i + 1] = g + d; out.data[3 * i + 2] = b + d
    }
    return out
}

/// `replaceLuma(of:with:)` with the chroma inside `mask` (1 channel, frame-sized, [0, 1]) chosen by `chroma`
/// where `change` (1 channel, frame-sized: |prediction − dst face luma|, measured in the face crop) is large.
/// `faceSize` is the side of the face crop in frame pixels (the scale of the chroma statistics). Where the
/// prediction equals the dst face (`change` 0) the result is `replaceLuma(of:with:)`'s.
public func replaceLuma(of frame: FloatImage, with luma: FloatImage, mask: FloatImage, change: FloatImage,
                        chroma: ChromaMode, faceSize: Double) -> FloatImage {
    var out = replaceLuma(of: frame, with: luma)
    guard chroma != .keep, faceSize > 0, let rect = nonzeroBounds(mask) else { return out }
    let target = chromaTargets(frame: frame, luma: luma, change: change, mask: mask, rect: rect, mode: chroma,
                               faceSize: faceSize)
    let w = frame.width
    for y in 0..<rect.height {
        for x in 0..<rect.width {
            let i = (rect.y + y) * w + rect.x + x, t = y * rect.width + x
            let k = mask.data[i] * target.weight[t]
            if k <= 0 { continue }
            let r = frame.data[3 * i], g = frame.data[3 * i + 1], b = frame.data[3 * i + 2]
            let yOld = bt601Luma(r: r, g: g, b: b)
            let yNew = luma.data[i]
            let (u0, v0) = target.chroma(t, luma: yNew)
            // Chroma as B − Y and R − Y, moved by k toward the target.
            let u = (b - yOld) + k * (u0 - (b - yOld)), v = (r - yOld) + k * (v0 - (r - yOld))
            var oR = v, oB = u, oG = -(0.299 * v + 0.114 * u) / 0.587
            var lo = min(oR, oG, oB), hi = max(oR, oG, oB)
            let yOut: Float
            if chroma == .fit {
                // `fit` changes only the chroma: the luma is keep's (the prediction's, except where the frame's
                // chroma left no room for it and keep's luma gave way), and where that luma + this chroma would
                // leave [0, 1] the chroma gives way, scaled toward gray (which fits at any luma). Keep's luma
                // always fits with the frame's own chroma, so this is rare: a chroma more saturated than the
                // frame's at a very bright or dark pixel.
                let yKeep = yOld + min(max(yNew - yOld, -min(r, g, b)), 1 - max(r, g, b))
                var s: Float = 1
                if hi > 0 { s = min(s, (1 - yKeep) / hi) }
                if lo < 0 { s = min(s, yKeep / -lo) }
                s = max(s, 0)
                oR *= s; oG *= s; oB *= s
                yOut = yKeep
            } else {
                if hi - lo > 1 {   // too saturated for any luma: scale the chroma down (never for a real pixel's)
                    let s = 1 / (hi - lo)
                    oR *= s; oG *= s; oB *= s; lo *= s; hi *= s
                }
                // As in the keep path, the luma gives way where a channel would leave [0, 1].
                yOut = min(max(yNew, -lo), 1 - hi)
            }
            out.data[3 * i] = yOut + oR; out.data[3 * i + 1] = yOut + oG; out.data[3 * i + 2] = yOut + oB
        }
    }
    return out.clipped()
}

/// Scales of the chroma statistics, as fractions of the face crop's side in frame pixels.
enum ChromaScale {
    /// Gaussian σ of the `smooth` low-pass: larger than lips or eyes, smaller than the face.
    static let smooth = 1.0 / 10
    /// Gaussian σ of the `fit` regression window (a face region: mouth, one eye, a cheek).
    static let fit = 1.0 / 14
    /// Gaussian σ over which the prediction's change from the dst face is averaged for the gate.
    static let gate = 1.0 / 48
    /// The statistics are computed on a grid with about this many cells across the face crop.
    static let gridCells = 64.0
    /// Averaged change of the prediction from the dst face (0...1 units) below which the chroma is kept, and above which it is replaced.
    static let gateLow: Float = 3 / 255, gateHigh: Float = 10 / 255
    /// Regularisation of the luma variance in the `fit` regression (luma in 0...1).
    static let fitEpsilon: Float = 1e-3
}

/// Per-pixel chroma targets in a rectangle: the gate weight and the parameters that give (B − Y, R − Y).
struct ChromaTargets {
    let mode: ChromaMode
    /// smooth: [u, v]; fit: [aU, bU, aV, bV, loU, hiU, loV, hiV] per pixel.
    let params: FloatImage
    let weight: [Float]

    func chroma(_ t: Int, luma: Float) -> (Float, Float) {
        let p = params.data, c = params.channels
        switch mode {
        case .fit:
            let u = min(max(p[c * t] * luma + p[c * t + 1], p[c * t + 4]), p[c * t + 5])
            let v = min(max(p[c * t + 2] * luma + p[c * t + 3], p[c * t + 6]), p[c * t + 7])
            return (u, v)
        default:
            return (p[c * t], p[c * t + 1])
        }
    }
}

/// Mask-weighted local statistics of the dst chroma (and luma), computed on a coarse grid and interpolated
/// back: the grid makes the cost small next to the network's forward pass, and the statistics are smooth at
/// the grid's scale anyway. Weighting by the mask keeps the background's colour out of the face's.
///
/// `fit` applies the slope to the new luma's deviation from its own local mean, not from the dst's: chroma =
/// mean dst chroma + slope · (new luma − local mean of the new luma). The slope is fitted on the dst face's
/// structure inside one window (lips darker and redder than the skin round them, dark brows, white eyes); it
/// says how chroma varies with luma *within* the window, nothing about what a different mean luma of the
/// whole window would mean. A prediction that is brighter or darker than the dst face as a whole (an
/// untrained model, another exposure of the src clip) moves the window's mean luma, and measured from the
/// dst's mean that offset went through the slope into every pixel's chroma: on real clips the whole face
/// turned 3–5 levels redder. Measured from the new luma's own mean, each window keeps the dst's mean chroma
/// (its skin tone and lighting, as `smooth` does) and the new structure still gets the dst's chroma-luma
/// relation, so the fringes stay gone. `luma` is the new luma (frame-sized, 1 channel).
func chromaTargets(frame: FloatImage, luma: FloatImage, change difference: FloatImage, mask: FloatImage, rect: PixelRect,
                   mode: ChromaMode, faceSize: Double) -> ChromaTargets {
    let fit = mode == .fit
    let cn = fit ? 10 : 3   // sums of weighted values: M, MU, MV (+ MY, MYY, MYU, MYV, MUU, MVV, MY'; Y' the new luma)
    var moments = FloatImage(width: rect.width, height: rect.height, channels: cn)
    var change = FloatImage(width: rect.width, height: rect.height, channels: 2)   // M, M·change
    for y in 0..<rect.height {
        for x in 0..<rect.width {
            let i = (rect.y + y) * frame.width + rect.x + x, t = y * rect.width + x
            let m = mask.data[i]
            if m <= 0 { continue }
            let r = frame.data[3 * i], g = frame.data[3 * i + 1], b = frame.data[3 * i + 2]
            let yOld = bt601Luma(r: r, g: g, b: b)
            let u = b - yOld, v = r - yOld
            moments.data[cn * t] = m; moments.data[cn * t + 1] = m * u; moments.data[cn * t + 2] = m * v
            if fit {
                moments.data[cn * t + 3] = m * yOld; moments.data[cn * t + 4] = m * yOld * yOld
                moments.data[cn * t + 5] = m * yOld * u; moments.data[cn * t + 6] = m * yOld * v
                moments.data[cn * t + 7] = m * u * u; moments.data[cn * t + 8] = m * v * v
                moments.data[cn * t + 9] = m * luma.data[i]
            }
            change.data[2 * t] = m; change.data[2 * t + 1] = m * difference.data[i]
        }
    }
    let cell = max(1, faceSize / ChromaScale.gridCells)
    let gw = max(1, Int((Double(rect.width) / cell).rounded(.up))), gh = max(1, Int((Double(rect.height) / cell).rounded(.up)))
    let sigma = faceSize * (fit ? ChromaScale.fit : ChromaScale.smooth) / cell
    let grid = moments.resized(width: gw, height: gh, method: .area).gaussianBlurred(sigma: sigma)
    let gate = change.resized(width: gw, height: gh, method: .area).gaussianBlurred(sigma: faceSize * ChromaScale.gate / cell)
    let pc = fit ? 9 : 3   // parameters, then the gate weight last
    var params = FloatImage(width: gw, height: gh, channels: pc)
    for j in 0..<(gw * gh) {
        let s = Array(grid.data[(cn * j)..<(cn * j + cn)])
        let gm = gate.data[2 * j], gd = gate.data[2 * j + 1]
        guard s[0] > 1e-6, gm > 1e-6 else { continue }   // far from the mask: weight 0, chroma kept
        let mu = s[1] / s[0], mv = s[2] / s[0]
        let level = (gd / gm - ChromaScale.gateLow) / (ChromaScale.gateHigh - ChromaScale.gateLow)
        let z = min(max(level, 0), 1)
        params.data[pc * j + pc - 1] = z * z * (3 - 2 * z)   // smoothstep
        if !fit { params.data[pc * j] = mu; params.data[pc * j + 1] = mv; continue }
        let my = s[3] / s[0]
        let varY = max(s[4] / s[0] - my * my, 0)
        let aU = (s[5] / s[0] - my * mu) / (varY + ChromaScale.fitEpsilon)
        let aV = (s[6] / s[0] - my * mv) / (varY + ChromaScale.fitEpsilon)
        // The prediction may leave the dst's luma range: its chroma stays within 2 σ of the local mean.
        let sdU = max(s[7] / s[0] - mu * mu, 0).squareRoot(), sdV = max(s[8] / s[0] - mv * mv, 0).squareRoot()
        let myNew = s[9] / s[0]   // the new luma's local mean: the slope acts on deviations from it (see above)
        let values: [Float] = [aU, mu - aU * myNew, aV, mv - aV * myNew, mu - 2 * sdU, mu + 2 * sdU, mv - 2 * sdV, mv + 2 * sdV]
        for c in 0..<8 { params.data[pc * j + c] = values[c] }
    }
    let full = params.resized(width: rect.width, height: rect.height, method: .linear)
    var weight = [Float](repeating: 0, count: rect.width * rect.height)
    var kept = FloatImage(width: rect.width, height: rect.height, channels: pc - 1)
    for t in 0..<(rect.width * rect.height) {
        weight[t] = full.data[pc * t + pc - 1]
        for c in 0..<(pc - 1) { kept.data[(pc - 1) * t + c] = full.data[pc * t + c] }
    }
    return ChromaTargets(mode: mode, params: kept, weight: weight)
}

/// The bounding rectangle of the pixels of a 1-channel image that are > 0, or nil.
func nonzeroBounds(_ m: FloatImage) -> PixelRect? {
    var x0 = Int.max, y0 = Int.max, x1 = Int.min, y1 = Int.min
    for y in 0..<m.height {
        for x in 0..<m.width where m.data[y * m.width + x] > 0 {
            x0 = min(x0, x); x1 = max(x1, x); y0 = min(y0, y); y1 = max(y1, y)
        }
    }
    guard x0 != Int.max else { return nil }
    return PixelRect(x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1)
}
