import XCTest
@testable import Imaging

final class GrayTests: XCTestCase {
    /// Whole photo (decoded from PNG, so identical input pixels) against cv2.cvtColor(BGR2GRAY).
    func testLumaIdenticalToOpenCV() throws {
        let photo = try decodePNG(Fixtures.example("lin_manuel_miranda_2009.png"))
        let r = compare(photo.toGray(), try Fixtures.png("gray_miranda.png"))
        XCTAssertEqual(r.differing, 0)
        XCTAssertEqual(compare(try astronautCrop().toGray(), try Fixtures.png("crop64_gray.png")).differing, 0)
    }

    /// Colours where OpenCV's rounding differs from the 14-bit formula of docs/dfl-faceset.md §5.2.
    func testLumaOnTrickyColours() throws {
        let r = compare(try Fixtures.png("gray_tricky_rgb.png").toGray(), try Fixtures.png("gray_tricky.png"))
        XCTAssertEqual(r.differing, 0)
    }

    func testLumaFormulaOnCorners() {
        // Pure colours: 0.299·255, 0.587·255, 0.114·255 rounded.
        let img = Image(width: 4, height: 1, channels: 3, pixels: [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255])
        XCTAssertEqual(img.toGray().pixels, [76, 150, 29, 255])
    }

    func testGrayToRGBReplicates() {
        let g = Image(width: 2, height: 1, channels: 1, pixels: [7, 200])
        let c = g.grayToRGB()
        XCTAssertEqual(c.channels, 3)
        XCTAssertEqual(c.pixels, [7, 7, 7, 200, 200, 200])
        XCTAssertEqual(c.toGray(), g)
    }

    func testFloatLumaMatchesOpenCV() throws {
        let out = try astronautCrop().toFloat().toGray()
        XCTAssertLessThan(maxDifference(out, try Fixtures.f32("gray_f32_crop64.f32")), 1e-6)
    }

    func testFloatLuma() {
        let f = FloatImage(width: 1, height: 1, channels: 3, data: [1, 0.5, 0.25])
        XCTAssertEqual(f.toGray().data[0], 0.299 + 0.5 * 0.587 + 0.25 * 0.114, accuracy: 1e-6)
    }
}
