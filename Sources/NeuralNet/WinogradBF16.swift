import Foundation
import CBF16

/// The Winograd passes under bf16 precision (`MatmulPrecision.bf16`): the same transforms as the fp32
/// passes, but the GEMM operands are written as bf16 by the transforms themselves, in the layouts the kernel
/// reads in place, so no GEMM converts or packs per call:
/// - forward (and input gradient): the filter transform writes U[ξ] in the kernel's packed layout once per
///   call, shared by every tile block; the input transform writes V[ξ] as bf16 rows (tile × channel pairs);
///   M stays fp32.
/// - weight gradient: the transforms of x and dY write V[ξ] and dM[ξ] with tiles paired (word = tile 2p |
///   tile 2p+1 for one channel), the k-major layout `dfl_bf16_gemm_kmajor` multiplies; dU stays fp32.
/// Rounding is CBF16's (nearest even), so the results equal those of the generic bf16 GEMM on the fp32
/// transforms; the additions follow the tiles in pairs (`BF16Tests`).
extension WinogradConvolution {
    static func forwardBF16(_ g: ConvGeometry, tile: WinogradTile, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                            bias: UnsafePointer<Float>?, activation: Activation, y: UnsafeMutablePointer<Float>,
                            shuffled: Bool, workspace: Workspace, kernel: MatmulKernel, flippedFilter: Bool = false) {
        let a2 = tile.alpha * tile.alpha
        let cin = g.inChannels, cout = g.outChannels, cinWords = (cin + 1) / 2
        let tiling = Tiling(g: g, tile: tile)
        let tiles = tiling.count
        let packedWords = skewed(dfl_bf16_packed_words(Int32(cin), Int32(cout)))
        let packed = UnsafeMutableRawPointer(workspace.scratch(WinogradSlot.packedFilter, count: a2 * packedWords))
        if flippedFilter {
            transformFlippedFilterPacked(tile, weight: weight, cin: cout, cout: cin, packed: packed, packedWords: packedWords)
        } else {
            transformFilterPacked(tile, weight: weight, cin: cin, cout: cout, packed: packed, packedWords: packedWords,
                                  kernel: kernel)
        }
        let zeros = workspace.scratch(WinogradSlot.zeros, count: cin)
        zeros.update(repeating: 0, count: cin)

        if tiles <= wholeBatchTiles || Threads.count == 1 && tiles <= 4 * wholeBatchTiles {
            let sv = skewed(tiles * cinWords), sm = skewed(tiles * cout)
            let v = UnsafeMutableRawPointer(workspace.scratch(WinogradSlot.inputTiles, count: a2 * sv))
            let prod = workspace.scratch(WinogradSlot.products, count: a2 * sm)
            parallelRanges(tiles, costPerItem: a2 * cin * 4) { r in
                transformInputsBF16(tiling, x: x, zeros: zeros, tiles: r, v: v + 4 * r.lowerBound * cinWords,
                                    strideWords: sv, kernel: kernel)
            }
            let next = BlockCounter()
            let threads = min(Threads.count, a2)
            let gemm: (Int) -> Void = { _ in
                while true {
                    let xi = next.take()
                    if xi >= a2 { break }
                    matmulRows(kernel, m: tiles, n: cout, k: cin, a: v + 4 * xi * sv, ldaWords: cinWords,
                               packedB: packed + 4 * xi * packedWords, beta: 0, c: prod + xi * sm, ldc: cout)
                }
            }
            if threads <= 1 { gemm(0) } else { Threads.perform(iterations: threads, gemm) }
            parallelRanges(tiles, costPerItem: a2 * cout * 4) { r in
                let stage = UnsafeMutablePointer<Float>.allocate(capacity: tile.m * tile.m * cout)
                defer { stage.deallocate() }
                transformOutputs(tiling, prod: prod + r.lowerBound * cout, stride: sm, tiles: r, bias: bias,
                                 activation: activation, y: y, shuffled: shuffled, stage: stage, kernel: kernel)
            }
            return
        }

        let bt = blockTiles(tiles: tiles, tile: tile, cin: cin, cout: cout)
        let sv = skewed(bt * cinWords), sm = skewed(bt * cout)
        let vs = Im2colConvolution.perThread(workspace, base: WinogradSlot.inputTiles, count: a2 * sv)
        let ms = Im2colConvolution.perThread(workspace, base: WinogradSlot.products, count: a2 * sm)
        let stages = Im2colConvolution.perThread(workspace, base: WinogradSlot.outputStage, count: tile.m * tile.m * cout)
        Im2colConvolution.forEachBlock(rows: tiles, blockRows: bt) { t, r in
            let v = UnsafeMutableRawPointer(vs[t]), prod = ms[t]
            transformInputsBF16(tiling, x: x, zeros: zeros, tiles: r, v: v, strideWords: sv, kernel: kernel)
            for xi in 0..<a2 {
                matmulRows(kernel, m: r.count, n: cout, k: cin, a: v + 4 * xi * sv, ldaWords: cinWords,
                           packedB: packed + 4 * xi * packedWords, beta: 0, c: prod + xi * sm, ldc: cout)
            }
            transformOutputs(tiling, prod: prod, stride: sm, tiles: r, bias: bias, activation: activation,
                             y: y, shuffled: shuffled, stage: stages[t], kernel: kernel)
        }
    }

    /// U[ξ] = G g Gᵀ (as `transformFilter`) written straight into the kernel's packed bf16 layout
    /// (`dfl_bf16_packed_layout`), U[ξ] at word ξ·packedWords: input channels 2p and 2p + 1 share a word.
    /// With the AVX512 kernel, CBF16's twin does the work (the same bits).
    static func transformFilterPacked(_ tile: WinogradTile, weight: UnsafePointer<Float>, cin: Int, cout: Int,
                                      packed: UnsafeMutableRawPointer, packedWords: Int, kernel: MatmulKernel) {
        let a2 = tile.alpha * tile.alpha, tap = cin * cout, pairs = (cin + 1) / 2
        if kernel == .bf16AVX512 {
            let words = packed.assumingMemoryBound(to: UInt32.self)
            parallelRanges(pairs, costPerItem: 2 * cout * a2 * 4) { range in
                dfl_winograd_filter_packed_bf16(Int32(tile.alpha), weight, Int32(cin), Int32(cout), Int32(range.lowerBound),
                                                Int32(range.upperBound), words, packedWords)
            }
            return
        }
        var panel: Int32 = 0, block: Int32 = 0, kBlock: Int32 = 0
        dfl_bf16_packed_layout(Int32(cout), &panel, &block, &kBlock)
        let nr = Int(panel), nc = Int(block), kb = Int(kBlock)
        /// Word of k-pair p, column j.
        @inline(__always) func word(_ p: Int, _ j: Int) -> Int {
            let jc = j / nc * nc, pc = p / kb * kb, ncols = min(nc, cout - jc), kp = min(kb, pairs - pc)
            let q = (j - jc) / nr
            return jc / nr * nr * pairs + (ncols + nr - 1) / nr * nr * pc + q * nr * kp + (p - pc) * nr + (j - jc - q * nr)
        }
        parallelRanges(pairs, costPerItem: 2 * cout * a2 * 4) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 3 * 6 * WinogradTransform.laneStride) { tmpBuffer in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * 36 * 8) { stageBuffer in
                let tmp = tmpBuffer.baseAddress!, stage0 = stageBuffer.baseAddress!, stage1 = stage0 + 36 * 8
                for p in range {
                    let src0 = weight + 2 * p * cout, hasSecond = 2 * p + 1 < cin
                    var c = 0
                    while c + 8 <= cout {
                        WinogradTransform.filterTile(SIMD8<Float>.self, tile, src: src0 + c, srcStride: tap, tmp: tmp,
                                                     dst: stage0, dstStride: 8)
                        if hasSecond {
                            WinogradTransform.filterTile(SIMD8<Float>.self, tile, src: src0 + cout + c, srcStride: tap,
                                                         tmp: tmp, dst: stage1, dstStride: 8)
                        }
                        let at = word(p, c)
                        for xi in 0..<a2 {
                            let lo = bf16Bits(SIMD8<Float>.load(stage0 + 8 * xi))
                            let hi = hasSecond ? bf16Bits(SIMD8<Float>.load(stage1 + 8 * xi)) : .zero
                            packed.storeBytes(of: lo | (hi &<< 16), toByteOffset: 4 * (xi * packedWords + at),
                                              as: SIMD8<UInt32>.self)
                        }
                        c += 8
                    }
                    while c < cout {
                        WinogradTransform.filterTile(Float.self, tile, src: src0 + c, srcStride: tap, tmp: tmp, dst: stage0,
                                                     dstStride: 1)
                        if hasSecond {
                            WinogradTransform.filterTile(Float.self, tile, src: src0 + cout + c, srcStride: tap, tmp: tmp,
                                                         dst: stage1, dstStride: 1)
                        }
                        let at = word(p, c)
                        for xi in 0..<a2 {
                            let w = bf16Bits(stage0[xi]) | (hasSecond ? bf16Bits(stage1[xi]) << 16 : 0)
                            packed.storeBytes(of: w, toByteOffset: 4 * (xi * packedWords + at), as: UInt32.self)
                        }
                        c += 1
                    }
                }
            }}
        }
    }

    /// The packed U of the input-gradient convolution of the layer whose HWIO filter (3, 3, cin, cout) is
    /// `weight` (rotated 180° with the channels exchanged: k = cout, columns = cin), on the AVX512 kernel only:
    /// the same bits as `transformFilterPacked` of the flipped copy `inputGradient` makes for the other kernels.
    static func transformFlippedFilterPacked(_ tile: WinogradTile, weight: UnsafePointer<Float>, cin: Int, cout: Int,
                                             packed: UnsafeMutableRawPointer, packedWords: Int) {
        let a2 = tile.alpha * tile.alpha, blocks = (cout + 15) / 16   // 16 output channels (8 pairs) per transpose
        let words = packed.assumingMemoryBound(to: UInt32.self), pairs = (cout + 1) / 2
        parallelRanges(blocks, costPerItem: 16 * cin * a2 * 4) { range in
            dfl_winograd_filter_packed_flipped_bf16(Int32(tile.alpha), weight, Int32(cin), Int32(cout),
                                                    Int32(8 * range.lowerBound), Int32(min(pairs, 8 * range.upperBound)),
                                                    words, packedWords)
        }
    }

    /// V as bf16: tile k of the range, element ξ at word `ξ·strideWords + k·⌈cin/2⌉` of `v` (channel pairs;
    /// an odd channel count padded with a zero). With the AVX512 kernel, CBF16's twin of the Swift transform
    /// below does the work (16 channels per vector; the same bits).
    static func transformInputsBF16(_ tiling: Tiling, x: UnsafePointer<Float>, zeros: UnsafePointer<Float>,
                                    tiles: Range<Int>, v: UnsafeMutableRawPointer, strideWords: Int, kernel: MatmulKernel) {
        let tile = tiling.tile, a = tile.alpha, a2 = a * a
        let cin = tiling.g.inChannels, cinWords = (cin + 1) / 2, H = tiling.g.height, W = tiling.g.width
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 36 * WinogradTransform.laneStride) { tmpBuffer in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 36 * 8) { stageBuffer in
        withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: 36) { pixelBuffer in
            let tmp = tmpBuffer.baseAddress!, stage = stageBuffer.baseAddress!, pixels = pixelBuffer.baseAddress!
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
                let row = local * cinWords
                if kernel == .bf16AVX512 {
                    dfl_winograd_input_bf16(Int32(a), pixelArray(pixels), Int32(cin),
                                            (v + 4 * row).assumingMemoryBound(to: UInt16.self), 2 * strideWords)
                    continue
                }
                var c = 0
                while c + 8 <= cin {
                    WinogradTransform.inputTile(SIMD8<Float>.self, tile, pixels: pixels, channel: c, tmp: tmp, dst: stage,
                                                dstStride: 8)
                    for xi in 0..<a2 {
                        let bits = bf16Bits(SIMD8<Float>.load(stage + 8 * xi))
                        v.storeBytes(of: bits.evenHalf | (bits.oddHalf &<< 16),
                                     toByteOffset: 4 * (xi * strideWords + row + c / 2), as: SIMD4<UInt32>.self)
                    }
                    c += 8
                }
                while c < cin {
                    WinogradTransform.inputTile(Float.self, tile, pixels: pixels, channel: c, tmp: tmp, dst: stage, dstStride: 1)
                    for xi in 0..<a2 {
                        v.storeBytes(of: UInt16(truncatingIfNeeded: bf16Bits(stage[xi])),
                                     toByteOffset: 2 * (2 * (xi * strideWords + row) + c), as: UInt16.self)
                    }
                    c += 1
                }
                if cin % 2 == 1 {
                    for xi in 0..<a2 {
                        v.storeBytes(of: UInt16(0), toByteOffset: 2 * (2 * (xi * strideWords + row) + cin), as: UInt16.self)
                    }
                }
            }
        }}}
    }

    /// The weight gradient under bf16 (see the type's comment); the same chunks and dU → dW transform as
    /// `weightGradient`, with an even chunk.
    static func weightGradientBF16(_ g: ConvGeometry, tile: WinogradTile, x: UnsafePointer<Float>,
                                   dPre: UnsafePointer<Float>, dWeight: UnsafeMutablePointer<Float>, workspace: Workspace,
                                   kernel: MatmulKernel) {
        let a2 = tile.alpha * tile.alpha
        let cin = g.inChannels, cout = g.outChannels
        let tiling = Tiling(g: g, tile: tile)
        let tiles = tiling.count
        let zeros = workspace.scratch(WinogradSlot.zeros, count: max(cin, cout))
        zeros.update(repeating: 0, count: max(cin, cout))
        // A bf16 word holds two tiles, so twice the fp32 path's tiles fit the same bytes; the GEMMs add the tile
        // pairs in order across chunks, so the chunking does not change the sums. Small layers (a 12×12 image's
        // 144 tiles) then take one chunk and write dU once.
        var chunk = max(1, min(tiles, max(128, 2 * weightGradientChunkFloats / (a2 * (cin + cout)))))
        chunk += chunk % 2
        let half = chunk / 2
        // With every tile in one chunk, dU is formed and turned into dW a block of output channels at a time, so
        // its scratch holds one block (the 16² 256→1024 upscale: 9 MB instead of 36). Each column's sums are
        // the same either way.
        let columns = chunk >= tiles ? min(cout, weightGradientColumns) : cout
        // dU is not zeroed: the first chunk's GEMMs start from 0 (beta 0), the same sums as zeroing and adding.
        let plane = skewed(cin * columns), sv = skewed(half * cin), sm = skewed(half * cout)
        let du = workspace.scratch(WinogradSlot.filter, count: a2 * plane)
        let v = UnsafeMutableRawPointer(workspace.scratch(WinogradSlot.inputTiles, count: a2 * sv))
        let dm = UnsafeMutableRawPointer(workspace.scratch(WinogradSlot.products, count: a2 * sm))
        var start = 0
        while start < tiles {
            let count = min(chunk, tiles - start), first = start, pairs = (count + 1) / 2
            parallelRanges(pairs, costPerItem: 2 * a2 * (cin + cout) * 4) { r in
                transformPairsBF16(tiling, x: x, dPre: dPre, zeros: zeros, first: first, end: first + count, pairs: r,
                                   v: v, dm: dm, strideV: sv, strideM: sm, kernel: kernel)
            }
            var c0 = 0
            while c0 < cout {
                let n = min(columns, cout - c0), block = c0
                let next = BlockCounter()
                let gemm: (Int) -> Void = { _ in
                    while true {
                        let xi = next.take()
                        if xi >= a2 { break }
                        matmulKMajor(kernel, m: cin, n: n, pairs: pairs, a: v + 4 * xi * sv, strideA: cin,
                                     b: dm + 4 * (xi * sm + block), strideB: cout, beta: first == 0 ? 0 : 1,
                                     c: du + xi * plane, ldc: n)
                    }
                }
                let threads = min(Threads.count, a2)
                if threads <= 1 { gemm(0) } else { Threads.perform(iterations: threads, gemm) }
                if columns < cout {
                    addFilterGradient(tile, du: du, cin: cin, cout: n, plane: plane, dWeight: dWeight + c0,
                                      weightColumns: cout, kernel: kernel)
                }
                c0 += n
            }
            start += count
        }
        if columns == cout {
            addFilterGradient(tile, du: du, cin: cin, cout: cout, plane: plane, dWeight: dWeight, kernel: kernel)
        }
    }

    /// Output channels per block of dU in `weightGradientBF16` when all tiles fit one chunk.
    nonisolated(unsafe) static var weightGradientColumns = 256

    /// V and dM of the tile pairs `pairs` (tiles first + 2p and first + 2p + 1; a missing second tile counts
    /// as zeros): element ξ of pair p, channel c at word `ξ·stride + p·channels + c`, word = tile 2p | tile
    /// 2p + 1 << 16. With the AVX512 kernel, CBF16's twins of the Swift transforms do the work.
    static func transformPairsBF16(_ tiling: Tiling, x: UnsafePointer<Float>, dPre: UnsafePointer<Float>,
                                   zeros: UnsafePointer<Float>, first: Int, end: Int, pairs: Range<Int>,
                                   v: UnsafeMutableRawPointer, dm: UnsafeMutableRawPointer, strideV: Int, strideM: Int,
                                   kernel: MatmulKernel) {
        let fast = kernel == .bf16AVX512
        let tile = tiling.tile, a = tile.alpha, a2 = a * a, m = tile.m, g = tiling.g
        let cin = g.inChannels, cout = g.outChannels, H = g.height, W = g.width
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 36 * WinogradTransform.laneStride) { tmpBuffer in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * 36 * 8) { stageBuffer in
        withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: 2 * 36) { pixelBuffer in
            let tmp = tmpBuffer.baseAddress!, pixels = pixelBuffer.baseAddress!
            let stage0 = stageBuffer.baseAddress!, stage1 = stage0 + 36 * 8
            for p in pairs {
                let t0 = first + 2 * p, hasSecond = t0 + 1 < end
                // V: input tiles.
                for s in 0..<2 {
                    let (n, oy, ox) = tiling.origin(min(t0 + s, end - 1))
                    for i in 0..<a {
                        let iy = oy - 1 + i
                        for j in 0..<a {
                            let ix = ox - 1 + j
                            pixels[s * 36 + i * a + j] = iy >= 0 && iy < H && ix >= 0 && ix < W
                                ? x + ((n * H + iy) * W + ix) * cin : zeros
                        }
                    }
                }
                if fast {
                    dfl_winograd_input_pairs_bf16(Int32(a), pixelArray(pixels), hasSecond ? pixelArray(pixels + 36) : nil,
                                                  Int32(cin), (v + 4 * p * cin).assumingMemoryBound(to: UInt32.self),
                                                  strideV)
                } else {
                    storePairs(cin, a2: a2, stage0: stage0, stage1: stage1, hasSecond: hasSecond,
                               dst: v, wordOffset: p * cin, stride: strideV) { s, c, lanes, dst, stride in
                        if lanes == 8 {
                            WinogradTransform.inputTile(SIMD8<Float>.self, tile, pixels: pixels + 36 * s, channel: c,
                                                        tmp: tmp, dst: dst, dstStride: stride)
                        } else {
                            WinogradTransform.inputTile(Float.self, tile, pixels: pixels + 36 * s, channel: c,
                                                        tmp: tmp, dst: dst, dstStride: stride)
                        }
                    }
                }
                // dM: output-gradient tiles (zeros past the edge).
                for s in 0..<2 {
                    let (n, oy0, ox0) = tiling.origin(min(t0 + s, end - 1))
                    for i in 0..<m {
                        for j in 0..<m {
                            let oy = oy0 + i, ox = ox0 + j
                            pixels[s * 36 + i * m + j] = oy < H && ox < W ? dPre + ((n * H + oy) * W + ox) * cout : zeros
                        }
                    }
                }
                if fast {
                    dfl_winograd_output_gradient_pairs_bf16(Int32(a), pixelArray(pixels),
                                                            hasSecond ? pixelArray(pixels + 36) : nil, Int32(cout),
                                                            (dm + 4 * p * cout).assumingMemoryBound(to: UInt32.self),
                                                            strideM)
                    continue
                }
                storePairs(cout, a2: a2, stage0: stage0, stage1: stage1, hasSecond: hasSecond,
                           dst: dm, wordOffset: p * cout, stride: strideM) { s, c, lanes, dst, stride in
                    if lanes == 8 {
                        WinogradTransform.outputGradientTile(SIMD8<Float>.self, tile, pixels: pixels + 36 * s, channel: c,
                                                             tmp: tmp, dst: dst, dstStride: stride)
                    } else {
                        WinogradTransform.outputGradientTile(Float.self, tile, pixels: pixels + 36 * s, channel: c,
                                                             tmp: tmp, dst: dst, dstStride: stride)
                    }
                }
            }
        }}}
    }

    /// A tile's pixel pointers as CBF16's transforms take them.
    @inline(__always)
    private static func pixelArray(_ pixels: UnsafeMutablePointer<UnsafePointer<Float>>) -> UnsafePointer<UnsafePointer<Float>?> {
        UnsafeRawPointer(pixels).assumingMemoryBound(to: UnsafePointer<Float>?.self)
    }

    /// For each channel group: `transform(s, c, lanes, stage, laneStride)` writes tile s's α² elements into the
    /// stage; then element ξ of both tiles is stored as pair words at `dst + 4·(ξ·stride + wordOffset + c)`.
    @inline(__always)
    private static func storePairs(_ channels: Int, a2: Int, stage0: UnsafeMutablePointer<Float>,
                                   stage1: UnsafeMutablePointer<Float>, hasSecond: Bool, dst: UnsafeMutableRawPointer,
                                   wordOffset: Int, stride: Int,
                                   _ transform: (Int, Int, Int, UnsafeMutablePointer<Float>, Int) -> Void) {
        var c = 0
        while c + 8 <= channels {
            transform(0, c, 8, stage0, 8)
            if hasSecond { transform(1, c, 8, stage1, 8) }
            for xi in 0..<a2 {
                let lo = bf16Bits(SIMD8<Float>.load(stage0 + 8 * xi))
                let hi = hasSecond ? bf16Bits(SIMD8<Float>.load(stage1 + 8 * xi)) : .zero
                dst.storeBytes(of: lo | (hi &<< 16), toByteOffset: 4 * (xi * stride + wordOffset + c), as: SIMD8<UInt32>.self)
            }
            c += 8
        }
        while c < channels {
            transform(0, c, 1, stage0, 1)
            if hasSecond { transform(1, c, 1, stage1, 1) }
            for xi in 0..<a2 {
                let word = bf16Bits(stage0[xi]) | (hasSecond ? bf16Bits(stage1[xi]) << 16 : 0)
                dst.storeBytes(of: word, toByteOffset: 4 * (xi * stride + wordOffset + c), as: UInt32.self)
            }
            c += 1
        }
    }
}
