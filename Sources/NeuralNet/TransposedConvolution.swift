/// The 3×3 stride-2 transposed convolution (TF's `conv2d_transpose`, SAME: output 2H × 2W) at its own
/// multiply-adds: per axis `out[2o + k] += in[o] · w[k]`, k = 0, 1, 2 (docs/dfl-model-folder.md §2; k = 2
/// at the last input pixel falls outside the output and is dropped). The weight `[3, 3, out, in]` read as
/// the matrix W of (9·out) × in rows `(ky, kx, co)`:
///
/// - forward: the columns Y = X · Wᵀ (one row of 9·out per input pixel), then each output pixel gathers its
///   one to four (input pixel, tap) entries (col2im), in a fixed order, plus bias and activation;
/// - backward: the output gradient's columns D (for input pixel (m, n) the 3×3 taps at (2m + ky, 2n + kx),
///   zero outside; each kernel row is three consecutive output pixels, one copy), then dX = D · W and
///   dW += Dᵀ · X, per block of input pixels on each engine thread (the weight gradient from per-thread
///   partials over fixed runs of blocks, summed in thread order, so identical steps give identical bits).
enum TransposedConvolution {
    struct Shape {
        /// The input: batch × height × width × inChannels; the output is batch × 2·height × 2·width × outChannels.
        let batch, height, width, inChannels, outChannels: Int
        var pixels: Int { batch * height * width }
        /// Length of one column row: (ky, kx, co).
        var taps: Int { 9 * outChannels }
    }

    /// Floats of the forward columns per chunk of samples, and rows a chunk has at least
    /// (`Im2colConvolution.gatherChunk`; the tests lower both to run several chunks).
    static let defaultColumnBudget = 1 << 18, defaultChunkRows = 512
    nonisolated(unsafe) static var columnBudget = defaultColumnBudget
    nonisolated(unsafe) static var minimumChunkRows = defaultChunkRows

    /// y = act(transposed conv(x) + bias).
    static func forward(_ s: Shape, x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                        activation: Activation, y: UnsafeMutablePointer<Float>, workspace: Workspace) {
        let (h, w, cin, cout, taps) = (s.height, s.width, s.inChannels, s.outChannels, s.taps)
        let per = h * w, oh = 2 * h, ow = 2 * w
        let kernel = workspace.matmulKernel
        let chunk = Im2colConvolution.gatherChunk(batch: s.batch, rowsPerSample: per, rowFloats: taps, budget: columnBudget,
                                                    minimumRows: minimumChunkRows)
        let cols = workspace.scratch(WorkspaceSlot.columnGradient, count: chunk * per * taps)
        var first = 0
        while first < s.batch {
            let count = min(chunk, s.batch - first)
            let rows = count * per
            let xs = x + first * per * cin
            Im2colConvolution.forEachBlock(rows: rows, blockRows: Im2colConvolution.blockRows(rows: rows, patch: max(cin, taps))) { _, r in
                matmul(kernel, transB: true, m: r.count, n: taps, k: cin, a: xs + r.lowerBound * cin, lda: cin, b: weight,
                       ldb: cin, beta: 0, c: cols + r.lowerBound * taps, ldc: taps)
            }
            let c0 = UnsafePointer(cols), base = first
            parallelRanges(count * oh, costPerItem: ow * cout * 3) { lines in
                for line in lines {
                    let local = line / oh, oy = line % oh
                    // Output row oy = 2·my + py takes tap ky = py of input row my, and for py = 0 also tap 2 of row my − 1.
                    let my = oy / 2, py = oy % 2
                    let rowA = c0 + (local * h + my) * w * taps + py * 3 * cout
                    let rowB: UnsafePointer<Float>? = (py == 0 && my > 0) ? c0 + (local * h + my - 1) * w * taps + 6 * cout : nil
                    let out = y + ((base + local) * oh + oy) * ow * cout
                    for ox in 0..<ow {
                        let mx = ox / 2, px = ox % 2
                        let dst = out + ox * cout
                        copyShort(dst, from: bias, count: cout)
                        // Column taps: kx = px at mx, and for px = 0 also kx = 2 at mx − 1.
                        let a0 = rowA + mx * taps + px * cout
                        for c in 0..<cout { dst[c] += a0[c] }
                        if px == 0 && mx > 0 {
                            let a1 = rowA + (mx - 1) * taps + 2 * cout
                            for c in 0..<cout { dst[c] += a1[c] }
                        }
                        if let rowB {
                            let b0 = rowB + mx * taps + px * cout
                            for c in 0..<cout { dst[c] += b0[c] }
                            if px == 0 && mx > 0 {
                                let b1 = rowB + (mx - 1) * taps + 2 * cout
                                for c in 0..<cout { dst[c] += b1[c] }
                            }
                        }
                        activation.apply(dst, cout)
                    }
                }
            }
            first += count
        }
    }

    /// Gradients for the output gradient `dy` of the forward pass that wrote `y`: the bias and weight
    /// gradients added into `dBias`/`dWeight` and the input gradient written to `dx`, each when not nil.
    static func backward(_ s: Shape, x: UnsafePointer<Float>, weight: UnsafePointer<Float>, activation: Activation,
                         y: UnsafePointer<Float>, dy: UnsafePointer<Float>, dWeight: UnsafeMutablePointer<Float>?,
                         dBias: UnsafeMutablePointer<Float>?, dx: UnsafeMutablePointer<Float>?, workspace: Workspace) {
        let (cin, cout, taps) = (s.inChannels, s.outChannels, s.taps)
        let outCount = s.pixels * 4 * cout
        let dPre: UnsafePointer<Float>
        if activation == .identity {
            dPre = dy
        } else {
            let d = workspace.scratch(WorkspaceSlot.preActivationGradient, count: outCount)
            parallelRanges(outCount, costPerItem: 2) { r in
                activation.backward(y: y + r.lowerBound, dy: dy + r.lowerBound, dx: d + r.lowerBound, r.count)
            }
            dPre = UnsafePointer(d)
        }
        if let dBias { addColumnSumsAccurately(dPre, rows: outCount / cout, cols: cout, into: dBias) }
        guard dWeight != nil || dx != nil else { return }
        let kernel = workspace.matmulKernel
        let rows = s.pixels
        let br = Im2colConvolution.blockRows(rows: rows, patch: max(cin, taps))
        let blocks = (rows + br - 1) / br
        let used = min(Threads.count, blocks)
        let cols = Im2colConvolution.perThread(workspace, base: WorkspaceSlot.columns, count: br * taps)
        let partials: [UnsafeMutablePointer<Float>] = dWeight.map { dW in
            (0..<used).map { t in t == 0 ? dW : workspace.scratch(WorkspaceSlot.weightPartials + t, count: taps * cin) }
        } ?? []
        for t in 1..<max(1, partials.count) { partials[t].update(repeating: 0, count: taps * cin) }
        let block: (Int, Int) -> Void = { t, b in
            let r = (b * br)..<min(rows, (b + 1) * br)
            gatherColumns(s, dPre: dPre, rows: r, col: cols[t])
            if let dx {
                matmul(kernel, m: r.count, n: cin, k: taps, a: cols[t], lda: taps, b: weight, ldb: cin, beta: 0,
                       c: dx + r.lowerBound * cin, ldc: cin)
            }
            if !partials.isEmpty {
                matmul(kernel, transA: true, m: taps, n: cin, k: r.count, a: cols[t], lda: taps, b: x + r.lowerBound * cin,
                       ldb: cin, beta: 1, c: partials[t], ldc: cin)
            }
        }
        Im2colConvolution.forEachBlockInFixedRuns(blocks: blocks, threads: used, block)
        if let dWeight, used > 1 {
            parallelRanges(taps * cin) { range in
                for t in 1..<used { let p = partials[t]; for i in range { dWeight[i] += p[i] } }
            }
        }
    }

    /// One row per input pixel in `rows`: the output gradient at (2m + ky, 2n + kx) for ky, kx = 0…2 in
    /// (ky, kx, co) order, zero where that pixel is outside the output.
    static func gatherColumns(_ s: Shape, dPre: UnsafePointer<Float>, rows: Range<Int>, col: UnsafeMutablePointer<Float>) {
        let (h, w, cout, taps) = (s.height, s.width, s.outChannels, s.taps)
        let per = h * w, oh = 2 * h, ow = 2 * w
        var dst = col
        for row in rows {
            let sample = row / per, rem = row % per, my = rem / w, mx = rem % w
            for ky in 0..<3 {
                let seg = dst + ky * 3 * cout
                let oy = 2 * my + ky
                if oy >= oh { zeroShort(seg, count: 3 * cout); continue }
                let src = dPre + ((sample * oh + oy) * ow + 2 * mx) * cout
                if 2 * mx + 2 < ow {
                    copyShort(seg, from: src, count: 3 * cout)
                } else {
                    copyShort(seg, from: src, count: 2 * cout)
                    zeroShort(seg + 2 * cout, count: cout)
                }
            }
            dst += taps
        }
    }
}

import Foundation
