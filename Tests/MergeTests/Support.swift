import FaceAlign
import FaceSet
import Foundation
import Imaging
import Merge
import XCTest

enum Fixtures {
    static let directory = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
    static let frameNames = ["hill_0000", "hill_0070", "hill_0140"]
    static func framePath(_ stem: String) -> String { directory.appendingPathComponent("frames/\(stem).jpg").path }
    static func facePath(_ stem: String) -> String { directory.appendingPathComponent("aligned/\(stem)_0.jpg").path }

    static func frame(_ stem: String) throws -> Image { try readImage(path: framePath(stem)) }

    static func metadata(_ stem: String) throws -> FaceMetadata {
        try DFLJPG.readMetadata([UInt8](try Data(contentsOf: URL(fileURLWithPath: facePath(stem)))))
    }

    static func frameFace(_ stem: String) throws -> FrameFace {
        FrameFace(landmarks: try metadata(stem).sourceLandmarks!.map { Point2D($0) })
    }
}

/// A predictor that returns a fixed function of its input, with fixed masks; it records the last input.
final class FunctionPredictor: FacePredictor, @unchecked Sendable {
    let resolution: Int, channels: Int, faceType: FaceType
    let transform: (FloatImage) -> FloatImage
    let maskValue: Float?
    private let lock = NSLock()
    private var _lastInput: FloatImage?
    var lastInput: FloatImage? { lock.lock(); defer { lock.unlock() }; return _lastInput }

    init(resolution: Int = 128, channels: Int = 3, faceType: FaceType = .wholeFace, maskValue: Float? = 1,
         transform: @escaping (FloatImage) -> FloatImage) {
        self.resolution = resolution; self.channels = channels; self.faceType = faceType
        self.maskValue = maskValue; self.transform = transform
    }

    func predict(_ face: FloatImage, masks: LearnedMasks) throws -> FacePrediction {
        lock.lock(); _lastInput = face; lock.unlock()
        let mask = maskValue.map { FloatImage(width: resolution, height: resolution, channels: 1, fill: $0) }
        return FacePrediction(image: transform(face), predictedMask: mask, dstMask: mask)
    }
}

/// A smooth synthetic colour frame (gradients and a low-frequency pattern), 512×512 like the fixtures.
func syntheticFrame(width: Int = 512, height: Int = 512) -> Image {
    var image = Image(width: width, height: height, channels: 3)
    for y in 0..<height {
        for x in 0..<width {
            let u = Double(x) / Double(width), v = Double(y) / Double(height)
            image[x, y, 0] = UInt8(40 + 150 * u)
            image[x, y, 1] = UInt8(60 + 100 * v + 30 * sin(6 * u))
            image[x, y, 2] = UInt8(90 + 60 * cos(5 * v) * u)
        }
    }
    return image
}

/// The frame → face-crop matrix the merger uses for a face.
func cropMatrix(_ face: FrameFace, size: Int, faceType: FaceType = .wholeFace) throws -> Affine2D {
    try transformMatrix(landmarks: face.landmarks, size: size, faceType: faceType)
}

/// Frame pixels whose crop coordinates lie in [lo, hi]² of the size-`size` crop.
func framePixels(inCrop face: FrameFace, size: Int, lo: Double, hi: Double, frame: Image) throws -> [(Int, Int)] {
    let m = try cropMatrix(face, size: size)
    var out: [(Int, Int)] = []
    for y in 0..<frame.height {
        for x in 0..<frame.width {
            let p = m.apply(Point2D(Double(x), Double(y)))
            if p.x >= lo && p.x <= hi && p.y >= lo && p.y <= hi { out.append((x, y)) }
        }
    }
    return out
}

/// BT.601 chroma (Cb, Cr) of an RGB pixel in 8-bit units.
func chroma(_ r: Double, _ g: Double, _ b: Double) -> (Double, Double) {
    let y = 0.299 * r + 0.587 * g + 0.114 * b
    return (0.564 * (b - y), 0.713 * (r - y))
}

/// sRGB (0...1) → CIE Lab (D65), the formulas OpenCV documents for float images.
func lab(_ r: Double, _ g: Double, _ b: Double) -> (Double, Double, Double) {
    func lin(_ c: Double) -> Double { c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4) }
    let R = lin(r), G = lin(g), B = lin(b)
    let X = (0.412453 * R + 0.357580 * G + 0.180423 * B) / 0.950456
    let Y = 0.212671 * R + 0.715160 * G + 0.072169 * B
    let Z = (0.019334 * R + 0.119193 * G + 0.950227 * B) / 1.088754
    func f(_ t: Double) -> Double { t > 0.008856 ? cbrt(t) : 7.787 * t + 16.0 / 116.0 }
    let L = Y > 0.008856 ? 116 * cbrt(Y) - 16 : 903.3 * Y
    return (L, 500 * (f(X) - f(Y)), 200 * (f(Y) - f(Z)))
}

/// Per-channel mean and standard deviation.
func meanStd(_ values: [[Double]]) -> [(Double, Double)] {
    guard let n = values.first?.count else { return [] }
    return (0..<n).map { c in
        let xs = values.map { $0[c] }
        let m = xs.reduce(0, +) / Double(xs.count)
        let v = xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count)
        return (m, v.squareRoot())
    }
}
