import Foundation
import CBF16

/// The operand precision of the engine's matrix multiplies (convolutions and dense layers).
///
/// Only the multiplies change: under `bf16` each GEMM rounds both operands to bfloat16 (round to nearest
/// even) and accumulates in float32 (`CBF16`'s kernels, docs/bf16.md). Weights, gradients, optimizer state,
/// activations in memory, losses and reductions stay float32. Under `fp32` every multiply is OpenBLAS's
/// sgemm, exactly as before the setting existed.
public enum MatmulPrecision: String, Sendable, CaseIterable, CustomStringConvertible {
    /// float32 operands (OpenBLAS sgemm).
    case fp32
    /// bfloat16 operands, float32 accumulation: the AVX512-BF16 kernel where the CPU has it, else the
    /// portable kernel (same results, much slower).
    case bf16
    /// `bf16` where the CPU has AVX512-BF16 (checked at run time), else `fp32`.
    case auto

    public var description: String { rawValue }

    /// Whether the CPU runs the AVX512-BF16 kernel (cpuid and the OS's ZMM state, checked once).
    /// `DFL_BF16_HARDWARE=0` in the environment makes this false, to run as on a CPU without it.
    public static var hardwareBF16: Bool { hardwareAvailable }
    private static let hardwareAvailable =
        dfl_bf16_hardware() != 0 && ProcessInfo.processInfo.environment["DFL_BF16_HARDWARE"] != "0"

    /// The process-wide precision, used by every `Workspace` and `Dense` layer that sets none of its own.
    /// Default: the environment variable `DFL_PRECISION` (`fp32`, `bf16`, `auto`), else `fp32`.
    nonisolated(unsafe) public static var global: MatmulPrecision = environmentSetting ?? .fp32

    /// `DFL_PRECISION` from the environment, nil when unset or not one of the three names. A tool whose own
    /// default differs (dfl-train: `auto`) still yields to it, so tests can pin fp32 for the tools they run.
    public static let environmentSetting: MatmulPrecision? =
        ProcessInfo.processInfo.environment["DFL_PRECISION"].flatMap(MatmulPrecision.init(rawValue:))

    /// Runs the bf16 multiplies on the portable kernel even where AVX512-BF16 exists (tests compare the two).
    /// Default: the environment variable `DFL_BF16_KERNEL=portable`.
    nonisolated(unsafe) public static var forcePortableKernel: Bool =
        ProcessInfo.processInfo.environment["DFL_BF16_KERNEL"] == "portable"

    /// The multiply this setting runs on this CPU.
    public var resolved: MatmulKernel {
        switch self {
        case .fp32: return .fp32
        case .bf16: return MatmulPrecision.hardwareBF16 && !MatmulPrecision.forcePortableKernel ? .bf16AVX512 : .bf16Portable
        case .auto: return MatmulPrecision.hardwareBF16 ? MatmulPrecision.bf16.resolved : .fp32
        }
    }
}

/// The GEMM routine a layer's multiplies call.
public enum MatmulKernel: String, Sendable, CustomStringConvertible {
    /// OpenBLAS cblas_sgemm.
    case fp32
    /// bf16 operands, fp32 accumulation, VDPBF16PS.
    case bf16AVX512 = "bf16-avx512"
    /// The same numerics in portable C.
    case bf16Portable = "bf16-portable"

    public var isBF16: Bool { self != .fp32 }
    public var description: String { rawValue }
    /// CBF16's kernel code.
    var code: Int32 { self == .bf16AVX512 ? Int32(DFL_BF16_AVX512) : Int32(DFL_BF16_PORTABLE) }
}

/// Row-major GEMM C = op(A) · op(B) + beta · C (beta 0 or 1 under bf16) with `kernel`'s operand precision.
/// `.fp32` is `sgemm` unchanged.
@inline(__always)
func matmul(_ kernel: MatmulKernel, transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
          a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
          beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    if GEMMShapes.enabled { GEMMShapes.record(transA: transA, transB: transB, m: m, n: n, k: k, beta: beta) }
    if kernel == .fp32 {
        sgemm(transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        return
    }
    precondition(beta == 0 || beta == 1, "bf16 GEMM supports beta 0 or 1")
    dfl_bf16_gemm(kernel.code, transA ? 1 : 0, transB ? 1 : 0,
                  Int32(m), Int32(n), Int32(k), a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// bf16 GEMM C (m × n) = A · B (+ C for beta 1), A as bf16 pair words (row i at `a + i·ldaWords`, an odd k
/// padded with a zero), B packed by `dfl_bf16_pack_b` (Winograd's forward multiplies).
@inline(__always)
func matmulRows(_ kernel: MatmulKernel, m: Int, n: Int, k: Int, a: UnsafeRawPointer, ldaWords: Int,
                packedB: UnsafeRawPointer, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    if GEMMShapes.enabled { GEMMShapes.record(transA: false, transB: false, m: m, n: n, k: k, beta: beta) }
    dfl_bf16_gemm_rows(kernel.code, Int32(m), Int32(n), Int32(k), a.assumingMemoryBound(to: UInt32.self), ldaWords,
                       packedB.assumingMemoryBound(to: UInt32.self), beta, c, Int32(ldc))
}

/// bf16 GEMM C (m × n) = Σ_p A_p B_p (+ C for beta 1) over `pairs` k-pairs with both operands k-major pair
/// words (`dfl_bf16_gemm_kmajor`: Winograd's weight-gradient multiplies, tiles paired).
@inline(__always)
func matmulKMajor(_ kernel: MatmulKernel, m: Int, n: Int, pairs: Int, a: UnsafeRawPointer, strideA: Int,
                  b: UnsafeRawPointer, strideB: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    if GEMMShapes.enabled { GEMMShapes.record(transA: true, transB: false, m: m, n: n, k: 2 * pairs, beta: beta) }
    dfl_bf16_gemm_kmajor(kernel.code, Int32(m), Int32(n), Int32(pairs), a.assumingMemoryBound(to: UInt32.self), strideA,
                         b.assumingMemoryBound(to: UInt32.self), strideB, beta, c, Int32(ldc))
}

/// The bf16 bits of 8 floats (CBF16's rounding: nearest even, NaN kept quiet, denormals to signed zero) in the
/// low halves of the lanes.
@inline(__always)
func bf16Bits(_ v: SIMD8<Float>) -> SIMD8<UInt32> {
    // Branch- and mask-free (integer lanes only, so it vectorises): all-ones selectors from sign bits of
    // differences, since every operand is below 2³¹.
    let u = unsafeBitCast(v, to: SIMD8<UInt32>.self)
    let magnitude = u & 0x7fff_ffff
    let isNaN = SIMD8<UInt32>.zero &- ((0x7f80_0000 &- magnitude) &>> 31)
    let isTiny = SIMD8<UInt32>.zero &- (((u & 0x7f80_0000) &- 1) &>> 31)
    let rounded = (u &+ 0x7fff &+ ((u &>> 16) & 1)) &>> 16
    let high = u &>> 16
    let r = (rounded & ~isNaN) | ((high | 0x40) & isNaN)
    return (r & ~isTiny) | (high & 0x8000 & isTiny)
}

/// The bf16 bits of one float (as `bf16Bits(_: SIMD8<Float>)`).
@inline(__always)
func bf16Bits(_ x: Float) -> UInt32 {
    let u = x.bitPattern
    if u & 0x7f80_0000 == 0 { return (u >> 16) & 0x8000 }
    if u & 0x7fff_ffff > 0x7f80_0000 { return (u >> 16) | 0x40 }
    return (u &+ 0x7fff &+ ((u >> 16) & 1)) >> 16
}

/// Rounds `count` floats to bf16 as the bf16 GEMM rounds its operands (for tests and references).
func roundToBF16(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int, kernel: MatmulKernel = .bf16Portable) {
    dfl_bf16_round(kernel.code, x, y, count)
}

/// Optional record of the GEMM shapes the engine runs (off by default), for choosing and measuring kernels
/// (`dfl-bench train --gemm-shapes`).
public enum GEMMShapes {
    nonisolated(unsafe) public static var enabled = false
    private static let lock = NSLock()
    /// "transA transB m n k beta" → calls.
    nonisolated(unsafe) public static var table: [String: Int] = [:]

    static func record(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, beta: Float) {
        let key = "\(transA ? 1 : 0) \(transB ? 1 : 0) \(m) \(n) \(k) \(Int(beta))"
        lock.lock()
        table[key, default: 0] += 1
        lock.unlock()
    }
}
