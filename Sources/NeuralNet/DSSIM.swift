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

    /// Whether the passes run 16 outputs at a time (tests compare with the scalar loops, which must give the
    /// same bits).
    nonisolated(unsafe) static var vectorPasses = true

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
            if threads == 1 { run(0) } else { Threads.perform(iterations: threads, run) }
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
        // The passes run 16 outputs at a time (`V`) with a scalar tail; each output's sum still adds its terms
        // in the order of the scalar loop, so the results are the same bits.
        typealias V = SIMD16<Float>
        @inline(__always) func load(_ p: UnsafeMutablePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
        @inline(__always) func store(_ v: V, _ p: UnsafeMutablePointer<Float>) {
            UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
        }
        let wt = window
        let vectorWo = DSSIM.vectorPasses ? wo / 16 * 16 : 0
        // Horizontal VALID pass of a, b, a·b, a²+b².
        for y in 0..<h {
            let ra = pa + y * w, rb = pb + y * w, o = y * wo
            var x = 0
            while x < vectorWo {
                var s1 = V(), s2 = V(), s3 = V(), s4 = V()
                for j in 0..<k {
                    let av = load(ra + x + j), bv = load(rb + x + j), wj = wt[j]
                    s1 += wj * av; s2 += wj * bv; s3 += wj * av * bv; s4 += wj * (av * av + bv * bv)
                }
                store(s1, ta + o + x); store(s2, tb + o + x); store(s3, tab + o + x); store(s4, tq + o + x)
                x += 16
            }
            while x < wo {
                var s1: Float = 0, s2: Float = 0, s3: Float = 0, s4: Float = 0
                for j in 0..<k {
                    let av = ra[x + j], bv = rb[x + j], wj = wt[j]
                    s1 += wj * av; s2 += wj * bv; s3 += wj * av * bv; s4 += wj * (av * av + bv * bv)
                }
                ta[o + x] = s1; tb[o + x] = s2; tab[o + x] = s3; tq[o + x] = s4
                x += 1
            }
        }
        // Vertical VALID pass.
        for y in 0..<ho {
            var x = 0
            while x < vectorWo {
                var s1 = V(), s2 = V(), s3 = V(), s4 = V()
                for i in 0..<k {
                    let o = (y + i) * wo + x, wi = wt[i]
                    s1 += wi * load(ta + o); s2 += wi * load(tb + o); s3 += wi * load(tab + o); s4 += wi * load(tq + o)
                }
                let o = y * wo + x
                store(s1, ma + o); store(s2, mb + o); store(s3, sab + o); store(s4, q + o)
                x += 16
            }
            while x < wo {
                var s1: Float = 0, s2: Float = 0, s3: Float = 0, s4: Float = 0
                for i in 0..<k {
                    let o = (y + i) * wo + x, wi = wt[i]
                    s1 += wi * ta[o]; s2 += wi * tb[o]; s3 += wi * tab[o]; s4 += wi * tq[o]
                }
                let o = y * wo + x
                ma[o] = s1; mb[o] = s2; sab[o] = s3; q[o] = s4
                x += 1
            }
        }
        let c1 = DSSIM.c1, c2 = DSSIM.c2
        let g = -scale / (2 * Float(ch) * Float(howo))
        // lum·cs per output into `ua` (free until the adjoint passes), the gradient maps alongside; then the
        // sum in output order, in double.
        let ssim = ua
        var o = 0
        while DSSIM.vectorPasses && o + 16 <= howo {
            let mua = load(ma + o), mub = load(mb + o)
            let A = 2 * mua * mub + c1, B = mua * mua + mub * mub + c1
            let C = 2 * (load(sab + o) - mua * mub) + c2, D = (load(q + o) - mua * mua - mub * mub) + c2
            let lum = A / B, cs = C / D
            store(lum * cs, ssim + o)
            if grad != nil {
                // The scalar expression below, split for the type checker (same operations, same order).
                let x: V = 2 * mua * B - 2 * mub * A, z: V = -2 * mua * D + 2 * mub * C
                let t1: V = cs * x / (B * B), t2: V = lum * z / (D * D)
                store(g * (t1 + t2), gmb + o)
                store(g * lum * 2 / D, gs + o)
                store(g * (-lum * C / (D * D)), gq + o)
            }
            o += 16
        }
        while o < howo {
            let mua = ma[o], mub = mb[o]
            let A = 2 * mua * mub + c1, B = mua * mua + mub * mub + c1
            let C = 2 * (sab[o] - mua * mub) + c2, D = (q[o] - mua * mua - mub * mub) + c2
            let lum = A / B, cs = C / D
            ssim[o] = lum * cs
            if grad != nil {
                gmb[o] = g * (cs * (2 * mua * B - 2 * mub * A) / (B * B) + lum * (-2 * mua * D + 2 * mub * C) / (D * D))
                gs[o] = g * lum * 2 / D
                gq[o] = g * (-lum * C / (D * D))
            }
            o += 1
        }
        var total: Double = 0
        for o in 0..<howo { total += Double(ssim[o]) }
        if let grad {
            // Adjoint of the vertical pass: (ho × wo) → (h × wo).
            for i in 0..<hwo { ua[i] = 0; us[i] = 0; uq[i] = 0 }
            for y in 0..<ho {
                for i in 0..<k {
                    let wi = wt[i], dst = (y + i) * wo, src = y * wo
                    var x = 0
                    while x < vectorWo {
                        store(load(ua + dst + x) + wi * load(gmb + src + x), ua + dst + x)
                        store(load(us + dst + x) + wi * load(gs + src + x), us + dst + x)
                        store(load(uq + dst + x) + wi * load(gq + src + x), uq + dst + x)
                        x += 16
                    }
                    while x < wo {
                        ua[dst + x] += wi * gmb[src + x]; us[dst + x] += wi * gs[src + x]; uq[dst + x] += wi * gq[src + x]
                        x += 1
                    }
                }
            }
            // Adjoint of the horizontal pass: (h × wo) → (h × w). Pixel d gathers the outputs x = d − j that
            // cover it, x ascending (j descending), as the scatter over x would add them; 16 pixels at a time
            // where every such x is in range (k − 1 ≤ d, d + 15 < wo).
            for y in 0..<h {
                let ra = ua + y * wo, rs = us + y * wo, rq = uq + y * wo
                let da = xa + y * w, ds = xs + y * w, dq = xq + y * w
                var d = 0
                while d < w {
                    if DSSIM.vectorPasses && d >= k - 1 && d + 16 <= wo {
                        var sa = V(), ss = V(), sq = V()
                        for j in stride(from: k - 1, through: 0, by: -1) {
                            let wj = wt[j], x = d - j
                            sa += wj * load(ra + x); ss += wj * load(rs + x); sq += wj * load(rq + x)
                        }
                        store(sa, da + d); store(ss, ds + d); store(sq, dq + d)
                        d += 16
                        continue
                    }
                    var sa: Float = 0, ss: Float = 0, sq: Float = 0
                    for j in stride(from: k - 1, through: 0, by: -1) {
                        let x = d - j
                        if x < 0 || x >= wo { continue }
                        let wj = wt[j]
                        sa += wj * ra[x]; ss += wj * rs[x]; sq += wj * rq[x]
                    }
                    da[d] = sa; ds[d] = ss; dq[d] = sq
                    d += 1
                }
            }
            for i in 0..<hw { grad[off + i * ch] += xa[i] + pa[i] * xs[i] + 2 * pb[i] * xq[i] }
        }
        return (1 - total / Double(howo)) / 2
    }
}
