import Imaging
@testable import ModelStore
import Trainer
import XCTest

/// Masked SSIM / PSNR against closed-form values.
final class QualityTests: XCTestCase {
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
