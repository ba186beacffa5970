import Foundation

/// The algorithm one convolution pass runs.
public enum ConvAlgorithm: String, Sendable, CustomStringConvertible {
    /// im2col + sgemm (`Im2colConvolution`): any kernel, stride and channel count.
    case dense
    /// Winograd F(2×2, 3×3) (`WinogradConvolution`): 3×3 stride 1 only.
    case winogradF2 = "winograd-f2"
    /// Winograd F(4×4, 3×3).
    case winogradF4 = "winograd-f4"

    /// The Winograd tile, nil for the dense path.
    var winogradTile: WinogradTile? {
        switch self {
        case .dense: return nil
        case .winogradF2: return .f2
        case .winogradF4: return .f4
        }
    }

    public var description: String { rawValue }
}

/// How convolution layers pick their algorithm (process-wide; set before the first forward pass).
public enum ConvAlgorithmChoice: String, Sendable, CaseIterable {
    /// The shape rules of `ConvolutionSelection.fastAlgorithm` (the default).
    case fast
    /// im2col + sgemm everywhere (the reference path, for comparisons).
    case dense
    /// Winograd F(2×2, 3×3) for every 3×3 stride-1 pass, dense for the rest.
    case f2
    /// Winograd F(4×4, 3×3) for every 3×3 stride-1 pass, dense for the rest.
    case f4
}

/// The algorithm choice of the convolution layers.
///
/// The default comes from the environment variable `DFL_CONV_ALGO` (`fast`, `dense`, `f2`, `f4`), else
/// `fast`; programs (dfl-bench, dfl-train) may set `choice` directly.
public enum ConvolutionSelection {
    nonisolated(unsafe) public static var choice: ConvAlgorithmChoice = {
        if let s = ProcessInfo.processInfo.environment["DFL_CONV_ALGO"], let c = ConvAlgorithmChoice(rawValue: s) {
            return c
        }
        return .fast
    }()

    /// The algorithm for a convolution pass of geometry `g` under the current `choice`, with `kernel` the
    /// multiplies' precision.
    static func algorithm(for g: ConvGeometry, kernel: MatmulKernel) -> ConvAlgorithm {
        guard WinogradConvolution.applies(g) else { return .dense }
        switch choice {
        case .dense: return .dense
        case .f2: return .winogradF2
        case .f4: return .winogradF4
        case .fast:
            let rule = fastAlgorithm(inChannels: g.inChannels, outChannels: g.outChannels, height: g.height, width: g.width)
            return kernel.isBF16 ? bf16Algorithm(rule, g) : rule
        }
    }

    /// Under bf16 the multiplies cost less next to the tile transforms, which moves two of the shape rule's
    /// boundaries (Zen 5, 2 threads, `dfl-bench conv … --precision bf16`, two runs each; fp32 keeps the rule
    /// and its bits):
    /// - F(2×2) instead of dense on 3×3 images (16 channels or more): forward + backward, 3×3 256→1024 b16
    ///   3.7 ms against 5.9–6.6 dense (F(4×4) 5.6–5.8), 64→256 b8 0.10 against 0.15.
    /// - F(2×2) instead of F(4×4) where F(4×4) would have fewer than 64 tiles in all: its α² GEMMs are then
    ///   too short to pay for the larger transforms. Forward at batch 1 (the merge): 12×12 512→1024 2.2 ms
    ///   against 3.7, 16×16 256→1024 1.3 against 1.8, 24×24 128→256 (36 tiles) 0.26 against 0.29, 28×28
    ///   256→256 (49) equal, 24×24 at batch 2 (72) and 48×48 (144) F(4×4) ahead. Forward + backward at 12×12
    ///   b4 (36 tiles, df-udt-192's decoders): 256→1024 6.5–6.9 against 7.0–7.4, 256→256 1.41–1.43 against
    ///   1.45–1.57, 128→512 equal.
    static func bf16Algorithm(_ rule: ConvAlgorithm, _ g: ConvGeometry) -> ConvAlgorithm {
        switch rule {
        case .dense where min(g.height, g.width) == 3 && g.inChannels >= 16:
            return .winogradF2
        case .winogradF4 where g.batch * ((g.height + 3) / 4) * ((g.width + 3) / 4) < 64:
            return .winogradF2
        default:
            return rule
        }
    }

    /// Whether 5×5 stride-2 convolutions may run as their 3×3 stride-1 rewrite (`PolyphaseConvolution`).
    nonisolated(unsafe) public static var polyphase = true

    /// Whether the 5×5 stride-2 convolution whose 3×3 rewrite has geometry `pg` runs as that rewrite, with
    /// `kernel` the multiplies' precision: under `fast` when the rewrite gets F(4×4) (liae-ud-96 b8, Zen 4,
    /// 2 threads, forward + backward: 48×48 32→64 11.1 ms vs 19.6 dense, 24×24 64→128 11.1 vs 16.1); with
    /// F(2×2) only under bf16, whose cheaper multiplies leave the dense layer's columns as its cost (Zen 5,
    /// 2 threads, the encoders' last 12×12 layer in their steps: df-ud-96 c3 b8 256→512 18.9 ms vs 29.7 dense,
    /// liae-ud-96 b8 128→256 4.3 vs 6.0, df-udt-192 b4 384→384 17.4 vs 19.5; in fp32, Zen 4, 12×12 128→256
    /// 16.2 vs 15.4); never for the 1- or 3-channel first layer (4 or 12 channels in the rewrite, dense by the
    /// shape rule). Under `f2`/`f4` whenever the rewrite applies; never under `dense`.
    static func usesPolyphase(_ pg: ConvGeometry, kernel: MatmulKernel) -> Bool {
        guard polyphase else { return false }
        switch choice {
        case .dense: return false
        case .f2, .f4: return true
        case .fast:
            let rewrite = algorithm(for: pg, kernel: kernel)
            return rewrite == .winogradF4 || (rewrite == .winogradF2 && kernel.isBF16)
        }
    }

    /// Whether weight gradients go through Winograd where the forward pass does (else always dense).
    nonisolated(unsafe) public static var winogradWeightGradient = true

    /// The algorithm for the weight gradient of a convolution of geometry `g` (its forward geometry): the
    /// forward pass's, except dense under the `fast` choice for fewer than 8 output channels (the α² GEMMs
    /// have the output channels as columns). Measured backward passes (dW + dx), Zen 3, 2 threads:
    /// 12×12 512→512 b8 F4 110 ms vs 168 with a dense dW (dense 251); 48×48 128→128 b8 78 vs 127 (dense 199);
    /// 96×96 64→64 b4 49 vs 68 (dense 135); F2 at 6×6 256→2048 b8 64 vs 66.
    static func weightGradientAlgorithm(for g: ConvGeometry, kernel: MatmulKernel) -> ConvAlgorithm {
        guard winogradWeightGradient else { return .dense }
        if choice == .fast && g.outChannels < 8 { return .dense }
        return algorithm(for: g, kernel: kernel)
    }

    /// The shape rule of the `fast` choice for a 3×3 stride-1 pass, from `dfl-bench conv SIZE CIN COUT 3 1 B
    /// --algo dense|f2|f4` on the bench layer shapes (Zen 3, 2 threads, forward pass):
    /// - F(4×4) from 12×12 up: 1.8–4× faster than dense (12×12 512→512 b8 24 ms vs 58 ms; 48×48 128→128
    ///   45 vs 119 ms; 24×24 88→176 8.7 vs 26 ms; 96×96 64→64 b4 21 vs 49 ms), and ahead of F(2×2).
    /// - F(2×2) from 4×4 to 11×11, where 4×4 tiles waste much of a 6×6 image and leave few GEMM rows
    ///   (6×6 256→2048 b8: F2 20 ms, dense 30, F4 32; 8×8 96→1024 b4: F2 4.2, F4 5.0, dense 7.4).
    /// - dense under 4×4 pixels: 2×2 tiles cover a 3×3 image as 4×4 (1.8× the work) and the forward and
    ///   backward passes measure no faster than dense (3×3 256→1024 b8: dense 5.3–9.5 ms forward,
    ///   F2 7.0–7.4; F4 28);
    /// - dense for fewer than 16 input channels, where the α² GEMMs
    ///   are too shallow to gain much (32×32 8→16 b8 forward: dense 0.51 ms, F2 0.56, F4 0.42; the input
    ///   gradient of the 64→4 image head: dense ≈ F2), and where F(4×4)'s larger rounding is not worth it
    ///   (with F4 forced on the 8-channel layers of the tiny cross-check model, the AdaBelief update of an
    ///   ill-conditioned weight moves 1.3e-6 from the float64 reference, above that test's 1e-6).
    public static func fastAlgorithm(inChannels: Int, outChannels: Int, height: Int, width: Int) -> ConvAlgorithm {
        let side = min(height, width)
        if side < 4 || inChannels < 16 { return .dense }
        return side >= 12 ? .winogradF4 : .winogradF2
    }
}
