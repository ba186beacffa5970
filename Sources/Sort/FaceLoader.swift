// Reading one face file into what a method needs: the decoded pixels, the DFL metadata, the hull mask
// and the head pose. Only what the method asks for is read or computed.
import Foundation
import AtomicIO
import FaceSet
import Imaging
import FaceAlign

/// Why a face file cannot be used (the message after `dfl-sort: path: `).
public enum FaceLoadError: Error, CustomStringConvertible, Equatable {
    case noMetadata
    case noLandmarks
    case wrongLandmarkCount(Int)
    case noSourceRect
    case noSourceFilename
    case sizeMismatch(imageWidth: Int, imageHeight: Int)

    public var description: String {
        switch self {
        case .noMetadata: return "no DFL metadata (not an aligned face)"
        case .noLandmarks: return "no landmarks in the face's metadata"
        case .wrongLandmarkCount(let n): return "expected 68 landmarks, found \(n)"
        case .noSourceRect: return "no source_rect in the face's metadata"
        case .noSourceFilename: return "no source_filename in the face's metadata"
        case .sizeMismatch(let w, let h): return "metadata does not fit the \(w)x\(h) image"
        }
    }
}

/// Bounded file reads: a face bigger than this is refused rather than read whole.
public let maximumFaceFileBytes = 256 << 20

extension SortMethod {
    /// Loads `path` as this method needs it. Throws a readable error for unreadable files, broken
    /// images and faces without the metadata the method depends on.
    public func loadFace(path: String) throws -> FaceInput {
        let bytes = try FileBytes.read(path, limit: maximumFaceFileBytes)
        var input = FaceInput(fileName: path)
        var metadata: FaceMetadata?
        var width = 0
        if needsMetadata {
            let face = try DFLImage.read(bytes)
            guard let m = face.metadata else { throw FaceLoadError.noMetadata }
            metadata = m
            width = face.width
        } else if usesHullMask {
            // hist-dissim: the hull when the face has landmarks, the whole image otherwise.
            metadata = (try? DFLImage.read(bytes))?.metadata
        }
        if needsPixels {
            let image = try decodeImage(bytes)
            input.image = image
            width = image.width
        }
        if let metadata {
            if needsLandmarks || usesHullMask {
                let points = metadata.landmarks.map { Point2D($0.x, $0.y) }
                if points.isEmpty && needsLandmarks { throw FaceLoadError.noLandmarks }
                if !points.isEmpty && points.count != 68 && needsLandmarks {
                    throw FaceLoadError.wrongLandmarkCount(points.count)
                }
                // hist-dissim falls back to the whole image when the landmarks are unusable.
                if points.count == 68 {
                    if usesHullMask, let image = input.image {
                        input.hullMask = try FaceGeometry.hullMask(points, width: image.width, height: image.height)
                    }
                    if needsPose {
                        let pose = try estimatePitchYawRoll(alignedLandmarks: points, size: width)
                        input.pitch = pose.pitch
                        input.yaw = pose.yaw
                    }
                }
            }
            if needsSourceRect {
                guard let r = metadata.sourceRect, r.count == 4 else { throw FaceLoadError.noSourceRect }
                input.sourceRect = r.map(Double.init)
            }
            if needsSourceFilename {
                guard let name = metadata.sourceFilename else { throw FaceLoadError.noSourceFilename }
                input.sourceFilename = name
            }
        }
        return input
    }
}

enum FaceGeometry {
    /// DFL's sorter hull mask (eyebrow expansion 1, whatever the face stores) as 0/1 bytes.
    static func hullMask(_ landmarks: [Point2D], width: Int, height: Int) throws -> [UInt8] {
        let mask = try faceHullMask(landmarks: landmarks, width: width, height: height, eyebrowsExpandMod: 1)
        return mask.data.map { $0 > 0.5 ? 1 : 0 }
    }
}
