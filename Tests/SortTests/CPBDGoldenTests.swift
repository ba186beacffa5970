// CPBD against the `cpbd` Python package on a real face (Fixtures/make_cpbd_golden.py): the planes are
// stored raw so no JPEG decoder stands between the two implementations.
import XCTest
import Foundation
import Imaging
@testable import Sort

final class CPBDGoldenTests: XCTestCase {
    struct Case: Decodable { let file: String, width: Int, height: Int, cpbd: Double }
    struct Golden: Decodable { let cases: [Case] }

    private func fixture(_ name: String) throws -> Data {
        let base = (name as NSString).deletingPathExtension, ext = (name as NSString).pathExtension
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/" + base, withExtension: ext))
        return try Data(contentsOf: url)
    }

    func testMatchesThePythonReference() throws {
        let golden = try JSONDecoder().decode(Golden.self, from: fixture("cpbd_golden.json"))
        XCTAssertEqual(golden.cases.count, 3)
        for c in golden.cases {
            let plane = [UInt8](try fixture(c.file))
            let image = Image(width: c.width, height: c.height, channels: 1, pixels: plane)
            // The reference ran a newer scikit-image Canny than DFL's 0.14; Canny only decides which
            // blocks count, and on these faces both agree to rounding.
            XCTAssertEqual(Sharpness.cpbd(image), c.cpbd, accuracy: 1e-9, c.file)
        }
    }
}
