// Loading one aligned face the way every face tool needs it: the file's bytes, its DFL metadata (a face
// without metadata is an error here) and its decoded pixels.
import AtomicIO
import FaceSet
import Imaging

public struct FaceFile {
    public let path: String
    public let bytes: [UInt8]
    public let face: DFLFace
    public let metadata: FaceMetadata
    public let image: Image

    /// Reads and decodes `path`; throws a one-line reason for any problem.
    public init(path: String) throws {
        self.path = path
        bytes = try FileBytes.read(path)
        face = try DFLImage.read(bytes)
        guard let m = face.metadata else { throw FaceSetError.noMetadata }
        try rejectUnsafeMetadata(face)
        metadata = m
        image = try decodeImage(bytes)
    }

    /// The metadata pickle exactly as stored, when the face is a JPEG (copying it keeps every key and
    /// value bit for bit, including values we cannot re-encode).
    public var storedPickle: [UInt8]? {
        guard let file = try? JPEGFile(parsing: bytes) else { return nil }
        return DFLJPG.metadataPickle(in: file)
    }

    /// The file name without directory and extension.
    public var stem: String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
        return String(name[..<dot])
    }
}
