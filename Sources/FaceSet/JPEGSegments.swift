/// One JPEG marker segment as DeepFaceLab's DFLJPG models it (docs/dfl-faceset.md §1.2): the marker byte,
/// the payload after the length field (nil for markers without one: SOI, EOI, RSTn, TEM), and for SOS the
/// entropy-coded bytes that follow its header.
public struct JPEGSegment: Equatable, Sendable {
    public var marker: UInt8
    public var payload: [UInt8]?
    public var entropyData: [UInt8]

    public init(marker: UInt8, payload: [UInt8]?, entropyData: [UInt8] = []) {
        self.marker = marker
        self.payload = payload
        self.entropyData = entropyData
    }

    public var isAPPn: Bool { marker & 0xF0 == 0xE0 }
    public static let soi: UInt8 = 0xD8, eoi: UInt8 = 0xD9, sos: UInt8 = 0xDA, dri: UInt8 = 0xDD, app15: UInt8 = 0xEF
}

/// A JPEG file cut into segments. Parsing is more lenient than DFL (it reads DRI's length, skips fill
/// bytes, keeps trailing bytes after EOI); `serialized()` writes what DFL can load.
public struct JPEGFile: Equatable, Sendable {
    public var segments: [JPEGSegment]
    /// Bytes after EOI (DFL fails to load files that have them; we keep them only for inspection).
    public var trailing: [UInt8]

    /// Cuts `bytes` into segments. Throws for anything that is not a structurally complete JPEG.
    public init(parsing bytes: [UInt8]) throws {
        guard !bytes.isEmpty else { throw FaceSetError.jpeg("empty file") }
        guard bytes.count >= 2, bytes[0] == 0xFF, bytes[1] == JPEGSegment.soi else {
            if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) { throw FaceSetError.jpeg("this is a PNG file, not a JPEG") }
            throw FaceSetError.jpeg("does not start with the JPEG SOI marker")
        }
        var segments: [JPEGSegment] = [JPEGSegment(marker: JPEGSegment.soi, payload: nil)]
        var pos = 2
        var sawEOI = false
        while pos < bytes.count {
            guard bytes[pos] == 0xFF else {
                throw FaceSetError.jpeg("expected a marker at byte \(pos), found 0x\(String(bytes[pos], radix: 16))")
            }
            while pos + 1 < bytes.count && bytes[pos + 1] == 0xFF { pos += 1 } // fill bytes
            guard pos + 1 < bytes.count else { throw FaceSetError.jpeg("file ends inside a marker") }
            let marker = bytes[pos + 1]
            pos += 2
            switch marker {
            case JPEGSegment.soi: throw FaceSetError.jpeg("second SOI marker at byte \(pos - 2)")
            case JPEGSegment.eoi:
                segments.append(JPEGSegment(marker: marker, payload: nil))
                sawEOI = true
            case 0xD0...0xD7, 0x01:
                segments.append(JPEGSegment(marker: marker, payload: nil))
            default:
                guard bytes.count - pos >= 2 else { throw FaceSetError.jpeg("file ends inside a segment length") }
                let length = Int(bytes[pos]) << 8 | Int(bytes[pos + 1])
                guard length >= 2 else { throw FaceSetError.jpeg("segment length \(length) < 2 at byte \(pos)") }
                guard length <= bytes.count - pos else {
                    throw FaceSetError.jpeg("segment 0xFF\(String(marker, radix: 16, uppercase: true)) runs past the end of the file")
                }
                let payload = Array(bytes[(pos + 2)..<(pos + length)])
                pos += length
                var entropy: [UInt8] = []
                if marker == JPEGSegment.sos {
                    let end = try JPEGFile.entropyEnd(bytes, from: pos)
                    entropy = Array(bytes[pos..<end])
                    pos = end
                }
                segments.append(JPEGSegment(marker: marker, payload: payload, entropyData: entropy))
            }
            if sawEOI { break }
        }
        guard sawEOI else { throw FaceSetError.jpeg("truncated: no EOI marker") }
        self.segments = segments
        self.trailing = Array(bytes[pos...])
    }

    public init(segments: [JPEGSegment], trailing: [UInt8] = []) {
        self.segments = segments
        self.trailing = trailing
    }

    /// Where entropy-coded data ends: the first marker that is not a stuffed 0xFF00, an RSTn or fill.
    private static func entropyEnd(_ b: [UInt8], from start: Int) throws -> Int {
        var i = start
        while i < b.count {
            if b[i] == 0xFF {
                guard i + 1 < b.count else { throw FaceSetError.jpeg("truncated entropy-coded data") }
                let m = b[i + 1]
                if m == 0x00 || (0xD0...0xD7).contains(m) { i += 2; continue }
                if m == 0xFF { i += 1; continue }
                return i
            }
            i += 1
        }
        throw FaceSetError.jpeg("truncated: image data has no end marker")
    }

    /// The file's bytes: each segment as `FF m [len payload] [entropy]`, trailing bytes dropped unless asked.
    public func serialized(keepTrailing: Bool = false) throws -> [UInt8] {
        var out: [UInt8] = []
        for s in segments {
            out += [0xFF, s.marker]
            if let p = s.payload {
                guard p.count <= 65533 else {
                    if s.marker == JPEGSegment.app15 { throw FaceSetError.metadataTooLarge(bytes: p.count) }
                    throw FaceSetError.jpeg("segment payload of \(p.count) bytes exceeds 65533")
                }
                out += [UInt8((p.count + 2) >> 8), UInt8((p.count + 2) & 0xFF)]
                out += p
            }
            out += s.entropyData
        }
        if keepTrailing { out += trailing }
        return out
    }

    /// Frame size and component count from the first SOFn segment, if any.
    public var frameInfo: (width: Int, height: Int, components: Int)? {
        let sofs: Set<UInt8> = [0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF]
        guard let s = segments.first(where: { sofs.contains($0.marker) }), let p = s.payload, p.count >= 6 else { return nil }
        return (Int(p[3]) << 8 | Int(p[4]), Int(p[1]) << 8 | Int(p[2]), Int(p[5]))
    }
}
