import Foundation
import CBF16

/// 3×3 stride-1 convolution (padding 1, NHWC) by Winograd minimal filtering F(m×m, 3×3).
///
/// Per call the filter is transformed once into U[ξ] (Cin × Cout per tile element ξ, α² of them). The
/// output tiles (n, ty, tx) are cut into blocks; each engine thread takes blocks in turn and, in its own
/// buffers, (1) transforms the block's input tiles into V[ξ] (tiles × Cin), (2) multiplies
/// M[ξ] = V[ξ] · U[ξ] with α² single-threaded sgemm calls, (3) transforms M back into output pixels and
/// applies bias and activation. Border tiles read zeros outside the image (the padding) and drop outputs
/// past the edge, so any height and width work.
///
/// The input gradient of a stride-1 3×3 convolution is the same convolution of dY with the flipped,
/// transposed kernel, so `inputGradient` reuses `forward`.
enum WinogradConvolution {
    /// Whether a convolution call can run through Winograd (3×3, stride 1, padding 1).
    static func applies(_ g: ConvGeometry) -> Bool { g.kernel == 3 && g.stride == 1 && g.padding == 1 }

    /// Floats of V and M per thread and block (tunable for measurements through `ConvolutionTuning`).
    nonisolated(unsafe) static var blockFloats = 1 << 18
    /// Fewest tiles per block: small blocks make the α² sgemm calls too thin (each repacks its U[ξ]).
    nonisolated(unsafe) static var minimumBlockTiles = 64

    /// Tiles per block: about `blockFloats` of V and M, at least `minimumBlockTiles`, a block count that is
    /// a multiple of the thread count.
    static func blockTiles(tiles: Int, tile: WinogradTile, cin: Int, cout: Int) -> Int {
        let threads = Threads.count
        let a2 = tile.alpha * tile.alpha
        var t = max(minimumBlockTiles, blockFloats / (a2 * (cin + cout)))
        t = max(1, min(t, (tiles + threads - 1) / threads))
        var blocks = (tiles + t - 1) / t
        blocks = (blocks + threads - 1) / threads * threads
        return max(1, (tiles + blocks - 1) / blocks)
    }

    /// U[ξ][ci][co] = (G g Gᵀ)[ξ] of the HWIO weight (3, 3, cin, cout), U[ξ] at `u + ξ·plane` (plane ≥ cin·cout,
    /// default cin·cout).
    static func transformFilter(_ tile: WinogradTile, weight: UnsafePointer<Float>, cin: Int, cout: Int,
                                u: UnsafeMutablePointer<Float>, plane: Int? = nil) {
        let a2 = tile.alpha * tile.alpha, tap = cin * cout, plane = plane ?? tap
        parallelRanges(cin, costPerItem: cout * a2 * 4) { rows in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 3 * 6 * WinogradTransform.laneStride) { tmp in
                let tmp = tmp.baseAddress!
                for ci in rows {
                    let src = weight + ci * cout, dst = u + ci * cout
                    var c = 0
                    while c + 8 <= cout {
                        WinogradTransform.filterTile(SIMD8<Float>.self, tile, src: src + c, srcStride: tap, tmp: tmp,
                                                     dst: dst + c, dstStride: plane)
                        c += 8
                    }
                    while c < cout {
                        WinogradTransform.filterTile(Float.self, tile, src: src + c, srcStride: tap, tmp: tmp,
                                                     dst: dst + c, dstStride: plane)
                        c += 1
                    }
                }
            }
        }
    }

    /// A plane stride of `elements` 4-byte elements, one cache line longer when it is a multiple of 4 KB. The
    /// transforms write and read the α² planes of V, M, dM and dU together; planes 4 KB apart fall into the
    /// same L1 sets (and 64 KB apart into the same L2 sets), and 16 or 36 of them then evict one another.
    /// Only addresses change, not the arithmetic. Measured (bf16, b8, forward): 48×48 128→32 1.36 → 1.03 ms,
    /// 48×48 64→64 1.02 → 0.84 ms (docs/bf16.md).
    static func skewed(_ elements: Int) -> Int { elements % 1024 == 0 ? elements + 16 : elements }

    /// Tile counts up to this run as one batch with the α² sgemm calls spread over the threads (each call
    /// then has every tile as rows); above it, per-thread blocks keep V and M in cache.
    nonisolated(unsafe) static var wholeBatchTiles = 512

    /// The tiling of one call: output tile (n, ty, tx) of index `i` covers rows ty·m..<ty·m+m, etc.
    struct Tiling {
        let g: ConvGeometry
        let tile: WinogradTile
        var m: Int { tile.m }
        var tilesY: Int { (g.height + m - 1) / m }
        var tilesX: Int { (g.width + m - 1) / m }
        var perSample: Int { tilesY * tilesX }
        var count: Int { g.batch * perSample }
        /// (sample, first row, first column) of the output tile `index`.
        @inline(__always) func origin(_ index: Int) -> (Int, Int, Int) {
            let rem = index % perSample
            return (index / perSample, (rem / tilesX) * m, (rem % tilesX) * m)
        }
    }

    /// y = act(conv3×3(x) + bias); with `shuffled`, y is stored depth_to_space(2) (DCR) as in
    /// `Im2colConvolution.forward`. `weight` is HWIO (3, 3, in, out).
    static func forward(_ g: ConvGeometry, tile: WinogradTile, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                        bias: UnsafePointer<Float>?, activation: Activation, y: UnsafeMutablePointer<Float>,
                        shuffled: Bool = false, workspace: Workspace) {
        precondition(applies(g), "Winograd needs a 3×3 stride-1 convolution with padding 1")
        let a2 = tile.alpha * tile.alpha
        let cin = g.inChannels, cout = g.outChannels
        let tiling = Tiling(g: g, tile: tile)
        let tiles = tiling.count
        let kernel = workspace.matmulKernel
        if kernel.isBF16 {
            forwardBF16(g, tile: tile, x: x, weight: weight, bias: bias, activation: activation, y: y, shuffled: shuffled,
                        workspace: workspace, kernel: kernel)
            return
        }
        let uPlane = skewed(cin * cout)
        let u = workspace.scratch(WinogradSlot.filter, count: a2 * uPlane)
        transformFilter(tile, weight: weight, cin: cin, cout: cout, u: u, plane: uPlane)
        let zeros = workspace.scratch(WinogradSlot.zeros, count: cin)
        zeros.update(repeating: 0, count: cin)

        if tiles <= wholeBatchTiles || Threads.count == 1 && tiles <= 4 * wholeBatchTiles {
            let sv = skewed(tiles * cin), sm = skewed(tiles * cout)
            let v = workspace.scratch(WinogradSlot.inputTiles, count: a2 * sv)
            let prod = workspace.scratch(WinogradSlot.products, count: a2 * sm)
            parallelRanges(tiles, costPerItem: a2 * cin * 4) { r in
                transformInputs(tiling, x: x, zeros: zeros, tiles: r, v: v + r.lowerBound * cin, stride: sv)
            }
            let next = BlockCounter()
            let threads = min(Threads.count, a2)
            let gemm: (Int) -> Void = { _ in
                while true {
                    let xi = next.take()
                    if xi >= a2 { break }
                    matmul(kernel, m: tiles, n: cout, k: cin, a: v + xi * sv, lda: cin, b: u + xi * uPlane,
                          ldb: cout, beta: 0, c: prod + xi * sm, ldc: cout)
                }
            }
            if threads <= 1 { gemm(0) } else { Threads.perform(iterations: threads, gemm) }
            parallelRanges(tiles, costPerItem: a2 * cout * 4) { r in
                let stage = UnsafeMutablePointer<Float>.allocate(capacity: tile.m * tile.m * cout)
                defer { stage.deallocate() }
                transformOutputs(tiling, prod: prod + r.lowerBound * cout, stride: sm, tiles: r, bias: bias,
                                 activation: activation, y: y, shuffled: shuffled, stage: stage)
            }
            return
        }

        let bt = blockTiles(tiles: tiles, tile: tile, cin: cin, cout: cout)
        let sv = skewed(bt * cin), sm = skewed(bt * cout)
        let vs = Im2colConvolution.perThread(workspace, base: WinogradSlot.inputTiles, count: a2 * sv)
        let ms = Im2colConvolution.perThread(workspace, base: WinogradSlot.products, count: a2 * sm)
        let stages = Im2colConvolution.perThread(workspace, base: WinogradSlot.outputStage, count: tile.m * tile.m * cout)
        Im2colConvolution.forEachBlock(rows: tiles, blockRows: bt) { t, r in
            let v = vs[t], prod = ms[t]
            transformInputs(tiling, x: x, zeros: zeros, tiles: r, v: v, stride: sv)
            for xi in 0..<a2 {
                matmul(kernel, m: r.count, n: cout, k: cin, a: v + xi * sv, lda: cin, b: u + xi * uPlane,
                      ldb: cout, beta: 0, c: prod + xi * sm, ldc: cout)
            }
            transformOutputs(tiling, prod: prod, stride: sm, tiles: r, bias: bias, activation: activation,
                             y: y, shuffled: shuffled, stage: stages[t])
        }
    }

    /// V: the input tiles `tiles` transformed, tile k of the range at `v + k·cin + ξ·stride`.
    static func transformInputs(_ tiling: Tiling, x: UnsafePointer<Float>, zeros: UnsafePointer<Float>,
                                tiles: Range<Int>, v: UnsafeMutablePointer<Float>, stride: Int) {
        let tile = tiling.tile, a = tile.alpha
        let cin = tiling.g.inChannels, H = tiling.g.height, W = tiling.g.width
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 36 * WinogradTransform.laneStride) { tmpBuffer in
        withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: 36) { pixelBuffer in
            let tmp = tmpBuffer.baseAddress!, pixels = pixelBuffer.baseAddress!
            for (local, index) in tiles.enumerated() {
                let (n, oy, ox) = tiling.origin(index)
                for i in 0..<a {
                    let iy = oy - 1 + i
                    for j in 0..<a {
                        let ix = ox - 1 + j
                        pixels[i * a + j] = iy >= 0 && iy < H && ix >= 0 && ix < W
                            ? x + ((n * H + iy) * W + ix) * cin : zeros
                    }
                }
                let dst = v + local * cin
                var c = 0
                while c + 8 <= cin {
                    WinogradTransform.inputTile(SIMD8<Float>.self, tile, pixels: pixels, channel: c, tmp: tmp,
                                                dst: dst + c, dstStride: stride)
                    c += 8
                }
                while c < cin {
                    WinogradTransform.inputTile(Float.self, tile, pixels: pixels, channel: c, tmp: tmp,
                                                dst: dst + c, dstStride: stride)
                    c += 1
                }
            }
        }}
    }

    /// Output pixels of `tiles` from their products M (tile k of the range at `prod + k·cout + ξ·stride`),
    /// with bias and activation; pixels past the edge are dropped. `stage` holds m²·cout floats.
    static func transformOutputs(_ tiling: Tiling, prod: UnsafePointer<Float>, stride: Int, tiles: Range<Int>,
                                 bias: UnsafePointer<Float>?, activation: Activation, y: UnsafeMutablePointer<Float>,
                                 shuffled: Bool, stage: UnsafeMutablePointer<Float>, kernel: MatmulKernel = .fp32) {
        let tile = tiling.tile, m = tile.m, g = tiling.g
        let cout = g.outChannels, H = g.height, W = g.width
        // Under the AVX512-BF16 kernel, CBF16's twin of the transform below (the same bits) also adds the bias
        // and applies a leaky ReLU; a sigmoid stays here.
        let fused = kernel == .bf16AVX512
        var slope: Float = 0, leaky: Int32 = 0
        if case .leakyReLU(let a) = activation { slope = a; leaky = 1 }
        let remaining: Activation = fused && activation != .sigmoid ? .identity : activation
        // Whether the pixels need a pass after the transform (bias, activation or the shuffle not done in it).
        let finish = !fused || remaining != .identity || shuffled
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 36 * WinogradTransform.laneStride) { tmpBuffer in
        withUnsafeTemporaryAllocation(of: UnsafeMutablePointer<Float>.self, capacity: 16) { pixelBuffer in
            let tmp = tmpBuffer.baseAddress!, pixels = pixelBuffer.baseAddress!
            for (local, index) in tiles.enumerated() {
                let (n, oy0, ox0) = tiling.origin(index)
                for i in 0..<m {
                    for j in 0..<m {
                        let oy = oy0 + i, ox = ox0 + j
                        pixels[i * m + j] = !shuffled && oy < H && ox < W
                            ? y + ((n * H + oy) * W + ox) * cout : stage + (i * m + j) * cout
                    }
                }
                let src = prod + local * cout
                if fused {
                    dfl_winograd_output(Int32(tile.alpha), src, stride,
                                        UnsafeRawPointer(pixels).assumingMemoryBound(to: UnsafeMutablePointer<Float>?.self),
                                        Int32(cout), bias, leaky, slope)
                } else {
                    var c = 0
                    while c + 8 <= cout {
                        WinogradTransform.outputTile(SIMD8<Float>.self, tile, src: src + c, srcStride: stride, tmp: tmp,
                                                     pixels: pixels, channel: c)
                        c += 8
                    }
                    while c < cout {
                        WinogradTransform.outputTile(Float.self, tile, src: src + c, srcStride: stride, tmp: tmp,
                                                     pixels: pixels, channel: c)
                        c += 1
                    }
                }
                if !finish { continue }
                for i in 0..<m {
                    for j in 0..<m {
                        let oy = oy0 + i, ox = ox0 + j
                        if oy >= H || ox >= W { continue }
                        let p = pixels[i * m + j]
                        if !fused, let bias { for c in 0..<cout { p[c] += bias[c] } }
                        remaining.apply(p, cout)
                        if shuffled {
                            for sub in 0..<4 {
                                g.shuffledPixel(y, n, oy, ox, sub).update(from: p + sub * (cout / 4), count: cout / 4)
                            }
                        }
                    }
                }
            }
        }}
    }

    /// Floats of V and dM per chunk of tiles in `weightGradient`.
    nonisolated(unsafe) static var weightGradientChunkFloats = 1 << 22

    /// dW += ∂/∂W of the convolution `g` (3×3, stride 1) for input `x` and pre-activation output gradient
    /// `dPre`: dU[ξ] = Σ_tiles V[ξ]ᵀ · dM[ξ] with dM = A dY Aᵀ, then dW += Gᵀ dU G.
    ///
    /// Tiles go in chunks; each chunk's α² sgemm calls are spread over the threads by tile element ξ, so each
    /// thread accumulates into its own dU[ξ] slices and no per-thread partial sums are needed.
    static func weightGradient(_ g: ConvGeometry, tile: WinogradTile, x: UnsafePointer<Float>,
                               dPre: UnsafePointer<Float>, dWeight: UnsafeMutablePointer<Float>, workspace: Workspace) {
        precondition(applies(g), "Winograd needs a 3×3 stride-1 convolution with padding 1")
        let a2 = tile.alpha * tile.alpha, m = tile.m
        let cin = g.inChannels, cout = g.outChannels, H = g.height, W = g.width
        let tiling = Tiling(g: g, tile: tile)
        let tiles = tiling.count
        let kernel = workspace.matmulKernel
        if kernel.isBF16 {
            weightGradientBF16(g, tile: tile, x: x, dPre: dPre, dWeight: dWeight, workspace: workspace, kernel: kernel)
            return
        }
        let plane = skewed(cin * cout)
        let du = workspace.scratch(WinogradSlot.filter, count: a2 * plane)
        parallelRanges(a2 * plane) { r in (du + r.lowerBound).update(repeating: 0, count: r.count) }
        let zeros = workspace.scratch(WinogradSlot.zeros, count: max(cin, cout))
        zeros.update(repeating: 0, count: max(cin, cout))
        let chunk = max(1, min(tiles, max(128, weightGradientChunkFloats / (a2 * (cin + cout)))))
        let sv = skewed(chunk * cin), sm = skewed(chunk * cout)
        let v = workspace.scratch(WinogradSlot.inputTiles, count: a2 * sv)
        let dm = workspace.scratch(WinogradSlot.products, count: a2 * sm)
        var start = 0
        while start < tiles {
            let count = min(chunk, tiles - start), first = start
            parallelRanges(count, costPerItem: a2 * (cin + cout) * 4) { r in
                let range = (first + r.lowerBound)..<(first + r.upperBound)
                transformInputs(tiling, x: x, zeros: zeros, tiles: range, v: v + r.lowerBound * cin, stride: sv)
                withUnsafeTemporaryAllocation(of: Float.self, capacity: 36 * WinogradTransform.laneStride) { tmpBuffer in
                withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: 16) { pixelBuffer in
                    let tmp = tmpBuffer.baseAddress!, pixels = pixelBuffer.baseAddress!
                    for (k, index) in range.enumerated() {
                        let (n, oy0, ox0) = tiling.origin(index)
                        for i in 0..<m {
                            for j in 0..<m {
                                let oy = oy0 + i, ox = ox0 + j
                                let inside = oy < H && ox < W
                                pixels[i * m + j] = inside ? dPre + ((n * H + oy) * W + ox) * cout : UnsafePointer(zeros)
                            }
                        }
                        let dst = dm + (r.lowerBound + k) * cout
                        var c = 0
                        while c + 8 <= cout {
                            WinogradTransform.outputGradientTile(SIMD8<Float>.self, tile, pixels: pixels, channel: c,
                                                                 tmp: tmp, dst: dst + c, dstStride: sm)
                            c += 8
                        }
                        while c < cout {
                            WinogradTransform.outputGradientTile(Float.self, tile, pixels: pixels, channel: c,
                                                                 tmp: tmp, dst: dst + c, dstStride: sm)
                            c += 1
                        }
                    }
                }}
            }
            let next = BlockCounter()
            let gemm: (Int) -> Void = { _ in
                while true {
                    let xi = next.take()
                    if xi >= a2 { break }
                    matmul(kernel, transA: true, m: cin, n: cout, k: count, a: v + xi * sv, lda: cin,
                          b: dm + xi * sm, ldb: cout, beta: 1, c: du + xi * plane, ldc: cout)
                }
            }
            let threads = min(Threads.count, a2)
            if threads <= 1 { gemm(0) } else { Threads.perform(iterations: threads, gemm) }
            start += count
        }
        addFilterGradient(tile, du: du, cin: cin, cout: cout, plane: plane, dWeight: dWeight)
    }

    /// dW += Gᵀ dU[ξ] G for the transformed-domain gradient dU (α², cin, cout), dU[ξ] at `du + ξ·plane` (at
    /// least cin·cout; `skewed`). dW's rows hold `weightColumns` floats (default cout): dU may be a block of cout
    /// of its output channels, with dWeight at the block's first. Under the AVX512-BF16 kernel, CBF16's twin
    /// does the work (the same bits).
    static func addFilterGradient(_ tile: WinogradTile, du: UnsafePointer<Float>, cin: Int, cout: Int, plane: Int,
                                  dWeight: UnsafeMutablePointer<Float>, weightColumns: Int? = nil,
                                  kernel: MatmulKernel = .fp32) {
        let a2 = tile.alpha * tile.alpha
        let ldw = weightColumns ?? cout
        let weightPlane = cin * ldw
        if kernel == .bf16AVX512 {
            parallelRanges(cin, costPerItem: cout * a2 * 4) { rows in
                dfl_winograd_filter_gradient(Int32(tile.alpha), du, Int32(cin), Int32(cout), plane, Int32(rows.lowerBound),
                                             Int32(rows.upperBound), dWeight, ldw)
            }
            return
        }
        parallelRanges(cin, costPerItem: cout * a2 * 4) { rows in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 3 * 6 * WinogradTransform.laneStride) { tmpBuffer in
                let tmp = tmpBuffer.baseAddress!
                for ci in rows {
                    let src = du + ci * cout, dst = dWeight + ci * ldw
                    var c = 0
                    while c + 8 <= cout {
                        WinogradTransform.filterGradientTile(SIMD8<Float>.self, tile, src: src + c, srcStride: plane,
                                                             tmp: tmp, dst: dst + c, dstStride: weightPlane)
                        c += 8
                    }
                    while c < cout {
                        WinogradTransform.filterGradientTile(Float.self, tile, src: src + c, srcStride: plane,
                                                             tmp: tmp, dst: dst + c, dstStride: weightPlane)
                        c += 1
                    }
                }
            }
        }
    }

    /// dx = conv3×3(dPre, W') with W'[ky, kx, co, ci] = W[2-ky, 2-kx, ci, co]: the input gradient of the
    /// stride-1 convolution `g` whose pre-activation output gradient is `dPre`.
    static func inputGradient(_ g: ConvGeometry, tile: WinogradTile, weight: UnsafePointer<Float>,
                              dPre: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, workspace: Workspace) {
        let cin = g.inChannels, cout = g.outChannels
        let gt = ConvGeometry(batch: g.batch, height: g.outHeight, width: g.outWidth, inChannels: cout,
                              outChannels: cin, kernel: 3, stride: 1, padding: 1)
        if workspace.matmulKernel == .bf16AVX512 {
            // The flipped filter is transformed straight from the weight (WinogradBF16.swift).
            forwardBF16(gt, tile: tile, x: dPre, weight: weight, bias: nil, activation: .identity, y: dx, shuffled: false,
                        workspace: workspace, kernel: .bf16AVX512, flippedFilter: true)
            return
        }
        let flipped = workspace.scratch(WorkspaceSlot.flippedWeights, count: 9 * cin * cout)
        // Tap t's cin × cout matrix transposed into tap 8 - t, in 32 × 32 blocks that stay in L1.
        let block = 32, coBlocks = (cout + block - 1) / block
        parallelRanges(9 * coBlocks, costPerItem: block * cin) { items in
            for item in items {
                let tap = item / coBlocks, co0 = item % coBlocks * block, co1 = min(cout, co0 + block)
                let src = weight + (8 - tap) * cin * cout, dst = flipped + tap * cout * cin
                var ci0 = 0
                while ci0 < cin {
                    let ci1 = min(cin, ci0 + block)
                    for co in co0..<co1 {
                        let d = dst + co * cin
                        for ci in ci0..<ci1 { d[ci] = src[ci * cout + co] }
                    }
                    ci0 = ci1
                }
            }
        }
        forward(gt, tile: tile, x: dPre, weight: flipped, bias: nil, activation: .identity, y: dx, workspace: workspace)
    }
}

/// Workspace slots of the Winograd path (distinct from `WorkspaceSlot`'s).
enum WinogradSlot {
    static let filter = 500
    static let zeros = 501
    /// Per-thread V blocks: `inputTiles + thread`.
    static let inputTiles = 600
    /// Per-thread M blocks: `products + thread`.
    static let products = 700
    /// Per-thread staging of one tile's outputs (cropped or pixel-shuffled pixels): `outputStage + thread`.
    static let outputStage = 800
    /// U[ξ] packed for the bf16 kernel (`WinogradBF16.swift`). It shares `filter`'s slot: under bf16 that slot
    /// holds only the weight gradient's dU, which is never live at the same time as a packed U (each is formed
    /// and used within one pass), so the largest of the two is held instead of both.
    static let packedFilter = filter
}

extension ConvGeometry {
    /// For stride 1: the convolution that computes this one's input gradient (dY with the flipped kernel).
    /// (Strided geometries keep their stride, so Winograd never applies to them.)
    var inputGradientGeometry: ConvGeometry {
        ConvGeometry(batch: batch, height: outHeight, width: outWidth, inChannels: outChannels,
                     outChannels: inChannels, kernel: kernel, stride: stride, padding: padding)
    }
}
