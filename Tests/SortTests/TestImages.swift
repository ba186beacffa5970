// Synthetic test images and a reference Gaussian blur for the Sort tests (the blur is a plain separable
// convolution written here so the tests do not depend on the code under test).
import Foundation
import Imaging

enum TestImages {
    /// A deterministic pseudo-random generator (SplitMix64) so tests are reproducible.
    struct Rng {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E3779B97F4A7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
            z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
            return z ^ (z >> 31)
        }
        mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
        mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next() >> 56) }
    }

    /// A scene with hard edges: random rectangles of random levels over a flat background.
    static func scene(width: Int, height: Int, channels: Int, seed: UInt64, background: Int = 100) -> Image {
        var rng = Rng(state: seed)
        var im = Image(width: width, height: height, channels: channels)
        for y in 0..<height { for x in 0..<width { for c in 0..<channels {
            im[x, y, c] = UInt8(min(255, background + c * 20))
        } } }
        for _ in 0..<40 {
            let x0 = Int(rng.uniform() * Double(width)), y0 = Int(rng.uniform() * Double(height))
            let w = 4 + Int(rng.uniform() * Double(width / 4)), h = 4 + Int(rng.uniform() * Double(height / 4))
            let v = (0..<channels).map { _ in rng.byte() }
            for y in y0..<min(height, y0 + h) { for x in x0..<min(width, x0 + w) { for c in 0..<channels { im[x, y, c] = v[c] } } }
        }
        return im
    }

    /// Gaussian blur with a kernel of radius ⌈3σ⌉ and clamped borders, rounded to 8 bits.
    static func gaussianBlur(_ im: Image, sigma: Double) -> Image {
        let r = Int((3 * sigma).rounded(.up))
        var k = (-r...r).map { exp(-Double($0 * $0) / (2 * sigma * sigma)) }
        let s = k.reduce(0, +); k = k.map { $0 / s }
        let w = im.width, h = im.height, c = im.channels
        var tmp = [Double](repeating: 0, count: w * h * c)
        for y in 0..<h { for x in 0..<w { for ch in 0..<c {
            var acc = 0.0
            for j in -r...r { acc += k[j + r] * Double(im[min(w - 1, max(0, x + j)), y, ch]) }
            tmp[(y * w + x) * c + ch] = acc
        } } }
        var out = im
        for y in 0..<h { for x in 0..<w { for ch in 0..<c {
            var acc = 0.0
            for j in -r...r { acc += k[j + r] * tmp[(min(h - 1, max(0, y + j)) * w + x) * c + ch] }
            out[x, y, ch] = UInt8(max(0, min(255, acc.rounded())))
        } } }
        return out
    }

    /// Every sample multiplied by `factor` (< 1 darkens), rounded.
    static func scaled(_ im: Image, by factor: Double) -> Image {
        Image(width: im.width, height: im.height, channels: im.channels,
              pixels: im.pixels.map { UInt8(min(255, (Double($0) * factor).rounded())) })
    }

    /// The image moved right by `dx` pixels, the columns that fall off reappearing on the left.
    static func shifted(_ im: Image, dx: Int) -> Image {
        var out = im
        for y in 0..<im.height { for x in 0..<im.width { for c in 0..<im.channels {
            out[(x + dx) % im.width, y, c] = im[x, y, c]
        } } }
        return out
    }

    /// Adds uniform noise in ±amplitude to each sample.
    static func noisy(_ im: Image, amplitude: Int, seed: UInt64) -> Image {
        var rng = Rng(state: seed)
        return Image(width: im.width, height: im.height, channels: im.channels, pixels: im.pixels.map {
            let d = Int(rng.next() % UInt64(2 * amplitude + 1)) - amplitude
            return UInt8(max(0, min(255, Int($0) + d)))
        })
    }
}
