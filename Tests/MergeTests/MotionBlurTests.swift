import Imaging
@testable import Merge
import XCTest

final class MotionBlurTests: XCTestCase {
    func testKernelIsALineAlongTheMotion() {
        let k = 7
        let horizontal = motionBlurKernel(size: k, degrees: 0)
        for y in 0..<k {
            for x in 0..<k { XCTAssertEqual(horizontal.data[y * k + x], y == 3 ? 1 / Float(k) : 0, accuracy: 1e-6) }
        }
        let vertical = motionBlurKernel(size: k, degrees: 90)
        for y in 0..<k {
            for x in 0..<k { XCTAssertEqual(vertical.data[y * k + x], x == 3 ? 1 / Float(k) : 0, accuracy: 1e-5, "(\(x), \(y))") }
        }
        XCTAssertEqual(motionBlurKernel(size: 9, degrees: 33).data.reduce(0, +), 1, accuracy: 1e-5)
    }

    func testKernelLengthFollowsDFL() {
        XCTAssertNil(motionBlurSize(FaceMotion(power: 3, degrees: 0), amount: 30))        // int(0.9) = 0
        XCTAssertEqual(motionBlurSize(FaceMotion(power: 10, degrees: 0), amount: 50), 6)   // 5 + 1
        XCTAssertEqual(motionBlurSize(FaceMotion(power: 10, degrees: 0), amount: 10), 2)   // 1 + 1
        XCTAssertEqual(motionBlurSize(FaceMotion(power: 500, degrees: 0), amount: 100), 50)
    }

    /// A horizontal motion blurs vertical edges of the face and leaves the frame outside the mask alone.
    func testMotionBlurSmoothsAlongTheMotionOnly() throws {
        var frame = Image(width: 512, height: 512, channels: 3)
        for y in 0..<512 { for x in 0..<512 { for c in 0..<3 { frame[x, y, c] = (x / 6) % 2 == 0 ? 40 : 210 } } }
        let face = try Fixtures.frameFace("hill_0000")
        var settings = MergeSettings()
        settings.maskMode = .dst
        let predictor = IdentityPredictor(resolution: 192, channels: 3, faceType: .wholeFace)
        let plain = try FrameMerger(predictor: predictor, settings: settings).merge(frame: frame, faces: [face])
        settings.motionBlur = 100
        var moving = face
        moving.motion = FaceMotion(power: 20, degrees: 0)
        let blurred = try FrameMerger(predictor: predictor, settings: settings).merge(frame: frame, faces: [moving])
        var contrastPlain = 0.0, contrastBlurred = 0.0
        for i in 0..<(512 * 512) {
            if plain.mask.pixels[i] == 0 { XCTAssertEqual(blurred.image.pixels[3 * i], frame.pixels[3 * i]); continue }
            guard plain.mask.pixels[i] == 255, i % 512 < 511 else { continue }
            contrastPlain += abs(Double(plain.image.pixels[3 * i]) - Double(plain.image.pixels[3 * i + 3]))
            contrastBlurred += abs(Double(blurred.image.pixels[3 * i]) - Double(blurred.image.pixels[3 * i + 3]))
        }
        XCTAssertLessThan(contrastBlurred, contrastPlain * 0.6)
    }
}
