/// Shapes of one convolution call.
struct ConvGeometry {
    let batch, height, width, inChannels, outChannels, kernel, stride, padding: Int
    var outHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
    var outWidth: Int { (width + 2 * padding - kernel) / stride + 1 }
    /// Length of one im2col row: (ky, kx, ci).
    var patch: Int { kernel * kernel * inChannels }
    var isPointwise: Bool { kernel == 1 && stride == 1 && padding == 0 }
}

/// Convolution as im2col + sgemm, processed in chunks of samples so the column buffer stays bounded.
///
/// Forward: Y[rows, out] = Col[rows, k·k·in] · W[k·k·in, out]. Backward: dW += Colᵀ · dY, and
/// dCol = dY · Wᵀ folded back onto the input (col2im, written as a gather so threads never collide).
enum Im2colConvolution {
    /// Upper bound for the column buffer, in floats (64 MiB).
    static let columnBudget = 16 << 20

    static func samplesPerChunk(_ g: ConvGeometry) -> Int {
        let perSample = g.outHeight * g.outWidth * g.patch
        return max(1, min(g.batch, columnBudget / max(1, perSample)))
    }

    static func forward(_ g: ConvGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                        y: UnsafeMutablePointer<Float>, workspace: Workspace) {
        let outPixels = g.outHeight * g.outWidth
        if g.isPointwise {
            sgemm(m: g.batch * outPixels, n: g.outChannels, k: g.inChannels, a: x, lda: g.inChannels,
                  b: weight, ldb: g.outChannels, beta: 0, c: y, ldc: g.outChannels)
            return
        }
        let chunk = samplesPerChunk(g)
        let col = workspace.scratch(WorkspaceSlot.columns, count: chunk * outPixels * g.patch)
        var s = 0
        while s < g.batch {
            let n = min(chunk, g.batch - s)
            im2col(g, x: x, samples: s..<(s + n), col: col)
            sgemm(m: n * outPixels, n: g.outChannels, k: g.patch, a: col, lda: g.patch,
                  b: weight, ldb: g.outChannels, beta: 0, c: y + s * outPixels * g.outChannels, ldc: g.outChannels)
            s += n
        }
    }

    static func backward(_ g: ConvGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                         dPre: UnsafePointer<Float>, dWeight: UnsafeMutablePointer<Float>,
                         dx: UnsafeMutablePointer<Float>?, workspace: Workspace) {
        let outPixels = g.outHeight * g.outWidth
        if g.isPointwise {
            let rows = g.batch * outPixels
            sgemm(transA: true, m: g.inChannels, n: g.outChannels, k: rows, a: x, lda: g.inChannels,
                  b: dPre, ldb: g.outChannels, beta: 1, c: dWeight, ldc: g.outChannels)
            if let dx {
                sgemm(transB: true, m: rows, n: g.inChannels, k: g.outChannels, a: dPre, lda: g.outChannels,
                      b: weight, ldb: g.outChannels, beta: 0, c: dx, ldc: g.inChannels)
            }
            return
        }
        let chunk = samplesPerChunk(g)
        let col = workspace.scratch(WorkspaceSlot.columns, count: chunk * outPixels * g.patch)
        var s = 0
        while s < g.batch {
            let n = min(chunk, g.batch - s)
            let rows = n * outPixels
            let dy = dPre + s * outPixels * g.outChannels
            im2col(g, x: x, samples: s..<(s + n), col: col)
            sgemm(transA: true, m: g.patch, n: g.outChannels, k: rows, a: col, lda: g.patch,
                  b: dy, ldb: g.outChannels, beta: 1, c: dWeight, ldc: g.outChannels)
            if let dx {
                sgemm(transB: true, m: rows, n: g.patch, k: g.outChannels, a: dy, lda: g.outChannels,
                      b: weight, ldb: g.outChannels, beta: 0, c: col, ldc: g.patch)
                col2im(g, col: col, samples: s..<(s + n), dx: dx)
            }
            s += n
        }
    }

    /// Fills `col` with one row per output pixel of `samples`: the k×k×in patch under it, zeros outside.
    static func im2col(_ g: ConvGeometry, x: UnsafePointer<Float>, samples: Range<Int>, col: UnsafeMutablePointer<Float>) {
        let H = g.height, W = g.width, C = g.inChannels, k = g.kernel, st = g.stride, p = g.padding
        let Ho = g.outHeight, Wo = g.outWidth, patch = g.patch
        let first = samples.lowerBound
        parallelRanges(samples.count * Ho, costPerItem: Wo * patch) { lines in
            for line in lines {
                let n = first + line / Ho, oy = line % Ho
                for ox in 0..<Wo {
                    let dst = col + ((line * Wo) + ox) * patch
                    let ix0 = ox * st - p
                    let rowInside = ix0 >= 0 && ix0 + k <= W
                    for ky in 0..<k {
                        let iy = oy * st - p + ky
                        let seg = dst + ky * k * C
                        if iy < 0 || iy >= H { seg.update(repeating: 0, count: k * C); continue }
                        let src = x + ((n * H + iy) * W) * C
                        if rowInside {
                            // The k taps of one kernel row are k consecutive pixels: one copy.
                            seg.update(from: src + ix0 * C, count: k * C)
                        } else {
                            for kx in 0..<k {
                                let ix = ix0 + kx
                                if ix < 0 || ix >= W { (seg + kx * C).update(repeating: 0, count: C) }
                                else { (seg + kx * C).update(from: src + ix * C, count: C) }
                            }
                        }
                    }
                }
            }
        }
    }

    /// dx[n, iy, ix, :] = Σ over the (output pixel, tap) pairs that read input pixel (iy, ix) of dCol.
    static func col2im(_ g: ConvGeometry, col: UnsafePointer<Float>, samples: Range<Int>, dx: UnsafeMutablePointer<Float>) {
        let H = g.height, W = g.width, C = g.inChannels, k = g.kernel, st = g.stride, p = g.padding
        let Ho = g.outHeight, Wo = g.outWidth, patch = g.patch
        let first = samples.lowerBound
        parallelRanges(samples.count * H, costPerItem: W * patch / max(1, st * st)) { lines in
            for line in lines {
                let local = line / H, iy = line % H
                let n = first + local
                for ix in 0..<W {
                    let dst = dx + ((n * H + iy) * W + ix) * C
                    dst.update(repeating: 0, count: C)
                    for ky in 0..<k {
                        let ty = iy + p - ky
                        if ty < 0 || ty % st != 0 { continue }
                        let oy = ty / st
                        if oy >= Ho { continue }
                        for kx in 0..<k {
                            let tx = ix + p - kx
                            if tx < 0 || tx % st != 0 { continue }
                            let ox = tx / st
                            if ox >= Wo { continue }
                            let src = col + ((local * Ho + oy) * Wo + ox) * patch + (ky * k + kx) * C
                            for c in 0..<C { dst[c] += src[c] }
                        }
                    }
                }
            }
        }
    }
}
