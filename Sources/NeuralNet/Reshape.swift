/// depth_to_space(2) in TF's "DCR" order: (H, W, 4C) → (2H, 2W, C) with
/// `out[2h+dy, 2w+dx, c] = in[h, w, (dy·2 + dx)·C + c]` (docs/saehd-model.md §1.0).
public final class DepthToSpace: Layer {
    public var parameters: [Parameter] { [] }
    private var output: Tensor?
    private var inShape: [Int] = []

    /// A pixel shuffle with block size 2.
    public init() {}

    public func forward(_ x: Tensor) -> Tensor {
        let (n, h, w, c4) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        precondition(c4 % 4 == 0, "depth_to_space needs a multiple of 4 channels")
        inShape = x.shape
        let y = Tensor.reuse(output, shape: [n, 2 * h, 2 * w, c4 / 4])
        output = y
        DepthToSpace.shuffle(x.data, y.data, n: n, h: h, w: w, c: c4 / 4, toSpace: true)
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let dx = GradientPool.take(inShape)
        DepthToSpace.shuffle(dx.data, dy.data, n: inShape[0], h: inShape[1], w: inShape[2], c: inShape[3] / 4,
                             toSpace: false)
        return dx
    }

    /// Moves runs of `c` floats between the depth layout `d` and the space layout `s` (either direction).
    static func shuffle(_ d: UnsafeMutablePointer<Float>, _ s: UnsafeMutablePointer<Float>, n: Int, h: Int, w: Int,
                        c: Int, toSpace: Bool) {
        parallelRanges(n * h, costPerItem: w * 4 * c) { lines in
            for line in lines {
                let b = line / h, y = line % h
                for x in 0..<w {
                    let dp = d + ((b * h + y) * w + x) * 4 * c
                    for sub in 0..<4 {
                        let sy = 2 * y + sub / 2, sx = 2 * x + sub % 2
                        let sp = s + ((b * 2 * h + sy) * 2 * w + sx) * c
                        if toSpace { sp.update(from: dp + sub * c, count: c) } else { (dp + sub * c).update(from: sp, count: c) }
                    }
                }
            }
        }
    }
}

/// Flatten NHWC `(n, h, w, c)` to `(n, c·h·w)` in DFL's **(c, h, w)** order (index c·H·W + h·W + w), or the
/// inverse (`ReshapeCHW`), as leras does in NHWC mode (docs/saehd-model.md §1.0).
public final class FlattenCHW: Layer {
    public var parameters: [Parameter] { [] }
    private var output: Tensor?
    private var inShape: [Int] = []

    /// A (c, h, w)-order flatten.
    public init() {}

    public func forward(_ x: Tensor) -> Tensor {
        inShape = x.shape
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let y = Tensor.reuse(output, shape: [n, c * h * w])
        output = y
        permuteHWCtoCHW(x.data, y.data, n: n, hw: h * w, c: c)
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let dx = GradientPool.take(inShape)
        permuteCHWtoHWC(dy.data, dx.data, n: inShape[0], hw: inShape[1] * inShape[2], c: inShape[3])
        return dx
    }
}

/// Reshape `(n, c·h·w)` in (c, h, w) order to NHWC `(n, h, w, c)` (leras `reshape_4D`;
/// docs/saehd-model.md §1.0, §1.3).
public final class ReshapeCHW: Layer {
    public let height: Int, width: Int, channels: Int
    public var parameters: [Parameter] { [] }
    private var output: Tensor?
    private var inShape: [Int] = []

    /// A reshape to `height × width × channels`.
    public init(height: Int, width: Int, channels: Int) {
        self.height = height; self.width = width; self.channels = channels
    }

    public func forward(_ x: Tensor) -> Tensor {
        inShape = x.shape
        let n = x.shape[0]
        precondition(x.count == n * height * width * channels)
        let y = Tensor.reuse(output, shape: [n, height, width, channels])
        output = y
        permuteCHWtoHWC(x.data, y.data, n: n, hw: height * width, c: channels)
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let dx = GradientPool.take(inShape)
        permuteHWCtoCHW(dy.data, dx.data, n: inShape[0], hw: height * width, c: channels)
        return dx
    }
}

func permuteHWCtoCHW(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, n: Int, hw: Int, c: Int) {
    for b in 0..<n {
        let s = src + b * hw * c, d = dst + b * hw * c
        for p in 0..<hw { for ch in 0..<c { d[ch * hw + p] = s[p * c + ch] } }
    }
}

func permuteCHWtoHWC(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, n: Int, hw: Int, c: Int) {
    for b in 0..<n {
        let s = src + b * hw * c, d = dst + b * hw * c
        for p in 0..<hw { for ch in 0..<c { d[p * c + ch] = s[ch * hw + p] } }
    }
}
