import Foundation

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

    /// U[ξ][ci][co] = (G g Gᵀ)[ξ] of the HWIO weight (3, 3, cin, cout).
    static func transformFilter(_ tile: WinogradTile, weight: UnsafePointer<Float>, cin: Int, cout: Int,
                                u: UnsafeMutablePointer<Float>) {
        let a2 = tile.alpha * tile.alpha, tap = cin * cout
        parallelRanges(cin, costPerItem: cout * a2 * 4) { rows in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 3 * 6 * WinogradTransform.laneStride) { tmp in
                let tmp = tmp.baseAddress!
                for ci in rows {
                    let src = weight + ci * cout, dst = u + ci * cout
                    var c = 0
                    while c + 8 <= cout {
                        WinogradTransform.filterTile(SIMD8<Float>.self, tile, src: src + c, srcStride: tap, tmp: tmp,
                                                     dst: dst + c, dstStride: tap)
                        c += 8
                    }
                    while c < cout {
                        WinogradTransform.filterTile(Float.self, tile, src: src + c, srcStride: tap, tmp: tmp,
                                                     dst: dst + c, dstStride: tap)
                        c += 1
                    }
                }
            }
        }
    }

    /// y = act(conv3×3(x) + bias); with `shuffled`, y is stored depth_to_space(2) (DCR) as in
    /// `Im2colConvolution.forward`. `weight` is HWIO (3, 3, in, out).
    static func forward(_ g: ConvGeometry, tile: WinogradTile, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                        bias: UnsafePointer<Float>?, activation: Activation, y: UnsafeMutablePointer<Float>,
                        shuffled: Bool = false, workspace: Workspace) {
        precondition(applies(g), "Winograd needs a 3×3 stride-1 convolution with padding 1")
        let m = tile.m, a = tile.alpha, a2 = a * a
        let cin = g.inChannels, cout = g.outChannels, H = g.height, W = g.width
        let tilesY = (H + m - 1) / m, tilesX = (W + m - 1) / m, perSample = tilesY * tilesX
        let tiles = g.batch * perSample
        let u = workspace.scratch(WinogradSlot.filter, count: a2 * cin * cout)
        transformFilter(tile, weight: weight, cin: cin, cout: cout, u: u)
        let bt = blockTiles(tiles: tiles, tile: tile, cin: cin, cout: cout)
        let vs = Im2colConvolution.perThread(workspace, base: WinogradSlot.inputTiles, count: a2 * bt * cin)
        let ms = Im2colConvolution.perThread(workspace, base: WinogradSlot.products, count: a2 * bt * cout)
        let stages = Im2colConvolution.perThread(workspace, base: WinogradSlot.outputStage, count: m * m * cout)
        let zeros = workspace.scratch(WinogradSlot.zeros, count: cin)
        zeros.update(repeating: 0, count: cin)
        let zerosIn = UnsafePointer(zeros)

        Im2colConvolution.forEachBlock(rows: tiles, blockRows: bt) { t, r in
            let v = vs[t], prod = ms[t], stage = stages[t]
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 36 * WinogradTransform.laneStride) { tmpBuffer in
            withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: 36) { inPixels in
            withUnsafeTemporaryAllocation(of: UnsafeMutablePointer<Float>.self, capacity: 16) { outPixels in
                let tmp = tmpBuffer.baseAddress!, inP = inPixels.baseAddress!, outP = outPixels.baseAddress!
                // (1) input tiles → V[ξ][local][ci]
                for (local, index) in r.enumerated() {
                    let n = index / perSample, rem = index % perSample
                    let y0 = (rem / tilesX) * m - 1, x0 = (rem % tilesX) * m - 1
                    for i in 0..<a {
                        let iy = y0 + i
                        for j in 0..<a {
                            let ix = x0 + j
                            inP[i * a + j] = iy >= 0 && iy < H && ix >= 0 && ix < W
                                ? x + ((n * H + iy) * W + ix) * cin : zerosIn
                        }
                    }
                    let dst = v + local * cin, stride = bt * cin
                    var c = 0
                    while c + 8 <= cin {
                        WinogradTransform.inputTile(SIMD8<Float>.self, tile, pixels: inP, channel: c, tmp: tmp,
                                                    dst: dst + c, dstStride: stride)
                        c += 8
                    }
                    while c < cin {
                        WinogradTransform.inputTile(Float.self, tile, pixels: inP, channel: c, tmp: tmp,
                                                    dst: dst + c, dstStride: stride)
                        c += 1
                    }
                }
                // (2) M[ξ] = V[ξ] · U[ξ]
                for xi in 0..<a2 {
                    sgemm(m: r.count, n: cout, k: cin, a: v + xi * bt * cin, lda: cin, b: u + xi * cin * cout,
                          ldb: cout, beta: 0, c: prod + xi * bt * cout, ldc: cout)
                }
                // (3) M → output pixels, then bias and activation.
                for (local, index) in r.enumerated() {
                    let n = index / perSample, rem = index % perSample
                    let oy0 = (rem / tilesX) * m, ox0 = (rem % tilesX) * m
                    for i in 0..<m {
                        for j in 0..<m {
                            let oy = oy0 + i, ox = ox0 + j
                            outP[i * m + j] = !shuffled && oy < H && ox < W
                                ? y + ((n * H + oy) * W + ox) * cout : stage + (i * m + j) * cout
                        }
                    }
                    let src = prod + local * cout, stride = bt * cout
                    var c = 0
                    while c + 8 <= cout {
                        WinogradTransform.outputTile(SIMD8<Float>.self, tile, src: src + c, srcStride: stride, tmp: tmp,
                                                     pixels: outP, channel: c)
                        c += 8
                    }
                    while c < cout {
                        WinogradTransform.outputTile(Float.self, tile, src: src + c, srcStride: stride, tmp: tmp,
                                                     pixels: outP, channel: c)
                        c += 1
                    }
                    for i in 0..<m {
                        for j in 0..<m {
                            let oy = oy0 + i, ox = ox0 + j
                            if oy >= H || ox >= W { continue }
                            let p = outP[i * m + j]
                            if let bias { for c in 0..<cout { p[c] += bias[c] } }
                            activation.apply(p, cout)
                            if shuffled {
                                for sub in 0..<4 {
                                    g.shuffledPixel(y, n, oy, ox, sub).update(from: p + sub * (cout / 4), count: cout / 4)
                                }
                            }
                        }
                    }
                }
            }}}
        }
    }

    /// dx = conv3×3(dPre, W') with W'[ky, kx, co, ci] = W[2-ky, 2-kx, ci, co]: the input gradient of the
    /// stride-1 convolution `g` whose pre-activation output gradient is `dPre`.
    static func inputGradient(_ g: ConvGeometry, tile: WinogradTile, weight: UnsafePointer<Float>,
                              dPre: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, workspace: Workspace) {
        let cin = g.inChannels, cout = g.outChannels
        let flipped = workspace.scratch(WorkspaceSlot.flippedWeights, count: 9 * cin * cout)
        parallelRanges(9 * cout, costPerItem: cin) { rows in
            for row in rows {
                let tap = row / cout, co = row % cout
                let src = weight + (8 - tap) * cin * cout + co
                let dst = flipped + (tap * cout + co) * cin
                for ci in 0..<cin { dst[ci] = src[ci * cout] }
            }
        }
        let gt = ConvGeometry(batch: g.batch, height: g.outHeight, width: g.outWidth, inChannels: cout,
                              outChannels: cin, kernel: 3, stride: 1, padding: 1)
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
}

extension ConvGeometry {
    /// For stride 1: the convolution that computes this one's input gradient (dY with the flipped kernel).
    /// (Strided geometries keep their stride, so Winograd never applies to them.)
    var inputGradientGeometry: ConvGeometry {
        ConvGeometry(batch: batch, height: outHeight, width: outWidth, inChannels: outChannels,
                     outChannels: inChannels, kernel: kernel, stride: stride, padding: padding)
    }
}
