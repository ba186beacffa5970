// The training faces, decoded once and kept in memory at the model's face type and resolution, with the
// masks the loss needs. Everything here is deterministic per face, so it is done once at load time;
// only the random augmentation runs per iteration.
import Foundation
import FaceSet
import Imaging

/// One aligned face as read from a faceset (the inputs of the per-face preparation).
public struct FaceRecord: Sendable {
    /// The aligned face image (square, 1 or 3 channels, RGB).
    public var image: Image
    /// The 68 aligned landmarks, in pixels of `image`.
    public var landmarks: [SIMD2<Double>]
    /// The face type the image was aligned with.
    public var faceType: FaceType
    /// The face's XSeg mask (any size, 1 channel, values 0…1), when it has one.
    public var xsegMask: FloatImage?
    /// DFL's `eyebrows_expand_mod` (1 when the file has none).
    public var eyebrowsExpandMod: Double
    /// Yaw for uniform-yaw sampling (DFL uses −estimated yaw; only the order matters), nil if unknown.
    public var yaw: Double?

    public init(image: Image, landmarks: [SIMD2<Double>], faceType: FaceType, xsegMask: FloatImage? = nil,
                eyebrowsExpandMod: Double = 1, yaw: Double? = nil) {
        self.image = image
        self.landmarks = landmarks
        self.faceType = faceType
        self.xsegMask = xsegMask
        self.eyebrowsExpandMod = eyebrowsExpandMod
        self.yaw = yaw
    }
}

/// A face ready for augmentation: everything at the model resolution, 8-bit to keep memory small
/// (a 192-px gray face takes 3 × 36 KB; the quantisation of the converted image is below 0.002).
public struct PreparedFace: Sendable {
    /// Image converted to the model's face type and resolution (cubic), channels as the faceset.
    public let image: Image
    /// Full-face mask (XSeg if present, else the landmark hull), converted like the image (linear).
    public let fullMask: Image
    /// Eyes + mouth mask times the binarised full mask, converted like the image (linear).
    public let eyesMouthMask: Image
    /// The raw aligned image resized (linear) to the resolution, not face-type converted: what DFL uses as
    /// the colour-transfer reference when this face is the random dst face. Nil unless requested.
    public let colorReference: Image?
    public let yaw: Double?
}

/// Errors of face preparation.
public enum SampleError: Error, Equatable, CustomStringConvertible {
    case badLandmarks(count: Int)
    case notSquare(width: Int, height: Int)
    case unsupportedChannels(Int)
    case channelMismatch(expected: Int, got: Int)
    case emptyFaceSet(String)
    case singularTransform

    public var description: String {
        switch self {
        case let .badLandmarks(n): return "face has \(n) landmarks, 68 needed"
        case let .notSquare(w, h): return "aligned face is \(w)×\(h), not square"
        case let .unsupportedChannels(c): return "faces with \(c) channels are not supported (1 or 3)"
        case let .channelMismatch(e, g): return "face has \(g) channels, the faceset has \(e)"
        case let .emptyFaceSet(side): return "the \(side) faceset is empty"
        case .singularTransform: return "the face-type transform is singular"
        }
    }
}

/// The faces of one side (src or dst) at the model's face type and resolution.
public struct FaceStore: Sendable {
    public let resolution: Int
    public let faceType: FaceType
    /// Channels of the stored images (1 or 3; all faces of a store agree).
    public private(set) var channels: Int?
    public private(set) var faces: [PreparedFace] = []
    /// Whether faces keep `colorReference` (needed on the dst side when src uses ct_mode).
    public let keepsColorReference: Bool

    public init(resolution: Int, faceType: FaceType, keepColorReference: Bool = false) {
        self.resolution = resolution
        self.faceType = faceType
        self.keepsColorReference = keepColorReference
    }

    public var count: Int { faces.count }

    /// Prepares and adds one face. `toModel` is the aligned-image → model-crop transform
    /// (`get_transform_mat(landmarks, resolution, model face type)`), required when the face's type differs
    /// from the model's; when the types agree the face is only resized.
    public mutating func add(_ record: FaceRecord, toModel: AffineMap?) throws {
        try faces.append(prepare(record, toModel: toModel))
        if channels == nil { channels = record.image.channels }
    }

    /// DFL's per-face work (SampleProcessor steps 2 and 6 without the randomness).
    public func prepare(_ record: FaceRecord, toModel: AffineMap?) throws -> PreparedFace {
        let img = record.image
        guard record.landmarks.count == 68 else { throw SampleError.badLandmarks(count: record.landmarks.count) }
        guard img.width == img.height, img.width > 0 else {
            throw SampleError.notSquare(width: img.width, height: img.height)
        }
        guard img.channels == 1 || img.channels == 3 else { throw SampleError.unsupportedChannels(img.channels) }
        if let c = channels, c != img.channels { throw SampleError.channelMismatch(expected: c, got: img.channels) }
        let size = img.width, r = resolution
        let source = img.toFloat()

        // Masks at the aligned image's size.
        var full: FloatImage
        if let xseg = record.xsegMask {
            full = resize(firstChannel(xseg), width: size, height: size, interpolation: .cubic)
            for i in 0..<full.data.count { full.data[i] = min(max(full.data[i], 0), 1) }
        } else {
            full = LandmarkMasks.hullMask(width: size, height: size, landmarks: record.landmarks,
                                          eyebrowsExpandMod: record.eyebrowsExpandMod)
        }
        var eyesMouth = LandmarkMasks.eyesMouthMask(width: size, height: size, landmarks: record.landmarks)
        for i in 0..<eyesMouth.data.count where full.data[i] == 0 { eyesMouth.data[i] = 0 }

        // Face-type conversion or plain resize.
        let image: FloatImage, fullR: FloatImage, eyesR: FloatImage
        if record.faceType != faceType {
            guard let m = toModel, m.inverted != nil else { throw SampleError.singularTransform }
            image = warpAffine(source, m, width: r, height: r, interpolation: .cubic, border: .replicate)
            fullR = warpAffine(full, m, width: r, height: r, interpolation: .linear, border: .zero)
            eyesR = warpAffine(eyesMouth, m, width: r, height: r, interpolation: .linear, border: .zero)
        } else {
            image = resize(source, width: r, height: r, interpolation: .cubic)
            fullR = resize(full, width: r, height: r, interpolation: .linear)
            eyesR = resize(eyesMouth, width: r, height: r, interpolation: .linear)
        }
        let reference = keepsColorReference
            ? resize(source, width: r, height: r, interpolation: .linear).toUInt8() : nil
        return PreparedFace(image: image.toUInt8(), fullMask: fullR.toUInt8(), eyesMouthMask: eyesR.toUInt8(),
                            colorReference: reference, yaw: record.yaw)
    }

    private func firstChannel(_ m: FloatImage) -> FloatImage {
        guard m.channels > 1 else { return m }
        var out = FloatImage(width: m.width, height: m.height, channels: 1)
        for i in 0..<(m.width * m.height) { out.data[i] = m.data[i * m.channels] }
        return out
    }
}
