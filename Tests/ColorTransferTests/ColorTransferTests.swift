import XCTest
import Imaging
import TestSupport
@testable import ColorTransfer

final class LabAndFilterTests: XCTestCase {
    func testRGBToLabMatchesOpenCV() {
        // OpenCV's float path interpolates tables (a and b come out in steps of 1/64); ours is exact.
        let lab = LabConversion.toLab(OpenCVGoldens.labRGB)
        for (a, b) in zip(lab, OpenCVGoldens.labOfRGB) { XCTAssertEqual(a, b, accuracy: 0.2) }
    }

    func testLabToRGBMatchesOpenCV() {
        let rgb = LabConversion.toRGB(OpenCVGoldens.labIn)
        for (a, b) in zip(rgb, OpenCVGoldens.rgbOfLab) { XCTAssertEqual(a, b, accuracy: 2e-3) }
    }

    func testBilateralMatchesOpenCV() {
        let one = bilateralFilter(testPattern(width: 12, height: 10, channels: 1, scale: 10),
                                  sigmaColor: 5, sigmaSpace: 2)
        for (a, b) in zip(one.data, OpenCVGoldens.bilateral1) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        let three = bilateralFilter(testPattern(width: 11, height: 9, channels: 3, scale: 4),
                                    sigmaColor: 5, sigmaSpace: 2)
        for (a, b) in zip(three.data, OpenCVGoldens.bilateral3) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }

    func testJacobiEigenReconstructsMatrix() {
        let m: [Double] = [4, 1, 0.5, 1, 3, 0.2, 0.5, 0.2, 2]
        let e = SymmetricEigen(symmetric: m, n: 3)
        let back = e.reconstruct { $0 }
        for (a, b) in zip(back, m) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        let root = e.reconstruct { $0.squareRoot() }
        let square = SmallMatrix.multiply(root, root, n: 3)
        for (a, b) in zip(square, m) { XCTAssertEqual(a, b, accuracy: 1e-12) }
    }
}

final class ColorTransferModeTests: XCTestCase {
    // Source and reference colour distributions well inside the RGB cube, so clipping is negligible.
    let source = gaussianImage(width: 64, height: 48, mean: [0.35, 0.45, 0.55],
                               mix: [[0.06, 0.01, 0], [0.02, 0.05, 0.01], [0, 0.02, 0.04]], seed: 1)
    let reference = gaussianImage(width: 40, height: 40, mean: [0.6, 0.5, 0.4],
                                  mix: [[0.05, 0, 0.02], [0.01, 0.07, 0], [0.03, 0.01, 0.05]], seed: 2)

    func testRCTMatchesLabMeansAndStds() throws {
        let out = try colorTransfer(.rct, source, toward: reference)
        let got = PixelStatistics.standardDeviations(LabConversion.toLab(out.data), channels: 3)
        let want = PixelStatistics.standardDeviations(LabConversion.toLab(reference.data), channels: 3)
        for k in 0..<3 {
            XCTAssertEqual(got.mean[k], want.mean[k], accuracy: 0.05 + 0.005 * abs(want.mean[k]))
            XCTAssertEqual(got.std[k], want.std[k], accuracy: 0.02 * want.std[k] + 0.02)
        }
    }

    func testLCTMatchesMeanAndCovariance() throws {
        let out = try colorTransfer(.lct, source, toward: reference)
        let got = stats(out), want = stats(reference)
        for k in 0..<3 { XCTAssertEqual(got.mean[k], want.mean[k], accuracy: 1e-4) }
        // The ε = 1e-5 added to both covariances leaves an error of order ε.
        for k in 0..<9 { XCTAssertEqual(got.covariance[k], want.covariance[k], accuracy: 4e-5) }
    }

    func testMKLMatchesMeanAndCovariance() throws {
        let out = try colorTransfer(.mkl, source, toward: reference)
        let got = stats(out), want = stats(reference)
        for k in 0..<3 { XCTAssertEqual(got.mean[k], want.mean[k], accuracy: 1e-4) }
        for k in 0..<9 { XCTAssertEqual(got.covariance[k], want.covariance[k], accuracy: 2e-5) }
    }

    func testLCTOneChannelIsMeanStdMatching() throws {
        let a = gaussianImage(width: 50, height: 30, mean: [0.3], mix: [[0.05]], seed: 3)
        let b = gaussianImage(width: 20, height: 20, mean: [0.6], mix: [[0.1]], seed: 4)
        let out = try colorTransfer(.lct, a, toward: b)
        let got = PixelStatistics.standardDeviations(out.data, channels: 1)
        let want = PixelStatistics.standardDeviations(b.data, channels: 1)
        XCTAssertEqual(got.mean[0], want.mean[0], accuracy: 1e-4)
        XCTAssertEqual(got.std[0], want.std[0], accuracy: 1e-3)
    }

    func testIdentityWhenReferenceIsTheImage() throws {
        for mode in ColorTransferMode.allCases {
            let out = try colorTransfer(mode, source, toward: source, seed: 9)
            let maxDiff = zip(out.data, source.data).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(maxDiff, mode == .idt ? 0.01 : 2e-3, "\(mode)")
        }
    }

    func testSOTOneChannelReproducesReferenceHistogram() throws {
        // The reference is a spatial permutation of the image shifted by 0.1: histogram matching moves
        // every pixel by exactly 0.1, a constant change that the bilateral smoothing keeps.
        let a = gaussianImage(width: 32, height: 24, mean: [0.4], mix: [[0.08]], seed: 5)
        var perm = Array(0..<a.data.count)
        var rng = SeededGenerator(seed: 6)
        rng.shuffle(&perm)
        let b = FloatImage(width: 32, height: 24, channels: 1, data: perm.map { a.data[$0] + 0.1 })
        let out = try colorTransfer(.sot, a, toward: b, seed: 1)
        for (x, y) in zip(out.data.sorted(), b.data.sorted()) { XCTAssertEqual(x, y, accuracy: 1e-4) }
        for (x, y) in zip(out.data, a.data) { XCTAssertEqual(x - y, 0.1, accuracy: 1e-4) }
    }

    func testSOTWithoutRegularisationIsExactHistogramMatching() {
        let a = gaussianImage(width: 30, height: 20, mean: [0.3], mix: [[0.05]], seed: 7)
        let b = gaussianImage(width: 30, height: 20, mean: [0.6], mix: [[0.12]], seed: 8)
        let out = slicedOptimalTransfer(a, toward: b, seed: 3, regularize: false)
        for (x, y) in zip(out.data.sorted(), b.data.sorted()) { XCTAssertEqual(x, y, accuracy: 1e-5) }
        // Order preserved: the brightest input pixel is still the brightest.
        XCTAssertEqual(a.data.firstIndex(of: a.data.max()!), out.data.firstIndex(of: out.data.max()!))
    }

    func testSOTThreeChannelsMovesTowardReferenceStatistics() throws {
        let a = gaussianImage(width: 32, height: 32, mean: [0.35, 0.45, 0.55],
                              mix: [[0.06, 0.01, 0], [0.02, 0.05, 0.01], [0, 0.02, 0.04]], seed: 11)
        let b = gaussianImage(width: 32, height: 32, mean: [0.6, 0.5, 0.4],
                              mix: [[0.05, 0, 0.02], [0.01, 0.07, 0], [0.03, 0.01, 0.05]], seed: 12)
        let out = slicedOptimalTransfer(a, toward: b, seed: 4, regularize: false)
        let got = stats(out), want = stats(b), start = stats(a)
        for k in 0..<3 { XCTAssertEqual(got.mean[k], want.mean[k], accuracy: 0.01) }
        // DFL's ten steps of five directions do not converge fully; with 50 steps the covariance matches.
        func gap(_ s: PixelStatistics) -> Double {
            zip(s.covariance, want.covariance).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
        }
        XCTAssertLessThan(gap(got), 0.5 * gap(start))
        let long = slicedOptimalTransfer(a, toward: b, seed: 4, steps: 50, regularize: false)
        XCTAssertLessThan(gap(stats(long)), 0.02 * gap(start))
    }

    func testIDTOneChannelMovesTheExpectedShareTowardTheHistogram() throws {
        // With relaxation 1/20 every step closes 1/20 of the remaining gap: 1 − 0.95²⁰ ≈ 64 % in total.
        let a = gaussianImage(width: 40, height: 30, mean: [0.3], mix: [[0.05]], seed: 13)
        let b = gaussianImage(width: 40, height: 30, mean: [0.6], mix: [[0.1]], seed: 14)
        let out = try colorTransfer(.idt, a, toward: b, seed: 2)
        let sa = a.data.sorted(), sb = b.data.sorted(), so = out.data.sorted()
        let before = zip(sa, sb).map { Double(abs($0 - $1)) }.reduce(0, +)
        let after = zip(so, sb).map { Double(abs($0 - $1)) }.reduce(0, +)
        XCTAssertEqual(after / before, pow(0.95, 20), accuracy: 0.03)
    }

    func testIDTThreeChannelsApproachesReferenceMeans() throws {
        let out = try colorTransfer(.idt, source, toward: reference, seed: 5)
        let got = stats(out), want = stats(reference), start = stats(source)
        for k in 0..<3 {
            XCTAssertLessThan(abs(got.mean[k] - want.mean[k]), 0.5 * abs(start.mean[k] - want.mean[k]) + 0.005)
        }
    }

    func testSeedsChangeRandomModesOnly() throws {
        let small = gaussianImage(width: 20, height: 16, mean: [0.3, 0.4, 0.5],
                                  mix: [[0.05, 0, 0], [0, 0.05, 0], [0, 0, 0.05]], seed: 21)
        let a1 = try colorTransfer(.sot, small, toward: reference, seed: 1)
        let a2 = try colorTransfer(.sot, small, toward: reference, seed: 1)
        let a3 = try colorTransfer(.sot, small, toward: reference, seed: 2)
        XCTAssertEqual(a1, a2)
        XCTAssertNotEqual(a1, a3)
    }

    func testUnsupportedChannelCountsThrow() {
        let gray = FloatImage(width: 4, height: 4, channels: 1, fill: 0.5)
        XCTAssertThrowsError(try colorTransfer(.rct, gray, toward: gray))
        XCTAssertThrowsError(try colorTransfer(.mkl, gray, toward: gray))
        XCTAssertThrowsError(try colorTransfer(.lct, gray, toward: source))
    }
}
