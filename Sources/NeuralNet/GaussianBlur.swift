import Foundation

/// DFL's `gaussian_blur(x, σ)` (docs/saehd-model.md §3.2): kernel size k = max(3, int(4σ)), +1 if even; 1-D weights
/// exp(-(i - k/2)²/(2σ²)) normalised (the 2-D kernel is their outer product), zero padding k/2 each side,
/// applied per channel. Done separably. The operator is self-adjoint (symmetric kernel, zero padding), so
/// `backward` is the same blur.
public struct GaussianBlur {
    public let sigma: Float
    public let size: Int
    public let weights: [Float]

    /// The blur for `sigma` with DFL's kernel size rule.
    public init(sigma: Float) {
        self.sigma = sigma
        var k = max(3, Int(4 * sigma))
        if k % 2 == 0 { k += 1 }
        size = k
        let c = k / 2
        let raw = (0..<k).map { i -> Double in exp(-Double((i - c) * (i - c)) / (2 * Double(sigma * sigma))) }
        let sum = raw.reduce(0, +)
        weights = raw.map { Float($0 / sum) }
    }

    /// Blurs NHWC `x` into `y` (same shape; must not alias), using `scratch` of `x.count` floats.
    public func apply(_ x: Tensor, into y: Tensor, scratch: UnsafeMutablePointer<Float>) {
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let k = size, r = k / 2, wt = weights
        // Horizontal pass into scratch.
        parallelRanges(n * h, costPerItem: w * c * k) { lines in
            for line in lines {
                let src = x.data + line * w * c, dst = scratch + line * w * c
                for xo in 0..<w {
                    for ch in 0..<c {
                        var s: Float = 0
                        for j in max(0, r - xo)..<min(k, w + r - xo) { s += wt[j] * src[(xo + j - r) * c + ch] }
                        dst[xo * c + ch] = s
                    }
                }
            }
        }
        // Vertical pass into y.
        parallelRanges(n * h, costPerItem: w * c * k) { lines in
            for line in lines {
                let b = line / h, yo = line % h
                let dst = y.data + line * w * c
                for i in 0..<(w * c) { dst[i] = 0 }
                for j in max(0, r - yo)..<min(k, h + r - yo) {
                    let src = scratch + (b * h + yo + j - r) * w * c, wj = wt[j]
                    for i in 0..<(w * c) { dst[i] += wj * src[i] }
                }
            }
        }
    }

    /// The input gradient for output gradient `dy` (the same blur).
    public func backward(_ dy: Tensor, into dx: Tensor, scratch: UnsafeMutablePointer<Float>) {
        apply(dy, into: dx, scratch: scratch)
    }
}
