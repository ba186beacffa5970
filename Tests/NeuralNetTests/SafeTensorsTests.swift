import XCTest
@testable import NeuralNet

final class SafeTensorsTests: XCTestCase {
    func testRoundTripAndLayout() throws {
        let a = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6.5]), b = Tensor(shape: [1], values: [-1])
        let bytes = try SafeTensors.encode([("enc.w", a), ("b", b)], metadata: ["format": "pt"])
        // Header length prefix, then JSON starting with '{', data 8-byte aligned.
        let len = Int(bytes[0]) | Int(bytes[1]) << 8
        XCTAssertEqual(bytes[8], UInt8(ascii: "{"))
        XCTAssertEqual(len % 8, 0)
        XCTAssertEqual(bytes.count, 8 + len + 28)
        let decoded = try SafeTensors.decode(bytes)
        XCTAssertEqual(decoded.tensors["enc.w"]?.shape, [2, 3])
        XCTAssertEqual(decoded.tensors["enc.w"]?.values, [1, 2, 3, 4, 5, 6.5])
        XCTAssertEqual(decoded.tensors["b"]?.values, [-1])
        XCTAssertEqual(decoded.metadata["format"], "pt")
        let path = NSTemporaryDirectory() + "/nn-st-\(getpid()).safetensors"
        try SafeTensors.write([("x", a)], to: path)
        XCTAssertEqual(try SafeTensors.read(path: path).tensors["x"]?.values, a.array)
        try? FileManager.default.removeItem(atPath: path)
    }

    func testMalformedInputThrows() throws {
        let good = try SafeTensors.encode([("x", Tensor(shape: [4]))])
        XCTAssertThrowsError(try SafeTensors.decode([1, 2, 3]))
        XCTAssertThrowsError(try SafeTensors.decode(Array(good.dropLast(4))))  // data truncated
        var huge = good; huge[7] = 0x7f                                          // header length beyond file
        XCTAssertThrowsError(try SafeTensors.decode(huge))
        var junk = good; junk[8] = UInt8(ascii: "x")                             // not JSON
        XCTAssertThrowsError(try SafeTensors.decode(junk))
        let bad = "{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}"
        var b = [UInt8](); withUnsafeBytes(of: UInt64(bad.utf8.count).littleEndian) { b.append(contentsOf: $0) }
        b += Array(bad.utf8) + [UInt8](repeating: 0, count: 16)
        XCTAssertThrowsError(try SafeTensors.decode(b))                          // size does not match shape
    }
}
