// Crop, flip and composition of images (preview grids).

extension Image {
    /// The `width`×`height` region whose top-left corner is (x, y); it must lie inside the image.
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) -> Image {
        precondition(x >= 0 && y >= 0 && w >= 0 && h >= 0 && x + w <= width && y + h <= height,
                     "crop outside the image")
        var out = [UInt8](repeating: 0, count: w * h * channels)
        let rowLen = w * channels
        for r in 0..<h {
            let s = ((y + r) * width + x) * channels
            out.replaceSubrange(r * rowLen..<(r + 1) * rowLen, with: pixels[s..<(s + rowLen)])
        }
        return Image(width: w, height: h, channels: channels, pixels: out)
    }

    /// Mirrored left ↔ right (cv2.flip(img, 1)).
    public func flippedHorizontally() -> Image {
        var out = pixels
        let cn = channels
        for y in 0..<height {
            let row = y * width * cn
            for x in 0..<width {
                let s = row + (width - 1 - x) * cn, d = row + x * cn
                for c in 0..<cn { out[d + c] = pixels[s + c] }
            }
        }
        return Image(width: width, height: height, channels: cn, pixels: out)
    }

    /// Copies `other` with its top-left corner at (x, y), clipping what falls outside. Channel counts must
    /// match.
    public mutating func paste(_ other: Image, x: Int, y: Int) {
        precondition(other.channels == channels, "paste needs the same channel count")
        let x0 = max(x, 0), y0 = max(y, 0)
        let x1 = min(x + other.width, width), y1 = min(y + other.height, height)
        guard x0 < x1, y0 < y1 else { return }
        let n = (x1 - x0) * channels
        for yy in y0..<y1 {
            let s = ((yy - y) * other.width + (x0 - x)) * channels
            let d = (yy * width + x0) * channels
            pixels.replaceSubrange(d..<(d + n), with: other.pixels[s..<(s + n)])
        }
    }

    /// Images laid out in a grid of `columns` columns, row by row, each cell as large as the largest
    /// image, cells separated by `spacing` pixels of `background`. Gray images are replicated to RGB when
    /// mixed with colour ones.
    public static func grid(_ images: [Image], columns: Int, spacing: Int = 0, background: UInt8 = 0) -> Image {
        precondition(!images.isEmpty && columns > 0, "grid needs images and at least one column")
        let cn = images.contains { $0.channels != 1 } ? 3 : 1
        let cellW = images.map(\.width).max()!, cellH = images.map(\.height).max()!
        let cols = min(columns, images.count), rows = (images.count + columns - 1) / columns
        var out = Image(width: cols * cellW + (cols - 1) * spacing, height: rows * cellH + (rows - 1) * spacing,
                        channels: cn, fill: background)
        for (i, img) in images.enumerated() {
            let tile = cn == 3 ? img.grayToRGB() : img
            out.paste(tile, x: (i % columns) * (cellW + spacing), y: (i / columns) * (cellH + spacing))
        }
        return out
    }

    /// Images side by side, left to right (a one-row grid).
    public static func sideBySide(_ images: [Image], spacing: Int = 0, background: UInt8 = 0) -> Image {
        grid(images, columns: images.count, spacing: spacing, background: background)
    }
}

extension FloatImage {
    /// The `width`×`height` region whose top-left corner is (x, y); it must lie inside the image.
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) -> FloatImage {
        precondition(x >= 0 && y >= 0 && w >= 0 && h >= 0 && x + w <= width && y + h <= height,
                     "crop outside the image")
        var out = [Float](repeating: 0, count: w * h * channels)
        let rowLen = w * channels
        for r in 0..<h {
            let s = ((y + r) * width + x) * channels
            out.replaceSubrange(r * rowLen..<(r + 1) * rowLen, with: data[s..<(s + rowLen)])
        }
        return FloatImage(width: w, height: h, channels: channels, data: out)
    }

    /// Mirrored left ↔ right.
    public func flippedHorizontally() -> FloatImage {
        var out = data
        let cn = channels
        for y in 0..<height {
            let row = y * width * cn
            for x in 0..<width {
                let s = row + (width - 1 - x) * cn, d = row + x * cn
                for c in 0..<cn { out[d + c] = data[s + c] }
            }
        }
        return FloatImage(width: width, height: height, channels: cn, data: out)
    }
}
