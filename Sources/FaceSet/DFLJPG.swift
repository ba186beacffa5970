/// An aligned face file as read: its metadata (nil when it has none) and its frame facts.
public struct DFLFace: Sendable {
    /// The typed metadata, or nil when the file carries no DFL metadata.
    public var metadata: FaceMetadata?
    /// The raw metadata dict (nil when absent), for tools that print or copy it whole.
    public var dictionary: PickleValue?
    public var width: Int
    public var height: Int
    /// Colour components in the image (1 for grayscale faces, 3 for colour; DFL itself always reports 3).
    public var components: Int
}

/// DeepFaceLab's aligned-face JPEG container (docs/dfl-faceset.md §1.2–1.3, §8): the metadata dict is a pickle
/// in an APP15 segment.
public enum DFLJPG {
    /// The payload of the last APP15 segment that starts with the pickle PROTO byte 0x80, if any.
    public static func metadataPickle(in file: JPEGFile) -> [UInt8]? {
        file.segments.last(where: { $0.marker == JPEGSegment.app15 && $0.payload?.first == 0x80 })?.payload
    }

    /// Reads a face. A JPEG without DFL metadata gives `metadata == nil`; a corrupt pickle or a dict with
    /// wrong field types throws.
    public static func read(_ bytes: [UInt8]) throws -> DFLFace {
        let file = try JPEGFile(parsing: bytes)
        guard let frame = file.frameInfo else { throw FaceSetError.jpeg("no SOF segment (frame header)") }
        var face = DFLFace(metadata: nil, dictionary: nil, width: frame.width, height: frame.height,
                           components: frame.components)
        if let pickle = metadataPickle(in: file) {
            let dict = try PickleReader.read(pickle)
            face.dictionary = dict
            face.metadata = try FaceMetadata(pickle: dict)
        }
        return face
    }

    /// The raw metadata dict of a JPEG face without interpreting its fields (nil when there is none), for
    /// tools that show or copy metadata that `FaceMetadata` would reject.
    public static func readDictionary(_ bytes: [UInt8]) throws -> PickleValue? {
        try metadataPickle(in: JPEGFile(parsing: bytes)).map { try PickleReader.read($0) }
    }

    /// Reads a face's metadata; throws `FaceSetError.noMetadata` when there is none.
    public static func readMetadata(_ bytes: [UInt8]) throws -> FaceMetadata {
        guard let m = try read(bytes).metadata else { throw FaceSetError.noMetadata }
        return m
    }

    /// `jpeg` with its metadata replaced by `metadata` (protocol-3 pickle, see `FaceMetadata.pickleValue`).
    public static func embed(_ metadata: FaceMetadata, into jpeg: [UInt8]) throws -> [UInt8] {
        try embed(pickle: PickleWriter.write(try metadata.pickleValue()), into: jpeg)
    }

    /// `jpeg` with every pickle APP15 removed and one holding `pickle` inserted right after the last APPn
    /// (or after SOI). The result is what DFL loads: no trailing bytes, no DRI, one metadata APP15.
    public static func embed(pickle: [UInt8], into jpeg: [UInt8]) throws -> [UInt8] {
        guard pickle.count <= 65533 else { throw FaceSetError.metadataTooLarge(bytes: pickle.count) }
        var file = try JPEGFile(parsing: jpeg)
        if file.segments.contains(where: { $0.marker == JPEGSegment.dri }) {
            throw FaceSetError.jpeg("uses restart markers (DRI), which DeepFaceLab cannot load; re-encode it")
        }
        file.segments.removeAll { $0.marker == JPEGSegment.app15 }
        let at = (file.segments.lastIndex(where: { $0.isAPPn }) ?? 0) + 1
        file.segments.insert(JPEGSegment(marker: JPEGSegment.app15, payload: pickle), at: at)
        file.trailing = []
        return try file.serialized()
    }
}
