import Imaging
import XCTest
@testable import FaceAlign

final class ConvexPolygonFillTests: XCTestCase {
    private func filledCount(_ m: FloatImage) -> Int { m.data.reduce(0) { $0 + ($1 > 0.5 ? 1 : 0) } }

    /// OpenCV fills a polygon's closed outline too: an axis-aligned rectangle with integer corners
    /// (x0, y0)–(x1, y1) covers (x1 − x0 + 1)·(y1 − y0 + 1) pixels.
    func testRectangleArea() {
        var m = FloatImage(width: 30, height: 20, channels: 1)
        fillConvexPolygon(&m, [PixelPoint(3, 4), PixelPoint(12, 4), PixelPoint(12, 10), PixelPoint(3, 10)])
        XCTAssertEqual(filledCount(m), 10 * 7)
        XCTAssertEqual(m[3, 4, 0], 1)
        XCTAssertEqual(m[12, 10, 0], 1)
        XCTAssertEqual(m[13, 10, 0], 0)
        XCTAssertEqual(m[2, 4, 0], 0)
    }

    /// A right triangle with legs n: rows 0…n hold 1…n+1 pixels, (n+1)(n+2)/2 in all.
    func testRightTriangleArea() {
        var m = FloatImage(width: 40, height: 40, channels: 1)
        fillConvexPolygon(&m, [PixelPoint(0, 0), PixelPoint(20, 20), PixelPoint(0, 20)])
        XCTAssertEqual(filledCount(m), 21 * 22 / 2)
    }

    /// A diamond |x − cx| + |y − cy| ≤ r covers exactly the 2r² + 2r + 1 pixel centres inside or on it
    /// (its edges run through pixel centres, so rounding cannot add or drop any).
    func testDiamondArea() {
        for r in [1, 7, 60] {
            var m = FloatImage(width: 200, height: 200, channels: 1)
            fillConvexPolygon(&m, [PixelPoint(100, 100 - r), PixelPoint(100 + r, 100), PixelPoint(100, 100 + r),
                                   PixelPoint(100 - r, 100)])
            XCTAssertEqual(filledCount(m), 2 * r * r + 2 * r + 1, "r = \(r)")
        }
    }

    func testPolygonPartlyOutsideIsClipped() {
        var m = FloatImage(width: 10, height: 10, channels: 1)
        fillConvexPolygon(&m, [PixelPoint(-5, -5), PixelPoint(20, -5), PixelPoint(20, 20), PixelPoint(-5, 20)])
        XCTAssertEqual(filledCount(m), 100)
    }

    /// Malformed landmarks can put vertices millions of pixels away: the fill must stay fast and not
    /// overflow.
    func testFarAwayVertices() {
        var m = FloatImage(width: 10, height: 10, channels: 1)
        fillConvexPolygon(&m, [PixelPoint(-10_000_000, -10_000_000), PixelPoint(10_000_000, -10_000_000),
                               PixelPoint(0, 10_000_000)])
        XCTAssertEqual(filledCount(m), 100)
        var n = FloatImage(width: 10, height: 10, channels: 1)
        fillConvexPolygon(&n, [PixelPoint(Int.min, Int.min), PixelPoint(Int.max, 3), PixelPoint(0, Int.max)])
        XCTAssertGreaterThan(filledCount(n), 0)
        XCTAssertEqual(PixelPoint(truncating: Point2D(.nan, -1e300)), PixelPoint(0, -PixelPoint.coordinateLimit))
    }

    /// Pixel for pixel against cv2.fillConvexPoly on random convex polygons (make_mask_reference.py).
    func testMatchesOpenCVFillConvexPoly() {
        var mismatches = 0
        for (n, polygon) in openCVConvexPolygons.enumerated() {
            var m = FloatImage(width: 48, height: 40, channels: 1)
            fillConvexPolygon(&m, polygon.vertices.map { PixelPoint($0[0], $0[1]) })
            for y in 0..<40 {
                var first = -1, last = -1
                for x in 0..<48 where m[x, y, 0] > 0.5 {
                    if first < 0 { first = x }
                    last = x
                }
                if [first, last] != polygon.spans[y] {
                    mismatches += 1
                    XCTFail("polygon \(n) row \(y): \([first, last]) vs OpenCV \(polygon.spans[y])")
                }
            }
        }
        XCTAssertEqual(mismatches, 0)
    }

    func testConvexHull() {
        let pts = [PixelPoint(0, 0), PixelPoint(4, 0), PixelPoint(4, 4), PixelPoint(0, 4), PixelPoint(2, 2),
                   PixelPoint(2, 0), PixelPoint(4, 4)]
        let hull = convexHull(pts)
        XCTAssertEqual(Set(hull), [PixelPoint(0, 0), PixelPoint(4, 0), PixelPoint(4, 4), PixelPoint(0, 4)])
        XCTAssertEqual(hull.count, 4)
    }
}
