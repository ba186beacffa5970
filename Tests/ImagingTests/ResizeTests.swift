import XCTest
@testable import Imaging

private func method(_ name: String) -> ResizeMethod {
    switch name {
    case "area": return .area
    case "linear": return .linear
    case "cubic": return .cubic
    default: return .lanczos4
    }
}

final class ResizeTests: XCTestCase {
    /// Every 8-bit resize fixture (crops of a real photo, up and down, integer and fractional factors)
    /// within 1 level of cv2.resize, and all but a handful of samples identical (float rounding order).
    func testMatchesOpenCV8Bit() throws {
        let crop = try astronautCrop()
        let photo = try decodePNG(Fixtures.example("astronaut_collins.png"))
        var total = 0, differing = 0
        for item in try Fixtures.items(kind: "resize") {
            let file = item["file"] as! String
            let source: Image
            switch item["source"] as! String {
            case "crop64_rgb.png": source = crop
            case "crop64_gray.png": source = crop.toGray()
            case "tiny7x5_rgb.png", "one1x1_rgb.png": source = try Fixtures.png(item["source"] as! String)
            default: source = photo.cropped(x: item["x"] as! Int, y: item["y"] as! Int, width: 200, height: 200)
            }
            let out = source.resized(width: item["w"] as! Int, height: item["h"] as! Int,
                                     method: method(item["method"] as! String))
            let r = compare(out, try Fixtures.png(file))
            XCTAssertLessThanOrEqual(r.max, 1, file)
            total += out.pixels.count
            differing += r.differing
        }
        XCTAssertGreaterThan(total, 0)
        XCTAssertLessThan(Double(differing) / Double(total), 0.0001, "\(differing) of \(total) samples differ")
    }

    func testMatchesOpenCVFloat() throws {
        let gray = try astronautCrop().toGray().toFloat()
        for item in try Fixtures.items(kind: "resize_f32") {
            let file = item["file"] as! String
            let out = gray.resized(width: item["w"] as! Int, height: item["h"] as! Int,
                                   method: method(item["method"] as! String))
            XCTAssertLessThan(maxDifference(out, try Fixtures.f32(file)), 1e-5, file)
        }
    }

    func testSameSizeIsIdentity() throws {
        let crop = try astronautCrop()
        XCTAssertEqual(crop.resized(width: 64, height: 64, method: .lanczos4), crop)
    }

    func testConstantImageStaysConstant() {
        let img = Image(width: 13, height: 7, channels: 3, fill: 200)
        for m in [ResizeMethod.area, .linear, .cubic, .lanczos4] {
            for (w, h) in [(5, 3), (29, 17), (13, 20)] {
                XCTAssertTrue(img.resized(width: w, height: h, method: m).pixels.allSatisfy { $0 == 200 }, "\(m)")
            }
        }
    }
}
