// DFL's SampleProcessor for SAEHD (docs/saehd-model.md §5.2): from one prepared face and one random seed, the
// four training outputs — warped image (network input), target image, full mask, eyes/mouth mask — all
// sharing one pose change; only the warped image gets the elastic grid and the HSV shift.
import ColorTransfer
import Foundation
import Imaging

/// Augmentation options for one side (src or dst).
public struct SampleOptions: Sendable, Equatable {
    /// Elastic grid on the network input (DFL random_warp, default on).
    public var randomWarp: Bool = true
    /// 40 % horizontal flips (DFL default: off for src, on for dst).
    public var randomFlip: Bool = false
    public var ranges = WarpRanges()
    /// DFL random_hsv_power (0 = off). Only for 3-channel output; ignored for gray.
    public var randomHSVPower: Double = 0
    /// Output channels: 3 (RGB as stored) or 1 (gray; a 3-channel store is converted with BT.601 luma).
    public var outputChannels: Int = 3

    public init(randomWarp: Bool = true, randomFlip: Bool = false, ranges: WarpRanges = WarpRanges(),
                randomHSVPower: Double = 0, outputChannels: Int = 3) {
        self.randomWarp = randomWarp
        self.randomFlip = randomFlip
        self.ranges = ranges
        self.randomHSVPower = randomHSVPower
        self.outputChannels = outputChannels
    }
}

extension SampleOptions {
    /// DFL's defaults for the src side: random warp on, flip off (random_src_flip), no HSV.
    public static func srcDefaults(channels: Int) -> SampleOptions {
        SampleOptions(randomWarp: true, randomFlip: false, outputChannels: channels)
    }

    /// DFL's defaults for the dst side: random warp on, flip on (random_dst_flip).
    public static func dstDefaults(channels: Int) -> SampleOptions {
        SampleOptions(randomWarp: true, randomFlip: true, outputChannels: channels)
    }
}

/// The four outputs of one sample, each `resolution²·channels` floats in [0, 1], row-major interleaved.
public struct SampleOutputs: Sendable {
    public var warped: FloatImage
    public var target: FloatImage
    public var fullMask: FloatImage
    public var eyesMouthMask: FloatImage
}

/// Produces the training outputs of one face.
public enum SampleProcessor {
    /// Processes `face` with the randomness of `seed`. `colorReference` (a dst face's raw image at the
    /// resolution) recolours both images with `colorTransfer` when given. `parameters` overrides the random
    /// geometry (tests, previews).
    public static func process(_ face: PreparedFace, options: SampleOptions, seed: UInt64,
                               colorTransfer mode: ColorTransferMode? = nil, colorReference: Image? = nil,
                               parameters: WarpParameters? = nil) throws -> SampleOutputs {
        let r = face.image.width
        var geometryRNG = SeededGenerator(seed: SeededGenerator.derive(seed, 0))
        let params = parameters ?? WarpParameters.random(size: r, ranges: options.ranges,
                                                         allowFlip: options.randomFlip, rng: &geometryRNG)
        precondition(params.size == r, "warp parameters for another resolution")
        let pose = params.affine

        // Step 3: colour transfer (both images, one reference, one seed so both get the same recolouring).
        var image = face.image.toFloat()
        if let mode = mode, let reference = colorReference {
            image = try ColorTransfer.colorTransfer(mode, image, toward: reference.toFloat(),
                                                    seed: SeededGenerator.derive(seed, 1))
        }
        var warpedInput = image
        if options.randomHSVPower > 0 && image.channels == 3 {
            var hsvRNG = SeededGenerator(seed: SeededGenerator.derive(seed, 2))
            applyRandomHSV(&warpedInput, power: options.randomHSVPower, rng: &hsvRNG)
        }

        // Step 4: warp grid (network input only), pose change, flip.
        if options.randomWarp {
            warpedInput = remap(warpedInput, mapX: params.mapX, mapY: params.mapY, width: r, height: r,
                                interpolation: .cubic, border: .zero)
        }
        let m = pose.matrix
        var warped = warpAffine(warpedInput, matrix: m, width: r, height: r, interpolation: .cubic, border: .replicate)
        var target = warpAffine(image, matrix: m, width: r, height: r, interpolation: .cubic, border: .replicate)
        var full = warpAffine(face.fullMask.toFloat(), matrix: m, width: r, height: r, interpolation: .bilinear,
                              border: .constant(0))
        var eyes = warpAffine(face.eyesMouthMask.toFloat(), matrix: m, width: r, height: r,
                              interpolation: .bilinear, border: .constant(0))
        if params.flip {
            warped = warped.flippedHorizontally()
            target = target.flippedHorizontally()
            full = full.flippedHorizontally()
            eyes = eyes.flippedHorizontally()
        }

        // Step 5: clip and channel conversion; step 6: eyes/mouth mask normalised to max 1.
        clip(&warped); clip(&target); clip(&full); clip(&eyes)
        if options.outputChannels == 1 && image.channels == 3 {
            warped = warped.toGray()
            target = target.toGray()
        }
        if let m = eyes.data.max(), m > 0 {
            for i in 0..<eyes.data.count { eyes.data[i] /= m }
        }
        return SampleOutputs(warped: warped, target: target, fullMask: full, eyesMouthMask: eyes)
    }

    /// DFL random HSV: H += randint(−ha, ha) degrees (mod 360), ha = max(1, int(180·power)); S and V each
    /// += (U − 0.5)·power, clipped to [0, 1].
    static func applyRandomHSV(_ image: inout FloatImage, power: Double, rng: inout SeededGenerator) {
        let ha = max(1, Int(180 * power))
        let dh = Float(rng.int(below: 2 * ha) - ha)
        let ds = Float((rng.unit() - 0.5) * power), dv = Float((rng.unit() - 0.5) * power)
        image.data.withUnsafeMutableBufferPointer { p in
            for i in stride(from: 0, to: p.count, by: 3) {
                var (h, s, v) = HSVConversion.fromRGB(p[i], p[i + 1], p[i + 2])
                h = (h + dh).truncatingRemainder(dividingBy: 360)
                if h < 0 { h += 360 }
                s = min(max(s + ds, 0), 1)
                v = min(max(v + dv, 0), 1)
                let (r, g, b) = HSVConversion.toRGB(h, s, v)
                p[i] = r; p[i + 1] = g; p[i + 2] = b
            }
        }
    }

    static func clip(_ image: inout FloatImage) {
        image.data.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { p[i] = min(max(p[i], 0), 1) }
        }
    }
}
