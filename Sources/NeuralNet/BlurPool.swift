/// Anti-aliased stride-2 downsampling as leras's `BlurPool` does it (docs/xseg.md, "BlurPool"): a binomial
/// filter of size f (f = 2: [1, 1], 3: [1, 2, 1], 4: [1, 3, 3, 1]; the 2-D kernel is the outer product,
/// normalised to sum 1) applied to each channel alone, over the input **zero**-padded by ⌊(f−1)/2⌋ before and
/// ⌈(f−1)/2⌉ after on both axes, VALID, stride 2. No weights.
///
/// Output pixel i reads input rows 2i − ⌊(f−1)/2⌋ … 2i − ⌊(f−1)/2⌋ + f − 1: f = 2 is a 2×2 average pool,
/// f = 3 is centred on input 2i, f = 4 on 2i + ½. The padding reaches the output only at the borders.
///
/// Shapes: x (N, H, W, C) → y (N, ⌈H/2⌉, ⌈W/2⌉, C).
public final class BlurPool: Layer {
    public let filterSize: Int
    public var parameters: [Parameter] { [] }
    /// The 2-D taps, row-major f×f (exact in float32: k·l / 4^(f−1)).
    let taps: [Float]
    /// Zero rows (and columns) padded before the input.
    let padBefore: Int
    private var inShape: [Int] = []
    private var output: Tensor?

    /// A blur pool with filter size 2, 3 or 4.
    public init(filterSize f: Int) {
        precondition((2...4).contains(f), "BlurPool filter size must be 2, 3 or 4")
        filterSize = f
        let oneD: [Float] = [[1, 1], [1, 2, 1], [1, 3, 3, 1]][f - 2]
        let total = oneD.reduce(0, +)
        taps = oneD.flatMap { a in oneD.map { b in a * b / (total * total) } }
        padBefore = (f - 1) / 2
    }

    /// Output size for an input size.
    public func outputSize(_ size: Int) -> Int { (size - 1) / 2 + 1 }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.shape.count == 4, "BlurPool input \(x.shape), want NHWC")
        inShape = x.shape
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let ho = outputSize(h), wo = outputSize(w)
        let y = Tensor.reuse(output, shape: [n, ho, wo, c])
        output = y
        let f = filterSize, pad = padBefore, xs = x.data, ys = y.data
        taps.withUnsafeBufferPointer { tp in
            let k = tp.baseAddress!
            parallelRanges(n * ho, costPerItem: wo * c * f * f) { rows in
                for row in rows {
                    let b = row / ho, i = row % ho
                    let out = ys + (b * ho + i) * wo * c
                    out.update(repeating: 0, count: wo * c)
                    for a in 0..<f {
                        let u = 2 * i - pad + a
                        guard u >= 0 && u < h else { continue }
                        let inRow = xs + (b * h + u) * w * c
                        for j in 0..<wo {
                            let o = out + j * c
                            for t in 0..<f {
                                let v = 2 * j - pad + t
                                guard v >= 0 && v < w else { continue }
                                let weight = k[a * f + t], src = inRow + v * c
                                for ch in 0..<c { o[ch] += weight * src[ch] }
                            }
                        }
                    }
                }
            }
        }
        return y
    }

    /// The outputs i (< count) whose window holds padded input position p: 0 ≤ p − 2i < f.
    @inline(__always)
    static func sources(_ p: Int, f: Int, count: Int) -> Range<Int> {
        let lo = max(0, (p - f + 2) / 2)            // ⌈(p − f + 1) / 2⌉ for p − f + 1 ≥ −1
        let hi = min(count - 1, p / 2)
        return lo <= hi ? lo..<(hi + 1) : 0..<0
    }

    /// The adjoint: input pixel u gathers dy from every output i with 0 ≤ u + pad − 2i < f (per axis).
    public func backward(_ dy: Tensor) -> Tensor {
        precondition(inShape.count == 4, "backward before forward")
        let (n, h, w, c) = (inShape[0], inShape[1], inShape[2], inShape[3])
        let ho = outputSize(h), wo = outputSize(w)
        precondition(dy.shape == [n, ho, wo, c])
        let dx = GradientPool.take(inShape)
        let f = filterSize, pad = padBefore, dys = dy.data, dxs = dx.data
        taps.withUnsafeBufferPointer { tp in
            let k = tp.baseAddress!
            parallelRanges(n * h, costPerItem: w * c * f * f / 4) { rows in
                for row in rows {
                    let b = row / h, u = row % h
                    let out = dxs + (b * h + u) * w * c
                    out.update(repeating: 0, count: w * c)
                    for i in BlurPool.sources(u + pad, f: f, count: ho) {
                        let a = u + pad - 2 * i
                        let dRow = dys + (b * ho + i) * wo * c
                        for v in 0..<w {
                            let o = out + v * c
                            for j in BlurPool.sources(v + pad, f: f, count: wo) {
                                let t = v + pad - 2 * j
                                let weight = k[a * f + t], src = dRow + j * c
                                for ch in 0..<c { o[ch] += weight * src[ch] }
                            }
                        }
                    }
                }
            }
        }
        return dx
    }
}
