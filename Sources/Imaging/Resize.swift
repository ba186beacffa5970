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
                    forEachRowRange(dstH, rowCost: dstW * cn * xa.ksize) { rows in
                        if method == .cubic {
                            separableU8Float(src, srcW: srcW, dst.base, dstW: dstW, cn: cn, xa: xa, ya: ya, rows: rows)
                        } else {
                            separableU8(src, srcW: srcW, dst.base, dstW: dstW, cn: cn, xa: xa, ya: ya, rows: rows)
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
                    forEachRowRange(dstH, rowCost: dstW * cn * xa.ksize) { rows in
                        separableF32(src, srcW: srcW, dst.base, dstW: dstW, cn: cn, xa: xa, ya: ya, rows: rows)
                    }
                }
            }
        }
        return FloatImage(width: dstW, height: dstH, channels: cn, data: out)
    }
}

// MARK: - Separable interpolation (linear, cubic, Lanczos-4)

/// Horizontal pass into a ring of `ksize` rows keyed by source row (slot = row % ksize), then a vertical
/// pass per output row. Integer arithmetic as OpenCV: (Σ β·Σ α·s + 2^21) >> 22, saturated.
private func separableU8(_ src: UnsafePointer<UInt8>, srcW: Int, _ dst: UnsafeMutablePointer<UInt8>, dstW: Int,
                         cn: Int, xa: InterpAxis, ya: InterpAxis, rows: Range<Int>) {
    let kx = xa.ksize, ky = ya.ksize
    let rowLen = dstW * cn
    let ring = UnsafeMutablePointer<Int32>.allocate(capacity: ky * rowLen)
    defer { ring.deallocate() }
    var slotRow = [Int](repeating: -1, count: ky)
    // Source offsets per (dx, k) pre-multiplied by the channel count.
    let xofs = xa.index.map { $0 * cn }
    xofs.withUnsafeBufferPointer { xo in
    xa.fixed.withUnsafeBufferPointer { xw in
        for dy in rows {
            for k in 0..<ky {
                let sy = ya.index[dy * ky + k]
                let slot = sy % ky
                if slotRow[slot] == sy { continue }
                slotRow[slot] = sy
                let s = src + sy * srcW * cn
                let r = ring + slot * rowLen
                for dx in 0..<dstW {
                    let t = dx * kx
                    for c in 0..<cn {
                        var acc: Int32 = 0
                        for j in 0..<kx { acc &+= Int32(s[xo[t + j] + c]) &* xw[t + j] }
                        r[dx * cn + c] = acc
                    }
                }
            }
            let d = dst + dy * rowLen
            switch ky {
            case 2:
                let b0 = ya.fixed[dy * 2], b1 = ya.fixed[dy * 2 + 1]
                let r0 = ring + (ya.index[dy * 2] % 2) * rowLen, r1 = ring + (ya.index[dy * 2 + 1] % 2) * rowLen
                // OpenCV's vector path drops 4 bits before a 16-bit multiply-high (the fixtures show it covers
                // whole rows); reproduced so results match bit for bit.
                for i in 0..<rowLen {
                    let a = (Int32(Int16(clamping: r0[i] >> 4)) &* b0) >> 16
                    let b = (Int32(Int16(clamping: r1[i] >> 4)) &* b1) >> 16
                    d[i] = UInt8(clamping: (Int32(Int16(truncatingIfNeeded: a &+ b)) &+ 2) >> 2)
                }
            default:
                var rp = [UnsafeMutablePointer<Int32>](repeating: ring, count: ky)
                var bw = [Int32](repeating: 0, count: ky)
                for k in 0..<ky {
                    rp[k] = ring + (ya.index[dy * ky + k] % ky) * rowLen
                    bw[k] = ya.fixed[dy * ky + k]
                }
                for i in 0..<rowLen {
                    var acc: Int32 = 0
                    for k in 0..<ky { acc &+= rp[k][i] &* bw[k] }
                    d[i] = castFixed22(acc)
                }
            }
        }
    }
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

private func separableF32(_ src: UnsafePointer<Float>, srcW: Int, _ dst: UnsafeMutablePointer<Float>, dstW: Int,
                          cn: Int, xa: InterpAxis, ya: InterpAxis, rows: Range<Int>) {
    let kx = xa.ksize, ky = ya.ksize
    let rowLen = dstW * cn
    let ring = UnsafeMutablePointer<Float>.allocate(capacity: ky * rowLen)
    defer { ring.deallocate() }
    var slotRow = [Int](repeating: -1, count: ky)
    let xofs = xa.index.map { $0 * cn }
    xofs.withUnsafeBufferPointer { xo in
    xa.weight.withUnsafeBufferPointer { xw in
        var rp = [UnsafeMutablePointer<Float>](repeating: ring, count: ky)
        var bw = [Float](repeating: 0, count: ky)
        for dy in rows {
            for k in 0..<ky {
                let sy = ya.index[dy * ky + k]
                let slot = sy % ky
                rp[k] = ring + slot * rowLen
                bw[k] = ya.weight[dy * ky + k]
                if slotRow[slot] == sy { continue }
                slotRow[slot] = sy
                let s = src + sy * srcW * cn
                let r = ring + slot * rowLen
                for dx in 0..<dstW {
                    let t = dx * kx
                    for c in 0..<cn {
                        var acc: Float = 0
                        for j in 0..<kx { acc += s[xo[t + j] + c] * xw[t + j] }
                        r[dx * cn + c] = acc
                    }
                }
            }
            let d = dst + dy * rowLen
            for i in 0..<rowLen {
                var acc: Float = 0
                for k in 0..<ky { acc += rp[k][i] * bw[k] }
                d[i] = acc
            }
        }
    }
    }
}

/// 8-bit bicubic: OpenCV 4.x computes it in float (float weights in both passes, then round to nearest
/// even), not with its 2048-scaled integers; the fixtures confirm this.
private func separableU8Float(_ src: UnsafePointer<UInt8>, srcW: Int, _ dst: UnsafeMutablePointer<UInt8>, dstW: Int,
                              cn: Int, xa: InterpAxis, ya: InterpAxis, rows: Range<Int>) {
    let kx = xa.ksize, ky = ya.ksize
    let rowLen = dstW * cn
    let ring = UnsafeMutablePointer<Float>.allocate(capacity: ky * rowLen)
    defer { ring.deallocate() }
    var slotRow = [Int](repeating: -1, count: ky)
    let xofs = xa.index.map { $0 * cn }
    xofs.withUnsafeBufferPointer { xo in
    xa.weight.withUnsafeBufferPointer { xw in
        var rp = [UnsafeMutablePointer<Float>](repeating: ring, count: ky)
        var bw = [Float](repeating: 0, count: ky)
        for dy in rows {
            for k in 0..<ky {
                let sy = ya.index[dy * ky + k]
                let slot = sy % ky
                rp[k] = ring + slot * rowLen
                bw[k] = ya.weight[dy * ky + k]
                if slotRow[slot] == sy { continue }
                slotRow[slot] = sy
                let s = src + sy * srcW * cn
                let r = ring + slot * rowLen
                for dx in 0..<dstW {
                    let t = dx * kx
                    for c in 0..<cn {
                        var acc: Float = 0
                        for j in 0..<kx { acc += Float(s[xo[t + j] + c]) * xw[t + j] }
                        r[dx * cn + c] = acc
                    }
                }
            }
            let d = dst + dy * rowLen
            for i in 0..<rowLen {
                var acc: Float = 0
                for k in 0..<ky { acc += rp[k][i] * bw[k] }
                d[i] = roundToU8(acc)
            }
        }
    }
    }
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
    xt.withUnsafeBufferPointer { xtab in
        var j = first
        while j < yt.count && yt[j].dst < rows.upperBound {
            let dy = yt[j].dst
            var fresh = true
            while j < yt.count && yt[j].dst == dy {
                let beta = yt[j].alpha
                let s = src + yt[j].src * srcW * cn
                for i in 0..<rowLen { b[i] = 0 }
                for t in xtab {
                    let a = t.alpha, so = t.src * cn, dof = t.dst * cn
                    for c in 0..<cn { b[dof + c] += Float(s[so + c]) * a }
                }
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

private func areaF32(_ src: UnsafePointer<Float>, srcW: Int, _ dst: UnsafeMutablePointer<Float>, dstW: Int,
                     cn: Int, xt: [AreaTerm], yt: [AreaTerm], rows: Range<Int>) {
    let rowLen = dstW * cn
    var buf = [Float](repeating: 0, count: rowLen)
    let first = yt.firstIndex { $0.dst >= rows.lowerBound } ?? yt.count
    buf.withUnsafeMutableBufferPointer { b in
    xt.withUnsafeBufferPointer { xtab in
        var j = first
        while j < yt.count && yt[j].dst < rows.upperBound {
            let dy = yt[j].dst
            let d = dst + dy * rowLen
            var fresh = true
            while j < yt.count && yt[j].dst == dy {
                let beta = yt[j].alpha
                let s = src + yt[j].src * srcW * cn
                for i in 0..<rowLen { b[i] = 0 }
                for t in xtab {
                    let a = t.alpha, so = t.src * cn, dof = t.dst * cn
                    for c in 0..<cn { b[dof + c] += s[so + c] * a }
                }
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
