#if canImport(Glibc)
import Glibc
#endif

/// Filter response normalisation as leras's `FRNorm2D` does it (docs/xseg.md, "FRN"): per sample and channel,
/// `ν² = mean over H, W of x²`, then `y = x / sqrt(ν² + |eps|) · weight + bias`. No mean is subtracted and no
/// batch statistics are kept, so training and inference compute the same thing.
///
/// Parameters (DFL's names under the layer's name): `weight` (C) = 1, `bias` (C) = 0 and `eps` (1) = 1e-6.
/// `eps` is trainable, as in DFL: it gets a gradient through `|eps|` (sign(eps)·∂/∂|eps|, 0 at eps = 0).
///
/// Shapes: x (N, H, W, C) → y (N, H, W, C).
///
/// Reductions run per (sample, channel block) in a fixed order and are summed over samples in order, so the
/// result does not depend on the thread count.
public final class FilterResponseNorm: Layer {
    public let channels: Int
    public let weight: Parameter
    public let bias: Parameter
    public let eps: Parameter
    public var parameters: [Parameter] { [weight, bias, eps] }
    /// When false, `backward` skips the input gradient and returns an empty tensor.
    public var needsInputGradient = true

    private var input: Tensor?
    private var output: Tensor?
    /// 1 / sqrt(ν² + |eps|) per (sample, channel), from the last forward pass: (N, C).
    private var scales: [Float] = []
    private static let emptyTensor = Tensor(shape: [0])
    /// Channels handled together by one worker (NHWC keeps them adjacent in memory).
    static let channelBlock = 16

    /// An FRN layer over `channels` channels with DFL's initial values.
    public init(name: String, channels: Int) {
        precondition(channels >= 1)
        self.channels = channels
        weight = Parameter(name: name + ".weight", shape: [channels])
        bias = Parameter(name: name + ".bias", shape: [channels])
        eps = Parameter(name: name + ".eps", shape: [1])
        for i in 0..<channels { weight.value.data[i] = 1 }
        eps.value.data[0] = 1e-6
    }

    /// Calls `body(sample, channels)` for every (sample, channel block) pair, spread over threads.
    private func forEachBlock(_ n: Int, pixels: Int, _ body: (Int, Range<Int>) -> Void) {
        let c = channels, cb = FilterResponseNorm.channelBlock
        let blocks = (c + cb - 1) / cb
        parallelRanges(n * blocks, costPerItem: pixels * min(c, cb) * 3) { items in
            for item in items {
                let b = item / blocks, lo = (item % blocks) * cb
                body(b, lo..<min(c, lo + cb))
            }
        }
    }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.shape.count == 4 && x.shape[3] == channels, "FRN input \(x.shape), want C=\(channels)")
        let (n, hw, c) = (x.shape[0], x.shape[1] * x.shape[2], channels)
        input = x
        let y = Tensor.reuse(output, shape: x.shape)
        output = y
        if scales.count != n * c { scales = [Float](repeating: 0, count: n * c) }
        let e = abs(eps.value.data[0])
        let xs = x.data, ys = y.data, gamma = weight.value.data, beta = bias.value.data
        scales.withUnsafeMutableBufferPointer { sp in
            let s = sp.baseAddress!
            forEachBlock(n, pixels: hw) { b, cs in
                let base = b * hw * c
                var sums = [Double](repeating: 0, count: cs.count)
                for p in 0..<hw {
                    let row = xs + base + p * c
                    for (k, ch) in cs.enumerated() { let v = row[ch]; sums[k] += Double(v * v) }
                }
                for (k, ch) in cs.enumerated() {
                    s[b * c + ch] = 1 / (Float(sums[k] / Double(hw)) + e).squareRoot()
                }
                for p in 0..<hw {
                    let xr = xs + base + p * c, yr = ys + base + p * c
                    for ch in cs { yr[ch] = (xr[ch] * s[b * c + ch]) * gamma[ch] + beta[ch] }
                }
            }
        }
        return y
    }

    /// With x̂ = x·s and g = dy·weight (per sample and channel, M = H·W, T = Σ g·x̂):
    /// dbias = Σ dy, dweight = Σ dy·x̂, dx = s·(g − x̂·T/M), d|eps| = Σ over samples and channels of −s²·T/2.
    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("backward before forward") }
        precondition(dy.shape == x.shape)
        let (n, hw, c) = (x.shape[0], x.shape[1] * x.shape[2], channels)
        let dx = needsInputGradient ? GradientPool.take(x.shape) : nil
        // Per (sample, channel): Σ dy, Σ dy·x̂ and T, summed over samples afterwards in order.
        var partial = [Double](repeating: 0, count: 3 * n * c)
        let xs = x.data, dys = dy.data, dxs = dx?.data, gamma = weight.value.data
        scales.withUnsafeBufferPointer { sp in
            partial.withUnsafeMutableBufferPointer { pp in
                let s = sp.baseAddress!, part = pp.baseAddress!
                forEachBlock(n, pixels: hw) { b, cs in
                    let base = b * hw * c
                    var sumDy = [Double](repeating: 0, count: cs.count)
                    var sumDyXh = [Double](repeating: 0, count: cs.count)
                    for p in 0..<hw {
                        let xr = xs + base + p * c, gr = dys + base + p * c
                        for (k, ch) in cs.enumerated() {
                            let g = gr[ch], xh = xr[ch] * s[b * c + ch]
                            sumDy[k] += Double(g)
                            sumDyXh[k] += Double(g * xh)
                        }
                    }
                    for (k, ch) in cs.enumerated() {
                        let i = 3 * (b * c + ch)
                        part[i] = sumDy[k]
                        part[i + 1] = sumDyXh[k]
                        // T = Σ (dy·γ)·x̂ = γ·Σ dy·x̂.
                        part[i + 2] = Double(gamma[ch]) * sumDyXh[k]
                    }
                    guard let dxs else { return }
                    for p in 0..<hw {
                        let xr = xs + base + p * c, gr = dys + base + p * c, dr = dxs + base + p * c
                        for ch in cs {
                            let sc = s[b * c + ch]
                            let k = Float(part[3 * (b * c + ch) + 2] / Double(hw))
                            dr[ch] = sc * (gr[ch] * gamma[ch] - (xr[ch] * sc) * k)
                        }
                    }
                }
            }
        }
        let db = bias.grad.data, dw = weight.grad.data
        var dAbsEps: Double = 0
        for b in 0..<n {
            for ch in 0..<c {
                let i = 3 * (b * c + ch)
                db[ch] += Float(partial[i])
                dw[ch] += Float(partial[i + 1])
                let sc = Double(scales[b * c + ch])
                dAbsEps += -0.5 * sc * sc * partial[i + 2]
            }
        }
        let e = eps.value.data[0]
        eps.grad.data[0] += e > 0 ? Float(dAbsEps) : e < 0 ? -Float(dAbsEps) : 0
        return dx ?? FilterResponseNorm.emptyTensor
    }
}

/// leras's `TLU` (thresholded linear unit, docs/xseg.md, "TLU"): `y = max(x, tau)` per channel, `tau` (C)
/// initialised to 0. As TF's `maximum`, a tie x = tau sends the gradient to x.
///
/// Shapes: x (…, C) → y (…, C).
public final class TLU: Layer {
    public let channels: Int
    public let tau: Parameter
    public var parameters: [Parameter] { [tau] }
    private var input: Tensor?
    private var output: Tensor?

    /// A TLU over `channels` channels (`<name>.tau`, zero: a ReLU at initialisation).
    public init(name: String, channels: Int) {
        precondition(channels >= 1)
        self.channels = channels
        tau = Parameter(name: name + ".tau", shape: [channels])
    }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.shape.last == channels, "TLU input \(x.shape), want C=\(channels)")
        input = x
        let y = Tensor.reuse(output, shape: x.shape)
        output = y
        let c = channels, xs = x.data, ys = y.data, t = tau.value.data
        parallelRanges(x.count / c, costPerItem: c) { r in
            for p in r { for ch in 0..<c { let v = xs[p * c + ch]; ys[p * c + ch] = v >= t[ch] ? v : t[ch] } }
        }
        return y
    }

    /// dx = dy where x ≥ tau, else 0; dtau = Σ dy where x < tau.
    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("backward before forward") }
        let c = channels, pixels = x.count / c
        let dx = GradientPool.take(x.shape)
        let xs = x.data, dys = dy.data, dxs = dx.data, t = tau.value.data
        // Per-row-block partial sums of dtau, added in block order: the same result on any thread count.
        let blocks = min(pixels, 64)
        var partial = [Double](repeating: 0, count: blocks * c)
        partial.withUnsafeMutableBufferPointer { pp in
            let part = pp.baseAddress!
            parallelRanges(blocks, costPerItem: pixels / max(1, blocks) * c) { r in
                for blk in r {
                    let lo = pixels * blk / blocks, hi = pixels * (blk + 1) / blocks
                    let acc = part + blk * c
                    for p in lo..<hi {
                        for ch in 0..<c {
                            let i = p * c + ch
                            if xs[i] >= t[ch] { dxs[i] = dys[i] } else { dxs[i] = 0; acc[ch] += Double(dys[i]) }
                        }
                    }
                }
            }
        }
        let g = tau.grad.data
        for ch in 0..<c {
            var s: Double = 0
            for blk in 0..<blocks { s += partial[blk * c + ch] }
            g[ch] += Float(s)
        }
        return dx
    }
}
