import XCTest
@testable import FaceSet

/// Malformed input gives a clear thrown error (never a trap).
final class BadInputTests: XCTestCase {
    func face() throws -> [UInt8] { try Fixture.bytes("dfl/faces/obama_speech_2009_0.jpg") }

    func assertThrows(_ what: String, containing text: String, _ body: () throws -> Void,
                      file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), what, file: file, line: line) { error in
            let message = String(describing: error)
            XCTAssertTrue(message.contains(text), "\(what): '\(message)' lacks '\(text)'", file: file, line: line)
        }
    }

    func testTruncatedJPEG() throws {
        let bytes = try face()
        assertThrows("cut in the image data", containing: "truncated") { _ = try DFLJPG.read(Array(bytes.prefix(10000))) }
        assertThrows("cut inside the APP15", containing: "past the end") { _ = try DFLJPG.read(Array(bytes.prefix(200))) }
        assertThrows("only SOI", containing: "truncated") { _ = try DFLJPG.read([0xFF, 0xD8]) }
    }

    func testEmptyFileAndWrongFormat() throws {
        assertThrows("empty", containing: "empty") { _ = try DFLJPG.read([]) }
        assertThrows("empty via sniffing", containing: "empty") { _ = try DFLImage.read([]) }
        let png = try Fixture.bytes("generated/legacy_dflpng.png")
        assertThrows("PNG given as JPEG", containing: "PNG") { _ = try DFLJPG.read(png) }
        assertThrows("JPEG given as PNG", containing: "not a PNG") { _ = try DFLPNG.read(try face()) }
        assertThrows("text", containing: "SOI") { _ = try DFLJPG.read(Array("hello".utf8)) }
        assertThrows("empty pak", containing: "empty") { _ = try PackedFaceset.read([]) }
    }

    func testAPP15WithGarbage() throws {
        var file = try JPEGFile(parsing: try face())
        let i = try XCTUnwrap(file.segments.firstIndex { $0.marker == 0xEF })
        file.segments[i].payload = [0x80, 0x03, 0xFE, 0xFE, 0xFE]
        assertThrows("garbage pickle", containing: "unsupported pickle opcode 0xfe") {
            _ = try DFLJPG.read(try file.serialized())
        }
        // An APP15 that is not a pickle at all is not DFL metadata (docs/dfl-faceset.md §8): no metadata, no error.
        file.segments[i].payload = Array("garbage".utf8)
        XCTAssertNil(try DFLJPG.read(try file.serialized()).metadata)
        assertThrows("no metadata", containing: "not a DFL face") { _ = try DFLJPG.readMetadata(try file.serialized()) }
        // A pickle that is fine but not a face dict.
        file.segments[i].payload = [0x80, 0x03, 0x4B, 0x05, 0x2E]
        assertThrows("int instead of dict", containing: "not a dict") { _ = try DFLJPG.read(try file.serialized()) }
        file.segments[i].payload = try PickleWriter.write(.dict([PicklePair(.string("face_type"), .string("full_face"))]))
        assertThrows("no landmarks", containing: "landmarks missing") { _ = try DFLJPG.read(try file.serialized()) }
        XCTAssertEqual(try DFLJPG.readDictionary(try file.serialized())?["face_type"], .string("full_face"))
        file.segments[i].payload = try PickleWriter.write(.dict([PicklePair(.string("face_type"), .string("nose")),
                                                              PicklePair(.string("landmarks"), .list([]))]))
        assertThrows("bad face type", containing: "face_type") { _ = try DFLJPG.read(try file.serialized()) }
    }

    func testPickleLengthsPastTheEnd() {
        let cases: [(String, [UInt8])] = [
            ("BINUNICODE", [0x80, 0x03, 0x58, 0xFF, 0xFF, 0xFF, 0x7F, 0x41, 0x2E]),
            ("BINBYTES", [0x80, 0x03, 0x42, 0x10, 0x00, 0x00, 0x00, 0x41, 0x2E]),
            ("BINBYTES8", [0x80, 0x04, 0x8E] + [UInt8](repeating: 0xFF, count: 8) + [0x2E]),
            ("BINUNICODE8", [0x80, 0x04, 0x8D, 0, 0, 0, 0, 0, 0, 0, 0x80]),
            ("SHORT_BINBYTES", [0x80, 0x03, 0x43, 0x05, 0x41]),
            ("LONG4", [0x80, 0x03, 0x8B, 0xFF, 0xFF, 0xFF, 0xFF]),
            ("BINFLOAT", [0x80, 0x03, 0x47, 0x00]),
        ]
        for (what, bytes) in cases {
            assertThrows(what, containing: "past the end") { _ = try PickleReader.read(bytes) }
        }
    }

    func testMalformedPickleStructure() {
        let cases: [(String, [UInt8], String)] = [
            ("no STOP", [0x80, 0x03, 0x7D], "before STOP"),
            ("empty", [], "before STOP"),
            ("stack underflow", [0x80, 0x03, 0x73, 0x2E], "underflow"),
            ("APPENDS without mark", [0x80, 0x03, 0x5D, 0x65, 0x2E], "MARK"),
            ("memo never stored", [0x80, 0x03, 0x68, 0x07, 0x2E], "never stored"),
            ("SETITEM on a list", [0x80, 0x03, 0x5D, 0x4B, 1, 0x4B, 2, 0x73, 0x2E], "not a dict"),
            ("odd SETITEMS", [0x80, 0x03, 0x7D, 0x28, 0x4B, 1, 0x75, 0x2E], "odd"),
            ("protocol 9", [0x80, 0x09, 0x4E, 0x2E], "protocol"),
            ("bad UTF-8", [0x80, 0x04, 0x8C, 0x01, 0xFF, 0x2E], "UTF-8"),
            ("LONG1 too big", [0x80, 0x03, 0x8A, 0x09] + [UInt8](repeating: 1, count: 9) + [0x2E], "too large"),
            ("two values at STOP", [0x80, 0x03, 0x4E, 0x4E, 0x2E], "STOP with 2"),
            ("STACK_GLOBAL of ints", [0x80, 0x04, 0x4B, 1, 0x4B, 2, 0x93, 0x2E], "two strings"),
            ("REDUCE on an int", [0x80, 0x03, 0x4B, 1, 0x29, 0x52, 0x2E], "not a global"),
            ("GLOBAL unterminated", [0x80, 0x03, 0x63] + Array("os".utf8), "unterminated"),
        ]
        for (what, bytes, text) in cases {
            assertThrows(what, containing: text) { _ = try PickleReader.read(bytes) }
        }
    }

    func testNumpyArrayWhoseDataDoesNotMatchItsShape() throws {
        // A valid array pickle with the shape changed from (2,) to (3,): 12 bytes needed, 8 present.
        var bytes = try PickleWriter.write(.ndarray(try NDArray(int32s: [7, -1], shape: [2])))
        let shapeAt = try XCTUnwrap((0..<bytes.count - 4).first { bytes[$0..<$0 + 4] == [0x28, 0x4B, 0x02, 0x74] })
        bytes[shapeAt + 2] = 3
        assertThrows("shape mismatch", containing: "needs 12 bytes, has 8") { _ = try PickleReader.read(bytes) }
        bytes[shapeAt + 2] = 0xFF // 255 elements
        assertThrows("shape mismatch", containing: "has 8") { _ = try PickleReader.read(bytes) }
    }

    func testOsSystemGlobalIsOpaqueAndNothingRuns() throws {
        // c posix\nsystem\n (X'echo'…) R : what pickle.dumps makes of os.system('…').
        var p: [UInt8] = [0x80, 0x03, 0x7D, 0x28, 0x58, 1, 0, 0, 0, 0x65]
        p += [0x63] + Array("os\nsystem\n".utf8) + [0x58, 10, 0, 0, 0] + Array("touch /tmp".utf8) + [0x85, 0x52]
        p += [0x75, 0x2E]
        let v = try PickleReader.read(p)
        XCTAssertEqual(v["e"], .opaque(PickleOpaque(module: "os", name: "system", args: .tuple([.string("touch /tmp")]))))
        XCTAssertThrowsError(try PickleWriter.write(v))
    }

    func testHostileNestingAndSharedReferencesAreBounded() {
        // 200 000 nested lists: stack-bounded build, depth-bounded conversion, no recursive teardown crash.
        let n = 200_000
        var deep: [UInt8] = [0x80, 0x03] + [UInt8](repeating: 0x5D, count: n) + [UInt8](repeating: 0x61, count: n - 1) + [0x2E]
        assertThrows("deep nesting", containing: "nesting deeper") { _ = try PickleReader.read(deep) }
        // A list that contains itself.
        deep = [0x80, 0x03, 0x5D, 0x71, 0x00, 0x68, 0x00, 0x61, 0x2E]
        assertThrows("cycle", containing: "nesting deeper") { _ = try PickleReader.read(deep) }
        // A "billion laughs": each level is a list holding the previous level twice.
        var bomb: [UInt8] = [0x80, 0x03, 0x5D, 0x71, 0x00, 0x30]
        for i in 1..<40 {
            bomb += [0x5D, 0x28, 0x68, UInt8(i - 1), 0x68, UInt8(i - 1), 0x65, 0x71, UInt8(i), 0x30]
        }
        bomb += [0x68, 39, 0x2E]
        var limits = PickleReader.Limits()
        limits.maxDepth = 100
        assertThrows("shared-reference bomb", containing: "too many values") { _ = try PickleReader.read(bomb, limits: limits) }
    }

    func testMetadataTooLargeAndDRI() throws {
        let bytes = try face()
        assertThrows("70 000-byte pickle", containing: "65533") {
            _ = try DFLJPG.embed(pickle: [0x80] + [UInt8](repeating: 0, count: 70_000), into: bytes)
        }
        var m = try DFLJPG.readMetadata(bytes)
        m.xsegMask = [UInt8](repeating: 1, count: 66_000)
        XCTAssertThrowsError(try DFLJPG.embed(m, into: bytes)) { error in
            XCTAssertEqual(error as? FaceSetError, .metadataTooLarge(bytes: try! PickleWriter.write(m.pickleValue()).count))
        }
        // DRI: we read it (with its length, unlike DFL), but refuse to write a face DFL cannot load.
        var file = try JPEGFile(parsing: bytes)
        file.segments.insert(JPEGSegment(marker: 0xDD, payload: [0x00, 0x10]), at: 2)
        let withDRI = try file.serialized()
        XCTAssertNotNil(try DFLJPG.read(withDRI).metadata)
        assertThrows("DRI", containing: "DRI") { _ = try DFLJPG.embed(try DFLJPG.readMetadata(bytes), into: withDRI) }
        // Trailing bytes after EOI: readable, and dropped on write.
        let trailing = bytes + [1, 2, 3]
        XCTAssertNotNil(try DFLJPG.read(trailing).metadata)
        XCTAssertEqual(try DFLJPG.embed(try DFLJPG.readMetadata(bytes), into: trailing),
                       try DFLJPG.embed(try DFLJPG.readMetadata(bytes), into: bytes))
    }

    /// Offsets of a pak's table: (position of entry 0, count).
    func table(_ pak: [UInt8]) -> Int {
        16 + (0..<8).reduce(0) { $0 | Int(pak[8 + $1]) << (8 * $1) }
    }

    func setU64(_ pak: inout [UInt8], _ at: Int, _ v: UInt64) {
        for k in 0..<8 { pak[at + k] = UInt8(truncatingIfNeeded: v >> UInt64(8 * k)) }
    }

    func testBadPaks() throws {
        let good = try Fixture.bytes("dfl/faceset.pak")
        let t = table(good)
        var p = good
        setU64(&p, t + 8, 5) // face 1 starts inside face 0
        setU64(&p, t + 16, 4)
        assertThrows("overlapping offsets", containing: "overlapping") { _ = try PackedFaceset.read(p) }
        p = good
        setU64(&p, t + 16, UInt64.max)
        assertThrows("offset past end", containing: "past the end") { _ = try PackedFaceset.read(p) }
        p = good
        setU64(&p, t + 24, 12345)
        assertThrows("wrong end offset", containing: "end offset") { _ = try PackedFaceset.read(p) }
        assertThrows("truncated pak", containing: "end offset") { _ = try PackedFaceset.read(Array(good.dropLast(10))) }
        p = good
        setU64(&p, 0, 2)
        assertThrows("version 2", containing: "version 2") { _ = try PackedFaceset.read(p) }
        p = good
        setU64(&p, 8, UInt64.max)
        assertThrows("config length", containing: "config length") { _ = try PackedFaceset.read(p) }
        assertThrows("short", containing: "header") { _ = try PackedFaceset.read(Array(good.prefix(9))) }
        p = good
        p[16 + 20] = 0xFE
        assertThrows("corrupt configs", containing: "sample configs") { _ = try PackedFaceset.read(p) }
    }
}
