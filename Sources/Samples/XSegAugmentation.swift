// XSeg's training augmentation (docs/xseg.md, "Training samples"): per sample, in DFL's order, a background
// mix with another labelled face, the random pose change and elastic grid (image and mask alike), face and
// background flares, a random HSV shift or RGB levels, sharpening or motion and Gaussian blur, a nearest or
// bilinear down-and-up resize, and JPEG compression. Only the geometry touches the target mask. Each
// photometric effect is blended into the image through a fresh random faded circle.
//
// Every effect is written twice: with explicit parameters (the formula, which the tests check) and as the
// random draw DFL makes around it. Images are RGB float (DFL's are BGR: the per-channel draws of the RGB
// levels land on other channels, which changes nothing in distribution).
import ColorTransfer
import Foundation
import Imaging

public enum XSegAugmentation {
    // MARK: Faded circle

    /// DFL's `random_circle_faded`: 1 inside radius `radius` around (`centerX`, `centerY`), falling linearly to 0
    /// over the next `fadeWidth` pixels (a width of 0 counts as 1). 1 channel, `size`×`size`.
    public static func circleFaded(size: Int, centerX: Int, centerY: Int, radius: Int, fadeWidth: Int) -> FloatImage {
        let e = Double(fadeWidth == 0 ? 1 : fadeWidth), s = Double(radius)
        var out = FloatImage(width: size, height: size, channels: 1)
        for y in 0..<size {
            for x in 0..<size {
                let dx = Double(x - centerX), dy = Double(y - centerY)
                let d = (dx * dx + dy * dy).squareRoot()
                out.data[y * size + x] = Float(min(max(1 - (d - s) / e, 0), 1))
            }
        }
        return out
    }

    /// The random circle: radius s = randint(size), fade width s + randint(size − s) (DFL uses its "fade end"
    /// as the width), centre anywhere in the image.
    public static func randomCircleFaded(size: Int, rng: inout SeededGenerator) -> FloatImage {
        let s = rng.int(below: size)
        let e = s + rng.int(below: size - s)
        let cy = rng.int(below: size), cx = rng.int(below: size)
        return circleFaded(size: size, centerX: cx, centerY: cy, radius: s, fadeWidth: e)
    }

    /// `image·(1 − mask) + effect·mask`, the 1-channel `mask` applied to every channel.
    public static func blend(_ image: FloatImage, _ effect: FloatImage, mask: FloatImage) -> FloatImage {
        precondition(image.width == effect.width && image.height == effect.height && mask.width == image.width
                     && mask.height == image.height && mask.channels == 1 && image.channels == effect.channels, "blend sizes")
        var out = image
        let c = image.channels
        for p in 0..<(image.width * image.height) {
            let m = mask.data[p]
            for k in 0..<c { out.data[p * c + k] = image.data[p * c + k] * (1 - m) + effect.data[p * c + k] * m }
        }
        return out
    }

    /// The image clipped to [0, 1].
    public static func clipped(_ image: FloatImage) -> FloatImage {
        FloatImage(width: image.width, height: image.height, channels: image.channels, data: image.data.map { min(max($0, 0), 1) })
    }

    // MARK: Colour

    /// The HSV shift (OpenCV's float HSV, H in degrees): H = (H + `hue`) mod 360, S = clip(S + `saturation`),
    /// V = clip(V + `value`), back to RGB, clipped to [0, 1]. Applied to the whole image.
    public static func hsvShift(_ image: FloatImage, hue: Int, saturation: Double, value: Double) -> FloatImage {
        precondition(image.channels == 3, "HSV shift of a 3-channel image")
        var out = image
        let dh = Float(hue), ds = Float(saturation), dv = Float(value)
        out.data.withUnsafeMutableBufferPointer { p in
            for i in stride(from: 0, to: p.count, by: 3) {
                var (h, s, v) = HSVConversion.fromRGB(p[i], p[i + 1], p[i + 2])
                h = (h + dh).truncatingRemainder(dividingBy: 360)
                s = min(max(s + ds, 0), 1)
                v = min(max(v + dv, 0), 1)
                let (r, g, b) = HSVConversion.toRGB(h, s, v)
                p[i] = min(max(r, 0), 1); p[i + 1] = min(max(g, 0), 1); p[i + 2] = min(max(b, 0), 1)
            }
        }
        return out
    }

    /// The random HSV shift: a hue rotation of randint(360) degrees, S and V offsets U(0, 1) − 0.5.
    public static func randomHSVShift(_ image: FloatImage, rng: inout SeededGenerator) -> FloatImage {
        let h = rng.int(below: 360)
        let s = rng.unit() - 0.5
        let v = rng.unit() - 0.5
        return hsvShift(image, hue: h, saturation: s, value: v)
    }

    /// RGB levels, per channel c: r = clip((x − inBlack)/(inWhite − inBlack), 0, 1), then
    /// r^(1/inGamma)·(outWhite − outBlack) + outBlack, clipped to [0, 1].
    public struct Levels: Sendable, Equatable {
        public var inBlack: [Double], inWhite: [Double], inGamma: [Double], outBlack: [Double], outWhite: [Double]
        public init(inBlack: [Double], inWhite: [Double], inGamma: [Double], outBlack: [Double], outWhite: [Double]) {
            self.inBlack = inBlack; self.inWhite = inWhite; self.inGamma = inGamma; self.outBlack = outBlack; self.outWhite = outWhite
        }

        /// DFL's draw, in its order: three in-blacks U·0.25, three in-whites 1 − U·0.25, three gammas 0.5 + U,
        /// three out-blacks U·0.25, three out-whites 1 − U·0.25.
        public static func random(_ rng: inout SeededGenerator) -> Levels {
            func three(_ f: (Double) -> Double) -> [Double] { (0..<3).map { _ in f(rng.unit()) } }
            let ib = three { $0 * 0.25 }, iw = three { 1 - $0 * 0.25 }, g = three { 0.5 + $0 }
            let ob = three { $0 * 0.25 }, ow = three { 1 - $0 * 0.25 }
            return Levels(inBlack: ib, inWhite: iw, inGamma: g, outBlack: ob, outWhite: ow)
        }
    }

    public static func levels(_ image: FloatImage, _ l: Levels) -> FloatImage {
        precondition(image.channels == 3, "levels of a 3-channel image")
        var out = image
        for i in 0..<out.data.count {
            let c = i % 3
            var r = (Double(image.data[i]) - l.inBlack[c]) / (l.inWhite[c] - l.inBlack[c])
            r = min(max(r, 0), 1)
            r = pow(r, 1 / l.inGamma[c]) * (l.outWhite[c] - l.outBlack[c]) + l.outBlack[c]
            out.data[i] = Float(min(max(r, 0), 1))
        }
        return out
    }

    // MARK: Sharpen and blur

    /// DFL's `blursharpen` sharpening with kernel size `kernelSize` (made odd by adding 1) and `amount`:
    /// box: filter2D with δ + (δ − box)·amount (box = the k×k mean); Gaussian: image·(1 + amount/2) −
    /// GaussianBlur(image, k, automatic σ)·amount/2. Amount 0 leaves the image as it is.
    public static func sharpen(_ image: FloatImage, kernelSize: Int, amount: Int, box: Bool) -> FloatImage {
        let k = kernelSize % 2 == 0 ? kernelSize + 1 : kernelSize
        guard amount > 0 else { return image }
        let a = Float(amount)
        if box {
            var kernel = [Float](repeating: -a / Float(k * k), count: k * k)
            kernel[(k / 2) * k + k / 2] += 1 + a
            return image.filtered(kernel: kernel, size: k)
        }
        let blur = image.gaussianBlurred(kernelSize: k, sigma: 0)
        var out = image
        for i in 0..<out.data.count { out.data[i] = image.data[i] * (1 + 0.5 * a) - blur.data[i] * (0.5 * a) }
        return out
    }

    /// `apply_random_sharpen(chance, max kernel)`'s draw: the kernel size randint(max) + 1 first; then with
    /// probability `chance`/100 a coin picks box sharpening with amount randint(10) or Gaussian sharpening with
    /// amount randint(50); nil when it does not apply.
    public static func sharpenDraw(chance: Int = 25, maxKernel: Int = 5, rng: inout SeededGenerator)
        -> (kernelSize: Int, box: Bool, amount: Int)? {
        let k = rng.int(below: maxKernel) + 1
        guard rng.int(below: 100) < chance else { return nil }
        let box = rng.int(below: 2) == 0
        return (k, box, rng.int(below: box ? 10 : 50))
    }

    /// `apply_random_sharpen`: `sharpenDraw`, the sharpened image blended through `mask`.
    public static func randomSharpen(_ image: FloatImage, chance: Int = 25, maxKernel: Int = 5, mask: FloatImage,
                                     rng: inout SeededGenerator) -> FloatImage {
        guard let d = sharpenDraw(chance: chance, maxKernel: maxKernel, rng: &rng) else { return image }
        return blend(image, sharpen(image, kernelSize: d.kernelSize, amount: d.amount, box: d.box), mask: mask)
    }

    /// The motion-blur kernel: `size`×`size` zeros with the middle row ((size − 1)/2) set to 1, rotated by
    /// `degrees` about (size/2 − 0.5, size/2 − 0.5) (cv2.getRotationMatrix2D, bilinear warpAffine, zero
    /// border), divided by its sum.
    public static func motionBlurKernel(size: Int, degrees: Int) -> [Float] {
        var line = FloatImage(width: size, height: size, channels: 1)
        for x in 0..<size { line.data[((size - 1) / 2) * size + x] = 1 }
        let c = Double(size) / 2 - 0.5
        let m = AffineMap.rotation(center: SIMD2(c, c), degrees: Double(degrees), scale: 1)
        let rotated = warpAffine(line, matrix: m.matrix, width: size, height: size, interpolation: .bilinear,
                                 border: .constant(0))
        let sum = rotated.data.reduce(0, +)
        return rotated.data.map { $0 / sum }
    }

    /// `apply_random_motion_blur(chance, max size)`'s draw: size randint(max) + 1 and angle randint(360) first,
    /// then whether it applies (probability `chance`/100).
    public static func motionBlurDraw(chance: Int = 25, maxSize: Int = 5, rng: inout SeededGenerator) -> (size: Int, degrees: Int)? {
        let k = rng.int(below: maxSize) + 1
        let degrees = rng.int(below: 360)
        guard rng.int(below: 100) < chance else { return nil }
        return (k, degrees)
    }

    /// `apply_random_motion_blur`: the image filtered with `motionBlurKernel` of `motionBlurDraw`, blended.
    public static func randomMotionBlur(_ image: FloatImage, chance: Int = 25, maxSize: Int = 5, mask: FloatImage,
                                        rng: inout SeededGenerator) -> FloatImage {
        guard let d = motionBlurDraw(chance: chance, maxSize: maxSize, rng: &rng) else { return image }
        return blend(image, image.filtered(kernel: motionBlurKernel(size: d.size, degrees: d.degrees), size: d.size), mask: mask)
    }

    /// `apply_random_gaussian_blur(chance, max)`'s draw: with probability `chance`/100, the kernel size
    /// 2·randint(max) + 1.
    public static func gaussianBlurDraw(chance: Int = 25, maxSize: Int = 5, rng: inout SeededGenerator) -> Int? {
        guard rng.int(below: 100) < chance else { return nil }
        return 2 * rng.int(below: maxSize) + 1
    }

    /// `apply_random_gaussian_blur`: GaussianBlur (automatic σ) of `gaussianBlurDraw`'s size, blended.
    public static func randomGaussianBlur(_ image: FloatImage, chance: Int = 25, maxSize: Int = 5, mask: FloatImage,
                                          rng: inout SeededGenerator) -> FloatImage {
        guard let k = gaussianBlurDraw(chance: chance, maxSize: maxSize, rng: &rng) else { return image }
        return blend(image, image.gaussianBlurred(kernelSize: k, sigma: 0), mask: mask)
    }

    // MARK: Resampling and compression

    /// The down-and-up resize: to `width`×`height` and back, both with nearest or bilinear interpolation.
    public static func resizeDownUp(_ image: FloatImage, width: Int, height: Int, nearest: Bool) -> FloatImage {
        if nearest {
            return image.resizedNearest(width: width, height: height).resizedNearest(width: image.width, height: image.height)
        }
        return image.resized(width: width, height: height, method: .linear)
            .resized(width: image.width, height: image.height, method: .linear)
    }

    /// The reduced side of `apply_random_resize` for a draw t ∈ [0, 1): side − int(t · int(side · percent/100)).
    public static func reducedSide(_ side: Int, t: Double, percent: Int = 75) -> Int {
        side - Int(t * Double(Int(Double(side) * Double(percent) / 100)))
    }

    /// `apply_random_resize(chance, 75 %)`'s draw: with probability `chance`/100, t = U(0, 1).
    public static func resizeDraw(chance: Int = 25, rng: inout SeededGenerator) -> Double? {
        guard rng.int(below: 100) < chance else { return nil }
        return rng.unit()
    }

    /// `apply_random_resize`: both sides reduced by `resizeDraw`'s t (`reducedSide`), down and back up with one
    /// interpolation, blended.
    public static func randomResize(_ image: FloatImage, chance: Int = 25, percent: Int = 75, nearest: Bool,
                                    mask: FloatImage, rng: inout SeededGenerator) -> FloatImage {
        guard let t = resizeDraw(chance: chance, rng: &rng) else { return image }
        let w = reducedSide(image.width, t: t, percent: percent), h = reducedSide(image.height, t: t, percent: percent)
        return blend(image, resizeDownUp(image, width: w, height: h, nearest: nearest), mask: mask)
    }

    /// JPEG round trip at `quality`: the image as 8 bits (clip(x·255) truncated), encoded, decoded, / 255.
    public static func jpegRoundTrip(_ image: FloatImage, quality: Int) throws -> FloatImage {
        let bytes = image.data.map { UInt8(min(max($0 * 255, 0), 255)) }
        let encoded = try encodeJPEG(Image(width: image.width, height: image.height, channels: image.channels, pixels: bytes),
                                     quality: quality)
        let decoded = try decodeJPEG(encoded)
        return FloatImage(width: decoded.width, height: decoded.height, channels: decoded.channels,
                          data: decoded.pixels.map { Float($0) / 255 })
    }

    /// `apply_random_jpeg_compress(chance)`'s draw: with probability `chance`/100, quality randint(10, 101).
    public static func jpegDraw(chance: Int = 25, rng: inout SeededGenerator) -> Int? {
        guard rng.int(below: 100) < chance else { return nil }
        return 10 + rng.int(below: 91)
    }

    /// `apply_random_jpeg_compress`: the JPEG round trip at `jpegDraw`'s quality, blended.
    public static func randomJPEG(_ image: FloatImage, chance: Int = 25, mask: FloatImage,
                                  rng: inout SeededGenerator) throws -> FloatImage {
        guard let quality = jpegDraw(chance: chance, rng: &rng) else { return image }
        return blend(image, try jpegRoundTrip(image, quality: quality), mask: mask)
    }

    // MARK: Flares and the background mix

    /// A flare: image + GaussianBlur(image · `region`, k×k, automatic σ), not clipped. `region` is the face
    /// mask (face flare) or 1 − mask (background flare).
    public static func flare(_ image: FloatImage, region: FloatImage, kernelSize: Int) -> FloatImage {
        var lit = image
        let c = image.channels
        for p in 0..<(image.width * image.height) { for k in 0..<c { lit.data[p * c + k] *= region.data[p] } }
        let blur = lit.gaussianBlurred(kernelSize: kernelSize, sigma: 0)
        var out = image
        for i in 0..<out.data.count { out.data[i] += blur.data[i] }
        return out
    }

    /// The flare's kernel size: randint(64, 256) made odd (k − k mod 2 + 1).
    public static func randomFlareKernel(_ rng: inout SeededGenerator) -> Int {
        let k = 64 + rng.int(below: 192)
        return k - k % 2 + 1
    }

    /// The background mix with another labelled face `bg` (already posed, with its mask `bgMask`): outside
    /// both faces, c = 1 − (1 − bgMask)(1 − mask) being their union, the image becomes its own background times
    /// `keep` plus the other face's background (`bgImage`·(1 − bgMask), recoloured by the caller) times
    /// 1 − `keep`: image·c + image·(1 − c)·keep + bg·(1 − c)·(1 − keep).
    public static func mixBackground(_ image: FloatImage, mask: FloatImage, background: FloatImage, backgroundMask: FloatImage,
                                     keep: Double) -> FloatImage {
        var out = image
        let c = image.channels, r = Float(keep)
        for p in 0..<(image.width * image.height) {
            let u = 1 - (1 - backgroundMask.data[p]) * (1 - mask.data[p])
            for k in 0..<c {
                let i = p * c + k
                out.data[i] = image.data[i] * u + image.data[i] * (1 - u) * r + background.data[i] * (1 - u) * (1 - r)
            }
        }
        return out
    }

    /// The other face's pose for the background mix: rotation U(−180, 180)°, scale U(1/1.1, 1.1), shift
    /// U(−0.1, 0.1), 40 % flips.
    public static var backgroundRanges: WarpRanges {
        var r = WarpRanges()
        r.rotation = -180...180
        r.scale = -0.1...0.1
        r.translation = -0.1...0.1
        return r
    }

    /// The training sample's pose change: rotation U(−10, 10)°, scale U(1/1.05, 1.05), shift U(−0.05, 0.05),
    /// 40 % flips, and the random elastic grid.
    public static var poseRanges: WarpRanges {
        var r = WarpRanges()
        r.rotation = -10...10
        r.scale = -0.05...0.05
        r.translation = -0.05...0.05
        return r
    }

    /// Image and mask posed by `params`: the elastic grid when `grid` (cv2.remap, cubic, zero border), then the
    /// affine pose (warpAffine, cubic; the image with a replicated border, the mask with zeros), then the flip.
    public static func pose(_ image: FloatImage, _ mask: FloatImage, _ params: WarpParameters, grid: Bool)
        -> (image: FloatImage, mask: FloatImage) {
        let r = image.width
        var img = image, m = mask
        if grid {
            img = remap(img, mapX: params.mapX, mapY: params.mapY, width: r, height: r, interpolation: .cubic, border: .zero)
            m = remap(m, mapX: params.mapX, mapY: params.mapY, width: r, height: r, interpolation: .cubic, border: .zero)
        }
        let a = params.affine.matrix
        img = warpAffine(img, matrix: a, width: r, height: r, interpolation: .cubic, border: .replicate)
        m = warpAffine(m, matrix: a, width: r, height: r, interpolation: .cubic, border: .constant(0))
        if params.flip {
            img = img.flippedHorizontally()
            m = m.flippedHorizontally()
        }
        return (img, m)
    }

    // MARK: The whole pipeline

    /// One training sample from labelled face `sample` (and, when the background-mix coin came up, face
    /// `background`), with the randomness of `rng`, in DFL's order (docs/xseg.md, "Training samples"). The
    /// image comes out clipped to [0, 1] and the mask exactly 0 or 1.
    public static func augment(_ sample: XSegSample, background: XSegSample?, rng: inout SeededGenerator) throws
        -> (image: FloatImage, mask: FloatImage) {
        let r = sample.image.width
        var img = sample.image, mask = sample.mask
        // 2. Background mix.
        if let background {
            let p = WarpParameters.random(size: r, ranges: backgroundRanges, allowFlip: true, rng: &rng)
            let posed = pose(background.image, background.mask, p, grid: false)
            var bg = posed.image
            for q in 0..<(r * r) { for k in 0..<3 { bg.data[q * 3 + k] *= 1 - posed.mask.data[q] } }
            bg = rng.int(below: 2) == 0 ? randomHSVShift(bg, rng: &rng) : levels(bg, Levels.random(&rng))
            let keep = 0.15 + 0.85 * rng.unit()
            img = mixBackground(img, mask: mask, background: bg, backgroundMask: posed.mask, keep: keep)
        }
        // 3. Pose change and elastic grid, image and mask alike; 4. clip and threshold.
        let p = WarpParameters.random(size: r, ranges: poseRanges, allowFlip: true, rng: &rng)
        (img, mask) = pose(img, mask, p, grid: true)
        img = clipped(img)
        for i in 0..<mask.data.count { mask.data[i] = mask.data[i] < 0.5 ? 0 : 1 }
        // 5., 6. Face and background flares (no clip).
        if rng.int(below: 2) == 0 { img = flare(img, region: mask, kernelSize: randomFlareKernel(&rng)) }
        if rng.int(below: 2) == 0 {
            let outside = FloatImage(width: r, height: r, channels: 1, data: mask.data.map { 1 - $0 })
            img = flare(img, region: outside, kernelSize: randomFlareKernel(&rng))
        }
        // 7. Colour, through a faded circle.
        let hsv = rng.int(below: 2) == 0
        let circle = randomCircleFaded(size: r, rng: &rng)
        img = blend(img, hsv ? randomHSVShift(img, rng: &rng) : levels(img, Levels.random(&rng)), mask: circle)
        // 8. Sharpen, or motion blur then Gaussian blur.
        if rng.int(below: 2) == 0 {
            img = randomSharpen(img, mask: randomCircleFaded(size: r, rng: &rng), rng: &rng)
        } else {
            img = randomMotionBlur(img, mask: randomCircleFaded(size: r, rng: &rng), rng: &rng)
            img = randomGaussianBlur(img, mask: randomCircleFaded(size: r, rng: &rng), rng: &rng)
        }
        // 9. Nearest or bilinear down-and-up resize.
        let nearest = rng.int(below: 2) == 0
        img = randomResize(img, nearest: nearest, mask: randomCircleFaded(size: r, rng: &rng), rng: &rng)
        // 10. Clip; 11. JPEG.
        img = clipped(img)
        img = try randomJPEG(img, mask: randomCircleFaded(size: r, rng: &rng), rng: &rng)
        return (img, mask)
    }
}
