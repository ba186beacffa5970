// OpenCV's float RGB ↔ CIE L*a*b* conversion (cv2.COLOR_RGB2Lab / Lab2RGB on CV_32F data): sRGB gamma,
// D65 white, L in 0…100, a and b roughly ±127. DFL calls it with BGR data and BGR2LAB, which is the same
// arithmetic; our images are RGB.
import Foundation

enum LabConversion {
    // sRGB → XYZ (D65) rows, with X and Z already divided by the white point (as OpenCV does).
    private static let whiteX = 0.950456, whiteZ = 1.088754
    private static let toXYZ: [Double] = [0.412453, 0.357580, 0.180423,
                                          0.212671, 0.715160, 0.072169,
                                          0.019334, 0.119193, 0.950227]
    // Inverse of `toXYZ` (OpenCV's XYZ2RGB table).
    private static let fromXYZ: [Double] = [3.240479, -1.53715, -0.498535,
                                            -0.969256, 1.875991, 0.041556,
                                            0.055648, -0.204043, 1.057311]

    @inline(__always) static func linearize(_ v: Double) -> Double {
        let x = min(max(v, 0), 1)
        return x <= 0.04045 ? x / 12.92 : pow((x + 0.055) / 1.055, 2.4)
    }

    @inline(__always) static func delinearize(_ v: Double) -> Double {
        let x = min(max(v, 0), 1)
        return x <= 0.0031308 ? 12.92 * x : 1.055 * pow(x, 1 / 2.4) - 0.055
    }

    /// (r, g, b) in [0, 1] → (L, a, b).
    static func rgbToLab(_ r: Double, _ g: Double, _ b: Double) -> (Double, Double, Double) {
        let R = linearize(r), G = linearize(g), B = linearize(b)
        let X = (toXYZ[0] * R + toXYZ[1] * G + toXYZ[2] * B) / whiteX
        let Y = toXYZ[3] * R + toXYZ[4] * G + toXYZ[5] * B
        let Z = (toXYZ[6] * R + toXYZ[7] * G + toXYZ[8] * B) / whiteZ
        func f(_ t: Double) -> Double { t > 0.008856 ? cbrt(t) : 7.787 * t + 16.0 / 116.0 }
        let fx = f(X), fy = f(Y), fz = f(Z)
        let L = Y > 0.008856 ? 116 * fy - 16 : 903.3 * Y
        return (L, 500 * (fx - fy), 200 * (fy - fz))
    }

    /// (L, a, b) → (r, g, b) clipped to [0, 1].
    static func labToRgb(_ L: Double, _ a: Double, _ b: Double) -> (Double, Double, Double) {
        var Y: Double, fy: Double
        if L <= 8 {
            Y = L / 903.3
            fy = 7.787 * Y + 16.0 / 116.0
        } else {
            fy = (L + 16) / 116
            Y = fy * fy * fy
        }
        let fx = a / 500 + fy, fz = fy - b / 200
        func finv(_ t: Double) -> Double { t > 0.206893 ? t * t * t : (t - 16.0 / 116.0) / 7.787 }
        let X = finv(fx) * whiteX, Z = finv(fz) * whiteZ
        let R = fromXYZ[0] * X + fromXYZ[1] * Y + fromXYZ[2] * Z
        let G = fromXYZ[3] * X + fromXYZ[4] * Y + fromXYZ[5] * Z
        let B = fromXYZ[6] * X + fromXYZ[7] * Y + fromXYZ[8] * Z
        return (delinearize(R), delinearize(G), delinearize(B))
    }

    /// Interleaved RGB floats → interleaved Lab floats.
    static func toLab(_ rgb: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: rgb.count)
        for i in stride(from: 0, to: rgb.count, by: 3) {
            let (L, a, b) = rgbToLab(Double(rgb[i]), Double(rgb[i + 1]), Double(rgb[i + 2]))
            out[i] = Float(L); out[i + 1] = Float(a); out[i + 2] = Float(b)
        }
        return out
    }

    /// Interleaved Lab floats → interleaved RGB floats in [0, 1].
    static func toRGB(_ lab: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: lab.count)
        for i in stride(from: 0, to: lab.count, by: 3) {
            let (r, g, b) = labToRgb(Double(lab[i]), Double(lab[i + 1]), Double(lab[i + 2]))
            out[i] = Float(r); out[i + 1] = Float(g); out[i + 2] = Float(b)
        }
        return out
    }
}
