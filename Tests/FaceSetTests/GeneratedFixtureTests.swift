import XCTest
@testable import FaceSet

/// Faces made by tools/fixtures/faceset/make_fixtures.py (pickle protocols 3 and 4, numpy-1 and numpy-2
/// module paths, lists and arrays, int32/int64 rects, xseg PNG, polygons, legacy PNG); the expected values
/// are the Python objects that script pickled.
final class GeneratedFixtureTests: XCTestCase {
    func testEveryGeneratedFaceReadsWithPythonsValues() throws {
        let all = try Fixture.json("generated/expected.json").array!
        XCTAssertEqual(all.count, 6)
        for e in all {
            let name = e["file"]!.string!
            let bytes = try Fixture.bytes("generated/" + name)
            let face = e["format"]?.string == "png" ? try DFLPNG.read(bytes) : try DFLJPG.read(bytes)
            XCTAssertEqual(try DFLImage.read(bytes).metadata, face.metadata, name)
            let m = try XCTUnwrap(face.metadata, name)
            XCTAssertEqual(m.faceType.dflName, e["face_type"]?.string, name)
            assertPoints(m.landmarks, points(e["landmarks"]), "\(name) landmarks")
            assertPoints(m.sourceLandmarks, points(e["source_landmarks"]), "\(name) source_landmarks")
            XCTAssertEqual(m.sourceFilename, e["source_filename"]?.string, name)
            XCTAssertEqual(m.sourceRect, ints(e["source_rect"]), name)
            XCTAssertEqual(m.imageToFaceMat, doubles(e["image_to_face_mat"]), name)
            XCTAssertEqual(m.eyebrowsExpandMod, e["eyebrows_expand_mod"]?.double, name)
            let polys = e["seg_ie_polys"]!.array!
            XCTAssertEqual(m.segIEPolys.count, polys.count, name)
            for (p, q) in zip(m.segIEPolys, polys) {
                XCTAssertEqual(p.kind.rawValue, q["type"]?.int, name)
                assertPoints(p.points, points(q["pts"]), "\(name) polygon")
            }
            XCTAssertEqual(m.xsegMask, e["xseg_mask_hex"]?.string.map(hexBytes), name)
            XCTAssertEqual(m.dictionary.compactMap { $0.key.stringValue }, e["keys"]?.array?.compactMap(\.string), name)
        }
    }

    func testUnknownKeysAndArrayFormsAreKept() throws {
        let face = try DFLJPG.read(try Fixture.bytes("generated/p3_numpy1_lists.jpg"))
        let dict = try XCTUnwrap(face.dictionary)
        XCTAssertEqual(dict["my_extra"], .dict([
            PicklePair(.string("a"), .list([.int(1), .float(2.5), .string("x"), .none, .bool(true)])),
            PicklePair(.string("b"), .bytes(Array("raw".utf8))),
            PicklePair(.string("t"), .tuple([.int(1), .int(2)])),
            PicklePair(.string("big"), .int(1 << 40)),
            PicklePair(.string("neg"), .int(-7)),
        ]))
        XCTAssertEqual(dict["relighted"], .bool(false))
        guard case let .ndarray(rect)? = dict["source_rect"] else { return XCTFail("source_rect not an ndarray") }
        XCTAssertEqual(rect.typeString, "i4")
        XCTAssertEqual(rect.shape, [4])
        guard case let .ndarray(mask)? = dict["xseg_mask"] else { return XCTFail("xseg_mask not an ndarray") }
        XCTAssertEqual(mask.typeString, "u1")
        XCTAssertEqual(Array(try mask.uint8s().prefix(4)), [0x89, 0x50, 0x4E, 0x47]) // a PNG file

        let face2 = try DFLJPG.read(try Fixture.bytes("generated/p4_numpy2_arrays.jpg"))
        guard case let .ndarray(rect2)? = face2.dictionary?["source_rect"],
              case let .ndarray(mat)? = face2.dictionary?["image_to_face_mat"] else { return XCTFail("arrays") }
        XCTAssertEqual(rect2.typeString, "i8")
        XCTAssertTrue(mat.fortranOrder)
        XCTAssertEqual(mat.shape, [2, 3])
    }

    func testOldFaceNumpyScalarsAndLastPickleAPP15Wins() throws {
        let face = try DFLJPG.read(try Fixture.bytes("generated/p4_numpy1_old.jpg"))
        let m = try XCTUnwrap(face.metadata)
        XCTAssertEqual(m.faceType, .full) // default when face_type is missing; the older APP15 said half_face
        XCTAssertEqual(face.dictionary?["pitch_yaw_roll"], .tuple([.float(0.25), .float(-0.5), .float(1.0)]))
        XCTAssertEqual(face.dictionary?["yaw_value"], .int(-3))
    }

    func testOsSystemComesBackOpaqueAndIsNeverWritten() throws {
        let marker = "/tmp/dfl-swift-pwned"
        try? FileManager.default.removeItem(atPath: marker)
        let bytes = try Fixture.bytes("generated/evil_os_system.jpg")
        let face = try DFLJPG.read(bytes)
        guard case let .opaque(o)? = face.dictionary?["evil"] else { return XCTFail("evil is not opaque") }
        XCTAssertEqual(o.module, "posix") // os.system pickles as posix.system on Linux
        XCTAssertEqual(o.name, "system")
        XCTAssertEqual(o.args, .tuple([.string("touch /tmp/dfl-swift-pwned")]))
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker))
        // The writer refuses opaque values; a rewrite drops that key and keeps the rest.
        XCTAssertThrowsError(try PickleWriter.write(face.dictionary!))
        let rewritten = try DFLJPG.read(try DFLJPG.embed(face.metadata!, into: bytes))
        XCTAssertNil(rewritten.dictionary?["evil"])
        XCTAssertEqual(rewritten.metadata?.landmarks, face.metadata?.landmarks)
    }
}
