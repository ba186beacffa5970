import XCTest
@testable import Imaging

/// Start-of-frame info of a JPEG: component count and each component's sampling byte (H<<4 | V).
private func sofComponents(_ b: [UInt8]) -> [UInt8]? {
    var i = 2
    while i + 4 <= b.count {
        guard b[i] == 0xFF else { return nil }
        let marker = b[i + 1]
        let len = Int(b[i + 2]) << 8 | Int(b[i + 3])
        if marker == 0xC0 || marker == 0xC1 || marker == 0xC2 {
            let n = Int(b[i + 9])
            return (0..<n).map { b[i + 11 + 3 * $0] }
        }
        i += 2 + len
    }
    return nil
}

final class CodecTests: XCTestCase {
    func testPNGDecodeMatchesOpenCV() throws {
        let crop = try astronautCrop()
        XCTAssertEqual(compare(crop, try Fixtures.png("crop64_rgb.png")).differing, 0)
    }

    func testJPEGDecodeMatchesOpenCV() throws {
        for (photo, fixture, x, y) in [("grace_hopper_navy_1984.jpg", "jpeg_hopper_decoded_crop.png", 150, 100),
                                       ("obama_speech_2009.jpg", "jpeg_obama_speech_decoded_crop.png", 250, 150)] {
            let img = try decodeJPEG(Fixtures.example(photo))
            XCTAssertEqual(img.channels, 3)
            let r = compare(img.cropped(x: x, y: y, width: 128, height: 128), try Fixtures.png(fixture))
            XCTAssertLessThanOrEqual(r.max, 1, photo)
        }
        for name in ["cv_gray_q100", "cv_rgb_q90"] {
            let img = try decodeJPEG(Fixtures.bytes(name + ".jpg"))
            let r = compare(img, try Fixtures.png(name + "_decoded.png"))
            XCTAssertLessThanOrEqual(r.max, 1, name)
        }
        XCTAssertEqual(try decodeJPEG(Fixtures.bytes("cv_gray_q100.jpg")).channels, 1)
    }

    func testGrayJPEGRoundTripStaysOneComponent() throws {
        let gray = try Fixtures.png("crop64_gray.png")
        let bytes = try encodeJPEG(gray, quality: 100)
        XCTAssertEqual(sofComponents(bytes), [0x11])
        let back = try decodeJPEG(bytes)
        XCTAssertEqual(back.channels, 1)
        XCTAssertLessThanOrEqual(compare(back, gray).max, 2)
    }

    func testColourJPEGSubsampling() throws {
        let crop = try astronautCrop()
        let q100 = try encodeJPEG(crop, quality: 100)
        XCTAssertEqual(sofComponents(q100), [0x11, 0x11, 0x11], "quality 100 keeps full chroma")
        let back = try decodeJPEG(q100)
        let r = compare(back, crop)
        XCTAssertLessThanOrEqual(r.max, 4)
        let q90 = try encodeJPEG(crop, quality: 90)
        XCTAssertEqual(sofComponents(q90), [0x22, 0x11, 0x11], "below 100: 4:2:0 as OpenCV")
        XCTAssertLessThan(q90.count, q100.count)
        XCTAssertThrowsError(try encodeJPEG(Image(width: 2, height: 2, channels: 4), quality: 90))
    }

    func testPNGRoundTripsExactly() throws {
        let crop = try astronautCrop()
        let gray = crop.toGray()
        var rgba = Image(width: 64, height: 64, channels: 4)
        for i in 0..<(64 * 64) {
            for c in 0..<3 { rgba.pixels[4 * i + c] = crop.pixels[3 * i + c] }
            rgba.pixels[4 * i + 3] = UInt8(i % 256)
        }
        for img in [crop, gray, rgba] {
            for fast in [false, true] {
                XCTAssertEqual(try decodePNG(encodePNG(img, fast: fast)), img)
            }
        }
        XCTAssertEqual(try decodeImage(encodePNG(gray)), gray)
        // Incompressible noise: the encoder's output buffer must still be large enough.
        var rng = SystemRandomNumberGenerator()
        let noise = Image(width: 97, height: 61, channels: 3, pixels: (0..<(97 * 61 * 3)).map { _ in UInt8.random(in: 0...255, using: &rng) })
        XCTAssertEqual(try decodePNG(encodePNG(noise)), noise)
        XCTAssertEqual(try decodePNG(encodePNG(noise, fast: true)), noise)
    }

    func testGrayAlphaPNGDecodesToRGBAAsOpenCV() throws {
        let item = try Fixtures.items(kind: "gray_alpha")[0]
        let img = try Fixtures.png(item["file"] as! String)
        XCTAssertEqual(img.channels, 4)
        XCTAssertEqual(img.pixels, (item["opencv_unchanged_rgba"] as! [Int]).map { UInt8($0) })
    }

    func testSniffing() throws {
        let jpeg = try Fixtures.bytes("cv_rgb_q90.jpg")
        XCTAssertEqual(ImageFormat(sniffing: jpeg), .jpeg)
        XCTAssertEqual(try decodeImage(jpeg).channels, 3)
        XCTAssertEqual(ImageFormat(pathExtension: "JPG"), .jpeg)
        XCTAssertEqual(ImageFormat(pathExtension: "png"), .png)
        XCTAssertNil(ImageFormat(pathExtension: "gif"))
        let img = try readImage(path: Fixtures.exampleData.appendingPathComponent("grace_hopper_navy_1984.jpg").path)
        XCTAssertEqual([img.width, img.height], [517, 606])
    }

    func testBadInputThrows() throws {
        let jpeg = try Fixtures.example("grace_hopper_navy_1984.jpg")
        let png = try Fixtures.bytes("crop64_rgb.png")
        XCTAssertThrowsError(try decodeJPEG([])) { XCTAssertEqual($0 as? ImagingError, .emptyInput) }
        XCTAssertThrowsError(try decodePNG([]))
        XCTAssertThrowsError(try decodeImage([])) { XCTAssertEqual($0 as? ImagingError, .emptyInput) }
        XCTAssertThrowsError(try decodeImage([1, 2, 3, 4])) { XCTAssertEqual($0 as? ImagingError, .unknownFormat) }
        XCTAssertThrowsError(try decodeJPEG(Array(jpeg.prefix(jpeg.count / 2))), "truncated JPEG") { error in
            guard case .invalidJPEG = error as! ImagingError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try decodeJPEG(Array(jpeg.prefix(300))))
        XCTAssertThrowsError(try decodeJPEG([0xFF, 0xD8, 0xFF]))
        XCTAssertThrowsError(try decodeJPEG(png), "a PNG where a JPEG is expected")
        XCTAssertThrowsError(try decodePNG(jpeg), "a JPEG where a PNG is expected")
        XCTAssertThrowsError(try decodePNG(Array(png.prefix(png.count / 2))), "truncated PNG") { error in
            guard case .invalidPNG = error as! ImagingError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try decodeImage(Array(png.prefix(40))))
        XCTAssertFalse(ImagingError.invalidJPEG("x").description.isEmpty)
    }

    /// Random byte mutations of real files: every decode either succeeds or throws, never crashes.
    func testMutatedInputsNeverCrash() throws {
        var rng = SystemRandomNumberGenerator()
        let sources = [try Fixtures.bytes("cv_rgb_q90.jpg"), try Fixtures.bytes("cv_gray_q100.jpg"),
                       try Fixtures.bytes("crop64_gray.png")]
        for source in sources {
            for _ in 0..<150 {
                var b = source
                for _ in 0..<Int.random(in: 1...8, using: &rng) {
                    b[Int.random(in: 0..<b.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
                if Bool.random(using: &rng) { b = Array(b.prefix(Int.random(in: 0..<b.count, using: &rng))) }
                _ = try? decodeImage(b)
                _ = try? decodeJPEG(b)
                _ = try? decodePNG(b)
            }
        }
    }
}
