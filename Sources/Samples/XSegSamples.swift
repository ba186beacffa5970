// XSeg's labelled training faces (docs/xseg.md, "Training"; the rules of DFL's XSeg sample generator):
// which faces are labelled, the target mask of a face (its polygons rasterised, or its stored xseg_mask
// thresholded), and both brought to the model's resolution and face type once, at load time.
import FaceAlign
import FaceSet
import Foundation
import Imaging

/// Why a face's XSeg labels cannot be used.
public struct XSegLabelError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// DFL's XSeg polygons (`seg_ie_polys`) as a mask (docs/dfl-faceset.md §1.6).
public enum XSegLabels {
    /// Largest |coordinate| accepted, in multiples of the image side: points further out are not the
    /// face's pixel coordinates (and would overflow DFL's int32 rasterisation long before).
    public static let maxCoordinateFactor = 64.0

    /// Total point count of the polygons: a face is labelled when it is not 0 (DFL's rule).
    public static func pointCount(_ polygons: [SegIEPolygon]) -> Int { polygons.reduce(0) { $0 + $1.points.count } }

    /// Throws for polygons DFL's editor cannot make and DFL's rasteriser would get wrong: a polygon with 1 or
    /// 2 points, a non-finite coordinate, or one far outside a `width`×`height` image.
    public static func validate(_ polygons: [SegIEPolygon], width: Int, height: Int) throws {
        let limit = maxCoordinateFactor * Double(max(width, height))
        for (i, p) in polygons.enumerated() {
            let kind = p.kind == .include ? "include" : "exclude"
            if !p.points.isEmpty && p.points.count < 3 {
                throw XSegLabelError("polygon \(i + 1) (\(kind)) has \(p.points.count) point(s); a polygon needs at least 3")
            }
            if let bad = p.points.first(where: { !$0.x.isFinite || !$0.y.isFinite }) {
                throw XSegLabelError("polygon \(i + 1) (\(kind)) has a non-finite point (\(bad.x), \(bad.y))")
            }
            if let far = p.points.first(where: { abs($0.x) > limit || abs($0.y) > limit }) {
                throw XSegLabelError("polygon \(i + 1) (\(kind)) has the point (\(far.x), \(far.y)), far outside the "
                                     + "\(width)×\(height) face: the labels are not for this image")
            }
        }
    }

    /// The polygons rasterised at `width`×`height` as DFL does: INCLUDE polygons first, then EXCLUDE ones
    /// (each group in its stored order, so every EXCLUDE wins), each filled on its own (cv2.fillPoly, points
    /// truncated toward zero, outline included) with 1 or 0. Values are exactly 0 or 1.
    public static func rasterize(_ polygons: [SegIEPolygon], width: Int, height: Int) -> FloatImage {
        var mask = Image(width: width, height: height, channels: 1)
        let ordered = polygons.filter { $0.kind == .include } + polygons.filter { $0.kind == .exclude }
        for p in ordered where !p.points.isEmpty {
            let points = p.points.map { SIMD2(Int($0.x), Int($0.y)) }
            mask.fillPolygon(points, color: [p.kind == .include ? 1 : 0])
        }
        return FloatImage(width: width, height: height, channels: 1, data: mask.pixels.map(Float.init))
    }
}

/// One aligned face read for XSeg: its pixels (gray faces repeated into three channels), face type,
/// aligned landmarks, polygons and stored mask.
public struct XSegFaceRecord: Sendable {
    public var image: Image
    public var faceType: FaceType
    public var landmarks: [SIMD2<Double>]
    public var polygons: [SegIEPolygon]
    /// The face's `xseg_mask` decoded (1 channel, values / 255), when it has one.
    public var storedMask: FloatImage?

    public init(image: Image, faceType: FaceType, landmarks: [SIMD2<Double>], polygons: [SegIEPolygon],
                storedMask: FloatImage? = nil) {
        self.image = image
        self.faceType = faceType
        self.landmarks = landmarks
        self.polygons = polygons
        self.storedMask = storedMask
    }

    /// An aligned face from its file bytes. DFL crashes on 1-channel faces; here a gray face's value is
    /// repeated into R, G and B (docs/xseg.md, "Training": gray faces). The polygons are checked (`XSegLabels.validate`).
    public init(faceFile bytes: [UInt8]) throws {
        let face = try DFLImage.read(bytes)
        guard let meta = face.metadata else { throw FaceSetError.noMetadata }
        var image = try decodeImage(bytes)
        if image.channels != 3 { image = image.grayToRGB() }
        try XSegLabels.validate(meta.segIEPolys, width: image.width, height: image.height)
        var stored: FloatImage? = nil
        if let m = meta.xsegMask {
            let decoded = try decodeImage(m)
            stored = decoded.channels == 1 ? decoded.toFloat() : decoded.toGray().toFloat()
        }
        self.init(image: image, faceType: meta.faceType, landmarks: meta.landmarks, polygons: meta.segIEPolys,
                  storedMask: stored)
    }

    /// Whether the face has polygons with points (DFL's "segmented" faces).
    public var hasPolygons: Bool { XSegLabels.pointCount(polygons) > 0 }
}

/// What the trainer learns from: polygons, or (only when no face has polygons) the stored masks.
public enum XSegLabelSource: Sendable, Equatable { case polygons, storedMasks }

/// A labelled face at the model's resolution and face type: the network's image (not clipped: DFL clips
/// after augmentation) and the target mask (not yet thresholded).
public struct XSegSample: Sendable {
    /// r×r×3, RGB, value / 255 after Lanczos-4 resampling.
    public let image: FloatImage
    /// r×r×1.
    public let mask: FloatImage

    public init(image: FloatImage, mask: FloatImage) {
        self.image = image
        self.mask = mask
    }

    /// DFL's choice of labelled faces (docs/xseg.md, "Training"): the faces with polygon points; only when
    /// there are none, the faces with a stored mask. Nil when neither exists.
    public static func labelSource(_ records: [XSegFaceRecord]) -> XSegLabelSource? {
        if records.contains(where: \.hasPolygons) { return .polygons }
        if records.contains(where: { $0.storedMask != nil }) { return .storedMasks }
        return nil
    }

    /// Whether `record` is a training face under `source`.
    public static func isLabelled(_ record: XSegFaceRecord, source: XSegLabelSource) -> Bool {
        source == .polygons ? record.hasPolygons : record.storedMask != nil
    }

    /// The sample of a labelled face (DFL's per-face preparation): the target mask at the image's size (the
    /// polygons rasterised, or the stored mask thresholded at 0.5 and, when its size differs from the image's,
    /// brought to it with Lanczos-4), then both converted to `faceType` with `get_transform_mat` of the aligned
    /// landmarks (Lanczos-4, zero border) when the face's type differs, else resized to `resolution`
    /// (Lanczos-4) when their size differs.
    public static func prepare(_ record: XSegFaceRecord, source: XSegLabelSource, resolution r: Int,
                               faceType: FaceType) throws -> XSegSample {
        let w = record.image.width, h = record.image.height
        guard w == h, w > 0 else { throw SampleError.notSquare(width: w, height: h) }
        var mask: FloatImage
        switch source {
        case .polygons:
            mask = XSegLabels.rasterize(record.polygons, width: w, height: h)
        case .storedMasks:
            guard var m = record.storedMask else { throw XSegLabelError("the face has no xseg_mask") }
            for i in 0..<m.data.count { m.data[i] = m.data[i] < 0.5 ? 0 : 1 }
            // DFL warps a stored 256-px mask with the image's transform whatever the image's size; we bring it to
            // the image's size first (docs/xseg.md, "Training").
            if m.width != w || m.height != h { m = m.resized(width: w, height: h, method: .lanczos4) }
            mask = m
        }
        var image = FloatImage(width: w, height: h, channels: 3, data: record.image.pixels.map { Float($0) / 255 })
        if record.faceType != faceType {
            guard record.landmarks.count == 68 else { throw SampleError.badLandmarks(count: record.landmarks.count) }
            let t: Affine2D
            do {
                t = try transformMatrix(landmarks: record.landmarks.map { Point2D($0.x, $0.y) }, size: r, faceType: faceType)
            } catch {
                throw SampleError.landmarks("\(error)")
            }
            let m = [t.m00, t.m01, t.m02, t.m10, t.m11, t.m12]
            image = warpAffine(image, matrix: m, width: r, height: r, interpolation: .lanczos4, border: .constant(0))
            mask = warpAffine(mask, matrix: m, width: r, height: r, interpolation: .lanczos4, border: .constant(0))
        } else {
            if w != r { image = image.resized(width: r, height: r, method: .lanczos4) }
            if mask.width != r { mask = mask.resized(width: r, height: r, method: .lanczos4) }
        }
        return XSegSample(image: image, mask: mask)
    }

    /// The target as the network sees it without augmentation: the mask thresholded at 0.5 (held-out faces,
    /// previews).
    public var binaryMask: FloatImage {
        FloatImage(width: mask.width, height: mask.height, channels: 1, data: mask.data.map { $0 < 0.5 ? 0 : 1 })
    }
}
