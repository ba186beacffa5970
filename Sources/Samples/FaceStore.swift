// The training faces, decoded once and kept in memory at the model's face type and resolution, with the
// masks the loss needs. Everything here is deterministic per face, so it is done once at load time;
// only the random augmentation runs per iteration.
import FaceAlign
import FaceSet
import Foundation
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
    /// Yaw for uniform-yaw sampling, DFL's −(estimated yaw); nil: estimated from the landmarks when the
    /// face is added to a store.
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
    case landmarks(String)

    public var description: String {
        switch self {
        case let .badLandmarks(n): return "face has \(n) landmarks, 68 needed"
        case let .notSquare(w, h): return "aligned face is \(w)×\(h), not square"
        case let .unsupportedChannels(c): return "faces with \(c) channels are not supported (1 or 3)"
        case let .channelMismatch(e, g): return "face has \(g) channels, the faceset has \(e)"
        case let .emptyFaceSet(side): return "the \(side) faceset is empty"
        case .singularTransform: return "the face-type transform is singular"
        case let .landmarks(why): return "face-type conversion failed: \(why)"
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

    /// Prepares and adds one face: converted to the store's face type with DFL's `get_transform_mat` of
    /// its aligned landmarks when the types differ, otherwise resized.
    public mutating func add(_ record: FaceRecord) throws {
        try faces.append(prepare(record, toModel: modelTransform(for: record)))
        if channels == nil { channels = record.image.channels }
    }

    /// Reads and prepares `count` faces on all cores, `read(i)` giving face i (typically: decode file i),
    /// and appends them in index order. A face that fails to read or prepare is reported to `failed`
    /// (with its index, on the calling thread, in index order) and skipped. Returns the number added.
    @discardableResult
    public mutating func load(count: Int, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                              read: (Int) throws -> FaceRecord,
                              failed: (Int, Error) -> Void = { _, _ in }) -> Int {
        guard count > 0 else { return 0 }
        var results = [Result<PreparedFace, Error>?](repeating: nil, count: count)
        let lock = NSLock()
        var nextIndex = 0
        let this = self
        results.withUnsafeMutableBufferPointer { slots in
            DispatchQueue.concurrentPerform(iterations: max(1, min(threads, count))) { _ in
                while true {
                    lock.lock()
                    let i = nextIndex
                    nextIndex += 1
                    lock.unlock()
                    if i >= count { return }
                    let r = Result { () throws -> PreparedFace in
                        let record = try read(i)
                        return try this.prepare(record, toModel: this.modelTransform(for: record))
                    }
                    slots[i] = r   // each slot is written by exactly one worker
                }
            }
        }
        var added = 0
        for (i, r) in results.enumerated() {
            switch r! {
            case .success(let face):
                if channels == nil { channels = face.image.channels }
                if face.image.channels != channels {
                    failed(i, SampleError.channelMismatch(expected: channels!, got: face.image.channels))
                    continue
                }
                faces.append(face)
                added += 1
            case .failure(let error):
                failed(i, error)
            }
        }
        return added
    }

    /// The aligned-image → model-crop transform of a face (nil when the face types agree).
    public func modelTransform(for record: FaceRecord) throws -> AffineMap? {
        guard record.faceType != faceType else { return nil }
        do {
            let m = try transformMatrix(landmarks: record.landmarks.map { Point2D($0.x, $0.y) }, size: resolution,
                                        faceType: faceType)
            return AffineMap(m.m00, m.m01, m.m02, m.m10, m.m11, m.m12)
        } catch {
            throw SampleError.landmarks("\(error)")
        }
    }

    /// DFL's per-face work (SampleProcessor steps 2 and 6 without the randomness). `toModel` is the
    /// aligned-image → model-crop transform, required when the face's type differs from the store's.
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
        let points = record.landmarks.map { Point2D($0.x, $0.y) }
        var full: FloatImage
        var eyesMouth: FloatImage
        do {
            if let xseg = record.xsegMask {
                full = firstChannel(xseg).resized(width: size, height: size, method: .cubic)
                for i in 0..<full.data.count { full.data[i] = min(max(full.data[i], 0), 1) }
            } else {
                full = try faceHullMask(landmarks: points, width: size, height: size,
                                        eyebrowsExpandMod: record.eyebrowsExpandMod)
            }
            eyesMouth = try eyesMask(landmarks: points, width: size, height: size)
            let mouth = try mouthMask(landmarks: points, width: size, height: size)
            for i in 0..<eyesMouth.data.count {
                // clip(eyes + mouth) × (full mask ≠ 0)
                eyesMouth.data[i] = full.data[i] == 0 ? 0 : min(max(eyesMouth.data[i] + mouth.data[i], 0), 1)
            }
        } catch {
            throw SampleError.landmarks("\(error)")
        }

        // Face-type conversion or plain resize.
        let image: FloatImage, fullR: FloatImage, eyesR: FloatImage
        if record.faceType != faceType {
            guard let m = toModel, m.inverted != nil else { throw SampleError.singularTransform }
            image = warpAffine(source, matrix: m.matrix, width: r, height: r, interpolation: .cubic,
                               border: .replicate)
            fullR = warpAffine(full, matrix: m.matrix, width: r, height: r, interpolation: .bilinear,
                               border: .constant(0))
            eyesR = warpAffine(eyesMouth, matrix: m.matrix, width: r, height: r, interpolation: .bilinear,
                               border: .constant(0))
        } else {
            image = source.resized(width: r, height: r, method: .cubic)
            fullR = full.resized(width: r, height: r, method: .linear)
            eyesR = eyesMouth.resized(width: r, height: r, method: .linear)
        }
        let reference = keepsColorReference ? source.resized(width: r, height: r, method: .linear).toUInt8() : nil
        return PreparedFace(image: image.toUInt8(), fullMask: fullR.toUInt8(), eyesMouthMask: eyesR.toUInt8(),
                            colorReference: reference, yaw: record.yaw ?? estimatedYaw(points, size: size))
    }

    /// DFL's sample yaw for uniform-yaw bins: −yaw of `estimate_pitch_yaw_roll`; nil if the fit fails.
    private func estimatedYaw(_ landmarks: [Point2D], size: Int) -> Double? {
        (try? estimatePitchYawRoll(alignedLandmarks: landmarks, size: size)).map { -$0.yaw }
    }

    private func firstChannel(_ m: FloatImage) -> FloatImage {
        guard m.channels > 1 else { return m }
        var out = FloatImage(width: m.width, height: m.height, channels: 1)
        for i in 0..<(m.width * m.height) { out.data[i] = m.data[i * m.channels] }
        return out
    }
}
