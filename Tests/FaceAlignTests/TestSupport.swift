import Foundation
import XCTest
@testable import FaceAlign

/// The synthetic input of docs/dfl-faceset.md §3.6: the 3-D template's (x, y) rotated by +10°, doubled, moved to (640, 360).
func goldenSourceLandmarks() -> [Point2D] {
    let a = 10 * Double.pi / 180
    return headTemplate3D.map { p in
        Point2D((p.x * cos(a) - p.y * sin(a)) * 2 + 640, (p.x * sin(a) + p.y * cos(a)) * 2 + 360)
    }
}

func assertAffine(_ m: Affine2D, _ expected: [[Double]], linearTolerance: Double, translationTolerance: Double,
                  _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    let r = m.rows
    for i in 0..<2 {
        for j in 0..<3 {
            let tol = j == 2 ? translationTolerance : linearTolerance
            XCTAssertEqual(r[i][j], expected[i][j], accuracy: tol, "\(message) [\(i)][\(j)]", file: file, line: line)
        }
    }
}

func assertPoint(_ p: Point2D, _ x: Double, _ y: Double, accuracy: Double, _ message: String = "",
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(p.x, x, accuracy: accuracy, "\(message) x", file: file, line: line)
    XCTAssertEqual(p.y, y, accuracy: accuracy, "\(message) y", file: file, line: line)
}
