import XCTest
@testable import Imaging

final class HelperTests: XCTestCase {
    func testGaussianBlurMatchesOpenCV() throws {
        let gray = try astronautCrop().toGray().toFloat()
        let items = try Fixtures.items(kind: "blur")
        XCTAssertFalse(items.isEmpty)
        for item in items {
            let file = item["file"] as! String
            let out = gray.gaussianBlurred(kernelSize: item["ksize"] as! Int, sigma: item["sigma"] as! Double)
            XCTAssertLessThan(maxDifference(out, try Fixtures.f32(file)), 1e-5, file)
        }
    }

    func testGaussianKernelValues() {
        // OpenCV's fixed tables (cv2.getGaussianKernel(n, 0) for n ≤ 9), and above that sigma from the size:
        // 0.3·((11−1)/2 − 1) + 0.8 = 2.0.
        XCTAssertEqual(gaussianKernel(size: 5, sigma: 0), [0.0625, 0.25, 0.375, 0.25, 0.0625])
        XCTAssertEqual(gaussianKernel(size: 9, sigma: 0)[0...4], [0.015625, 0.05078125, 0.1171875, 0.19921875, 0.234375])
        let k = gaussianKernel(size: 11, sigma: 0)
        let ref = (0..<11).map { exp(-Double(($0 - 5) * ($0 - 5)) / (2 * 2.0 * 2.0)) }
        let sum = ref.reduce(0, +)
        for i in 0..<11 { XCTAssertEqual(Double(k[i]), ref[i] / sum, accuracy: 1e-6) }
    }

    func testFillPolyMatchesOpenCV() throws {
        for item in try Fixtures.items(kind: "fillpoly") {
            let file = item["file"] as! String
            let polys = (item["polygons"] as! [[[Int]]]).map { $0.map { SIMD2($0[0], $0[1]) } }
            var img = Image(width: item["w"] as! Int, height: item["h"] as! Int, channels: 1)
            img.fillPolygons(polys, color: [255])
            let r = compare(img, try Fixtures.png(file))
            XCTAssertEqual(r.differing, 0, "\(file): \(r)")
        }
    }

    func testCropFlipGrid() throws {
        let crop = try astronautCrop()
        let flipped = crop.flippedHorizontally()
        XCTAssertEqual(flipped[0, 5, 2], crop[63, 5, 2])
        XCTAssertEqual(flipped.flippedHorizontally(), crop)
        let part = crop.cropped(x: 10, y: 20, width: 5, height: 3)
        XCTAssertEqual(part[4, 2, 1], crop[14, 22, 1])
        let gray = crop.toGray()
        let grid = Image.grid([crop, gray, part], columns: 2, spacing: 2, background: 9)
        XCTAssertEqual([grid.width, grid.height, grid.channels], [130, 130, 3])
        XCTAssertEqual(grid[66 + 3, 7, 0], gray[3, 7, 0], "gray tile replicated into RGB")
        XCTAssertEqual(grid[64, 0, 0], 9, "spacing")
        XCTAssertEqual(grid[4, 66 + 2, 1], part[4, 2, 1])
        let row = Image.sideBySide([gray, gray])
        XCTAssertEqual([row.width, row.height, row.channels], [128, 64, 1])
        let f = crop.toFloat()
        XCTAssertEqual(f.flippedHorizontally().cropped(x: 63, y: 0, width: 1, height: 1).data,
                       f.cropped(x: 0, y: 0, width: 1, height: 1).data)
    }

    func testLinesAndCircles() {
        var img = Image(width: 10, height: 10, channels: 1)
        img.drawLine(from: SIMD2(0, 0), to: SIMD2(9, 9), color: [1])
        XCTAssertEqual((0..<10).map { img[$0, $0, 0] }, Array(repeating: 1, count: 10))
        XCTAssertEqual(img.pixels.reduce(0) { $0 + Int($1) }, 10)
        var c = Image(width: 21, height: 21, channels: 3)
        c.drawCircle(center: SIMD2(10, 10), radius: 5, color: [255, 0, 0], filled: true)
        XCTAssertEqual(c[10, 10, 0], 255)
        XCTAssertEqual(c[15, 10, 0], 255)
        XCTAssertEqual(c[16, 10, 0], 0)
        XCTAssertEqual(c[10, 10, 1], 0)
        var o = Image(width: 21, height: 21, channels: 1)
        o.drawCircle(center: SIMD2(10, 10), radius: 5, color: [7])
        XCTAssertEqual(o[15, 10, 0], 7)
        XCTAssertEqual(o[10, 5, 0], 7)
        XCTAssertEqual(o[10, 10, 0], 0)
    }
}
