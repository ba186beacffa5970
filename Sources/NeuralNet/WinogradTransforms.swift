/// Winograd minimal filtering F(m×m, 3×3) (Lavin & Gray 2016): an output tile of m×m pixels is computed
/// from an α×α input tile (α = m + 2) with α² multiplies per channel pair instead of 9·m².
///
///   Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A
///
/// The 1-D transforms below apply Bᵀ, G and Aᵀ along one axis of a tile; the 2-D transforms apply them
/// along columns, then rows. They act on "lanes" (`Float` or `SIMD8<Float>`), i.e. on 1 or 8 consecutive
/// channels at once, since NHWC keeps a pixel's channels contiguous.

/// The output tile size of a Winograd convolution.
public enum WinogradTile: Int, Sendable, CaseIterable {
    /// F(2×2, 3×3): 16 multiplies per 4 outputs (2.25× fewer than direct), errors near float32 rounding.
    case f2 = 2
    /// F(4×4, 3×3): 36 multiplies per 16 outputs (4× fewer), transforms with larger constants, so larger errors.
    case f4 = 4

    /// Output tile side m.
    public var m: Int { rawValue }
    /// Input tile side α = m + 2.
    public var alpha: Int { rawValue + 2 }
}

/// A vector of consecutive channels the transforms work on.
protocol WinogradLane {
    static var zero: Self { get }
    static func + (a: Self, b: Self) -> Self
    static func - (a: Self, b: Self) -> Self
    static func * (a: Float, b: Self) -> Self
    static var width: Int { get }
    static func load(_ p: UnsafePointer<Float>) -> Self
    func store(_ p: UnsafeMutablePointer<Float>)
}

extension Float: WinogradLane {
    static var width: Int { 1 }
    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> Float { p.pointee }
    @inline(__always) func store(_ p: UnsafeMutablePointer<Float>) { p.pointee = self }
}

extension SIMD8: WinogradLane where Scalar == Float {
    static var width: Int { 8 }
    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }
    @inline(__always) func store(_ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: self, as: SIMD8<Float>.self)
    }
}

enum WinogradTransform {
    /// Floats between consecutive lanes in the per-tile scratch (room for the widest lane).
    static let laneStride = 8

    /// Bᵀ along one axis: α inputs `load(0..<α)` → α outputs `store(i, ·)`.
    @inline(__always)
    static func input1D<L: WinogradLane>(_ tile: WinogradTile, _ load: (Int) -> L, _ store: (Int, L) -> Void) {
        switch tile {
        case .f2:
            let d0 = load(0), d1 = load(1), d2 = load(2), d3 = load(3)
            store(0, d0 - d2); store(1, d1 + d2); store(2, d2 - d1); store(3, d1 - d3)
        case .f4:
            let d0 = load(0), d1 = load(1), d2 = load(2), d3 = load(3), d4 = load(4), d5 = load(5)
            let a = d4 - 4 * d2, b = d3 - 4 * d1   // shared terms of rows 1 and 2
            let c = d4 - d2, e = 2 * (d3 - d1)     // shared terms of rows 3 and 4
            store(0, 4 * d0 - 5 * d2 + d4)
            store(1, a + b); store(2, a - b)
            store(3, c + e); store(4, c - e)
            store(5, 4 * d1 - 5 * d3 + d5)
        }
    }

    /// Aᵀ along one axis: α inputs → m outputs.
    @inline(__always)
    static func output1D<L: WinogradLane>(_ tile: WinogradTile, _ load: (Int) -> L, _ store: (Int, L) -> Void) {
        switch tile {
        case .f2:
            let m0 = load(0), m1 = load(1), m2 = load(2), m3 = load(3)
            store(0, m0 + m1 + m2); store(1, m1 - m2 - m3)
        case .f4:
            let m0 = load(0), m1 = load(1), m2 = load(2), m3 = load(3), m4 = load(4), m5 = load(5)
            let s12 = m1 + m2, d12 = m1 - m2, s34 = m3 + m4, d34 = m3 - m4
            store(0, m0 + s12 + s34)
            store(1, d12 + 2 * d34)
            store(2, s12 + 4 * s34)
            store(3, d12 + 8 * d34 + m5)
        }
    }

    /// G along one axis: 3 filter taps → α outputs.
    @inline(__always)
    static func filter1D<L: WinogradLane>(_ tile: WinogradTile, _ load: (Int) -> L, _ store: (Int, L) -> Void) {
        let g0 = load(0), g1 = load(1), g2 = load(2)
        switch tile {
        case .f2:
            let s = 0.5 * (g0 + g2), h = 0.5 * g1
            store(0, g0); store(1, s + h); store(2, s - h); store(3, g2)
        case .f4:
            let s = g0 + g2
            store(0, 0.25 * g0)
            store(1, (-1.0 / 6) * (s + g1)); store(2, (-1.0 / 6) * (s - g1))
            let t = (1.0 / 24) * g0 + (1.0 / 6) * g2, u = (1.0 / 12) * g1
            store(3, t + u); store(4, t - u)
            store(5, g2)
        }
    }

    /// Transforms the α×α input tile whose pixel (i, j) starts at `pixels[i·α + j]` (a zero row outside the
    /// image), channels `c..<c+L.width`; stores element ξ = i·α + j at `dst + ξ · dstStride`.
    @inline(__always)
    static func inputTile<L: WinogradLane>(_: L.Type, _ tile: WinogradTile, pixels: UnsafePointer<UnsafePointer<Float>>,
                                           channel c: Int, tmp: UnsafeMutablePointer<Float>,
                                           dst: UnsafeMutablePointer<Float>, dstStride: Int) {
        let a = tile.alpha, ls = laneStride
        for j in 0..<a {
            input1D(tile, { k in L.load(pixels[k * a + j] + c) }, { i, v in v.store(tmp + (i * a + j) * ls) })
        }
        for i in 0..<a {
            input1D(tile, { k in L.load(tmp + (i * a + k) * ls) }, { j, v in v.store(dst + (i * a + j) * dstStride) })
        }
    }

    /// Transforms the α×α products whose element ξ starts at `src + ξ · srcStride` (channels `c..<c+L.width`
    /// already offset into `src`) into the m×m outputs at `pixels[i·m + j] + c`.
    @inline(__always)
    static func outputTile<L: WinogradLane>(_: L.Type, _ tile: WinogradTile, src: UnsafePointer<Float>, srcStride: Int,
                                            tmp: UnsafeMutablePointer<Float>,
                                            pixels: UnsafePointer<UnsafeMutablePointer<Float>>, channel c: Int) {
        let a = tile.alpha, m = tile.m, ls = laneStride
        for j in 0..<a {
            output1D(tile, { k in L.load(src + (k * a + j) * srcStride) }, { i, v in v.store(tmp + (i * a + j) * ls) })
        }
        for i in 0..<m {
            output1D(tile, { k in L.load(tmp + (i * a + k) * ls) }, { j, v in v.store(pixels[i * m + j] + c) })
        }
    }

    /// Transforms one 3×3 filter slice: tap (ky, kx) at `src + (ky·3 + kx) · srcStride`, result ξ at
    /// `dst + ξ · dstStride`.
    @inline(__always)
    static func filterTile<L: WinogradLane>(_: L.Type, _ tile: WinogradTile, src: UnsafePointer<Float>, srcStride: Int,
                                            tmp: UnsafeMutablePointer<Float>, dst: UnsafeMutablePointer<Float>,
                                            dstStride: Int) {
        let a = tile.alpha, ls = laneStride
        for kx in 0..<3 {
            filter1D(tile, { ky in L.load(src + (ky * 3 + kx) * srcStride) }, { i, v in v.store(tmp + (i * 3 + kx) * ls) })
        }
        for i in 0..<a {
            filter1D(tile, { kx in L.load(tmp + (i * 3 + kx) * ls) }, { j, v in v.store(dst + (i * a + j) * dstStride) })
        }
    }
}

/// The adjoint (transposed) transforms, for the weight gradient: dM = A dY Aᵀ and dg = Gᵀ dU G.
extension WinogradTransform {
    /// A along one axis (adjoint of Aᵀ): m output-gradient values → α.
    @inline(__always)
    static func outputAdjoint1D<L: WinogradLane>(_ tile: WinogradTile, _ load: (Int) -> L, _ store: (Int, L) -> Void) {
        switch tile {
        case .f2:
            let y0 = load(0), y1 = load(1)
            store(0, y0); store(1, y0 + y1); store(2, y0 - y1); store(3, L.zero - y1)
        case .f4:
            let y0 = load(0), y1 = load(1), y2 = load(2), y3 = load(3)
            let e = y0 + y2, o = y1 + y3, e4 = y0 + 4 * y2, o8 = 2 * y1 + 8 * y3
            store(0, y0); store(1, e + o); store(2, e - o); store(3, e4 + o8); store(4, e4 - o8); store(5, y3)
        }
    }

    /// Gᵀ along one axis (adjoint of G): α values → 3 filter taps.
    @inline(__always)
    static func filterAdjoint1D<L: WinogradLane>(_ tile: WinogradTile, _ load: (Int) -> L, _ store: (Int, L) -> Void) {
        switch tile {
        case .f2:
            let u0 = load(0), u1 = load(1), u2 = load(2), u3 = load(3)
            let s = 0.5 * (u1 + u2)
            store(0, u0 + s); store(1, 0.5 * (u1 - u2)); store(2, s + u3)
        case .f4:
            let u0 = load(0), u1 = load(1), u2 = load(2), u3 = load(3), u4 = load(4), u5 = load(5)
            let s12 = u1 + u2, d12 = u1 - u2, s34 = u3 + u4, d34 = u3 - u4
            store(0, 0.25 * u0 - (1.0 / 6) * s12 + (1.0 / 24) * s34)
            store(1, (-1.0 / 6) * d12 + (1.0 / 12) * d34)
            store(2, (-1.0 / 6) * s12 + (1.0 / 6) * s34 + u5)
        }
    }

    /// dM of one tile: output-gradient pixel (i, j) at `pixels[i·m + j] + c`; element ξ stored at
    /// `dst + ξ · dstStride`.
    @inline(__always)
    static func outputGradientTile<L: WinogradLane>(_: L.Type, _ tile: WinogradTile,
                                                    pixels: UnsafePointer<UnsafePointer<Float>>, channel c: Int,
                                                    tmp: UnsafeMutablePointer<Float>, dst: UnsafeMutablePointer<Float>,
                                                    dstStride: Int) {
        let a = tile.alpha, m = tile.m, ls = laneStride
        for j in 0..<m {
            outputAdjoint1D(tile, { k in L.load(pixels[k * m + j] + c) }, { i, v in v.store(tmp + (i * a + j) * ls) })
        }
        for i in 0..<a {
            outputAdjoint1D(tile, { k in L.load(tmp + (i * a + k) * ls) }, { j, v in v.store(dst + (i * a + j) * dstStride) })
        }
    }

    /// dg += Gᵀ dU G for one filter slice: dU element ξ at `src + ξ · srcStride`, tap (ky, kx) at
    /// `dst + (ky·3 + kx) · dstStride` (accumulated).
    @inline(__always)
    static func filterGradientTile<L: WinogradLane>(_: L.Type, _ tile: WinogradTile, src: UnsafePointer<Float>,
                                                    srcStride: Int, tmp: UnsafeMutablePointer<Float>,
                                                    dst: UnsafeMutablePointer<Float>, dstStride: Int) {
        let a = tile.alpha, ls = laneStride
        for j in 0..<a {
            filterAdjoint1D(tile, { i in L.load(src + (i * a + j) * srcStride) }, { ky, v in v.store(tmp + (ky * a + j) * ls) })
        }
        for ky in 0..<3 {
            filterAdjoint1D(tile, { j in L.load(tmp + (ky * a + j) * ls) }, { kx, v in
                let p = dst + (ky * 3 + kx) * dstStride
                (L.load(p) + v).store(p)
            })
        }
    }
}
