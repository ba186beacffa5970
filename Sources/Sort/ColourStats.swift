// The whole-image statistics DFL sorts by: brightness (HSV value), hue (OpenCV's 8-bit HSV hue) and the
// number of black samples. All take every pixel of the face, unmasked.
import Imaging

public enum ColourStats {
    /// Mean of HSV V = max(R, G, B) per pixel. For a 1-channel face the mean of its values (SAEHDBW).
    public static func brightness(_ image: Image) -> Double {
        let n = image.width * image.height
        guard n > 0 else { return 0 }
        let c = image.channels
        var sum = 0
        image.pixels.withUnsafeBufferPointer { px in
            if c == 1 {
                for i in 0..<n { sum += Int(px[i]) }
            } else {
                for i in 0..<n { sum += Int(max(px[i * c], px[i * c + 1], px[i * c + 2])) }
            }
        }
        return Double(sum) / Double(n)
    }

    /// Mean of OpenCV's 8-bit HSV hue (0…179, degrees / 2). A gray pixel has hue 0, so every
    /// 1-channel face scores 0.
    public static func hue(_ image: Image) -> Double {
        let n = image.width * image.height
        guard n > 0, image.channels >= 3 else { return 0 }
        let c = image.channels
        var sum = 0
        image.pixels.withUnsafeBufferPointer { px in
            for i in 0..<n { sum += hue8(r: Int(px[i * c]), g: Int(px[i * c + 1]), b: Int(px[i * c + 2])) }
        }
        return Double(sum) / Double(n)
    }

    /// OpenCV's RGB→HSV hue for 8-bit data: the sector formula scaled by a rounded fixed-point table
    /// (round(180·4096 / (6·diff))) with a 12-bit shift and rounding, wrapped into 0…179.
    @inline(__always) static func hue8(r: Int, g: Int, b: Int) -> Int {
        let v = max(r, g, b), diff = v - min(r, g, b)
        guard diff != 0 else { return 0 }
        var h: Int
        if v == r { h = g - b } else if v == g { h = b - r + 2 * diff } else { h = r - g + 4 * diff }
        h = (h * hueDivision[diff] + (1 << 11)) >> 12
        if h < 0 { h += 180 }
        return h
    }

    static let hueDivision: [Int] = (0..<256).map { i in
        i == 0 ? 0 : Int((180.0 * 4096.0 / (6.0 * Double(i))).rounded(.toNearestOrEven))
    }

    /// Number of samples equal to 0, each channel counted separately (alpha excluded).
    public static func blackCount(_ image: Image) -> Int {
        let n = image.width * image.height
        let c = image.channels, used = FacePixels.colourChannelCount(image)
        var count = 0
        image.pixels.withUnsafeBufferPointer { px in
            for i in 0..<n { for k in 0..<used where px[i * c + k] == 0 { count += 1 } }
        }
        return count
    }
}
