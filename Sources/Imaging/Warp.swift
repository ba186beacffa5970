// Affine warp as cv2.warpAffine (without WARP_INVERSE_MAP): the output pixel (x, y) samples the source at
// M⁻¹·(x, y). Like OpenCV (imgproc/src/imgwarp.cpp) the source position is quantised to 1/32 pixel
// (INTER_BITS = 5) through 10-bit fixed-point increments, and 8-bit images use 15-bit integer weights.

/// Interpolation for `warpAffine`.
public enum WarpInterpolation: Sendable, Equatable {
    case bilinear
    case cubic
    case lanczos4
}

/// What a warp samples outside the source image.
public enum WarpBorder: Sendable, Equatable {
    /// A constant value in every channel (8-bit images round and clamp it to 0...255).
    case constant(Double)
    /// The nearest edge pixel (cv2.BORDER_REPLICATE).
    case replicate
}

/// Per 1/32-pixel fraction pair: ksize×ksize weights as floats and as integers summing exactly to 2^15.
struct WarpKernel: Sendable {
    let ksize: Int
    let weights: [Float]
    let fixed: [Int32]

    static let bilinear = WarpKernel(.bilinear)
    static let cubic = WarpKernel(.cubic)
    static let lanczos4 = WarpKernel(.lanczos4)

    static func of(_ m: WarpInterpolation) -> WarpKernel {
        switch m {
        case .bilinear: return bilinear
        case .cubic: return cubic
        case .lanczos4: return lanczos4
        }
    }

    private init(_ method: WarpInterpolation) {
        let ks = method == .bilinear ? 2 : (method == .cubic ? 4 : 8)
        ksize = ks
        var tab1 = [Float](repeating: 0, count: 32 * ks)
        var w = [Float](repeating: 0, count: 8)
        for i in 0..<32 {
            let x = Float(i) * (1 / Float(32))
            switch method {
            case .bilinear: w[0] = 1 - x; w[1] = x
            case .cubic: (w[0], w[1], w[2], w[3]) = cubicWeights(x)
            case .lanczos4: lanczos4Weights(x, into: &w)
            }
            for k in 0..<ks { tab1[i * ks + k] = w[k] }
        }
        let n = ks * ks
        var wf = [Float](repeating: 0, count: 1024 * n)
        var wi = [Int32](repeating: 0, count: 1024 * n)
        for i in 0..<32 {
            for j in 0..<32 {
                let base = (i * 32 + j) * n
                var isum: Int32 = 0
                for k1 in 0..<ks {
                    for k2 in 0..<ks {
                        let v = tab1[i * ks + k1] * tab1[j * ks + k2]
                        wf[base + k1 * ks + k2] = v
                        let q = Int32((v * 32768).rounded(.toNearestOrEven))
                        wi[base + k1 * ks + k2] = q
                        isum += q
                    }
                }
                // Put the rounding error on the largest (or smallest) of the central weights, as OpenCV does.
                if isum != 32768 {
                    let diff = isum - 32768
                    let c = ks / 2
                    var mk = (c, c), bk = (c, c)
                    for k1 in c..<(c + 2) {
                        for k2 in c..<(c + 2) where k1 < ks && k2 < ks {
                            let v = wi[base + k1 * ks + k2]
                            if v < wi[base + mk.0 * ks + mk.1] { mk = (k1, k2) }
                            else if v > wi[base + bk.0 * ks + bk.1] { bk = (k1, k2) }
                        }
                    }
                    if diff < 0 { wi[base + bk.0 * ks + bk.1] -= diff } else { wi[base + mk.0 * ks + mk.1] -= diff }
                }
            }
        }
        weights = wf
        fixed = wi
    }
}

/// The fixed-point source-position increments of a warp (OpenCV's AB_BITS = 10 with a 1/64-pixel
/// rounding offset), from the inverted matrix.
struct WarpMapping {
    let inv: [Double]
    let adelta: [Int]
    let bdelta: [Int]

    init(matrix m: [Double], width: Int) {
        precondition(m.count == 6, "an affine matrix has 6 entries (2×3, row-major)")
        var d = m[0] * m[4] - m[1] * m[3]
        d = d != 0 ? 1 / d : 0
        let a11 = m[4] * d, a22 = m[0] * d
        let a12 = -m[1] * d, a21 = -m[3] * d
        let b1 = -a11 * m[2] - a12 * m[5]
        let b2 = -a21 * m[2] - a22 * m[5]
        inv = [a11, a12, b1, a21, a22, b2]
        adelta = (0..<width).map { saturatingRound(a11 * Double($0) * 1024) }
        bdelta = (0..<width).map { saturatingRound(a21 * Double($0) * 1024) }
    }

    /// Row start values X0, Y0 (with the rounding offset of half a 1/32 step).
    func rowStart(_ y: Int) -> (Int, Int) {
        (saturatingRound((inv[1] * Double(y) + inv[2]) * 1024) + 16,
         saturatingRound((inv[4] * Double(y) + inv[5]) * 1024) + 16)
    }
}

@inline(__always) func saturatingRound(_ v: Double) -> Int {
    let r = v.rounded(.toNearestOrEven)
    if r >= Double(Int32.max) { return Int(Int32.max) }
    if r <= Double(Int32.min) { return Int(Int32.min) }
    return Int(r)
}

/// Source sample position for output x in a row: integer pixel (clamped to Int16 like OpenCV) and the
/// 1/32 fractions.
@inline(__always) func warpPosition(_ x0: Int, _ y0: Int, _ ad: Int, _ bd: Int) -> (Int, Int, Int) {
    let X = (x0 + ad) >> 5, Y = (y0 + bd) >> 5
    let ix = min(max(X >> 5, -32768), 32767), iy = min(max(Y >> 5, -32768), 32767)
    return (ix, iy, (Y & 31) * 32 + (X & 31))
}

/// `image` warped by the affine `matrix` (2×3 row-major, source → output, as given to cv2.warpAffine)
/// into a `width`×`height` image. Bilinear matches OpenCV 4.x bit for bit in our tests' cases (within
/// 1 level by contract); cubic and Lanczos-4 use OpenCV's 1/32-pixel weight tables.
public func warpAffine(_ image: Image, matrix: [Double], width: Int, height: Int,
                       interpolation: WarpInterpolation = .bilinear, border: WarpBorder = .constant(0)) -> Image {
    precondition(width >= 0 && height >= 0, "negative output size")
    let cn = image.channels
    var out = [UInt8](repeating: 0, count: width * height * cn)
    if width == 0 || height == 0 { return Image(width: width, height: height, channels: cn, pixels: out) }
    if image.isEmpty {  // nothing to sample: the whole output is border (0 for replicate)
        if case .constant(let v) = border { out = [UInt8](repeating: UInt8(min(max(v.rounded(), 0), 255)), count: out.count) }
        return Image(width: width, height: height, channels: cn, pixels: out)
    }
    let map = WarpMapping(matrix: matrix, width: width)
    let kernel = WarpKernel.of(interpolation)
    let sw = image.width, sh = image.height
    var cval: Int32 = 0, replicate = false
    switch border {
    case .constant(let v): cval = Int32(min(max(v.rounded(.toNearestOrEven), 0), 255))
    case .replicate: replicate = true
    }
    let ks = kernel.ksize, n = ks * ks
    image.pixels.withUnsafeBufferPointer { srcBuf in
    out.withUnsafeMutableBufferPointer { dstBuf in
    kernel.fixed.withUnsafeBufferPointer { wtab in
    map.adelta.withUnsafeBufferPointer { adelta in
    map.bdelta.withUnsafeBufferPointer { bdelta in
        let src = srcBuf.baseAddress!, dst = SharedPointer(dstBuf.baseAddress!)
        let wt = wtab.baseAddress!, ad = adelta.baseAddress!, bd = bdelta.baseAddress!
        forEachRowRange(height, rowCost: width * cn * n) { rows in
            let taps = UnsafeMutablePointer<Int32>.allocate(capacity: n)
            defer { taps.deallocate() }
            // Blocks of 32 rows × 128 columns keep the source reads of a rotated mapping cache-local.
            for yb in stride(from: rows.lowerBound, to: rows.upperBound, by: 32) {
            for xs in stride(from: 0, to: width, by: 128) {
            let xe = min(xs + 128, width)
            for y in yb..<min(yb + 32, rows.upperBound) {
                let (x0, y0) = map.rowStart(y)
                let d = dst.base + (y * width + xs) * cn
                func row(_ ks: Int, _ cn: Int) {
                    warpRowU8(src, sw: sw, sh: sh, d, xs: xs, xe: xe, x0: x0, y0: y0, ad: ad, bd: bd, wt: wt,
                           ks: ks, cn: cn, cval: cval, replicate: replicate, taps: taps)
                }
                switch (ks, cn) {
                case (2, 1): row(2, 1)
                case (2, 3): row(2, 3)
                case (4, 1): row(4, 1)
                case (4, 3): row(4, 3)
                case (8, 1): row(8, 1)
                case (8, 3): row(8, 3)
                default: row(ks, cn)
                }
            }
            }
            }
        }
    }
    }
    }
    }
    }
    return Image(width: width, height: height, channels: cn, pixels: out)
}

/// Float variant of `warpAffine`: the same 1/32-pixel source positions, float weights, no rounding.
public func warpAffine(_ image: FloatImage, matrix: [Double], width: Int, height: Int,
                       interpolation: WarpInterpolation = .bilinear, border: WarpBorder = .constant(0)) -> FloatImage {
    precondition(width >= 0 && height >= 0, "negative output size")
    let cn = image.channels
    var out = [Float](repeating: 0, count: width * height * cn)
    if width == 0 || height == 0 { return FloatImage(width: width, height: height, channels: cn, data: out) }
    if image.width == 0 || image.height == 0 {  // nothing to sample: the whole output is border (0 for replicate)
        if case .constant(let v) = border { out = [Float](repeating: Float(v), count: out.count) }
        return FloatImage(width: width, height: height, channels: cn, data: out)
    }
    let map = WarpMapping(matrix: matrix, width: width)
    let kernel = WarpKernel.of(interpolation)
    let sw = image.width, sh = image.height
    var cval: Float = 0, replicate = false
    switch border {
    case .constant(let v): cval = Float(v)
    case .replicate: replicate = true
    }
    let ks = kernel.ksize, n = ks * ks
    image.data.withUnsafeBufferPointer { srcBuf in
    out.withUnsafeMutableBufferPointer { dstBuf in
    kernel.weights.withUnsafeBufferPointer { wtab in
    map.adelta.withUnsafeBufferPointer { adelta in
    map.bdelta.withUnsafeBufferPointer { bdelta in
        let src = srcBuf.baseAddress!, dst = SharedPointer(dstBuf.baseAddress!)
        let wt = wtab.baseAddress!, ad = adelta.baseAddress!, bd = bdelta.baseAddress!
        forEachRowRange(height, rowCost: width * cn * n) { rows in
            let taps = UnsafeMutablePointer<Float>.allocate(capacity: n)
            defer { taps.deallocate() }
            // Blocks of 32 rows × 128 columns keep the source reads of a rotated mapping cache-local.
            for yb in stride(from: rows.lowerBound, to: rows.upperBound, by: 32) {
            for xs in stride(from: 0, to: width, by: 128) {
            let xe = min(xs + 128, width)
            for y in yb..<min(yb + 32, rows.upperBound) {
                let (x0, y0) = map.rowStart(y)
                let d = dst.base + (y * width + xs) * cn
                func row(_ ks: Int, _ cn: Int) {
                    warpRowF32(src, sw: sw, sh: sh, d, xs: xs, xe: xe, x0: x0, y0: y0, ad: ad, bd: bd, wt: wt,
                           ks: ks, cn: cn, cval: cval, replicate: replicate, taps: taps)
                }
                switch (ks, cn) {
                case (2, 1): row(2, 1)
                case (2, 3): row(2, 3)
                case (4, 1): row(4, 1)
                case (4, 3): row(4, 3)
                case (8, 1): row(8, 1)
                case (8, 3): row(8, 3)
                default: row(ks, cn)
                }
            }
            }
            }
        }
    }
    }
    }
    }
    }
    return FloatImage(width: width, height: height, channels: cn, data: out)
}

/// One output row of the warp; inlined with constant `ks` and `cn` so the tap loops unroll.
@inline(__always)
private func warpRowU8(_ src: UnsafePointer<UInt8>, sw: Int, sh: Int, _ d0: UnsafeMutablePointer<UInt8>, xs: Int, xe: Int,
                     x0: Int, y0: Int, ad: UnsafePointer<Int>, bd: UnsafePointer<Int>, wt: UnsafePointer<Int32>,
                     ks: Int, cn: Int, cval: Int32, replicate: Bool, taps: UnsafeMutablePointer<Int32>) {
    let n = ks * ks, half = ks / 2 - 1
    var d = d0
    for x in xs..<xe {
        let (ix, iy, a) = warpPosition(x0, y0, ad[x], bd[x])
        let w = wt + a * n
        let sx = ix - half, sy = iy - half
        if sx >= 0 && sy >= 0 && sx + ks <= sw && sy + ks <= sh {
            let s = src + (sy * sw + sx) * cn
            if ks == 2 {
                let s1 = s + sw * cn
                for c in 0..<cn {
                    let v = Int32(s[c]) &* w[0] &+ Int32(s[c + cn]) &* w[1]
                        &+ Int32(s1[c]) &* w[2] &+ Int32(s1[c + cn]) &* w[3]
                    d[c] = UInt8(clamping: (v &+ (1 << 14)) >> 15)
                }
            } else {
                for c in 0..<cn {
                    var v: Int32 = 0
                    for k1 in 0..<ks {
                        let row = s + k1 * sw * cn + c
                        for k2 in 0..<ks { v &+= Int32(row[k2 * cn]) &* w[k1 * ks + k2] }
                    }
                    d[c] = UInt8(clamping: (v &+ (1 << 14)) >> 15)
                }
            }
        } else if !replicate && (sx >= sw || sx + ks <= 0 || sy >= sh || sy + ks <= 0) {
            for c in 0..<cn { d[c] = UInt8(cval) }
        } else {
            for c in 0..<cn {
                for k1 in 0..<ks {
                    var yy = sy + k1
                    let yIn = yy >= 0 && yy < sh
                    if replicate { yy = min(max(yy, 0), sh - 1) }
                    for k2 in 0..<ks {
                        var xx = sx + k2
                        let xIn = xx >= 0 && xx < sw
                        if replicate { xx = min(max(xx, 0), sw - 1) }
                        taps[k1 * ks + k2] = (replicate || (xIn && yIn)) ? Int32(src[(yy * sw + xx) * cn + c]) : cval
                    }
                }
                var v: Int32 = 0
                for k in 0..<n { v &+= taps[k] &* w[k] }
                d[c] = UInt8(clamping: (v &+ (1 << 14)) >> 15)
            }
        }
        d += cn
    }
}

/// One output row of the warp; inlined with constant `ks` and `cn` so the tap loops unroll.
@inline(__always)
private func warpRowF32(_ src: UnsafePointer<Float>, sw: Int, sh: Int, _ d0: UnsafeMutablePointer<Float>, xs: Int, xe: Int,
                     x0: Int, y0: Int, ad: UnsafePointer<Int>, bd: UnsafePointer<Int>, wt: UnsafePointer<Float>,
                     ks: Int, cn: Int, cval: Float, replicate: Bool, taps: UnsafeMutablePointer<Float>) {
    let n = ks * ks, half = ks / 2 - 1
    var d = d0
    for x in xs..<xe {
        let (ix, iy, a) = warpPosition(x0, y0, ad[x], bd[x])
        let w = wt + a * n
        let sx = ix - half, sy = iy - half
        if sx >= 0 && sy >= 0 && sx + ks <= sw && sy + ks <= sh {
            let s = src + (sy * sw + sx) * cn
            if ks == 2 {
                let s1 = s + sw * cn
                for c in 0..<cn {
                    d[c] = s[c] * w[0] + s[c + cn] * w[1] + s1[c] * w[2] + s1[c + cn] * w[3]
                }
            } else {
                for c in 0..<cn {
                    var v: Float = 0
                    for k1 in 0..<ks {
                        let row = s + k1 * sw * cn + c
                        for k2 in 0..<ks { v += row[k2 * cn] * w[k1 * ks + k2] }
                    }
                    d[c] = v
                }
            }
        } else if !replicate && (sx >= sw || sx + ks <= 0 || sy >= sh || sy + ks <= 0) {
            for c in 0..<cn { d[c] = cval }
        } else {
            for c in 0..<cn {
                for k1 in 0..<ks {
                    var yy = sy + k1
                    let yIn = yy >= 0 && yy < sh
                    if replicate { yy = min(max(yy, 0), sh - 1) }
                    for k2 in 0..<ks {
                        var xx = sx + k2
                        let xIn = xx >= 0 && xx < sw
                        if replicate { xx = min(max(xx, 0), sw - 1) }
                        taps[k1 * ks + k2] = (replicate || (xIn && yIn)) ? src[(yy * sw + xx) * cn + c] : cval
                    }
                }
                var v: Float = 0
                for k in 0..<n { v += taps[k] * w[k] }
                d[c] = v
            }
        }
        d += cn
    }
}
