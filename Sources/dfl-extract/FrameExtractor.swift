// One frame in, aligned faces out: decode, detect, align with DFL's transform, warp (bilinear, black
// border, as DFL's extractor effectively does), encode, embed DFL's metadata, write atomically.
import AtomicIO
import FaceAlign
import FaceDetect
import FaceSet
import Foundation
import Imaging
import ToolSupport

/// What one frame produced.
struct FrameResult: Sendable {
    /// Paths of the aligned faces written, in face order.
    var written: [String] = []
    /// Faces the detector found (before the size filter).
    var detected = 0
    /// Why the frame could not be processed, if it could not.
    var failure: String?
}

/// An aligned face ready to be written.
struct AlignedFace {
    var jpeg: [UInt8]
    var metadata: FaceMetadata
    var frameToFace: Affine2D
    var detection: DetectedFace
}

enum ExtractError: Error, CustomStringConvertible {
    case sameStem(String)
    var description: String {
        switch self {
        case .sameStem(let other): return "skipped: its name stem is the same as that of \(other), so the faces would overwrite each other"
        }
    }
}

struct FrameExtractor: Sendable {
    let settings: ExtractSettings
    let detectors: FaceDetectorPool

    /// Extracts and writes the faces of the frame at `path`.
    func extract(path: String) -> FrameResult {
        var result = FrameResult()
        do {
            let name = (path as NSString).lastPathComponent
            let stem = (name as NSString).deletingPathExtension
            let frame = try decodeImage(try FileBytes.read(path))
            let (detected, aligned) = try faces(in: frame, frameName: name)
            result.detected = detected.count
            for (i, face) in aligned.enumerated() {
                let out = settings.outputDirectory + "/\(stem)_\(i).jpg"
                try ensureNotSameFile(input: path, output: out)
                try AtomicFile.write(face.jpeg, to: out)
                result.written.append(out)
            }
            if let dir = settings.debugDirectory {
                let debug = DebugOverlay.draw(on: rgb(frame), faces: aligned.map { ($0.detection, $0.frameToFace) },
                                              size: settings.size)
                let debugPath = dir + "/\(stem).jpg"
                try ensureNotSameFile(input: path, output: debugPath)
                try AtomicFile.write(try encodeJPEG(debug, quality: 50), to: debugPath)
            }
        } catch {
            result.failure = "\(error)"
        }
        return result
    }

    /// The detections of a decoded frame and the aligned faces kept from them (in order; `_i` numbering
    /// counts only these).
    func faces(in frame: Image, frameName: String) throws -> ([DetectedFace], [AlignedFace]) {
        let detected = try detectors.detectFaces(in: frame)
        let source = settings.gray ? frame.toGray() : rgb(frame)
        return (detected, try detected.compactMap { try align($0, in: source, frameName: frameName) })
    }

    /// The aligned face of one detection, or nil when DFL's size filter drops it.
    func align(_ face: DetectedFace, in frame: Image, frameName: String) throws -> AlignedFace? {
        let s = settings.size
        let m = try transformMatrix(landmarks: face.landmarks, size: s, faceType: settings.faceType)
        // DFL's sanity filter (face types up to full_face_no_align): drop a face whose output square,
        // mapped back to the frame, covers more than 4× the detector box.
        if settings.faceType <= .fullNoAlign, let inverse = m.inverted {
            let last = Double(s - 1)
            let corners = inverse.apply([Point2D(0, 0), Point2D(0, last), Point2D(last, last), Point2D(last, 0)])
            if polygonArea(corners) > 4 * Double(face.box.area) { return nil }
        }
        let image = warpAffine(frame, matrix: m.rowMajor, width: s, height: s,
                               interpolation: .bilinear, border: .constant(0))
        let alignedLandmarks = m.apply(face.landmarks)
        let metadata = FaceMetadata(
            faceType: settings.faceType,
            landmarks: alignedLandmarks.map(\.simd),
            sourceFilename: frameName,
            sourceRect: face.box.ltrb,
            sourceLandmarks: face.landmarks.map(\.simd),
            imageToFaceMat: m.rowMajor)
        let jpeg = try DFLJPG.embed(metadata, into: try encodeJPEG(image, quality: settings.quality))
        return AlignedFace(jpeg: jpeg, metadata: metadata, frameToFace: m, detection: face)
    }
}

/// RGB from gray (replicated) or RGBA (alpha dropped), as DFL's normalize_channels(img, 3).
func rgb(_ image: Image) -> Image {
    switch image.channels {
    case 3: return image
    case 1: return image.grayToRGB()
    default:
        var out = Image(width: image.width, height: image.height, channels: 3)
        let n = image.width * image.height, c = image.channels
        image.pixels.withUnsafeBufferPointer { src in
            out.pixels.withUnsafeMutableBufferPointer { dst in
                for i in 0..<n {
                    dst[3 * i] = src[c * i]; dst[3 * i + 1] = src[c * i + 1]; dst[3 * i + 2] = src[c * i + 2]
                }
            }
        }
        return out
    }
}
