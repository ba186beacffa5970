import Foundation

/// DFL's `dssim` (docs/saehd-model.md §3.3): Gaussian window of σ 1.5 and size `filterSize` (may be even;
/// centre (k-1)/2), normalised, applied per channel with VALID windows; c1 = 0.01², c2 = 0.03²; ssim is the
/// spatial mean of lum·cs per sample and channel; the value per sample is the channel mean of (1 − ssim)/2.
///
/// The window is separable (a normalised 2-D Gaussian is the outer product of normalised 1-D ones), so each
/// of the four filtered maps costs two 1-D passes.
public final class DSSIM {
    public static let c1: Float = 0.01 * 0.01
    public static let c2: Float = 0.03 * 0.03
    public let filterSize: Int
    public let window: [Float]
    /// Where the per-thread scratch lives: a workspace shared with the other losses and layers of one model
    /// (they run one after another, so its slot serves them all), else this instance's own buffer.
    private let workspace: Workspace?
    private var scratch: Tensor?
    private var values: [Double] = []

    /// The filter size DFL uses at `resolution`: int(r / 11.6) (second, r ≥ 256: int(r / 23.2)).
    public static func filterSize(resolution: Int, second: Bool = false) -> Int {
        Int(Double(resolution) / (second ? 23.2 : 11.6))
    }

    /// A DSSIM with a `filterSize` × `filterSize` window of standard deviation `sigma`; with a `workspace`, its
    /// scratch is that workspace's DSSIM slot (not used by anything that runs during `evaluate`).
    public init(filterSize: Int, sigma: Float = 1.5, workspace: Workspace? = nil) {
        precondition(filterSize >= 1)
        self.filterSize = filterSize
        self.workspace = workspace
        let c = Double(filterSize - 1) / 2
        let raw = (0..<filterSize).map { exp(-0.5 * (Double($0) - c) * (Double($0) - c) / Double(sigma * sigma)) }
        let sum = raw.reduce(0, +)
        window = raw.map { Float($0 / sum) }
    }

    /// Per-sample DSSIM of prediction `b` against target `a` (NHWC, same shape). When `gradient` is given,
    /// adds `gradientScale · ∂value[n]/∂b` into it (for every sample n).
    public func evaluate(target a: Tensor, prediction b: Tensor, gradientScale: Float = 1, gradient: Tensor? = nil) -> [Double] {
        precondition(a.shape == b.shape && a.shape.count == 4)
        let (n, h, w, ch) = (a.shape[0], a.shape[1], a.shape[2], a.shape[3])
        let k = filterSize
        precondition(h >= k && w >= k, "image smaller than the DSSIM window")
        let ho = h - k + 1, wo = w - k + 1
        let perTask = 5 * h * w + 7 * h * wo + 7 * ho * wo
        let threads = max(1, min(Threads.count, n * ch))
        let base: UnsafeMutablePointer<Float>
        if let workspace {
            base = workspace.scratch(WorkspaceSlot.dssim, count: perTask * threads)
        } else {
            if scratch == nil || scratch!.count < perTask * threads { scratch = Tensor(shape: [perTask * threads]) }
            base = scratch!.data
        }
        if values.count < n * ch { values = [Double](repeating: 0, count: n * ch) }
        let tasks = n * ch
        values.withUnsafeMutableBufferPointer { vals in
            let vp = vals.baseAddress!
            let run: (Int) -> Void = { t in
                var task = t
                while task < tasks {
                    vp[task] = self.channel(a: a.data, b: b.data, grad: gradient?.data, scale: gradientScale,
                                            sample: task / ch, channel: task % ch, h: h, w: w, ch: ch,
                                            scratch: base + t * perTask)
                    task += threads
                }
            }
            if threads == 1 { run(0) } else { DispatchQueue.concurrentPerform(iterations: threads, execute: run) }
        }
        return (0..<n).map { s in (0..<ch).reduce(0.0) { $0 + values[s * ch + $1] } / Double(ch) }
    }

    /// (1 − ssim)/2 of one sample's channel; adds the gradient (scaled, with the 1/channels of the mean).
    private func channel(a: UnsafePointer<Float>, b: UnsafePointer<Float>, grad: UnsafeMutablePointer<Float>?,
                         scale: Float, sample: Int, channel c: Int, h: Int, w: Int, ch: Int,
                         scratch: UnsafeMutablePointer<Float>) -> Double {
        let k = filterSize, ho = h - k + 1, wo = w - k + 1
        let hw = h * w, hwo = h * wo, howo = ho * wo
        let pa = scratch, pb = pa + hw
        let ta = pb + hw, tb = ta + hwo, tab = tb + hwo, tq = tab + hwo
        let ma = tq + hwo, mb = ma + howo, sab = mb + howo, q = sab + howo
        let gmb = q + howo, gs = gmb + howo, gq = gs + howo
        let ua = gq + howo, us = ua + hwo, uq = us + hwo
        let xa = uq + hwo, xs = xa + hw, xq = xs + hw
        let off = sample * hw * ch + c
        for i in 0..<hw { pa[i] = a[off + i * ch]; pb[i] = b[off + i * ch] }
        let wt = window
        // Horizontal VALID pass of a, b, a·b, a²+b².
        for y in 0..<h {
            let ra = pa + y * w, rb = pb + y * w
            for x in 0..<wo {
                var s1: Float = 0, s2: Float = 0, s3: Float = 0, s4: Float = 0
                for j in 0..<k {
                    let av = ra[x + j], bv = rb[x + j], wj = wt[j]
                    s1 += wj * av; s2 += wj * bv; s3 += wj * av * bv; s4 += wj * (av * av + bv * bv)
                }
                let o = y * wo + x
                ta[o] = s1; tb[o] = s2; tab[o] = s3; tq[o] = s4
            }
        }
        // Vertical VALID pass.
        for y in 0..<ho {
            for x in 0..<wo {
                var s1: Float = 0, s2: Float = 0, s3: Float = 0, s4: Float = 0
                for i in 0..<k {
                    let o = (y + i) * wo + x, wi = wt[i]
                    s1 += wi * ta[o]; s2 += wi * tb[o]; s3 += wi * tab[o]; s4 += wi * tq[o]
                }
                let o = y * wo + x
                ma[o] = s1; mb[o] = s2; sab[o] = s3; q[o] = s4
            }
        }
        let c1 = DSSIM.c1, c2 = DSSIM.c2
        var total: Double = 0
        let g = -scale / (2 * Float(ch) * Float(howo))
        for o in 0..<howo {
            let mua = ma[o], mub = mb[o]
            let A = 2 * mua * mub + c1, B = mua * mua + mub * mub + c1
            let C = 2 * (sab[o] - mua * mub) + c2, D = (q[o] - mua * mua - mub * mub) + c2
            let lum = A / B, cs = C / D
            total += Double(lum * cs)
            if grad != nil {
                gmb[o] = g * (cs * (2 * mua * B - 2 * mub * A) / (B * B) + lum * (-2 * mua * D + 2 * mub * C) / (D * D))
                gs[o] = g * lum * 2 / D
                gq[o] = g * (-lum * C / (D * D))
            }
        }
        if let grad {
            // Adjoint of the vertical pass: (ho × wo) → (h × wo).
            for i in 0..<hwo { ua[i] = 0; us[i] = 0; uq[i] = 0 }
            for y in 0..<ho {
                for i in 0..<k {
                    let wi = wt[i], dst = (y + i) * wo, src = y * wo
                    for x in 0..<wo {
                        ua[dst + x] += wi * gmb[src + x]; us[dst + x] += wi * gs[src + x]; uq[dst + x] += wi * gq[src + x]
                    }
                }
            }
            // Adjoint of the horizontal pass: (h × wo) → (h × w).
            for i in 0..<hw { xa[i] = 0; xs[i] = 0; xq[i] = 0 }
            for y in 0..<h {
                for x in 0..<wo {
                    let o = y * wo + x
                    let va = ua[o], vs = us[o], vq = uq[o]
                    for j in 0..<k {
                        let d = y * w + x + j, wj = wt[j]
                        xa[d] += wj * va; xs[d] += wj * vs; xq[d] += wj * vq
                    }
                }
            }
            for i in 0..<hw { grad[off + i * ch] += xa[i] + pa[i] * xs[i] + 2 * pb[i] * xq[i] }
        }
        return (1 - total / Double(howo)) / 2
    }
}
