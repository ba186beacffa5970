// The synthetic image shared by the ColorTransfer and Samples tests and their OpenCV goldens.
import Foundation
import Imaging

/// The formula `pattern` in tools/fixtures/samples/make_goldens.py (smooth + high-frequency parts).
public func testPattern(width w: Int, height h: Int, channels c: Int, scale: Float = 1) -> FloatImage {
    var img = FloatImage(width: w, height: h, channels: c)
    for y in 0..<h { for x in 0..<w { for k in 0..<c {
        let v = 0.5 + 0.3 * sin(0.37 * Double(x) + 0.23 * Double(y) + 1.1 * Double(k))
            + 0.2 * cos(1.3 * Double(x * y) / Double(w + h) + 0.5 * Double(k))
        img[x, y, k] = Float(v) * scale
    } } }
    return img
}
