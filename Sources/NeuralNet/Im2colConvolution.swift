import Foundation
import Synchronization

/// Shapes of one convolution call.
struct ConvGeometry {
    let batch, height, width, inChannels, outChannels, kernel, stride, padding: Int
    var outHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
    var outWidth: Int { (width + 2 * padding - kernel) / stride + 1 }
    /// Output pixels over the batch (GEMM rows).
    var rows: Int { batch * outHeight * outWidth }
    /// Length of one im2col row: (ky, kx, ci).
    var patch: Int { kernel * kernel * inChannels }
    var isPointwise: Bool { kernel == 1 && stride == 1 && padding == 0 }

    /// (sample, oy, ox) of GEMM row `row`.
    @inline(__always) func outputPixel(_ row: Int) -> (Int, Int, Int) {
        let per = outHeight * outWidth, rem = row % per
        return (row / per, rem / outWidth, rem % outWidth)
    }

    /// Start of sub-pixel `sub` = dy·2+dx of output pixel (n, oy, ox) in a depth_to_space(2) output.
    @inline(__always) func shuffledPixel(_ y: UnsafeMutablePointer<Float>, _ n: Int, _ oy: Int, _ ox: Int,
                                         _ sub: Int) -> UnsafeMutablePointer<Float> {
        let c = outChannels / 4, w2 = 2 * outWidth
        return y + ((n * 2 * outHeight + 2 * oy + sub / 2) * w2 + 2 * ox + sub % 2) * c
    }
}

/// Convolution as im2col + sgemm.
///
/// The output rows (pixels) are cut into blocks; each engine thread takes blocks in turn, builds the block's
/// columns in its own buffer (cache-resident) and multiplies with a single-threaded sgemm, then applies bias
/// and activation while the block is still in cache. This keeps both cores busy on the copies as well as on
/// the multiplies, with no idle spinning of a second thread pool.
///
/// Forward: Y[rows, out] = Col[rows, k·k·in] · W[k·k·in, out]. Weight gradient: dW += Colᵀ · dY, summed
/// from per-thread partials. Input gradient: stride 1 runs the forward machinery on dY with the flipped,
/// transposed kernel (no scatter); stride 2 forms dCol = dY · Wᵀ and gathers it back onto the input pixels.
enum Im2colConvolution {
    /// Column block size per thread, in floats (tunable for measurements through `ConvolutionTuning`).
    nonisolated(unsafe) static var blockFloats = 1 << 18

    static func blockRows(rows: Int, patch: Int) -> Int {
        let threads = Threads.count
        var r = max(256, min(4096, blockFloats / max(1, patch)))
        r = max(1, min(r, (rows + threads - 1) / threads))
        // A block count that is a multiple of the thread count, so no thread waits for a last odd block.
        var blocks = (rows + r - 1) / r
        blocks = (blocks + threads - 1) / threads * threads
        return max(1, (rows + blocks - 1) / blocks)
    }

    /// Calls `body(thread, rows)` for consecutive row blocks; each engine thread takes the next free block,
    /// so a thread that loses its core on a shared machine does not hold the others up.
    static func forEachBlock(rows: Int, blockRows: Int, _ body: (Int, Range<Int>) -> Void) {
        let blocks = (rows + blockRows - 1) / blockRows
        let threads = min(Threads.count, blocks)
        if threads <= 1 {
            for b in 0..<blocks { body(0, (b * blockRows)..<min(rows, (b + 1) * blockRows)) }
            return
        }
        let next = BlockCounter()
        Threads.perform(iterations: threads) { t in
            while true {
                let b = next.take()
                if b >= blocks { break }
                body(t, (b * blockRows)..<min(rows, (b + 1) * blockRows))
            }
        }
    }

    /// Calls `body(thread, block)` for blocks 0..<blocks, thread t taking the fixed contiguous run
    /// blocks·t/threads ..< blocks·(t+1)/threads in order. For sums into per-thread partials: handing blocks
    /// out as threads come free (as `forEachBlock` does) would group the sums differently from run to run, and
    /// a gradient would change in its last bits between identical steps.
    static func forEachBlockInFixedRuns(blocks: Int, threads: Int, _ body: (Int, Int) -> Void) {
        if threads <= 1 {
            for b in 0..<blocks { body(0, b) }
            return
        }
        Threads.perform(iterations: threads) { t in
            for b in (blocks * t / threads)..<(blocks * (t + 1) / threads) { body(t, b) }
        }
    }

    /// One scratch buffer of `count` floats per engine thread (slots `base + t`).
    static func perThread(_ workspace: Workspace, base: Int, count: Int) -> [UnsafeMutablePointer<Float>] {
        (0..<Threads.count).map { workspace.scratch(base + $0, count: count) }
    }

    /// y = act(conv(x) + bias). `bias` may be nil (no bias, identity activation expected by callers).
    /// With `shuffled`, each output pixel's 4·C values are stored depth_to_space(2) (DCR) instead:
    /// y is then (n, 2·Ho, 2·Wo, C), written from each thread's cache-resident block.
    static func forward(_ g: ConvGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                        bias: UnsafePointer<Float>?, activation: Activation,
                        y: UnsafeMutablePointer<Float>, shuffled: Bool = false, weightTransposed: Bool = false,
                        workspace: Workspace) {
        let cout = g.outChannels
        let kernel = workspace.matmulKernel
        let br = blockRows(rows: g.rows, patch: g.isPointwise ? g.inChannels : g.patch)
        let cols = g.isPointwise ? [] : perThread(workspace, base: WorkspaceSlot.columns, count: br * g.patch)
        let outs = shuffled ? perThread(workspace, base: WorkspaceSlot.outputBlocks, count: br * cout) : []
        forEachBlock(rows: g.rows, blockRows: br) { t, r in
            let dst = shuffled ? outs[t] : y + r.lowerBound * cout
            if g.isPointwise {
                matmul(kernel, m: r.count, n: cout, k: g.inChannels, a: x + r.lowerBound * g.inChannels, lda: g.inChannels,
                      b: weight, ldb: cout, beta: 0, c: dst, ldc: cout)
            } else {
                im2col(g, x: x, rows: r, col: cols[t])
                // weightTransposed: B is stored (out, patch) and read transposed.
                matmul(kernel, transB: weightTransposed, m: r.count, n: cout, k: g.patch, a: cols[t], lda: g.patch, b: weight,
                      ldb: weightTransposed ? g.patch : cout, beta: 0, c: dst, ldc: cout)
            }
            if bias != nil || activation != .identity {
                for i in 0..<r.count {
                    let p = dst + i * cout
                    if let bias { for c in 0..<cout { p[c] += bias[c] } }
                    activation.apply(p, cout)
                }
            }
            if shuffled {
                for i in 0..<r.count {
                    let (n, oy, ox) = g.outputPixel(r.lowerBound + i)
                    for sub in 0..<4 {
                        g.shuffledPixel(y, n, oy, ox, sub).update(from: dst + i * cout + sub * (cout / 4), count: cout / 4)
                    }
                }
            }
        }
    }

    /// dPre[row, sub·C + c] = f'(y) · dy read from the depth_to_space (DCR) layout of y and dy, for GEMM rows
    /// `rows`.
    static func unshuffledActivationGradient(_ g: ConvGeometry, activation: Activation, y: UnsafePointer<Float>,
                                             dy: UnsafePointer<Float>, dPre: UnsafeMutablePointer<Float>, rows: Range<Int>) {
        let c = g.outChannels / 4
        for row in rows {
            let (n, oy, ox) = g.outputPixel(row)
            for sub in 0..<4 {
                let offset = g.shuffledPixel(UnsafeMutablePointer(mutating: y), n, oy, ox, sub) - UnsafeMutablePointer(mutating: y)
                activation.backward(y: y + offset, dy: dy + offset, dx: dPre + row * g.outChannels + sub * c, c)
            }
        }
    }

    static func backward(_ g: ConvGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                         dPre: UnsafePointer<Float>, dWeight: UnsafeMutablePointer<Float>?,
                         dx: UnsafeMutablePointer<Float>?, workspace: Workspace) {
        let cin = g.inChannels, cout = g.outChannels
        let kernel = workspace.matmulKernel
        if let dWeight, let dx, kernel.isBF16 && takesOutputColumns(g) {
            // Both gradients from one im2col of dY per block.
            gradientsFromOutputColumns(g, x: x, dPre: dPre, dWeight: dWeight, input: (weight, dx), workspace: workspace)
            return
        }
        if let dWeight { weightGradient(g, x: x, dPre: dPre, dWeight: dWeight, workspace: workspace) }
        guard let dx else { return }
        if g.isPointwise {
            forEachBlock(rows: g.rows, blockRows: blockRows(rows: g.rows, patch: cout)) { _, r in
                matmul(kernel, transB: true, m: r.count, n: cin, k: cout, a: dPre + r.lowerBound * cout, lda: cout,
                      b: weight, ldb: cout, beta: 0, c: dx + r.lowerBound * cin, ldc: cin)
            }
        } else if g.stride == 1 && g.kernel % 2 == 1 {
            // dx = conv(dY, W') with W'[ky, kx, co, ci] = W[k-1-ky, k-1-kx, ci, co], same padding. W' is
            // passed transposed, (ci, (ky, kx, co)), which only reorders contiguous runs of W: no element
            // transpose.
            forward(outputGradientGeometry(g), x: dPre, weight: flippedWeights(g, weight, workspace: workspace), bias: nil,
                    activation: .identity, y: dx, weightTransposed: true, workspace: workspace)
        } else {
            // Strided: dCol = dY · Wᵀ per chunk of samples, then gathered onto the input pixels.
            let outPixels = g.outHeight * g.outWidth
            let chunk = gatherChunk(batch: g.batch, rowsPerSample: outPixels, rowFloats: g.patch)
            let dCol = workspace.scratch(WorkspaceSlot.columnGradient, count: chunk * outPixels * g.patch)
            var s = 0
            while s < g.batch {
                let n = min(chunk, g.batch - s)
                let base = s * outPixels
                forEachBlock(rows: n * outPixels, blockRows: blockRows(rows: n * outPixels, patch: g.patch)) { _, r in
                    matmul(kernel, transB: true, m: r.count, n: g.patch, k: cout, a: dPre + (base + r.lowerBound) * cout, lda: cout,
                          b: weight, ldb: cout, beta: 0, c: dCol + r.lowerBound * g.patch, ldc: g.patch)
                }
                col2im(g, col: dCol, samples: s..<(s + n), dx: dx)
                s += n
            }
        }
    }

    /// dY read as the input of a stride-1 convolution of the same kernel and padding, out → in channels (the
    /// input gradient's geometry; its im2col is dY's own columns).
    static func outputGradientGeometry(_ g: ConvGeometry) -> ConvGeometry {
        ConvGeometry(batch: g.batch, height: g.outHeight, width: g.outWidth, inChannels: g.outChannels,
                     outChannels: g.inChannels, kernel: g.kernel, stride: 1, padding: g.padding)
    }

    /// W'[ci, (ky, kx, co)] = W[k-1-ky, k-1-kx, ci, co] in workspace scratch: the input gradient's kernel,
    /// stored transposed (ci, (ky, kx, co)), which only reorders contiguous runs of W: no element transpose.
    static func flippedWeights(_ g: ConvGeometry, _ weight: UnsafePointer<Float>, workspace: Workspace) -> UnsafeMutablePointer<Float> {
        let cin = g.inChannels, cout = g.outChannels, taps = g.kernel * g.kernel
        let flipped = workspace.scratch(WorkspaceSlot.flippedWeights, count: g.patch * cout)
        parallelRanges(cin, costPerItem: taps * cout) { range in
            for ci in range {
                for tap in 0..<taps {
                    (flipped + (ci * taps + tap) * cout).update(from: weight + ((taps - 1 - tap) * cin + ci) * cout, count: cout)
                }
            }
        }
        return flipped
    }

    /// Samples per chunk of a pass that writes columns and then gathers them onto pixels (a strided input
    /// gradient here, the transposed convolution's forward pass): about `budget` floats of columns (1 MB), so
    /// that the gather finds them in cache (the discriminator's 96×96 16→32 stride-2 backward b8: 1.3 ms
    /// against 1.9 with 16 MB chunks), but at least `minimumRows` rows, so that each thread's multiply has
    /// rows enough to pay for packing its other operand (the encoder's 12×12 128→256 5×5 stride-2 layer has
    /// 36 rows per sample), and at most 16 MB. Chunks are made equal.
    static func gatherChunk(batch: Int, rowsPerSample: Int, rowFloats: Int, budget: Int = 1 << 18,
                            minimumRows: Int = 512) -> Int {
        let perSample = max(1, rowsPerSample * rowFloats)
        let wanted = max(budget / perSample, (minimumRows + rowsPerSample - 1) / max(1, rowsPerSample))
        let chunk = max(1, min(batch, (1 << 22) / perSample, wanted))
        let chunks = (batch + chunk - 1) / chunk
        return (batch + chunks - 1) / chunks
    }

    /// dW += Colᵀ · dY. Wide layers (many output channels): each thread owns a range of dW's columns and
    /// walks all row blocks (building its own columns; cheap next to the multiply when out is large).
    /// Narrow layers: each thread sums a fixed run of row blocks into its own partial (thread 0 straight into
    /// dW); the partials are added in thread order.
    static func weightGradient(_ g: ConvGeometry, x: UnsafePointer<Float>, dPre: UnsafePointer<Float>,
                               dWeight: UnsafeMutablePointer<Float>, workspace: Workspace) {
        let cout = g.outChannels, k = g.isPointwise ? g.inChannels : g.patch
        let threads = Threads.count
        let kernel = workspace.matmulKernel
        if kernel.isBF16 && takesOutputColumns(g) {
            gradientsFromOutputColumns(g, x: x, dPre: dPre, dWeight: dWeight, input: nil, workspace: workspace)
            return
        }
        if threads > 1 && cout >= 128 * threads {
            let br = max(1, min(4096, max(256, blockFloats / max(1, k))))
            let cols = g.isPointwise ? [] : perThread(workspace, base: WorkspaceSlot.columns, count: br * g.patch)
            Threads.perform(iterations: threads) { t in
                let c0 = cout * t / threads, c1 = cout * (t + 1) / threads
                var start = 0
                while start < g.rows {
                    let r = start..<min(g.rows, start + br)
                    let a: UnsafePointer<Float>
                    if g.isPointwise {
                        a = x + r.lowerBound * g.inChannels
                    } else {
                        im2col(g, x: x, rows: r, col: cols[t])
                        a = UnsafePointer(cols[t])
                    }
                    matmul(kernel, transA: true, m: k, n: c1 - c0, k: r.count, a: a, lda: k,
                          b: dPre + r.lowerBound * cout + c0, ldb: cout, beta: 1, c: dWeight + c0, ldc: cout)
                    start = r.upperBound
                }
            }
            return
        }
        let br = blockRows(rows: g.rows, patch: max(k, cout))
        let blocks = (g.rows + br - 1) / br
        let used = min(threads, blocks)
        let partials = (0..<used).map { t in
            t == 0 ? dWeight : workspace.scratch(WorkspaceSlot.weightPartials + t, count: k * cout)
        }
        for t in 1..<max(1, used) { partials[t].update(repeating: 0, count: k * cout) }
        let cols = g.isPointwise ? [] : perThread(workspace, base: WorkspaceSlot.columns, count: br * g.patch)
        // Each thread sums a fixed, contiguous run of blocks into its partial (`forEachBlockInFixedRuns`).
        let block: (Int, Int) -> Void = { t, b in
            let r = (b * br)..<min(g.rows, (b + 1) * br)
            let a: UnsafePointer<Float>
            if g.isPointwise {
                a = x + r.lowerBound * g.inChannels
            } else {
                im2col(g, x: x, rows: r, col: cols[t])
                a = UnsafePointer(cols[t])
            }
            matmul(kernel, transA: true, m: k, n: cout, k: r.count, a: a, lda: k, b: dPre + r.lowerBound * cout, ldb: cout,
                  beta: 1, c: partials[t], ldc: cout)
        }
        forEachBlockInFixedRuns(blocks: blocks, threads: used, block)
        if used > 1 {
            let count = k * cout
            parallelRanges(count) { range in
                for t in 1..<used { let p = partials[t]; for i in range { dWeight[i] += p[i] } }
            }
        }
    }

    /// Fills `col` with one row per output pixel in `rows`: the k×k×in patch under it, zeros outside.
    static func im2col(_ g: ConvGeometry, x: UnsafePointer<Float>, rows: Range<Int>, col: UnsafeMutablePointer<Float>) {
        let H = g.height, W = g.width, C = g.inChannels, k = g.kernel, st = g.stride, p = g.padding
        let Ho = g.outHeight, Wo = g.outWidth, patch = g.patch
        let perSample = Ho * Wo
        var dst = col
        for row in rows {
            let n = row / perSample, rem = row % perSample, oy = rem / Wo, ox = rem % Wo
            let ix0 = ox * st - p
            let rowInside = ix0 >= 0 && ix0 + k <= W
            for ky in 0..<k {
                let iy = oy * st - p + ky
                let seg = dst + ky * k * C
                if iy < 0 || iy >= H { zeroShort(seg, count: k * C); continue }
                let src = x + ((n * H + iy) * W) * C
                if rowInside {
                    // The k taps of one kernel row are k consecutive pixels: one copy.
                    copyShort(seg, from: src + ix0 * C, count: k * C)
                } else {
                    for kx in 0..<k {
                        let ix = ix0 + kx
                        if ix < 0 || ix >= W { zeroShort(seg + kx * C, count: C) }
                        else { copyShort(seg + kx * C, from: src + ix * C, count: C) }
                    }
                }
            }
            dst += patch
        }
    }

    /// Whether the weight gradient of `g` is cheaper from the output gradient's columns than from the
    /// input's: a stride-1 "same" convolution with a few outputs from many inputs (the image heads, 64→4
    /// and 64→3), whose input columns are k²·in wide against k²·out for the output gradient's.
    static func takesOutputColumns(_ g: ConvGeometry) -> Bool {
        !g.isPointwise && g.stride == 1 && g.kernel % 2 == 1 && g.padding == g.kernel / 2 && g.outChannels < 8
            && g.inChannels >= 4 * g.outChannels
    }

    /// dW of a stride-1 "same" convolution summed over input pixels q instead of output pixels p:
    /// dW[tap, ci, co] = Σ_p X[p + o(tap), ci]·dY[p, co] = Σ_q X[q, ci]·dY[q − o(tap), co], and q − o(tap) is
    /// the tap k²−1−tap of an im2col of dY with the same padding (zeros where it leaves the image). So the
    /// product is Xᵀ · im2col(dY), whose columns are k²·out wide instead of k²·in (36 floats a pixel against
    /// 576 for the 64→4 head). The products are the same and each is exact in bf16, but they are summed in
    /// another order, so this path is used under bf16 only: fp32 keeps the bits of the input-column sums.
    /// With `input` (the weight and dx), the same columns also give the input gradient dx = im2col(dY) · W'ᵀ,
    /// the product the stride-1 input gradient runs (same bits). 64→4 at 128×128 b4, bf16, both gradients:
    /// 2.2 ms against 4.3. Threads sum fixed runs of row blocks into their own partials, added to dW in thread
    /// order (deterministic).
    static func gradientsFromOutputColumns(_ g: ConvGeometry, x: UnsafePointer<Float>, dPre: UnsafePointer<Float>,
                                           dWeight: UnsafeMutablePointer<Float>,
                                           input: (weight: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>)?,
                                           workspace: Workspace) {
        let cin = g.inChannels, cout = g.outChannels, taps = g.kernel * g.kernel, width = taps * cout
        let kernel = workspace.matmulKernel
        let gy = outputGradientGeometry(g)
        let dx = input?.dx
        let flipped = input.map { UnsafePointer(flippedWeights(g, $0.weight, workspace: workspace)) }
        let br = blockRows(rows: g.rows, patch: max(width, cin))
        let blocks = (g.rows + br - 1) / br
        let used = min(Threads.count, blocks)
        let partials = (0..<used).map { t in workspace.scratch(WorkspaceSlot.weightPartials + t, count: cin * width) }
        for p in partials { p.update(repeating: 0, count: cin * width) }
        let cols = perThread(workspace, base: WorkspaceSlot.columns, count: br * width)
        let block: (Int, Int) -> Void = { t, b in
            let r = (b * br)..<min(g.rows, (b + 1) * br)
            im2col(gy, x: dPre, rows: r, col: cols[t])
            // partial[ci, (tap', co)] += Σ_q X[q, ci] · dYcol[q, (tap', co)]
            matmul(kernel, transA: true, m: cin, n: width, k: r.count, a: x + r.lowerBound * cin, lda: cin, b: cols[t],
                   ldb: width, beta: 1, c: partials[t], ldc: width)
            if let dx, let flipped {
                matmul(kernel, transB: true, m: r.count, n: cin, k: width, a: cols[t], lda: width, b: flipped, ldb: width,
                       beta: 0, c: dx + r.lowerBound * cin, ldc: cin)
            }
        }
        forEachBlockInFixedRuns(blocks: blocks, threads: used, block)
        // dW[(taps−1−tap', ci), co] += partial[ci, (tap', co)], the partials in thread order.
        for p in partials {
            for ci in 0..<cin {
                for tap in 0..<taps {
                    let src = p + ci * width + tap * cout, dst = dWeight + ((taps - 1 - tap) * cin + ci) * cout
                    for co in 0..<cout { dst[co] += src[co] }
                }
            }
        }
    }

    /// dx[n, iy, ix, :] = Σ over the (output pixel, tap) pairs that read input pixel (iy, ix) of dCol.
    /// The pairs of each input row and column are listed once per call (for stride 2 about a quarter of the
    /// k² taps read a given pixel), then each pixel sums its entries in (ky, kx) order.
    static func col2im(_ g: ConvGeometry, col: UnsafePointer<Float>, samples: Range<Int>, dx: UnsafeMutablePointer<Float>) {
        let H = g.height, W = g.width, C = g.inChannels, k = g.kernel, st = g.stride, p = g.padding
        let Ho = g.outHeight, Wo = g.outWidth, patch = g.patch
        let first = samples.lowerBound
        // (tap, output index) pairs reading input index i along one axis, flattened with offsets.
        func pairs(_ size: Int, _ outSize: Int) -> (start: [Int], tap: [Int], out: [Int]) {
            var start = [0], tap: [Int] = [], out: [Int] = []
            for i in 0..<size {
                for t in 0..<k {
                    let u = i + p - t
                    if u < 0 || u % st != 0 || u / st >= outSize { continue }
                    tap.append(t); out.append(u / st)
                }
                start.append(tap.count)
            }
            return (start, tap, out)
        }
        let rows = pairs(H, Ho), cols = pairs(W, Wo)
        rows.start.withUnsafeBufferPointer { rs in rows.tap.withUnsafeBufferPointer { rt in rows.out.withUnsafeBufferPointer { ro in
        cols.start.withUnsafeBufferPointer { cs in cols.tap.withUnsafeBufferPointer { ct in cols.out.withUnsafeBufferPointer { co in
        parallelRanges(samples.count * H, costPerItem: W * patch / max(1, st * st)) { lines in
            for line in lines {
                let local = line / H, iy = line % H
                let n = first + local
                for ix in 0..<W {
                    let dst = dx + ((n * H + iy) * W + ix) * C
                    var written = false
                    for a in rs[iy]..<rs[iy + 1] {
                        let rowBase = col + (local * Ho + ro[a]) * Wo * patch + rt[a] * k * C
                        for b in cs[ix]..<cs[ix + 1] {
                            let src = rowBase + co[b] * patch + ct[b] * C
                            if written {
                                for c in 0..<C { dst[c] += src[c] }
                            } else {
                                for c in 0..<C { dst[c] = 0 + src[c] }   // as 0 + src: a −0 becomes +0, as before
                                written = true
                            }
                        }
                    }
                    if !written { dst.update(repeating: 0, count: C) }
                }
            }
        }
        } } } } } }
    }
}

/// Knobs of the convolution algorithm, for benchmarks.
public enum ConvolutionTuning {
    /// Floats per thread in one im2col block (default 256 Ki, at least 256 rows).
    public static var blockFloats: Int {
        get { Im2colConvolution.blockFloats }
        set { Im2colConvolution.blockFloats = max(1 << 12, newValue) }
    }
}

/// A shared "next block" index.
final class BlockCounter: @unchecked Sendable {
    private let value = Atomic<Int>(0)
    /// The next index (0, 1, 2, ...), one per call across threads.
    func take() -> Int { value.wrappingAdd(1, ordering: .relaxed).oldValue }
}
