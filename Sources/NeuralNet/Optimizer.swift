import Foundation

/// DFL's optimisers (docs/saehd-model.md §4): RMSprop and AdaBelief without bias correction, epsilon 1e-6
/// added after the square root, optional global-norm gradient clipping, learning-rate dropout and the cosine
/// lr cycle.
public final class Optimizer {
    public enum Kind: String, Sendable { case rmsprop, adabelief }

    /// Settings with DFL's defaults (lr 5e-5, no clipping, no lr dropout).
    public struct Settings: Sendable {
        public var learningRate: Float = 5e-5
        /// Global-norm clip threshold; 0 = off (DFL's clipgrad option sets 1.0).
        public var clipNorm: Float = 0
        /// Probability that a weight is updated in a step; 1 = off (DFL's lr_dropout option sets 0.3).
        public var learningRateDropout: Float = 1
        /// Period of the cosine lr cycle in iterations; 0 = off (DFL sets 500 together with lr dropout).
        public var cosinePeriod: Int = 0
        /// Seed of the lr-dropout masks.
        public var seed: UInt64 = 0

        public init() {}

        /// The settings DFL derives from its `lr_dropout` and `clipgrad` options.
        public static func dfl(lrDropout: Bool, clipGradient: Bool) -> Settings {
            var s = Settings()
            if lrDropout { s.learningRateDropout = 0.3; s.cosinePeriod = 500 }
            if clipGradient { s.clipNorm = 1 }
            return s
        }
    }

    public static let epsilon: Float = 1e-6
    public static let rho: Float = 0.9
    public static let beta1: Float = 0.9
    public static let beta2: Float = 0.999

    public let kind: Kind
    public var settings: Settings
    public let parameters: [Parameter]
    /// Slots per parameter: RMSprop `acc`; AdaBelief `ms`, `vs` (allocated on first use).
    public private(set) lazy var slots: [[Tensor]] = parameters.map { p in
        (0..<(kind == .rmsprop ? 1 : 2)).map { _ in Tensor(shape: p.value.shape) }
    }
    /// Completed steps.
    public var iterations = 0
    /// Parameters that keep their values (gradients are still consumed and zeroed; slots stay as they are).
    /// DFL's liae with random_warp off freezes inter_AB this way while its slots still exist.
    public var frozen: Set<String> = []

    /// An optimiser over `parameters` with zeroed slots.
    public init(kind: Kind, parameters: [Parameter], settings: Settings = Settings()) {
        self.kind = kind
        self.settings = settings
        self.parameters = parameters
    }

    /// Slot names as DFL's optimizer file uses them (`acc_`, `ms_`, `vs_`).
    public var slotPrefixes: [String] { kind == .rmsprop ? ["acc"] : ["ms", "vs"] }

    /// Global L2 norm of all gradients.
    public func gradientNorm() -> Float {
        var total: Double = 0
        for p in parameters {
            let g = p.grad.data
            var s: Float = 0
            for i in 0..<p.grad.count { s += g[i] * g[i] }
            total += Double(s)
        }
        return Float(total.squareRoot())
    }

    /// Applies one update from the accumulated gradients, then zeroes them.
    public func step() {
        var gradScale: Float = 1
        if settings.clipNorm > 0 {
            let n = gradientNorm()
            if n >= settings.clipNorm { gradScale = settings.clipNorm / n }
        }
        var lr = settings.learningRate
        if settings.cosinePeriod > 0 {
            lr *= Float((cos(Double(iterations) * 2 * Double.pi / Double(settings.cosinePeriod)) + 1) / 2)
        }
        let keep = settings.learningRateDropout
        for (index, p) in parameters.enumerated() {
            if frozen.contains(p.name) { p.grad.zero(); continue }
            let w = p.value.data, g = p.grad.data, count = p.value.count
            let s0 = slots[index][0].data
            let s1 = kind == .adabelief ? slots[index][1].data : s0
            let kind = self.kind, eps = Optimizer.epsilon
            let seed = settings.seed ^ (UInt64(iterations) &* 0x9E37_79B9_7F4A_7C15) ^ (UInt64(index) &* 0xD1B5_4A32_D192_ED03)
            let chunk = 4096
            parallelRanges((count + chunk - 1) / chunk, costPerItem: chunk * 4) { blocks in
                for block in blocks {
                    let lo = block * chunk, hi = min(count, lo + chunk)
                    var rng = SeededRNG(seed: seed &+ UInt64(block))
                    // Without learning-rate dropout, 16 at a time: the same operations in the same order as the
                    // loop below, so the same bits.
                    let vectorEnd = keep < 1 ? lo : lo + (hi - lo) / 16 * 16
                    Optimizer.update16(kind: kind, range: lo..<vectorEnd, w: w, g: g, s0: s0, s1: s1, gradScale: gradScale,
                                       lr: lr, eps: eps)
                    for i in vectorEnd..<hi {
                        let grad = g[i] * gradScale
                        var delta: Float
                        if kind == .rmsprop {
                            let a = Optimizer.rho * s0[i] + (1 - Optimizer.rho) * grad * grad
                            s0[i] = a
                            delta = -lr * grad / (a.squareRoot() + eps)
                        } else {
                            let m = Optimizer.beta1 * s0[i] + (1 - Optimizer.beta1) * grad
                            let d = grad - m
                            let v = Optimizer.beta2 * s1[i] + (1 - Optimizer.beta2) * d * d
                            s0[i] = m; s1[i] = v
                            delta = -lr * m / (v.squareRoot() + eps)
                        }
                        if keep < 1 && rng.nextUnitFloat() >= keep { delta = 0 }
                        w[i] += delta
                        g[i] = 0
                    }
                }
            }
        }
        iterations += 1
    }

    /// The update of `step` for the elements of `range` (a multiple of 16 long), 16 lanes at a time.
    @inline(__always)
    private static func update16(kind: Kind, range: Range<Int>, w: UnsafeMutablePointer<Float>,
                                 g: UnsafeMutablePointer<Float>, s0: UnsafeMutablePointer<Float>,
                                 s1: UnsafeMutablePointer<Float>, gradScale: Float, lr: Float, eps: Float) {
        typealias V = SIMD16<Float>
        @inline(__always) func load(_ p: UnsafeMutablePointer<Float>, _ i: Int) -> V {
            UnsafeRawPointer(p + i).loadUnaligned(as: V.self)
        }
        @inline(__always) func store(_ v: V, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
            UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: V.self)
        }
        var i = range.lowerBound
        while i < range.upperBound {
            let grad = load(g, i) * gradScale
            let delta: V
            if kind == .rmsprop {
                let a = rho * load(s0, i) + (1 - rho) * grad * grad
                store(a, s0, i)
                delta = -lr * grad / (a.squareRoot() + eps)
            } else {
                let m = beta1 * load(s0, i) + (1 - beta1) * grad
                let d = grad - m
                let v = beta2 * load(s1, i) + (1 - beta2) * d * d
                store(m, s0, i); store(v, s1, i)
                delta = -lr * m / (v.squareRoot() + eps)
            }
            store(load(w, i) + delta, w, i)
            store(.zero, g, i)
            i += 16
        }
    }
}
