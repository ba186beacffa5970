// Resizing kernels for 8-bit and float images (tables in ResizeTables.swift).

extension Image {
    /// This image resized to `width`×`height` as cv2.resize does (within 1 level on 8-bit data; see the
    /// tests). Borders replicate. 8-bit results use OpenCV's fixed-point weights and rounding.
    public func resized(width dstW: Int, height dstH: Int, method: ResizeMethod) -> Image {
        precondition(dstW > 0 && dstH > 0, "resize to an empty size")
        precondition(!isEmpty, "resize of an empty image")
        let cn = channels
        var out = [UInt8](repeating: 0, count: dstW * dstH * cn)
        let plan = ResizePlan(srcW: width, srcH: height, dstW: dstW, dstH: dstH, method: method)
        if case .copy = plan { return self }
        let srcW = width
        pixels.withUnsafeBufferPointer { srcBuf in
            out.withUnsafeMutableBufferPointer { dstBuf in
                let src = srcBuf.baseAddress!, dst = SharedPointer(dstBuf.baseAddress!)
                switch plan {
                case .copy: break
                case .areaFast(let kx, let ky):
                    forEachRowRange(dstH, rowCost: dstW * cn * kx * ky) { rows in
                        areaFastU8(src, srcW: srcW, dst.base, dstW: dstW, cn: cn, kx: kx, ky: ky, rows: rows)
                    }
                case .area(let xt, let yt):
                    forEachRowRange(dstH, rowCost: srcW * cn * 2) { rows in
                        areaU8(src, srcW: srcW, dst.base, dstW: dstW, cn: cn, xt: xt, yt: yt, rows: rows)
                    }
                case .separable(let xa, let ya):
                    let taps = ExpandedTaps(xa, dstW: dstW, cn: cn)
                    let rowLen = dstW * cn
                    forEachRowRange(dstH, rowCost: rowLen * xa.ksize) { rows in
                        if method == .cubic {
                            separableFloat(src, srcW: srcW, dstW: dstW, cn: cn, taps: taps, ya: ya, rows: rows,
                                           hpass: hpassU8Float) { dy, acc in
                                let d = dst.base + dy * rowLen
                                for i in 0..<rowLen { d[i] = roundToU8(acc[i]) }
                            }
                        } else {
                            separableU8(src, srcW: srcW, dst.base, dstW: dstW, cn: cn, taps: taps, ya: ya, rows: rows)
                        }
                    }
                }
            }
        }
        return Image(width: dstW, height: dstH, channels: cn, pixels: out)
    }
}

extension FloatImage {
    /// This image resized to `width`×`height` as cv2.resize does on CV_32F data (float weights, no
    /// rounding). Any channel count.
    public func resized(width dstW: Int, height dstH: Int, method: ResizeMethod) -> FloatImage {
        precondition(dstW > 0 && dstH > 0, "resize to an empty size")
        precondition(width > 0 && height > 0, "resize of an empty image")
        let cn = channels
        var out = [Float](repeating: 0, count: dstW * dstH * cn)
        let plan = ResizePlan(srcW: width, srcH: height, dstW: dstW, dstH: dstH, method: method)
        if case .copy = plan { return self }
        let srcW = width
        data.withUnsafeBufferPointer { srcBuf in
            out.withUnsafeMutableBufferPointer { dstBuf in
                let src = srcBuf.baseAddress!, dst = SharedPointer(dstBuf.baseAddress!)
                switch plan {
                case .copy: break
                case .areaFast(let kx, let ky):
                    forEachRowRange(dstH, rowCost: dstW * cn * kx * ky) { rows in
                        areaFastF32(src, srcW: srcW, dst.base, dstW: dstW, cn: cn, kx: kx, ky: ky, rows: rows)
                    }
                case .area(let xt, let yt):
                    forEachRowRange(dstH, rowCost: srcW * cn * 2) { rows in
                        areaF32(src, srcW: srcW, dst.base, dstW: dstW, cn: cn, xt: xt, yt: yt, rows: rows)
                    }
                case .separable(let xa, let ya):
                    let taps = ExpandedTaps(xa, dstW: dstW, cn: cn)
                    let rowLen = dstW * cn
                    forEachRowRange(dstH, rowCost: rowLen * xa.ksize) { rows in
                        separableFloat(src, srcW: srcW, dstW: dstW, cn: cn, taps: taps, ya: ya, rows: rows,
                                       hpass: hpassFloat) { dy, acc in
                            (dst.base + dy * rowLen).update(from: acc, count: rowLen)
                        }
                    }
                }
            }
        }
        return FloatImage(width: dstW, height: dstH, channels: cn, data: out)
    }
}

// MARK: - Separable interpolation (linear, cubic, Lanczos-4)

/// An axis's taps expanded per output sample (dx·cn + c) so the horizontal loop runs over one index with a
/// constant tap count: offsets into a source row, integer and float weights.
private struct ExpandedTaps {
    let ksize: Int
    var offsets: [Int32]
    var fixed: [Int32]
    var weights: [Float]

    init(_ axis: InterpAxis, dstW: Int, cn: Int) {
        ksize = axis.ksize
        let n = dstW * cn * ksize
        offsets = [Int32](repeating: 0, count: n)
        fixed = [Int32](repeating: 0, count: n)
        weights = [Float](repeating: 0, count: n)
        for dx in 0..<dstW {
            for c in 0..<cn {
                for k in 0..<ksize {
                    let t = (dx * cn + c) * ksize + k
                    offsets[t] = Int32(axis.index[dx * ksize + k] * cn + c)
                    fixed[t] = axis.fixed[dx * ksize + k]
                    weights[t] = axis.weight[dx * ksize + k]
                }
            }
        }
    }
}

/// The ring of horizontally resized source rows each worker keeps: slot = source row % ksize (the rows one
/// output row needs are consecutive, so they never collide).
private struct RowRing<T> {
    let rows: UnsafeMutablePointer<T>
    var tag: [Int]
    let rowLen: Int

    init(ksize: Int, rowLen: Int) {
        rows = .allocate(capacity: ksize * rowLen)
        tag = [Int](repeating: -1, count: ksize)
        self.rowLen = rowLen
    }

    func free() { rows.deallocate() }
}

@inline(__always) private func hpassU8(_ s: UnsafePointer<UInt8>, _ r: UnsafeMutablePointer<Int32>,
                                       _ xo: UnsafePointer<Int32>, _ xw: UnsafePointer<Int32>, _ n: Int, _ k: Int) {
    for i in 0..<n {
        var acc: Int32 = 0
        for j in 0..<k { acc &+= Int32(s[Int(xo[i * k + j])]) &* xw[i * k + j] }
        r[i] = acc
    }
}

@inline(__always) private func hpassF32<S: BinaryInteger & FixedWidthInteger>(
    _ s: UnsafePointer<S>, _ r: UnsafeMutablePointer<Float>, _ xo: UnsafePointer<Int32>,
    _ xw: UnsafePointer<Float>, _ n: Int, _ k: Int) {
    for i in 0..<n {
        var acc: Float = 0
        for j in 0..<k { acc += Float(s[Int(xo[i * k + j])]) * xw[i * k + j] }
        r[i] = acc
    }
}

@inline(__always) private func hpassF32(_ s: UnsafePointer<Float>, _ r: UnsafeMutablePointer<Float>,
                                        _ xo: UnsafePointer<Int32>, _ xw: UnsafePointer<Float>, _ n: Int, _ k: Int) {
    for i in 0..<n {
        var acc: Float = 0
        for j in 0..<k { acc += s[Int(xo[i * k + j])] * xw[i * k + j] }
        r[i] = acc
    }
}

/// 8-bit linear and Lanczos-4 in OpenCV's fixed point: rows Σα·s with α scaled by 2^11, then
/// (Σβ·row + 2^21) >> 22 saturated. Linear reproduces OpenCV's vector formula instead (see below).
private func separableU8(_ src: UnsafePointer<UInt8>, srcW: Int, _ dst: UnsafeMutablePointer<UInt8>, dstW: Int,
                         cn: Int, taps: ExpandedTaps, ya: InterpAxis, rows: Range<Int>) {
    let kx = taps.ksize, ky = ya.ksize, rowLen = dstW * cn
    var ring = RowRing<Int32>(ksize: ky, rowLen: rowLen)
    defer { ring.free() }
    let acc = UnsafeMutablePointer<Int32>.allocate(capacity: rowLen)
    defer { acc.deallocate() }
    taps.offsets.withUnsafeBufferPointer { xoBuf in
    taps.fixed.withUnsafeBufferPointer { xwBuf in
        let xo = xoBuf.baseAddress!, xw = xwBuf.baseAddress!
        for dy in rows {
            for k in 0..<ky {
                let sy = ya.index[dy * ky + k], slot = sy % ky
                if ring.tag[slot] == sy { continue }
                ring.tag[slot] = sy
                let s = src + sy * srcW * cn, r = ring.rows + slot * rowLen
                switch kx {
                case 2: hpassU8(s, r, xo, xw, rowLen, 2)
                case 4: hpassU8(s, r, xo, xw, rowLen, 4)
                default: hpassU8(s, r, xo, xw, rowLen, 8)
                }
            }
            let d = dst + dy * rowLen
            if ky == 2 {
                let b0 = ya.fixed[dy * 2], b1 = ya.fixed[dy * 2 + 1]
                let r0 = ring.rows + (ya.index[dy * 2] % 2) * rowLen, r1 = ring.rows + (ya.index[dy * 2 + 1] % 2) * rowLen
                // OpenCV's vector path drops 4 bits before a 16-bit multiply-high (the fixtures show it covers
                // whole rows); reproduced so results match bit for bit.
                for i in 0..<rowLen {
                    let a = (Int32(Int16(clamping: r0[i] >> 4)) &* b0) >> 16
                    let b = (Int32(Int16(clamping: r1[i] >> 4)) &* b1) >> 16
                    d[i] = UInt8(clamping: (Int32(Int16(truncatingIfNeeded: a &+ b)) &+ 2) >> 2)
                }
                continue
            }
            for k in 0..<ky {
                let r = ring.rows + (ya.index[dy * ky + k] % ky) * rowLen, b = ya.fixed[dy * ky + k]
                if k == 0 { for i in 0..<rowLen { acc[i] = r[i] &* b } } else {
                    for i in 0..<rowLen { acc[i] &+= r[i] &* b }
                }
            }
            for i in 0..<rowLen { d[i] = castFixed22(acc[i]) }
        }
    }
    }
}

/// Float separable resize; the source is 8-bit (OpenCV 4.x computes 8-bit bicubic in float: float weights
/// in both passes, then round to nearest even) or float (CV_32F, no rounding).
private func separableFloat<S>(_ src: UnsafePointer<S>, srcW: Int, dstW: Int, cn: Int, taps: ExpandedTaps,
                               ya: InterpAxis, rows: Range<Int>,
                               hpass: (UnsafePointer<S>, UnsafeMutablePointer<Float>, UnsafePointer<Int32>, UnsafePointer<Float>, Int, Int) -> Void,
                               store: (Int, UnsafeMutablePointer<Float>) -> Void) {
    let kx = taps.ksize, ky = ya.ksize, rowLen = dstW * cn
    var ring = RowRing<Float>(ksize: ky, rowLen: rowLen)
    defer { ring.free() }
    let acc = UnsafeMutablePointer<Float>.allocate(capacity: rowLen)
    defer { acc.deallocate() }
    taps.offsets.withUnsafeBufferPointer { xoBuf in
    taps.weights.withUnsafeBufferPointer { xwBuf in
        let xo = xoBuf.baseAddress!, xw = xwBuf.baseAddress!
        for dy in rows {
            for k in 0..<ky {
                let sy = ya.index[dy * ky + k], slot = sy % ky
                if ring.tag[slot] == sy { continue }
                ring.tag[slot] = sy
                hpass(src + sy * srcW * cn, ring.rows + slot * rowLen, xo, xw, rowLen, kx)
            }
            for k in 0..<ky {
                let r = ring.rows + (ya.index[dy * ky + k] % ky) * rowLen, b = ya.weight[dy * ky + k]
                if k == 0 { for i in 0..<rowLen { acc[i] = r[i] * b } } else {
                    for i in 0..<rowLen { acc[i] += r[i] * b }
                }
            }
            store(dy, acc)
        }
    }
    }
}

private func hpassU8Float(_ s: UnsafePointer<UInt8>, _ r: UnsafeMutablePointer<Float>, _ xo: UnsafePointer<Int32>,
                          _ xw: UnsafePointer<Float>, _ n: Int, _ k: Int) {
    switch k {
    case 2: hpassF32(s, r, xo, xw, n, 2)
    case 4: hpassF32(s, r, xo, xw, n, 4)
    default: hpassF32(s, r, xo, xw, n, 8)
    }
}

private func hpassFloat(_ s: UnsafePointer<Float>, _ r: UnsafeMutablePointer<Float>, _ xo: UnsafePointer<Int32>,
                        _ xw: UnsafePointer<Float>, _ n: Int, _ k: Int) {
    switch k {
    case 2: hpassF32(s, r, xo, xw, n, 2)
    case 4: hpassF32(s, r, xo, xw, n, 4)
    default: hpassF32(s, r, xo, xw, n, 8)
    }
}

/// Float to 8 bits as OpenCV's saturate_cast: round to nearest even, then clamp (NaN gives 0).
@inline(__always) func roundToU8(_ v: Float) -> UInt8 {
    let r = v.rounded(.toNearestOrEven)
    return r >= 255 ? 255 : (r > 0 ? UInt8(r) : 0)
}

/// (v + 2^21) >> 22 saturated to 0...255 (OpenCV's FixedPtCast with 2·INTER_RESIZE_COEF_BITS).
@inline(__always) func castFixed22(_ v: Int32) -> UInt8 {
    let r = (v &+ (1 << 21)) >> 22
    return UInt8(clamping: r)
}

// MARK: - Area averaging

/// Integer shrink factors: mean of each kx×ky block. 2×2 rounds half up ((Σ+2)>>2) as OpenCV's vector
/// path does; other factors round Σ·(1/area) to nearest even.
private func areaFastU8(_ src: UnsafePointer<UInt8>, srcW: Int, _ dst: UnsafeMutablePointer<UInt8>, dstW: Int,
                        cn: Int, kx: Int, ky: Int, rows: Range<Int>) {
    let rowLen = dstW * cn, srcRow = srcW * cn
    let halving = kx == 2 && ky == 2 && (cn == 1 || cn == 3 || cn == 4)
    let scale = 1 / Float(kx * ky)
    for dy in rows {
        let d = dst + dy * rowLen
        let s0 = src + dy * ky * srcRow
        for dx in 0..<dstW {
            for c in 0..<cn {
                var sum: Int32 = 0
                for j in 0..<ky {
                    let s = s0 + j * srcRow + dx * kx * cn + c
                    for i in 0..<kx { sum &+= Int32(s[i * cn]) }
                }
                if halving {
                    d[dx * cn + c] = UInt8(truncatingIfNeeded: (sum + 2) >> 2)
                } else {
                    d[dx * cn + c] = roundToU8(Float(sum) * scale)
                }
            }
        }
    }
}

private func areaFastF32(_ src: UnsafePointer<Float>, srcW: Int, _ dst: UnsafeMutablePointer<Float>, dstW: Int,
                         cn: Int, kx: Int, ky: Int, rows: Range<Int>) {
    let rowLen = dstW * cn, srcRow = srcW * cn
    let scale = 1 / Float(kx * ky)
    for dy in rows {
        let d = dst + dy * rowLen
        let s0 = src + dy * ky * srcRow
        for dx in 0..<dstW {
            for c in 0..<cn {
                var sum: Float = 0
                for j in 0..<ky {
                    let s = s0 + j * srcRow + dx * kx * cn + c
                    for i in 0..<kx { sum += s[i * cn] }
                }
                d[dx * cn + c] = sum * scale
            }
        }
    }
}

/// Area terms of the horizontal axis expanded per channel: source sample, output sample, weight.
private struct ExpandedAreaTerms {
    var src: [Int32] = [], dst: [Int32] = [], alpha: [Float] = []

    init(_ terms: [AreaTerm], cn: Int) {
        for t in terms {
            for c in 0..<cn {
                src.append(Int32(t.src * cn + c))
                dst.append(Int32(t.dst * cn + c))
                alpha.append(t.alpha)
            }
        }
    }
}

/// Non-integer shrink: each source row contributes to at most two output rows; float accumulation as
/// OpenCV's ResizeArea, then rounding to nearest even for 8-bit output.
private func areaU8(_ src: UnsafePointer<UInt8>, srcW: Int, _ dst: UnsafeMutablePointer<UInt8>, dstW: Int,
                    cn: Int, xt: [AreaTerm], yt: [AreaTerm], rows: Range<Int>) {
    let rowLen = dstW * cn
    var buf = [Float](repeating: 0, count: rowLen)
    var sum = [Float](repeating: 0, count: rowLen)
    let first = yt.firstIndex { $0.dst >= rows.lowerBound } ?? yt.count
    buf.withUnsafeMutableBufferPointer { b in
    sum.withUnsafeMutableBufferPointer { acc in
    let ex = ExpandedAreaTerms(xt, cn: cn)
    ex.src.withUnsafeBufferPointer { so in
    ex.dst.withUnsafeBufferPointer { dof in
    ex.alpha.withUnsafeBufferPointer { al in
        let nTerms = al.count
        var j = first
        while j < yt.count && yt[j].dst < rows.upperBound {
            let dy = yt[j].dst
            var fresh = true
            while j < yt.count && yt[j].dst == dy {
                let beta = yt[j].alpha
                let s = src + yt[j].src * srcW * cn
                for i in 0..<rowLen { b[i] = 0 }
                for t in 0..<nTerms { b[Int(dof[t])] += Float(s[Int(so[t])]) * al[t] }
                if fresh { for i in 0..<rowLen { acc[i] = beta * b[i] } } else {
                    for i in 0..<rowLen { acc[i] += beta * b[i] }
                }
                fresh = false
                j += 1
            }
            let d = dst + dy * rowLen
            for i in 0..<rowLen { d[i] = roundToU8(acc[i]) }
        }
    }
    }
    }
    }
    }
}

private func areaF32(_ src: UnsafePointer<Float>, srcW: Int, _ dst: UnsafeMutablePointer<Float>, dstW: Int,
                     cn: Int, xt: [AreaTerm], yt: [AreaTerm], rows: Range<Int>) {
    let rowLen = dstW * cn
    var buf = [Float](repeating: 0, count: rowLen)
    let first = yt.firstIndex { $0.dst >= rows.lowerBound } ?? yt.count
    buf.withUnsafeMutableBufferPointer { b in
    let ex = ExpandedAreaTerms(xt, cn: cn)
    ex.src.withUnsafeBufferPointer { so in
    ex.dst.withUnsafeBufferPointer { dof in
    ex.alpha.withUnsafeBufferPointer { al in
        let nTerms = al.count
        var j = first
        while j < yt.count && yt[j].dst < rows.upperBound {
            let dy = yt[j].dst
            let d = dst + dy * rowLen
            var fresh = true
            while j < yt.count && yt[j].dst == dy {
                let beta = yt[j].alpha
                let s = src + yt[j].src * srcW * cn
                for i in 0..<rowLen { b[i] = 0 }
                for t in 0..<nTerms { b[Int(dof[t])] += s[Int(so[t])] * al[t] }
                if fresh { for i in 0..<rowLen { d[i] = beta * b[i] } } else {
                    for i in 0..<rowLen { d[i] += beta * b[i] }
                }
                fresh = false
                j += 1
            }
        }
    }
    }
    }
    }
}
