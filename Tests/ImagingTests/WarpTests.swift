import XCTest
@testable import Imaging

private func interpolation(_ name: String) -> WarpInterpolation {
    switch name {
    case "bilinear": return .bilinear
    case "cubic": return .cubic
    default: return .lanczos4
    }
}

final class WarpTests: XCTestCase {
    /// Rotation + scale warps of a real photo against cv2.warpAffine (OpenCV 4.10): the contract is within
    /// 1 level (bilinear) or 2 (cubic, Lanczos-4); in fact every sample is identical.
    func testMatchesOpenCV8Bit() throws {
        let photo = try decodePNG(Fixtures.example("astronaut_collins.png"))
        for item in try Fixtures.items(kind: "warp") {
            let file = item["file"] as! String
            let interp = interpolation(item["interpolation"] as! String)
            let border: WarpBorder = item["border"] as! String == "replicate"
                ? .replicate : .constant(Double(item["value"] as! Int))
            let source = item["source"] as! String == "tiny7x5_rgb.png" ? try Fixtures.png("tiny7x5_rgb.png") : photo
            let out = warpAffine(source, matrix: item["matrix"] as! [Double], width: item["w"] as! Int,
                                 height: item["h"] as! Int, interpolation: interp, border: border)
            let r = compare(out, try Fixtures.png(file))
            XCTAssertLessThanOrEqual(r.max, interp == .bilinear ? 1 : 2, "\(file): \(r)")
            XCTAssertEqual(r.differing, 0, "bit-identical to OpenCV 4.10: \(file)")
        }
    }

    func testMatchesOpenCVFloat() throws {
        let gray = try decodePNG(Fixtures.example("astronaut_collins.png")).toGray().toFloat()
        for item in try Fixtures.items(kind: "warp_f32") {
            let file = item["file"] as! String
            let out = warpAffine(gray, matrix: item["matrix"] as! [Double], width: item["w"] as! Int,
                                 height: item["h"] as! Int, interpolation: interpolation(item["interpolation"] as! String))
            XCTAssertLessThan(maxDifference(out, try Fixtures.f32(file)), 1e-5, file)
        }
    }

    func testEmptySourceGivesBorder() {
        let empty = Image(width: 0, height: 0, channels: 3)
        let out = warpAffine(empty, matrix: [1, 0, 0, 0, 1, 0], width: 4, height: 3, border: .constant(9))
        XCTAssertEqual(out.pixels, [UInt8](repeating: 9, count: 36))
        let f = warpAffine(FloatImage(width: 0, height: 5, channels: 1), matrix: [2, 0, 0, 0, 2, 0], width: 2,
                           height: 2, border: .replicate)
        XCTAssertEqual(f.data, [0, 0, 0, 0])
    }

    func testIdentityAndShift() throws {
        let crop = try astronautCrop()
        XCTAssertEqual(warpAffine(crop, matrix: [1, 0, 0, 0, 1, 0], width: 64, height: 64), crop)
        let shifted = warpAffine(crop, matrix: [1, 0, 3, 0, 1, -2], width: 64, height: 64)
        XCTAssertEqual(shifted[10, 10, 1], crop[7, 12, 1])
        XCTAssertEqual(shifted[1, 1, 0], 0, "outside the source: the constant border")
    }
}
