// Checks the OpenCV-defined measures against values OpenCV itself computed (Fixtures/make_opencv_golden.py).
import XCTest
import Foundation
import Imaging
@testable import Sort

final class OpenCVGoldenTests: XCTestCase {
    struct Case: Decodable {
        let width: Int, height: Int
        let rgb: [UInt8], other_rgb: [UInt8], gray: [UInt8]
        let hue_mean: Double, value_mean: Double, laplacian_var: Double, laplacian_var_gray: Double
        let bhattacharyya_sum: Double
    }
    struct Golden: Decodable { let cases: [Case] }

    private func golden() throws -> Golden {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/opencv_golden", withExtension: "json"))
        return try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
    }

    func testAgainstOpenCV() throws {
        for c in try golden().cases {
            let im = Image(width: c.width, height: c.height, channels: 3, pixels: c.rgb)
            let other = Image(width: c.width, height: c.height, channels: 3, pixels: c.other_rgb)
            let label = "\(c.width)x\(c.height)"
            XCTAssertEqual(FacePixels.grayPlane(im), c.gray, label)
            XCTAssertEqual(ColourStats.hue(im), c.hue_mean, accuracy: 1e-9, label)
            XCTAssertEqual(ColourStats.brightness(im), c.value_mean, accuracy: 1e-9, label)
            XCTAssertEqual(MotionBlur.laplacianVariance(im), c.laplacian_var, accuracy: c.laplacian_var * 1e-9, label)
            let gray = Image(width: c.width, height: c.height, channels: 1, pixels: c.gray)
            XCTAssertEqual(MotionBlur.laplacianVariance(gray), c.laplacian_var_gray, accuracy: c.laplacian_var_gray * 1e-9, label)
            XCTAssertEqual(FaceHistogram(image: im).distance(to: FaceHistogram(image: other)), c.bhattacharyya_sum,
                           accuracy: 1e-9, label)
        }
    }
}
