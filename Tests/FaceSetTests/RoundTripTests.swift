import XCTest
@testable import FaceSet

final class RoundTripTests: XCTestCase {
    static let faces = ["dfl/faces/obama_speech_2009_0.jpg", "dfl/faces/grace_hopper_navy_1984_0.jpg",
                        "dfl/faces/lin_manuel_miranda_2009_0.jpg", "dfl/gray/obama_speech_2009_0.jpg",
                        "generated/p3_numpy1_lists.jpg", "generated/p4_numpy2_arrays.jpg",
                        "generated/p4_numpy1_old.jpg", "generated/p2_numpy1.jpg"]

    /// The typed fields, compared one by one (the stored forms may change: arrays ↔ lists).
    func assertSameFields(_ a: FaceMetadata, _ b: FaceMetadata, _ what: String) {
        XCTAssertEqual(a.faceType, b.faceType, what)
        XCTAssertEqual(a.landmarks, b.landmarks, what)
        XCTAssertEqual(a.sourceFilename, b.sourceFilename, what)
        XCTAssertEqual(a.sourceRect, b.sourceRect, what)
        XCTAssertEqual(a.sourceLandmarks, b.sourceLandmarks, what)
        XCTAssertEqual(a.imageToFaceMat, b.imageToFaceMat, what)
        XCTAssertEqual(a.eyebrowsExpandMod, b.eyebrowsExpandMod, what)
        XCTAssertEqual(a.xsegMask, b.xsegMask, what)
        XCTAssertEqual(a.segIEPolys.count, b.segIEPolys.count, what)
        for (p, q) in zip(a.segIEPolys, b.segIEPolys) {
            XCTAssertEqual(p.kind, q.kind, what)
            // Points are stored as float32 (as DFL does); the fixtures' points are float32-exact.
            XCTAssertEqual(p.points, q.points, what)
        }
    }

    func testReadWriteReadKeepsEveryFieldAndUnknownKeys() throws {
        for path in Self.faces {
            let original = try Fixture.bytes(path)
            let before = try DFLJPG.read(original)
            let m = try XCTUnwrap(before.metadata, path)
            let written = try DFLJPG.embed(m, into: original)
            let after = try DFLJPG.read(written)
            let m2 = try XCTUnwrap(after.metadata, path)
            assertSameFields(m, m2, path)
            // Every key that is not a typed field comes back with the same value.
            for p in m.dictionary {
                guard let k = p.key.stringValue, !FaceMetadata.typedKeys.contains(k) else { continue }
                XCTAssertEqual(after.dictionary?[k], p.value, "\(path) key \(k)")
            }
            // Same key order (typed keys stay where they were); face_type is always written (DFL's default
            // full_face when it was missing).
            let oldKeys = m.dictionary.filter { $0.value != .none }.map(\.key)
            XCTAssertEqual(m2.dictionary.map(\.key).filter { oldKeys.contains($0) }, oldKeys, path)
            XCTAssertEqual(m2.dictionary.count, oldKeys.count + (oldKeys.contains(.string("face_type")) ? 0 : 1), path)
            // The image itself is untouched: every non-APP15 segment is identical.
            let segs = { (b: [UInt8]) in try JPEGFile(parsing: b).segments.filter { $0.marker != JPEGSegment.app15 } }
            XCTAssertEqual(try segs(written), try segs(original), path)
            // Writing again is deterministic.
            XCTAssertEqual(try DFLJPG.embed(m2, into: written), written, path)
            XCTAssertEqual(after.width, before.width)
            XCTAssertEqual(after.components, before.components)
        }
    }

    func testAPP15GoesRightAfterTheLastAPPnAndOldOnesAreRemoved() throws {
        let bytes = try Fixture.bytes("generated/p4_numpy1_old.jpg") // three APP15s, one not a pickle
        let out = try JPEGFile(parsing: try DFLJPG.embed(pickle: [0x80, 0x03, 0x7D, 0x2E], into: bytes))
        let markers = out.segments.map(\.marker)
        XCTAssertEqual(markers.filter { $0 == 0xEF }.count, 1)
        XCTAssertEqual(Array(markers.prefix(3)), [0xD8, 0xE0, 0xEF])
        // No APPn at all: right after SOI.
        var plain = try JPEGFile(parsing: bytes)
        plain.segments.removeAll { $0.isAPPn }
        let out2 = try JPEGFile(parsing: try DFLJPG.embed(pickle: [0x80, 0x03, 0x7D, 0x2E], into: try plain.serialized()))
        XCTAssertEqual(Array(out2.segments.map(\.marker).prefix(2)), [0xD8, 0xEF])
    }

    func testEditedFieldsAreWrittenInDFLForms() throws {
        let bytes = try Fixture.bytes("dfl/faces/obama_speech_2009_0.jpg")
        var m = try DFLJPG.readMetadata(bytes)
        m.faceType = .midFull
        m.sourceRect = [1, 2, 3, 4]
        m.xsegMask = [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]
        m.segIEPolys = [SegIEPolygon(kind: .include, points: [SIMD2(1, 2), SIMD2(3.5, 4), SIMD2(0, 8)])]
        m.eyebrowsExpandMod = 1.25
        m.imageToFaceMat = nil
        let face = try DFLJPG.read(try DFLJPG.embed(m, into: bytes))
        let d = try XCTUnwrap(face.dictionary)
        XCTAssertEqual(d["face_type"], .string("midfull_face"))
        XCTAssertNil(d["image_to_face_mat"]) // None values are omitted, as DFL does
        guard case let .ndarray(rect)? = d["source_rect"], case let .ndarray(mask)? = d["xseg_mask"] else {
            return XCTFail("rect and mask must be ndarrays")
        }
        XCTAssertEqual(rect.typeString, "i4")
        XCTAssertEqual(try rect.ints(), [1, 2, 3, 4])
        XCTAssertEqual(mask.typeString, "u1")
        XCTAssertEqual(try mask.uint8s(), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3])
        guard case let .ndarray(pts)? = d["seg_ie_polys"]?["polys"]?.sequence?.first?["pts"] else {
            return XCTFail("polygon points must be an ndarray")
        }
        XCTAssertEqual(pts.typeString, "f4")
        XCTAssertEqual(pts.shape, [3, 2])
        XCTAssertEqual(face.metadata?.eyebrowsExpandMod, 1.25)
    }

    func testPackUnpackIsByteIdentical() throws {
        var faces: [PackedFace] = []
        for path in Self.faces {
            let bytes = try Fixture.bytes(path)
            let config = try PackedFaceset.sampleConfig(filename: path, face: try DFLJPG.read(bytes))
            faces.append(PackedFace(config: config, bytes: bytes))
        }
        let pak = try PackedFaceset.write(faces)
        let back = try PackedFaceset.read(pak)
        XCTAssertEqual(back.count, faces.count)
        for (a, b) in zip(back, faces) {
            XCTAssertEqual(a.bytes, b.bytes)
            XCTAssertEqual(a.config, b.config)
        }
        XCTAssertEqual(back.first?.filename, "obama_speech_2009_0.jpg") // bare name
        // DFL's layout: version 1, config length, the last offset absolute (= file size).
        XCTAssertEqual(Array(pak.prefix(8)), [1, 0, 0, 0, 0, 0, 0, 0])
        let n = Int(pak[8]) | Int(pak[9]) << 8 | Int(pak[10]) << 16
        let last = 16 + n + 8 * faces.count
        let end = (0..<8).reduce(0) { $0 | Int(pak[last + $1]) << (8 * $1) }
        XCTAssertEqual(end, pak.count)
    }

    func testPickleWriterFollowsTheSpecTemplate() throws {
        // docs/dfl-faceset.md §1.9, written out by hand for an int32 array of shape (2,) holding 7 and -1.
        var expected: [UInt8] = [0x80, 0x03]
        expected += Array("cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n".utf8)
        expected += [0x4B, 0x00, 0x85, 0x43, 0x01, 0x62, 0x87, 0x52, 0x28, 0x4B, 0x01, 0x28, 0x4B, 0x02, 0x74]
        expected += Array("cnumpy\ndtype\n".utf8) + [0x58, 2, 0, 0, 0] + Array("i4".utf8)
        expected += [0x4B, 0x00, 0x4B, 0x01, 0x87, 0x52, 0x28, 0x4B, 0x03, 0x58, 1, 0, 0, 0, 0x3C]
        expected += [0x4E, 0x4E, 0x4E, 0x4A, 0xFF, 0xFF, 0xFF, 0xFF, 0x4A, 0xFF, 0xFF, 0xFF, 0xFF, 0x4B, 0x00, 0x74, 0x62]
        expected += [0x89, 0x43, 8, 7, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x74, 0x62, 0x2E]
        let a = try NDArray(int32s: [7, -1], shape: [2])
        XCTAssertEqual(try PickleWriter.write(.ndarray(a)), expected)
        XCTAssertEqual(try PickleReader.read(expected), .ndarray(a))
    }

    func testPickleScalarsRoundTrip() throws {
        let v: PickleValue = .dict([
            PicklePair(.string("ints"), .list([.int(0), .int(255), .int(256), .int(65535), .int(65536), .int(-1),
                                               .int(Int(Int32.min)), .int(Int(Int32.max) + 1), .int(Int.min), .int(Int.max)])),
            PicklePair(.string("floats"), .tuple([.float(-0.0), .float(1e300), .float(.infinity)])),
            PicklePair(.string("t4"), .tuple([.none, .bool(true), .bool(false), .string("é✓")])),
            PicklePair(.int(3), .bytes([UInt8](repeating: 7, count: 300))),
            PicklePair(.string("empty"), .tuple([.list([]), .dict([]), .tuple([]), .bytes([]), .string("")])),
        ])
        XCTAssertEqual(try PickleReader.read(try PickleWriter.write(v)), v)
    }
}
