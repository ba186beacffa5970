// Masks from a trained XSeg network, for `dfl-xseg apply` and the merger's XSeg mask modes (docs/xseg.md,
// "Applying a model"): DFL's `extract` on any faces, and the mask DFL's `xseg apply` stores in an aligned face
// (its crop converted to the model's face type and back, thresholded, 256×256 at DFL's resolution).
import FaceAlign
import FaceSet
import Foundation
import Imaging
import NeuralNet

/// An XSeg network used for inference only. The network is one object: calls are serialised, each runs a
/// batch on all cores.
public final class XSegMasker: @unchecked Sendable {
    public let network: XSegNetwork
    /// The face type of the crops the model was trained on (`XSeg_data.dat` / model.json); nil when the model
    /// does not say, and then every face is taken in its own type (DFL's `same`).
    public let faceType: FaceType?
    /// Faces per forward pass.
    public let batchSize: Int
    private let lock = NSLock()

    public init(network: XSegNetwork, faceType: FaceType?, batchSize: Int = 4) {
        precondition(batchSize >= 1, "batch size must be positive")
        network.pretrain = false   // inference runs the full network (DFL's apply and merger build it so)
        self.network = network
        self.faceType = faceType
        self.batchSize = batchSize
    }

    /// A loaded DFL folder's model: its network, and its face type when its state says one (a folder without
    /// `XSeg_data.dat` says none). Throws for a face type that is not one of DFL's short names.
    public convenience init(model: XSegModel, batchSize: Int = 4) throws {
        var type: FaceType?
        if let name = model.state?.faceType {
            guard let t = FaceType.allCases.first(where: { $0.shortName == name }) else {
                throw XSegError("the XSeg model's face type '\(name)' is not one of h, mf, f, wf, head")
            }
            type = t
        }
        self.init(network: model.network, faceType: type, batchSize: batchSize)
    }

    /// The network's side (DFL: 256).
    public var resolution: Int { network.resolution }

    /// DFL's `XSegNet.extract` of faces already cropped as the model wants (RGB float, value / 255, any
    /// size; resized to the resolution with Lanczos-4): r×r 1-channel masks, the sigmoid with values below 0.1
    /// set to 0. `clip` clips the resized input to [0, 1] (DFL's trainer does; its `xseg apply` and merger do not).
    public func extract(_ faces: [FloatImage], clip: Bool = false) throws -> [FloatImage] {
        let r = resolution
        var out: [FloatImage] = []
        out.reserveCapacity(faces.count)
        for start in stride(from: 0, to: faces.count, by: batchSize) {
            let chunk = Array(faces[start..<min(start + batchSize, faces.count)])
            let x = try network.inputTensor(floats: chunk.map(Self.threeChannels), clip: clip)
            lock.lock()
            let masks = XSegNetwork.extract(network.forward(x))
            lock.unlock()
            let values = masks.array
            for i in 0..<chunk.count {
                out.append(FloatImage(width: r, height: r, channels: 1, data: Array(values[(i * r * r)..<((i + 1) * r * r)])))
            }
        }
        return out
    }

    /// DFL's `extract` of one face already at the network's resolution (RGB, r×r, not clipped): the merger's
    /// one-face call (Merge's `FaceSegmenter` asks exactly this). Thread-safe.
    public func mask(_ face: FloatImage) throws -> FloatImage {
        guard face.width == resolution, face.height == resolution, face.channels == XSegNetwork.inputChannels else {
            throw XSegError("face \(face.width)×\(face.height)×\(face.channels) does not fit the XSeg network (\(resolution)×\(resolution)×3)")
        }
        return try extract([face], clip: false)[0]
    }

    /// `extract` of 8-bit faces (value / 255; gray faces repeated into three channels).
    public func extract(_ faces: [Image], clip: Bool = false) throws -> [FloatImage] {
        try extract(faces.map(XSegApply.floatImage), clip: clip)
    }

    /// What `dfl-xseg apply` stores for each aligned face (`XSegApply`): r×r, 1 channel, 0 or 255. The pre- and
    /// post-processing of the faces runs on all cores, the network one batch at a time. A face that cannot be
    /// masked (no source landmarks for a face-type change, a singular transform) gets its error. The faces are
    /// converted to the model's face type (`faceType`; each face stays in its own type when it is nil).
    public func appliedMasks(_ faces: [(image: Image, metadata: FaceMetadata)]) -> [Result<Image, Error>] {
        appliedMasks(faces, modelFaceType: faceType)
    }

    /// `appliedMasks` with the faces converted to `modelFaceType` instead (nil: each face in its own type,
    /// DFL's `same`).
    public func appliedMasks(_ faces: [(image: Image, metadata: FaceMetadata)], modelFaceType target: FaceType?)
        -> [Result<Image, Error>] {
        let r = resolution
        var prepared = [Result<XSegApply.Prepared, Error>?](repeating: nil, count: faces.count)
        prepared.withUnsafeMutableBufferPointer { slots in
            let s = UncheckedSlots(slots.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: faces.count) { i in
                s.base[i] = Result { try XSegApply.prepare(image: faces[i].image, metadata: faces[i].metadata, modelFaceType: target) }
            }
        }
        let ok = prepared.indices.filter { if case .success = prepared[$0]! { return true } else { return false } }
        let inputs = ok.map { i -> FloatImage in
            guard case .success(let p) = prepared[i]! else { fatalError() }
            return p.input
        }
        var results = prepared.map { p -> Result<Image, Error> in
            switch p! {
            case .success: return .failure(XSegError("not masked"))
            case .failure(let e): return .failure(e)
            }
        }
        let extracted: [FloatImage]
        do { extracted = try extract(inputs, clip: false) } catch {
            for i in ok { results[i] = .failure(error) }
            return results
        }
        results.withUnsafeMutableBufferPointer { slots in
            let s = UncheckedSlots(slots.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: ok.count) { j in
                let i = ok[j]
                guard case .success(let p) = prepared[i]! else { return }
                s.base[i] = .success(XSegApply.finish(extracted[j], prepared: p, resolution: r))
            }
        }
        return results
    }

    /// 1-channel faces repeated into three channels (DFL cannot read them at all).
    static func threeChannels(_ f: FloatImage) -> FloatImage { f.channels == 3 ? f : f.grayToRGB() }
}

/// A pointer to disjoint result slots written by concurrent workers.
private struct UncheckedSlots<T>: @unchecked Sendable {
    let base: UnsafeMutablePointer<T>
    init(_ base: UnsafeMutablePointer<T>) { self.base = base }
}

/// DFL's `xseg apply` around the network (docs/xseg.md, "Applying a model"), as pure functions.
public enum XSegApply {
    /// A face ready for the network, and how to bring its mask back.
    public struct Prepared: Sendable {
        /// The network input before resizing: RGB float, value / 255, w×w.
        public let input: FloatImage
        /// The face's side w.
        public let size: Int
        /// For a face of another type than the model's: the affine map from the face's pixels to the model-type
        /// crop of the same side (the input is the face warped by it); nil when the types agree.
        public let toModelCrop: Affine2D?
    }

    /// DFL keeps an encoded mask under this many bytes (PNG, else the best JPEG quality that fits).
    public static let maxEncodedBytes = 50_000

    /// An 8-bit face as float RGB, value / 255 (1-channel faces repeated into three channels: DFL's apply
    /// cannot read them at all).
    public static func floatImage(_ image: Image) -> FloatImage {
        let rgb = image.channels == 3 ? image : image.grayToRGB()
        return FloatImage(width: rgb.width, height: rgb.height, channels: 3, data: rgb.pixels.map { Float($0) / 255 })
    }

    /// The network input of an aligned face. When `modelFaceType` is nil or the face's own type, the face
    /// itself. Otherwise, with the frame landmarks (`source_landmarks`): Mf and Mi = get_transform_mat(frame
    /// landmarks, w, model type / face type); the model-type crop's corners (0, 0), (w, 0), (0, w) taken back to
    /// the frame by Mf⁻¹ and into the face by Mi give three points, and the affine map from them onto the
    /// corners warps the face (bilinear: DFL passes its Lanczos flag where OpenCV ignores it; zero border).
    public static func prepare(image: Image, metadata: FaceMetadata, modelFaceType: FaceType?) throws -> Prepared {
        guard image.width == image.height, image.width > 0 else {
            throw XSegError("the face is \(image.width)×\(image.height), not square")
        }
        let w = image.width
        let face = floatImage(image)
        guard let target = modelFaceType, target != metadata.faceType else {
            return Prepared(input: face, size: w, toModelCrop: nil)
        }
        guard let frame = metadata.sourceLandmarks, frame.count == 68 else {
            throw XSegError("the face is \(metadata.faceType.shortName) and the model \(target.shortName), and the face has no "
                            + "source_landmarks to convert it (apply with --face-type same to mask it as it is)")
        }
        let points = frame.map { Point2D($0.x, $0.y) }
        let toModel = try transformMatrix(landmarks: points, size: w, faceType: target)
        let toFace = try transformMatrix(landmarks: points, size: w, faceType: metadata.faceType)
        guard let fromModel = toModel.inverted else { throw XSegError("the \(target.shortName) transform of the face is singular") }
        let s = Double(w)
        let corners = (Point2D(0, 0), Point2D(s, 0), Point2D(0, s))
        let p = (toFace.apply(fromModel.apply(corners.0)), toFace.apply(fromModel.apply(corners.1)),
                 toFace.apply(fromModel.apply(corners.2)))
        guard let a = Affine2D(mapping: p, to: corners) else { throw XSegError("the face-type conversion is singular") }
        let warped = warpAffine(face, matrix: a.matrix, width: w, height: w, interpolation: .bilinear, border: .constant(0))
        return Prepared(input: warped, size: w, toModelCrop: a)
    }

    /// The stored mask from the network's `extract` (r×r): for a face of another type, resized to w (Lanczos-4),
    /// taken back into the face's crop (warpAffine with the inverse map, Lanczos-4, zero border: parts of the
    /// face outside the model's crop get 0) and resized to r again (Lanczos-4); then thresholded at 0.5.
    /// r×r, 1 channel, 0 or 255.
    public static func finish(_ extracted: FloatImage, prepared: Prepared, resolution r: Int) -> Image {
        var mask = extracted
        if let a = prepared.toModelCrop, let back = a.inverted {
            let w = prepared.size
            mask = mask.resized(width: w, height: w, method: .lanczos4)
            // output(x) = mask(a·x): `warpAffine` takes the forward map, which is a⁻¹.
            mask = warpAffine(mask, matrix: back.matrix, width: w, height: w, interpolation: .lanczos4, border: .constant(0))
            mask = mask.resized(width: r, height: r, method: .lanczos4)
        }
        return Image(width: r, height: r, channels: 1, pixels: mask.data.map { $0 >= 0.5 ? 255 : 0 })
    }

    /// The mask's bytes as DFL stores them in `xseg_mask`: a PNG (1 channel, 8-bit), or, when that is larger
    /// than `maxEncodedBytes`, the highest JPEG quality from 100 down that fits.
    public static func encode(_ mask: Image) throws -> [UInt8] {
        let png = try encodePNG(mask)
        if png.count <= maxEncodedBytes { return png }
        for quality in stride(from: 100, through: 0, by: -1) {
            let jpeg = try encodeJPEG(mask, quality: max(quality, 1))
            if jpeg.count <= maxEncodedBytes { return jpeg }
        }
        throw XSegError("the mask does not fit in \(maxEncodedBytes) bytes")
    }
}

extension Affine2D {
    /// Row-major 2×3 values, as `warpAffine` takes them.
    var matrix: [Double] { [m00, m01, m02, m10, m11, m12] }
}
