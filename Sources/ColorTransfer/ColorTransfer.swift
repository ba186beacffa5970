// DFL's `color_transfer(mode, A, B)`: recolour image A so that its colour distribution resembles image B's.
// Used by training (ct_mode: src faces toward a random dst face) and by merging (predicted face toward the
// frame). Inputs are float images in [0, 1]; 3-channel images are RGB.
import Imaging

/// The colour-transfer modes of DFL's ct_mode option.
///
/// Channel support: all modes work on 3-channel images. On 1-channel images `lct` is mean/std matching,
/// `sot` is exact histogram (sorted-value) matching followed by the bilateral smoothing of the change, and
/// `idt` is relaxed 1-D histogram matching (it moves about 64 % of the way, see `IDT.swift`). `rct` (needs
/// Lab) and `mkl` (needs a channel covariance) throw `unsupportedChannels` for 1 channel, as in SAEHDBW.
public enum ColorTransferMode: String, Sendable, CaseIterable {
    case rct, lct, mkl, idt, sot

    /// Whether the mode accepts images with `channels` channels.
    public func supports(channels: Int) -> Bool {
        switch self {
        case .rct, .mkl: return channels == 3
        case .lct, .idt, .sot: return channels == 1 || channels == 3
        }
    }

    /// Whether the mode draws random numbers (then its result depends on the seed).
    public var isRandomized: Bool { self == .idt || self == .sot }
}

/// Why a colour transfer could not run.
public enum ColorTransferError: Error, Equatable, CustomStringConvertible {
    case unsupportedChannels(mode: ColorTransferMode, channels: Int)
    case channelMismatch(image: Int, reference: Int)
    case emptyImage

    public var description: String {
        switch self {
        case let .unsupportedChannels(mode, channels):
            return "colour transfer \(mode.rawValue) does not support \(channels)-channel images"
        case let .channelMismatch(image, reference):
            return "colour transfer needs the same channel count (image \(image), reference \(reference))"
        case .emptyImage:
            return "colour transfer needs non-empty images"
        }
    }
}

/// Returns `image` recoloured toward the colour distribution of `reference` (DFL `color_transfer(mode,
/// image, reference)`). The two images may differ in size but not in channel count. `seed` drives the
/// random directions of `idt` and `sot`; the other modes are deterministic.
public func colorTransfer(_ mode: ColorTransferMode, _ image: FloatImage, toward reference: FloatImage,
                          seed: UInt64 = 0) throws -> FloatImage {
    guard image.channels == reference.channels else {
        throw ColorTransferError.channelMismatch(image: image.channels, reference: reference.channels)
    }
    guard mode.supports(channels: image.channels) else {
        throw ColorTransferError.unsupportedChannels(mode: mode, channels: image.channels)
    }
    guard !image.data.isEmpty, !reference.data.isEmpty else { throw ColorTransferError.emptyImage }
    switch mode {
    case .rct: return reinhardColorTransfer(image, toward: reference)
    case .lct: return linearColorTransfer(image, toward: reference)
    case .mkl: return mongeKantorovichColorTransfer(image, toward: reference)
    case .idt: return iterativeDistributionTransfer(image, toward: reference, seed: seed)
    case .sot: return slicedOptimalTransfer(image, toward: reference, seed: seed)
    }
}
