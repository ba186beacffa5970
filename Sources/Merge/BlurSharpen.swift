// Output sharpening or softening of the merged face (DFL's blursharpen, docs/saehd-model.md §7.2 step 7f).
import Imaging

/// Positive `amount` (1...100) sharpens: box: `img + (img − box3(img))·a`, gaussian:
/// `img·(1 + a/2) − gauss3(img)·a/2` with a = amount/100. Negative `amount` softens with 5×5 median passes:
/// each full 10 units replaces the image by its median, the remainder n (1...9) blends n/10 of one more pass.
public func blurSharpen(_ image: FloatImage, mode: SharpenMode, amount: Int) -> FloatImage {
    if amount == 0 { return image }
    if amount > 0 {
        let a = Float(amount) / 100
        let smooth = mode == .box ? boxBlur3(image) : image.gaussianBlurred(kernelSize: 3)
        var out = image
        for i in out.data.indices {
            out.data[i] = mode == .box
                ? image.data[i] + (image.data[i] - smooth.data[i]) * a
                : image.data[i] * (1 + 0.5 * a) - smooth.data[i] * 0.5 * a
        }
        return out
    }
    var out = image
    var n = -amount
    while n > 0 {
        let median = medianBlur5(out)
        if n >= 10 {
            out = median
        } else {
            let p = Float(n % 10) / 10
            for i in out.data.indices { out.data[i] = out.data[i] * (1 - p) + median.data[i] * p }
        }
        n = max(n - 10, 0)
    }
    return out
}

/// 3×3 mean with reflected borders (cv2.blur / filter2D default BORDER_REFLECT_101).
func boxBlur3(_ image: FloatImage) -> FloatImage {
    let w = image.width, h = image.height, cn = image.channels
    var out = image
    for y in 0..<h {
        for x in 0..<w {
            for c in 0..<cn {
                var s: Float = 0
                for dy in -1...1 {
                    let sy = reflect(y + dy, h)
                    for dx in -1...1 { s += image.data[(sy * w + reflect(x + dx, w)) * cn + c] }
                }
                out.data[(y * w + x) * cn + c] = s / 9
            }
        }
    }
    return out
}

/// 5×5 median per channel with replicated borders (cv2.medianBlur).
func medianBlur5(_ image: FloatImage) -> FloatImage {
    let w = image.width, h = image.height, cn = image.channels
    var out = image
    var window = [Float](repeating: 0, count: 25)
    for y in 0..<h {
        for x in 0..<w {
            for c in 0..<cn {
                var k = 0
                for dy in -2...2 {
                    let sy = min(max(y + dy, 0), h - 1)
                    for dx in -2...2 {
                        window[k] = image.data[(sy * w + min(max(x + dx, 0), w - 1)) * cn + c]
                        k += 1
                    }
                }
                // Insertion sort of 25 values; the median is the 13th.
                for i in 1..<25 {
                    let v = window[i]
                    var j = i - 1
                    while j >= 0 && window[j] > v { window[j + 1] = window[j]; j -= 1 }
                    window[j + 1] = v
                }
                out.data[(y * w + x) * cn + c] = window[12]
            }
        }
    }
    return out
}

@inline(__always) private func reflect(_ p: Int, _ n: Int) -> Int {
    if n == 1 { return 0 }
    if p < 0 { return -p }
    if p >= n { return 2 * n - 2 - p }
    return p
}
