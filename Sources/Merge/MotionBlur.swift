// Motion blur of the merged face along the face's motion between neighbouring frames (docs/saehd-model.md §7.2
// step 7f): a line kernel of length k rotated by the motion angle, normalised, applied to the face crop.
import Foundation
import Imaging

/// How a face moves between the previous and the next frame (DFL's motion_power, motion_deg).
public struct FaceMotion: Sendable, Equatable {
    /// Length of the motion vector in frame pixels.
    public var power: Double
    /// Its angle in degrees, counter-clockwise from the x axis (−atan2(v.y, v.x)).
    public var degrees: Double

    public init(power: Double, degrees: Double) {
        self.power = power
        self.degrees = degrees
    }
}

/// The `size`×`size` line kernel: its middle row set, rotated by `degrees` about the centre (as
/// cv2.getRotationMatrix2D + warpAffine, bilinear), normalised to sum 1.
func motionBlurKernel(size: Int, degrees: Double) -> FloatImage {
    var line = FloatImage(width: size, height: size, channels: 1)
    for x in 0..<size { line.data[((size - 1) / 2) * size + x] = 1 }
    let a = degrees * Double.pi / 180, alpha = cos(a), beta = sin(a)
    let cx = Double(size) / 2 - 0.5, cy = Double(size) / 2 - 0.5
    let rotation = [alpha, beta, (1 - alpha) * cx - beta * cy, -beta, alpha, beta * cx + (1 - alpha) * cy]
    var kernel = warpAffine(line, matrix: rotation, width: size, height: size, interpolation: .bilinear)
    let sum = kernel.data.reduce(0, +)
    if sum > 0 { for i in kernel.data.indices { kernel.data[i] /= sum } }
    return kernel
}

/// `image` correlated with `kernel` (1 channel, odd or even size, anchor at its centre), borders reflected
/// (cv2.filter2D's BORDER_REFLECT_101).
func filter2D(_ image: FloatImage, kernel: FloatImage) -> FloatImage {
    let w = image.width, h = image.height, cn = image.channels, k = kernel.width
    let anchor = k / 2
    var taps: [(Int, Int, Float)] = []
    for i in 0..<k { for j in 0..<k where kernel.data[i * k + j] != 0 { taps.append((i - anchor, j - anchor, kernel.data[i * k + j])) } }
    func reflect(_ p: Int, _ n: Int) -> Int {
        if n == 1 { return 0 }
        var p = p
        while p < 0 || p >= n { p = p < 0 ? -p : 2 * n - 2 - p }
        return p
    }
    var out = image
    for y in 0..<h {
        for x in 0..<w {
            for c in 0..<cn {
                var s: Float = 0
                for (dy, dx, wgt) in taps { s += image.data[(reflect(y + dy, h) * w + reflect(x + dx, w)) * cn + c] * wgt }
                out.data[(y * w + x) * cn + c] = s
            }
        }
    }
    return out
}

/// DFL's kernel length for a face moving `motion.power` pixels with motion blur `amount` (0...100), or nil
/// when there is nothing to blur: k = int(power·amount/100); k ≥ 1 becomes clip(k + 1, 2, 50).
func motionBlurSize(_ motion: FaceMotion, amount: Int) -> Int? {
    let k = Int(motion.power * Double(amount) / 100)
    guard k >= 1 else { return nil }
    return min(max(k + 1, 2), 50)
}
