/// Legacy aligned faces in PNG (DFL before 2020-03, docs/dfl-faceset.md §1.7): the pickle lives in a private
/// `fcWp` chunk. Read-only.
public enum DFLPNG {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Reads a legacy PNG face. Chunk lengths and CRCs are checked; no `fcWp` chunk gives `metadata == nil`.
    public static func read(_ bytes: [UInt8]) throws -> DFLFace {
        guard bytes.starts(with: signature) else { throw FaceSetError.png("not a PNG file") }
        var pos = signature.count
        var size: (Int, Int, Int)?
        var pickle: [UInt8]?
        var sawIEND = false
        while pos < bytes.count && !sawIEND {
            guard bytes.count - pos >= 12 else { throw FaceSetError.png("truncated chunk header at byte \(pos)") }
            let length = Int(be32(bytes, pos))
            let type = Array(bytes[(pos + 4)..<(pos + 8)])
            guard length <= bytes.count - pos - 12 else { throw FaceSetError.png("chunk runs past the end of the file") }
            let data = Array(bytes[(pos + 8)..<(pos + 8 + length)])
            let crc = be32(bytes, pos + 8 + length)
            guard crc32(type + data) == crc else {
                throw FaceSetError.png("CRC mismatch in chunk \(String(decoding: type, as: UTF8.self))")
            }
            switch String(decoding: type, as: UTF8.self) {
            case "IHDR":
                guard data.count >= 13 else { throw FaceSetError.png("short IHDR") }
                let colourType = data[9]
                let comps = [0: 1, 2: 3, 3: 3, 4: 2, 6: 4][Int(colourType)] ?? 3
                size = (Int(be32(data, 0)), Int(be32(data, 4)), comps)
            case "fcWp": pickle = data
            case "IEND": sawIEND = true
            default: break
            }
            pos += 12 + length
        }
        guard sawIEND else { throw FaceSetError.png("truncated: no IEND chunk") }
        guard let (w, h, c) = size else { throw FaceSetError.png("no IHDR chunk") }
        var face = DFLFace(metadata: nil, dictionary: nil, width: w, height: h, components: c)
        if let p = pickle {
            let dict = try PickleReader.read(p)
            face.dictionary = dict
            face.metadata = try FaceMetadata(pickle: dict)
        }
        return face
    }

    private static func be32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
    }

    private static let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc32(_ data: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in data { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}

/// Reading any aligned face by content: JPEG (DFLJPG) or legacy PNG (DFLPNG).
public enum DFLImage {
    /// Sniffs the magic bytes and reads the face with the matching container.
    public static func read(_ bytes: [UInt8]) throws -> DFLFace {
        if bytes.starts(with: DFLPNG.signature) { return try DFLPNG.read(bytes) }
        return try DFLJPG.read(bytes)
    }
}
