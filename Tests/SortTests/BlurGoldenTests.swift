// `blur` and `motion-blur` of the DFL-made fixture faces, end to end through the face loader (decode,
// landmarks, hull mask, gray), against Fixtures/make_blur_golden.py (OpenCV + the cpbd package, masked as
// DFL's sorter does).
import XCTest
import Foundation
@testable import Sort

final class BlurGoldenTests: XCTestCase {
    struct Entry: Decodable { let blur: Double, motion_blur: Double, hull_pixels: Int }

    func testBlurAndMotionBlurMatchTheReference() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/blur_golden", withExtension: "json"))
        let golden = try JSONDecoder().decode([String: Entry].self, from: Data(contentsOf: url))
        XCTAssertEqual(golden.count, 4)
        for (file, expected) in golden {
            let name = (file as NSString).deletingPathExtension
            let path = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/faces/" + name, withExtension: "jpg")).path
            let face = try SortMethod.blur.loadFace(path: path)
            XCTAssertEqual(face.hullMask?.reduce(0) { $0 + Int($1) }, expected.hull_pixels, file)
            guard case .score(let blur) = try SortMethod.blur.feature(of: face),
                  case .score(let motion) = try SortMethod.motionBlur.feature(of: try SortMethod.motionBlur.loadFace(path: path))
            else { return XCTFail("scores expected") }
            XCTAssertEqual(blur, expected.blur, accuracy: 1e-9, file)
            XCTAssertEqual(motion, expected.motion_blur, accuracy: expected.motion_blur * 1e-9, file)
        }
    }
}
