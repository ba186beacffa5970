/// One face in a faceset.pak: its sample config dict and the complete face file bytes.
public struct PackedFace: Equatable, Sendable {
    public var config: PickleValue
    public var bytes: [UInt8]
    public init(config: PickleValue, bytes: [UInt8]) {
        self.config = config
        self.bytes = bytes
    }
    /// The config's `filename` (the bare face file name), if present.
    public var filename: String? { config["filename"]?.stringValue }
    /// The config's `person_name`, if present and not None.
    public var personName: String? { config["person_name"]?.stringValue }
}

/// DeepFaceLab's `faceset.pak` (docs/dfl-faceset.md §2): u64le version 1, u64le config-pickle length, the
/// pickled list of sample configs, (n+1) u64le offsets, then the face files back to back.
public enum PackedFaceset {
    /// Where the faces are inside a pak, found from its header alone.
    public struct Index: Equatable, Sendable {
        public var configs: [PickleValue]
        /// Absolute byte range of each face in the file.
        public var ranges: [Range<Int>]
    }

    /// Reads the header and offset table. `readAt(offset, count)` returns exactly `count` bytes at `offset`
    /// (so a large pak need not be in memory); `fileSize` bounds every offset.
    public static func readIndex(fileSize: Int, readAt: (Int, Int) throws -> [UInt8]) throws -> Index {
        guard fileSize >= 16 else { throw FaceSetError.pak(fileSize == 0 ? "empty file" : "file shorter than its 16-byte header") }
        let header = try readAt(0, 16)
        guard header.count == 16 else { throw FaceSetError.pak("short read") }
        let version = u64(header, 0), n = u64(header, 8)
        guard version == 1 else { throw FaceSetError.pak("version \(version), only 1 is known") }
        guard n <= UInt64(fileSize - 16) else { throw FaceSetError.pak("config length \(n) runs past the end of the file") }
        let configBytes = try readAt(16, Int(n))
        guard configBytes.count == Int(n) else { throw FaceSetError.pak("short read") }
        let configValue: PickleValue
        do { configValue = try PickleReader.read(configBytes) } catch let e as FaceSetError {
            throw FaceSetError.pak("sample configs: \(e.description)")
        }
        guard case let .list(configs) = configValue else { throw FaceSetError.pak("sample configs are not a list") }
        let tableStart = 16 + Int(n)
        let count = configs.count
        let (tableBytes, o1) = (count + 1).multipliedReportingOverflow(by: 8)
        guard !o1, tableBytes <= fileSize - tableStart else { throw FaceSetError.pak("offset table runs past the end of the file") }
        let table = try readAt(tableStart, tableBytes)
        guard table.count == tableBytes else { throw FaceSetError.pak("short read") }
        let dataStart = tableStart + tableBytes
        let dataSize = UInt64(fileSize - dataStart)
        var offsets = (0..<count + 1).map { u64(table, 8 * $0) }
        // DFL writes the last offset as an absolute file position (docs/dfl-faceset.md §2); accept that or the
        // relative form.
        if let end = offsets.last {
            if end == UInt64(fileSize) && UInt64(fileSize) != dataSize { offsets[count] = dataSize }
            guard offsets[count] == dataSize else {
                throw FaceSetError.pak("end offset \(end) matches neither the data size \(dataSize) nor the file size \(fileSize)")
            }
        }
        var ranges: [Range<Int>] = []
        for i in 0..<count {
            let a = offsets[i], b = offsets[i + 1]
            guard a < b else { throw FaceSetError.pak("face \(i) has offsets \(a)…\(b): overlapping or empty") }
            guard b <= dataSize else { throw FaceSetError.pak("face \(i) ends past the end of the file") }
            ranges.append((dataStart + Int(a))..<(dataStart + Int(b)))
        }
        if let first = offsets.first, count > 0, first != 0 {
            throw FaceSetError.pak("first face starts at \(first), not at the start of the data")
        }
        return Index(configs: configs, ranges: ranges)
    }

    /// Reads a whole pak held in memory: every config with its face bytes.
    public static func read(_ bytes: [UInt8]) throws -> [PackedFace] {
        let index = try readIndex(fileSize: bytes.count) { offset, count in Array(bytes[offset..<(offset + count)]) }
        return zip(index.configs, index.ranges).map { PackedFace(config: $0, bytes: Array(bytes[$1])) }
    }

    /// Writes a pak: configs pickled (protocol 3; any protocol ≤ 4 loads in DFL), then the offset table with
    /// the last entry absolute, as DFL writes it, then the face files.
    public static func write(_ faces: [PackedFace]) throws -> [UInt8] {
        let configs = try PickleWriter.write(.list(faces.map(\.config)))
        var out: [UInt8] = []
        le64(1, &out)
        le64(UInt64(configs.count), &out)
        out += configs
        let dataStart = out.count + 8 * (faces.count + 1)
        var offset = 0
        for f in faces {
            le64(UInt64(offset), &out)
            offset += f.bytes.count
        }
        le64(UInt64(dataStart + offset), &out)
        for f in faces { out += f.bytes }
        return out
    }

    /// The sample config DFL's packer would make for a face (docs/dfl-faceset.md §2 table): `sample_type` 1,
    /// the bare file name, face type as an int, shape (h, w, 3), landmarks, polygons, the xseg mask bytes and
    /// the rest.
    public static func sampleConfig(filename: String, face: DFLFace, personName: String? = nil) throws -> PickleValue {
        guard let m = face.metadata else { throw FaceSetError.noMetadata }
        let polys: PickleValue = m.segIEPolys.isEmpty
            ? .dict([PicklePair(.string("polys"), .list([]))]) : try FaceMetadata.polygonsValue(m.segIEPolys)
        let mask: PickleValue = try m.xsegMask.map { .ndarray(try NDArray(uint8s: $0, shape: [$0.count])) } ?? .none
        let bare = filename.split(separator: "/").last.map(String.init) ?? filename
        return .dict([
            PicklePair(.string("sample_type"), .int(1)),
            PicklePair(.string("filename"), .string(bare)),
            PicklePair(.string("face_type"), .int(m.faceType.rawValue)),
            PicklePair(.string("shape"), .tuple([.int(face.height), .int(face.width), .int(3)])),
            PicklePair(.string("landmarks"), FaceMetadata.pointList(m.landmarks)),
            PicklePair(.string("seg_ie_polys"), polys),
            PicklePair(.string("xseg_mask"), .none),
            PicklePair(.string("xseg_mask_compressed"), mask),
            PicklePair(.string("eyebrows_expand_mod"), .float(m.effectiveEyebrowsExpandMod)),
            PicklePair(.string("source_filename"), m.sourceFilename.map { .string($0) } ?? .none),
            PicklePair(.string("person_name"), personName.map { .string($0) } ?? .none),
        ])
    }

    private static func u64(_ b: [UInt8], _ at: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[at + $1]) << UInt64(8 * $1) }
    }

    private static func le64(_ v: UInt64, _ out: inout [UInt8]) {
        for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: v >> UInt64(8 * k))) }
    }
}
