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

    /// The algorithm for a convolution pass of geometry `g` under the current `choice`.
    static func algorithm(for g: ConvGeometry) -> ConvAlgorithm {
        guard WinogradConvolution.applies(g) else { return .dense }
        switch choice {
        case .dense: return .dense
        case .f2: return .winogradF2
        case .f4: return .winogradF4
        case .fast: return fastAlgorithm(inChannels: g.inChannels, outChannels: g.outChannels,
                                         height: g.height, width: g.width)
        }
    }

    /// The shape rule of the `fast` choice for a 3×3 stride-1 pass (see `dfl-bench conv` measurements).
    public static func fastAlgorithm(inChannels: Int, outChannels: Int, height: Int, width: Int) -> ConvAlgorithm {
        // Placeholder until measured.
        if inChannels >= 32 && outChannels >= 32 { return .winogradF2 }
        return .dense
    }
}
