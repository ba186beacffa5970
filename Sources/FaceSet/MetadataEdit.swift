// Setting or removing one key of an aligned face's metadata with the rest of the file untouched
// (docs/xseg.md, "Writing into faces"): dfl-xseg's apply (`xseg_mask`), remove and label (`seg_ie_polys`).
//
// The pickle is edited, not re-written, when it can be: a key the dict does not have is added by one SETITEM
// placed before the pickle's STOP (the dict is then the top of the unpickler's stack), with the length of a
// protocol-4 frame that covers the whole pickle adjusted; and a key added that way is taken out again by
// cutting those bytes off. So `remove` after `apply` gives back the face's original bytes, whoever wrote them.
// A key that was there before (another tool's, DFL's own apply) is replaced or removed by re-writing the dict
// (PickleWriter). Either way the result is read back and must decode to the intended dict.
import Foundation

public enum MetadataEdit {
    /// `jpeg` with the metadata key `key` set to `value`, or removed when `value` is nil; nil when nothing
    /// changes (removing a key the face does not have). The JPEG's image data and other segments are kept;
    /// only the metadata APP15 changes. Throws for a face without metadata or with metadata that names Python
    /// globals (which DFL would execute).
    public static func setting(_ key: String, to value: PickleValue?, in jpeg: [UInt8]) throws -> [UInt8]? {
        var file = try JPEGFile(parsing: jpeg)
        let metadataSegments = file.segments.indices.filter {
            file.segments[$0].marker == JPEGSegment.app15 && file.segments[$0].payload?.first == 0x80
        }
        guard let index = metadataSegments.last, let pickle = file.segments[index].payload else { throw FaceSetError.noMetadata }
        guard case let .dict(pairs) = try PickleReader.read(pickle) else { throw FaceSetError.metadata("metadata is not a dict") }
        if PickleValue.dict(pairs).containsOpaque {
            throw FaceSetError.metadata("metadata names Python globals that DeepFaceLab would execute; refusing to rewrite it")
        }
        let existing = pairs.firstIndex { $0.key == .string(key) }
        if value == nil && existing == nil { return nil }

        // The intended dict.
        var wanted = pairs
        if let value {
            if let i = existing { wanted[i] = PicklePair(.string(key), value) } else { wanted.append(PicklePair(.string(key), value)) }
        } else if let i = existing {
            wanted.remove(at: i)
        }
        // The pickle without our own earlier SETITEM of this key (the last pair), when that is how it got there.
        var base: [UInt8]? = existing == nil ? pickle : nil
        if let i = existing, i == pairs.count - 1, let tail = try? item(key, pairs[i].value) {
            base = cutting(tail, from: pickle)
        }
        var edited: [UInt8]? = nil
        if let base {
            edited = value == nil ? base : try appending(try item(key, value!), to: base)
        }
        if let e = edited, (try? PickleReader.read(e)) != .dict(wanted) { edited = nil }
        let newPickle = try edited ?? PickleWriter.write(.dict(wanted))

        let inPlace = metadataSegments.count == 1 && file.trailing.isEmpty
            && !file.segments.contains { $0.marker == JPEGSegment.dri }
        let out: [UInt8]
        if inPlace {
            file.segments[index].payload = newPickle
            out = try file.serialized()
        } else {
            out = try DFLJPG.embed(pickle: newPickle, into: jpeg)
        }
        _ = try DFLJPG.read(out)
        return out
    }

    /// The opcodes of `key: value` as a SETITEM on the dict at the top of the stack: the key and the value as
    /// PickleWriter encodes them, then `s`.
    static func item(_ key: String, _ value: PickleValue) throws -> [UInt8] {
        func body(_ v: PickleValue) throws -> ArraySlice<UInt8> {
            let whole = try PickleWriter.write(v)
            return whole[2..<(whole.count - 1)]   // without PROTO and STOP
        }
        return Array(try body(.string(key))) + Array(try body(value)) + [0x73]
    }

    /// Protocol 4+ pickles start with PROTO and a FRAME whose 8-byte length counts the bytes after it. When it
    /// covers the whole pickle, its length must follow an edit of the end; other frame layouts are not edited.
    private static func frameCoversAll(_ p: [UInt8]) -> Bool? {
        guard p.count >= 11, p[0] == 0x80, p[1] >= 4, p[2] == 0x95 else { return false }   // no frame
        var length = 0
        for k in 0..<8 { length |= Int(p[3 + k]) << (8 * k) }
        return length == p.count - 11 ? true : nil
    }

    private static func withFrameLength(_ p: [UInt8]) -> [UInt8] {
        var q = p
        let length = UInt64(q.count - 11)
        for k in 0..<8 { q[3 + k] = UInt8(truncatingIfNeeded: length >> UInt64(8 * k)) }
        return q
    }

    /// `pickle` with `item` placed before its final STOP; nil when the layout is not one this edits.
    static func appending(_ item: [UInt8], to pickle: [UInt8]) throws -> [UInt8]? {
        guard pickle.last == 0x2E, let framed = frameCoversAll(pickle) else { return nil }
        let q = Array(pickle.dropLast()) + item + [0x2E]
        return framed ? withFrameLength(q) : q
    }

    /// `pickle` without `item` just before its final STOP; nil when it does not end that way.
    static func cutting(_ item: [UInt8], from pickle: [UInt8]) -> [UInt8]? {
        guard pickle.last == 0x2E, pickle.count > item.count + 1, let framed = frameCoversAll(pickle) else { return nil }
        let end = pickle.count - 1
        guard Array(pickle[(end - item.count)..<end]) == item else { return nil }
        let q = Array(pickle[0..<(end - item.count)]) + [0x2E]
        return framed ? withFrameLength(q) : q
    }

    /// The `xseg_mask` value DFL stores: the encoded image's bytes as a 1-D uint8 ndarray.
    public static func xsegMaskValue(_ encoded: [UInt8]) throws -> PickleValue {
        .ndarray(try NDArray(uint8s: encoded, shape: [encoded.count]))
    }

    /// The `seg_ie_polys` value DFL's editor writes (`{'polys': [{'type', 'pts'}]}`, float32 points); nil for
    /// no polygons (DFL then removes the key).
    public static func polygonsValue(_ polygons: [SegIEPolygon]) throws -> PickleValue? {
        polygons.isEmpty ? nil : try FaceMetadata.polygonsValue(polygons)
    }
}
