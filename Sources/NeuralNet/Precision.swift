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
    public static var hardwareBF16: Bool { dfl_bf16_hardware() != 0 }

    /// The process-wide precision, used by every `Workspace` and `Dense` layer that sets none of its own.
    /// Default: the environment variable `DFL_PRECISION` (`fp32`, `bf16`, `auto`), else `fp32`.
    nonisolated(unsafe) public static var global: MatmulPrecision = {
        if let s = ProcessInfo.processInfo.environment["DFL_PRECISION"], let p = MatmulPrecision(rawValue: s) { return p }
        return .fp32
    }()

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
    dfl_bf16_gemm(kernel == .bf16AVX512 ? Int32(DFL_BF16_AVX512) : Int32(DFL_BF16_PORTABLE), transA ? 1 : 0, transB ? 1 : 0,
                  Int32(m), Int32(n), Int32(k), a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// Rounds `count` floats to bf16 as the bf16 GEMM rounds its operands (for tests and references).
func roundToBF16(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int, kernel: MatmulKernel = .bf16Portable) {
    dfl_bf16_round(kernel == .bf16AVX512 ? Int32(DFL_BF16_AVX512) : Int32(DFL_BF16_PORTABLE), x, y, count)
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
