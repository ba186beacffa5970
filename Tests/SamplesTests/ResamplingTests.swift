import XCTest
import Imaging
import TestSupport
@testable import Samples

final class ResamplingTests: XCTestCase {
    let image = testPattern(width: 16, height: 16, channels: 1)

    func testRotationMatrixMatchesOpenCV() {
        var m = AffineMap.rotation(center: SIMD2(8, 8), degrees: 7, scale: 1.1)
        m.c += 0.6
        m.f -= 0.9
        let got = [m.a, m.b, m.c, m.d, m.e, m.f]
        for (a, b) in zip(got, OpenCVGoldens.rotationMatrix) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    }

    func testRemapCubicMatchesOpenCV() {
        var mx = [Float](), my = [Float]()
        for y in 0..<16 { for x in 0..<16 {
            mx.append(Float(Double(x) + 0.5 + 0.8 * sin(Double(y) * 0.5)))
            my.append(Float(Double(y) + 0.5 + 0.6 * cos(Double(x) * 0.4)))
        } }
        let out = remap(image, mapX: mx, mapY: my, width: 16, height: 16, interpolation: .cubic)
        // Positions rounded to 1/32 px as OpenCV does: only float rounding differences remain.
        for (a, b) in zip(out.data, OpenCVGoldens.remappedCubic) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }


    func testGridUpscaleMatchesOpenCVResize() {
        var nodes = [Float]()
        for i in 0..<5 { for j in 0..<5 { nodes.append(Float((i * 7 + j * 3) % 11)) } }
        // The whole 40×40 upscale is the crop window [0, 40).
        let out = WarpParameters.upscaleBilinearCropped(nodes, n: 5, to: 40, crop: 0, size: 40)
        for (a, b) in zip(out, OpenCVGoldens.upscaledNodes) { XCTAssertEqual(a, b, accuracy: 1e-4) }
    }

    func testHSVMatchesOpenCVAndRoundTrips() {
        let rgb = testPattern(width: 5, height: 4, channels: 3)
        for i in 0..<20 {
            let (h, s, v) = HSVConversion.fromRGB(rgb.data[3 * i], rgb.data[3 * i + 1], rgb.data[3 * i + 2])
            XCTAssertEqual(h, OpenCVGoldens.hsvOfPattern[3 * i], accuracy: 0.01)
            XCTAssertEqual(s, OpenCVGoldens.hsvOfPattern[3 * i + 1], accuracy: 1e-5)
            XCTAssertEqual(v, OpenCVGoldens.hsvOfPattern[3 * i + 2], accuracy: 1e-6)
            let (r, g, b) = HSVConversion.toRGB(h, s, v)
            XCTAssertEqual(r, rgb.data[3 * i], accuracy: 1e-5)
            XCTAssertEqual(g, rgb.data[3 * i + 1], accuracy: 1e-5)
            XCTAssertEqual(b, rgb.data[3 * i + 2], accuracy: 1e-5)
        }
    }

}
