// cv2.filter2D (a k×k correlation, anchor at the centre, BORDER_REFLECT_101) and cv2.resize with
// INTER_NEAREST, on float images: what XSeg's training augmentation needs (docs/xseg.md, "Training samples").

extension FloatImage {
    /// `cv2.filter2D(image, -1, kernel)`: out(x, y) = Σ kernel[j][i] · in(x + i − a, y + j − a) per channel,
    /// a = ⌊size / 2⌋ (OpenCV's default anchor, also for even sizes); a correlation, not a convolution (the
    /// kernel is not flipped), reading outside the image by reflection without repeating the edge
    /// (BORDER_REFLECT_101). `kernel` is `size`×`size`, row-major.
    public func filtered(kernel: [Float], size: Int) -> FloatImage {
        precondition(size > 0 && kernel.count == size * size, "filter2D needs a square kernel")
        if width == 0 || height == 0 { return self }
        let r = size / 2, cn = channels, w = width, h = height
        var out = [Float](repeating: 0, count: data.count)
        data.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
        kernel.withUnsafeBufferPointer { kw in
            let s = src.baseAddress!, d = SharedPointer(dst.baseAddress!)
            forEachRowRange(h, rowCost: w * cn * size * size) { rows in
                let columns = (0..<(w + size - 1)).map { reflect101($0 - r, w) }
                for y in rows {
                    for j in 0..<size {
                        let row = s + reflect101(y + j - r, h) * w * cn
                        for i in 0..<size {
                            let k = kw[j * size + i]
                            if k == 0 { continue }
                            let o = d.base + y * w * cn
                            for x in 0..<w {
                                let sx = columns[x + i] * cn
                                for c in 0..<cn { o[x * cn + c] += k * row[sx + c] }
                            }
                        }
                    }
                }
            }
        }
        }
        }
        return FloatImage(width: w, height: h, channels: cn, data: out)
    }

    /// `cv2.resize(image, (width, height), interpolation: INTER_NEAREST)`: output pixel x reads source pixel
    /// min(⌊x · srcW / dstW⌋, srcW − 1), and the same for y.
    public func resizedNearest(width dstW: Int, height dstH: Int) -> FloatImage {
        precondition(dstW > 0 && dstH > 0 && width > 0 && height > 0, "resize of or to an empty size")
        let cn = channels
        let fx = Double(width) / Double(dstW), fy = Double(height) / Double(dstH)
        let xs = (0..<dstW).map { min(Int((Double($0) * fx).rounded(.down)), width - 1) }
        var out = [Float](repeating: 0, count: dstW * dstH * cn)
        for y in 0..<dstH {
            let sy = min(Int((Double(y) * fy).rounded(.down)), height - 1)
            for x in 0..<dstW {
                for c in 0..<cn { out[(y * dstW + x) * cn + c] = data[(sy * width + xs[x]) * cn + c] }
            }
        }
        return FloatImage(width: dstW, height: dstH, channels: cn, data: out)
    }
}
