import Foundation
import Imaging
@testable import ModelStore
import Trainer
import XCTest

/// Masked SSIM / PSNR against closed-form values and against scikit-image on real faces.
final class QualityTests: XCTestCase {
    /// Real 64-px faces against blurred, noised, shifted, colour-cast and other faces' copies, inside landmark
    /// hull masks (one reaching the border), RGB and 1-channel: Quality.measure against the goldens of
    /// tools/fixtures/quality/make_quality_goldens.py (scikit-image's structural_similarity with Gaussian
    /// weights, σ 1.5, population covariance, data range 1, on float64 luma; its peak_signal_noise_ratio on
    /// the masked pixels). These pairs exercise what identical or constant images cannot: the variance,
    /// covariance and window terms of SSIM, the luma weights, the mask threshold and the border exclusion.
    ///
    /// Tolerances 1e-7 on SSIM and 2e-6 dB on PSNR, 25 and 7 times the measured worst (4e-9, 3e-7 dB;
    /// QUALITY_REPORT=1 prints them): the goldens are float64 throughout; we hold the pixels k/255 and the luma
    /// in float32 (relative rounding 6e-8), and sum in float64. A PSNR error of 3e-7 dB is 7e-8 relative in
    /// the MSE, the float32 rounding of the pixel values; SSIM's window sums average such errors away.
    func testRealFacesMatchScikitImage() throws {
        let root = try XCTUnwrap(Bundle.module.resourceURL).appendingPathComponent("Fixtures/quality").path
        let json = try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: root + "/goldens.json")))
        let cases = try XCTUnwrap(json as? [String: [String: Any]])
        XCTAssertEqual(cases.count, 7)
        func load(_ name: Any?) throws -> FloatImage {
            let file = try XCTUnwrap(name as? String)
            let image = try decodePNG([UInt8](try Data(contentsOf: URL(fileURLWithPath: root + "/" + file))))
            return FloatImage(width: image.width, height: image.height, channels: image.channels,
                              data: image.pixels.map { Float($0) / 255 })
        }
        var ssims: [Double] = []
        for (name, c) in cases.sorted(by: { $0.key < $1.key }) {
            let reference = try load(c["reference"]), prediction = try load(c["prediction"]), mask = try load(c["mask"])
            let q = Quality.measure(reference: reference, prediction: prediction, mask: mask)
            let ssim = try XCTUnwrap(c["ssim"] as? Double), psnr = try XCTUnwrap(c["psnr"] as? Double)
            XCTAssertEqual(q.ssim, ssim, accuracy: 1e-7, "\(name) SSIM")
            XCTAssertEqual(q.psnr, psnr, accuracy: 2e-6, "\(name) PSNR")
            ssims.append(ssim)
            if ProcessInfo.processInfo.environment["QUALITY_REPORT"] != nil {
                print("\(name): ssim \(q.ssim) (\(q.ssim - ssim)), psnr \(q.psnr) (\(q.psnr - psnr))")
            }
        }
        // The pairs span the metric's range, so no single constant or formula slip matches them all.
        XCTAssertLessThan(ssims.min()!, 0.3)
        XCTAssertGreaterThan(ssims.max()!, 0.99)
    }

    func testIdenticalImagesGiveSSIMOneAndInfinitePSNR() {
        var a = FloatImage(width: 32, height: 32, channels: 3)
        for i in a.data.indices { a.data[i] = Float((i * 37) % 101) / 100 }
        let mask = FloatImage(width: 32, height: 32, channels: 1, fill: 1)
        let q = Quality.measure(reference: a, prediction: a, mask: mask)
        XCTAssertEqual(q.ssim, 1, accuracy: 1e-9)
        XCTAssertEqual(q.psnr, .infinity)
    }

    /// Constant images 0.5 and 0.6: no variance, so SSIM = (2·0.5·0.6 + c1)/(0.5² + 0.6² + c1) and
    /// PSNR = 10·log10(1/0.01) = 20 dB.
    func testConstantImagesMatchTheFormula() {
        let a = FloatImage(width: 24, height: 24, channels: 1, fill: 0.5)
        let b = FloatImage(width: 24, height: 24, channels: 1, fill: 0.6)
        let mask = FloatImage(width: 24, height: 24, channels: 1, fill: 1)
        let q = Quality.measure(reference: a, prediction: b, mask: mask)
        let c1 = 1e-4
        XCTAssertEqual(q.ssim, (0.6 + c1) / (0.61 + c1), accuracy: 1e-5)
        XCTAssertEqual(q.psnr, 20, accuracy: 1e-3)
    }

    /// Only pixels inside the mask count: an error outside it changes nothing.
    func testPixelsOutsideTheMaskAreIgnored() {
        let a = FloatImage(width: 40, height: 40, channels: 1, fill: 0.5)
        var b = a
        var mask = FloatImage(width: 40, height: 40, channels: 1)
        for y in 0..<40 { for x in 0..<40 where x < 20 { mask.data[y * 40 + x] = 1 } }
        for y in 0..<40 { for x in 32..<40 { b.data[y * 40 + x] = 1 } }   // far outside the mask
        let q = Quality.measure(reference: a, prediction: b, mask: mask)
        XCTAssertEqual(q.ssim, 1, accuracy: 1e-9)
        XCTAssertEqual(q.psnr, .infinity)
    }
}
