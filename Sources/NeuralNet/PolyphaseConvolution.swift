/// A 5×5 stride-2 convolution (DFL's Downscale, symmetric padding 2) on an even-sized input, rewritten as a
/// 3×3 stride-1 convolution (padding 1) so that Winograd can run it.
///
/// With pad 2, output pixel i reads inputs 2i−2 … 2i+2. Writing tap k = 2a + p (a = 0…2, p = 0…1), the input
/// 2i + k − 2 = 2(i + a − 1) + p is pixel i + a − 1 of phase p, where phase p holds the inputs 2j + p. So
/// y = conv3×3(space_to_depth₂(x), W′) with W′[a, b, (p, q, c), o] = W[2a + p, 2b + q, c, o], and W′ = 0 where
/// 2a + p or 2b + q is 5 (past the kernel). The phases' borders are exactly the original zero padding. The
/// 3×3 convolution over 4·C channels does 36 multiply-adds per (input channel, output) where the 5×5 does 25,
/// but F(4×4, 3×3) divides them by 4: about 2.8× fewer multiplies than the dense 5×5.
///
/// Layout: space_to_depth₂ of NHWC x (N, H, W, C) is (N, H/2, W/2, 4C) with channel (2p + q)·C + c holding
/// x[n, 2i + p, 2j + q, c].
enum PolyphaseConvolution {
    /// The 3×3 stride-1 geometry that computes `g`, when `g` is a 5×5 stride-2 pad-2 convolution of an even
    /// input; nil otherwise.
    static func phaseGeometry(_ g: ConvGeometry) -> ConvGeometry? {
        guard g.kernel == 5 && g.stride == 2 && g.padding == 2 && g.height % 2 == 0 && g.width % 2 == 0
        else { return nil }
        return ConvGeometry(batch: g.batch, height: g.height / 2, width: g.width / 2, inChannels: 4 * g.inChannels,
                            outChannels: g.outChannels, kernel: 3, stride: 1, padding: 1)
    }

    /// z = space_to_depth₂(x) for the geometry `g` (the original 5×5 one).
    static func spaceToDepth(_ g: ConvGeometry, x: UnsafePointer<Float>, z: UnsafeMutablePointer<Float>) {
        forEachRun(g) { zOffset, xOffset, count in (z + zOffset).update(from: x + xOffset, count: count) }
    }

    /// dx = depth_to_space₂(dz): the inverse of `spaceToDepth` (a permutation, so the gradient maps back the
    /// same way).
    static func depthToSpace(_ g: ConvGeometry, dz: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>) {
        forEachRun(g) { zOffset, xOffset, count in (dx + xOffset).update(from: dz + zOffset, count: count) }
    }

    /// Calls `body(zOffset, xOffset, count)` for each contiguous run that space_to_depth₂ moves, over the
    /// threads: phases (p, 0) and (p, 1) of a pixel are 2·C adjacent floats in both layouts.
    private static func forEachRun(_ g: ConvGeometry, _ body: (Int, Int, Int) -> Void) {
        let c = g.inChannels, h2 = g.height / 2, w2 = g.width / 2, w = g.width
        parallelRanges(g.batch * h2, costPerItem: 4 * w2 * c) { rows in
            for row in rows {
                let n = row / h2, i = row % h2
                for j in 0..<w2 {
                    for p in 0..<2 {
                        body(((n * h2 + i) * w2 + j) * 4 * c + 2 * p * c, ((n * g.height + 2 * i + p) * w + 2 * j) * c, 2 * c)
                    }
                }
            }
        }
    }

    /// W′ (3, 3, 4C, O) from the HWIO 5×5 weights W (5, 5, C, O), zeros where the 3×3 reaches past the 5×5.
    static func phaseWeights(_ g: ConvGeometry, weight: UnsafePointer<Float>, phase: UnsafeMutablePointer<Float>) {
        let block = g.inChannels * g.outChannels
        forEachTap { phaseTap, kernelTap in
            let dst = phase + phaseTap * block
            if let kernelTap {
                dst.update(from: weight + kernelTap * block, count: block)
            } else {
                dst.update(repeating: 0, count: block)
            }
        }
    }

    /// dW += the 5×5 weights' share of dW′ (the entries of W′ that are zero by construction are not weights).
    static func addWeightGradient(_ g: ConvGeometry, phaseGradient: UnsafePointer<Float>, dWeight: UnsafeMutablePointer<Float>) {
        let block = g.inChannels * g.outChannels
        forEachTap { phaseTap, kernelTap in
            guard let kernelTap else { return }
            let src = phaseGradient + phaseTap * block, dst = dWeight + kernelTap * block
            for i in 0..<block { dst[i] += src[i] }
        }
    }

    /// Calls `body(phaseTap, kernelTap)` for each (C × O) block of W′: its index (a·3 + b)·4 + 2p + q, and the
    /// index ky·5 + kx of the 5×5 block it holds (ky = 2a + p, kx = 2b + q), nil where that is past the kernel.
    private static func forEachTap(_ body: (Int, Int?) -> Void) {
        for a in 0..<3 { for b in 0..<3 { for p in 0..<2 { for q in 0..<2 {
            let ky = 2 * a + p, kx = 2 * b + q
            body((a * 3 + b) * 4 + 2 * p + q, ky < 5 && kx < 5 ? ky * 5 + kx : nil)
        }}}}
    }
}
