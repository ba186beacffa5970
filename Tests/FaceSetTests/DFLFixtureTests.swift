import XCTest
@testable import FaceSet

/// Faces and a pak written by DeepFaceLab's own code; expected values are what DFL's loader returned.
final class DFLFixtureTests: XCTestCase {
    func testReadsDFLFacesWithDFLsValues() throws {
        let lines = try Fixture.jsonLines("dfl/expected.jsonl")
        XCTAssertEqual(lines.count, 4)
        for e in lines {
            let path = e["path"]!.string!
            let face = try DFLJPG.read(try Fixture.bytes("dfl/" + path))
            let m = try XCTUnwrap(face.metadata, path)
            XCTAssertEqual(m.faceType.dflName, e["face_type"]?.string, path)
            assertPoints(m.landmarks, points(e["landmarks"]), "\(path) landmarks")
            assertPoints(m.sourceLandmarks, points(e["source_landmarks"]), "\(path) source_landmarks")
            XCTAssertEqual(m.sourceFilename, e["source_filename"]?.string, path)
            XCTAssertEqual(m.sourceRect, ints(e["source_rect"]), path)
            let mat = e["image_to_face_mat"]!.array!.flatMap { doubles($0)! }
            XCTAssertEqual(m.imageToFaceMat, mat, path)
            XCTAssertNil(m.xsegMask)
            XCTAssertEqual(m.effectiveEyebrowsExpandMod, 1.0)
            // DFL reports (h, w, 3) from SOF; the decoded shape tells the real component count.
            let shape = ints(e["shape"])!
            XCTAssertEqual([face.height, face.width], Array(shape[0..<2]), path)
            XCTAssertEqual(face.components, ints(e["decoded_shape"])!.count == 2 ? 1 : 3, path)
            // source_rect is stored as an ndarray by DFL.
            if case .ndarray(let a)? = face.dictionary?["source_rect"] {
                XCTAssertTrue(e["source_rect_is_ndarray"]?.bool == true)
                XCTAssertTrue(["i4", "i8"].contains(a.typeString))
            } else {
                XCTFail("\(path): source_rect is not an ndarray")
            }
        }
    }

    func testJPEGSegmentsReserializeByteIdentically() throws {
        for path in ["dfl/faces/obama_speech_2009_0.jpg", "dfl/faces/grace_hopper_navy_1984_0.jpg",
                     "dfl/faces/lin_manuel_miranda_2009_0.jpg", "dfl/gray/obama_speech_2009_0.jpg"] {
            let bytes = try Fixture.bytes(path)
            XCTAssertEqual(try JPEGFile(parsing: bytes).serialized(), bytes, path)
        }
    }

    func testReadsDFLPak() throws {
        let expected = try Fixture.json("dfl/faceset.pak.expected.json").array!
        let pak = try PackedFaceset.read(try Fixture.bytes("dfl/faceset.pak"))
        XCTAssertEqual(pak.count, expected.count)
        for (face, e) in zip(pak, expected) {
            let name = e["filename"]!.string!
            XCTAssertEqual(face.filename, name)
            XCTAssertEqual(face.config["face_type"]?.intValue, e["face_type"]?.int, name)
            XCTAssertEqual(face.config["sample_type"]?.intValue, e["sample_type"]?.int, name)
            XCTAssertEqual(face.config["shape"]?.sequence?.compactMap(\.intValue), ints(e["shape"]), name)
            XCTAssertEqual(face.config["eyebrows_expand_mod"]?.doubleValue, e["eyebrows_expand_mod"]?.double)
            XCTAssertEqual(face.config["source_filename"]?.stringValue, e["source_filename"]?.string)
            XCTAssertEqual(face.config["person_name"], PickleValue.none)
            XCTAssertEqual(face.personName, nil)
            // The JSON lists the keys sorted.
            let keys = face.config.dictPairs.compactMap { $0.key.stringValue }.sorted()
            XCTAssertEqual(keys, e["config_keys"]?.array?.compactMap(\.string), name)
            assertPoints(try FaceMetadata.points(face.config["landmarks"]!, key: "landmarks"), points(e["landmarks"]), name)
            // The blob is the complete face file DFL packed.
            XCTAssertEqual(face.bytes, try Fixture.bytes("dfl/faces/" + name), name)
        }
    }

    func testPakRepackUnpackIsByteIdentical() throws {
        let pak = try PackedFaceset.read(try Fixture.bytes("dfl/faceset.pak"))
        let again = try PackedFaceset.read(try PackedFaceset.write(pak))
        XCTAssertEqual(again, pak)
    }
}

extension PickleValue {
    var dictPairs: [PicklePair] {
        if case let .dict(p) = self { return p }
        return []
    }
}
