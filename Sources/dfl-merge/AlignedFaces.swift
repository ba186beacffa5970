// The dst faces of `--aligned DIR|PAK`, grouped by the frame they were cut from: a face belongs to the frame
// whose file-name stem equals the stem of its `source_filename`.
import AtomicIO
import FaceAlign
import FaceSet
import Foundation
import Imaging
import Merge

/// One aligned face, ready for the merger.
struct AlignedFace {
    /// Where it came from (a file, or `PAK:filename` for a packed face), for messages.
    let origin: String
    let frameStem: String
    let face: FrameFace
}

/// The file name without directory and extension (Windows separators too: DFL stores `source_filename`
/// as the bare name, but be lenient).
func fileStem(_ path: String) -> String {
    let name = path.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? path
    guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
    return String(name[..<dot])
}

struct AlignedFaceError: Error, CustomStringConvertible {
    let description: String
}

/// Reads one aligned face from its bytes.
func alignedFace(bytes: [UInt8], origin: String) throws -> AlignedFace {
    let face = try DFLImage.read(bytes)
    guard let meta = face.metadata else { throw FaceSetError.noMetadata }
    guard let source = meta.sourceFilename, !source.isEmpty else {
        throw AlignedFaceError(description: "no source_filename in the metadata")
    }
    guard let landmarks = meta.sourceLandmarks, landmarks.count == 68 else {
        throw AlignedFaceError(description: "no 68 source_landmarks in the metadata")
    }
    var frameFace = FrameFace(landmarks: landmarks.map { Point2D($0) })
    // An XSeg mask is stored at its own size over the aligned face; map its pixels to the frame.
    if let xsegBytes = meta.xsegMask, let matRows = meta.imageToFaceMat,
       let toFace = Affine2D(rowMajor: matRows), let toFrame = toFace.inverted {
        let mask = try decodeImage(xsegBytes)
        let gray = (mask.channels == 1 ? mask : mask.toGray()).toFloat()
        guard gray.width > 0 else { throw AlignedFaceError(description: "empty xseg_mask") }
        frameFace.xsegMask = gray
        frameFace.xsegToFrame = toFrame.composed(after: .scaling(Double(face.width) / Double(gray.width)))
    }
    return AlignedFace(origin: origin, frameStem: fileStem(source), face: frameFace)
}

/// Every face of `path` (a directory of aligned images, or a faceset.pak), in name order; faces that
/// cannot be read are passed to `fail` and skipped.
func readAlignedFaces(_ path: String, fail: (String, Error) -> Void) throws -> [AlignedFace] {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw AlignedFaceError(description: "\(path): no such file or directory")
    }
    var faces: [AlignedFace] = []
    if isDirectory.boolValue {
        for file in try FaceList.expand([path]) {
            do { faces.append(try alignedFace(bytes: try FileBytes.read(file), origin: file)) } catch { fail(file, error) }
        }
    } else {
        for packed in try PackedFaceset.read(try FileBytes.read(path)) {
            let origin = path + ":" + (packed.filename ?? "?")
            do { faces.append(try alignedFace(bytes: packed.bytes, origin: origin)) } catch { fail(origin, error) }
        }
    }
    return faces
}
