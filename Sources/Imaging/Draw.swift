// Polygon fill (masks) and simple drawing (debug images), in the manner of OpenCV's non-antialiased
// drawing functions on integer coordinates.

extension Image {
    /// Fills polygons given by integer vertices with `color` (one value per channel) as cv2.fillPoly does
    /// without antialiasing: the polygons' outlines (8-connected lines) plus, per scanline, the spans
    /// between pairs of edge crossings (even-odd rule, so a polygon inside another makes a hole).
    /// Edge crossings use 16.16 fixed point and are rounded to the nearest pixel (half up), which
    /// reproduces cv2.fillPoly exactly on the fixtures (convex, concave, self-intersecting, with a hole).
    /// Points outside the image are clipped.
    public mutating func fillPolygons(_ polygons: [[SIMD2<Int>]], color: [UInt8]) {
        precondition(color.count == channels, "one colour value per channel")
        struct Edge { var y0: Int; var y1: Int; var x: Int; var dx: Int }
        var edges: [Edge] = []
        for poly in polygons where !poly.isEmpty {
            var p0 = poly[poly.count - 1]
            for p1 in poly {
                drawLine(from: p0, to: p1, color: color)
                if p0.y != p1.y {
                    let (top, bottom) = p0.y < p1.y ? (p0, p1) : (p1, p0)
                    // Integer division truncates toward zero, as in OpenCV.
                    let dx = ((p1.x - p0.x) << 16) / (p1.y - p0.y)
                    edges.append(Edge(y0: top.y, y1: bottom.y, x: (top.x << 16) + (1 << 15), dx: dx))
                }
                p0 = p1
            }
        }
        guard edges.count >= 2 else { return }
        let yStart = max(edges.map(\.y0).min()!, 0)
        let yEnd = min(edges.map(\.y1).max()!, height)
        guard yStart < yEnd else { return }
        var xs: [Int] = []
        for y in yStart..<yEnd {
            xs.removeAll(keepingCapacity: true)
            for e in edges where e.y0 <= y && y < e.y1 { xs.append(e.x + (y - e.y0) * e.dx) }
            xs.sort()
            var i = 0
            while i + 1 < xs.count {
                let x1 = max(xs[i] >> 16, 0), x2 = min(xs[i + 1] >> 16, width - 1)
                if x1 <= x2 { fillSpan(y: y, from: x1, to: x2, color: color) }
                i += 2
            }
        }
    }

    /// Fills one polygon (see `fillPolygons`).
    public mutating func fillPolygon(_ points: [SIMD2<Int>], color: [UInt8]) {
        fillPolygons([points], color: color)
    }

    /// A 1-pixel 8-connected line from `a` to `b` inclusive (Bresenham as cv2.line with LINE_8); pixels
    /// outside the image are skipped.
    public mutating func drawLine(from a: SIMD2<Int>, to b: SIMD2<Int>, color: [UInt8]) {
        precondition(color.count == channels, "one colour value per channel")
        var p = a.x <= b.x ? a : b  // drawn left to right, as OpenCV does
        let q = a.x <= b.x ? b : a
        var dx = q.x - p.x, dy = q.y - p.y
        let sy = dy < 0 ? -1 : 1
        dy = abs(dy)
        var major = SIMD2<Int>(1, 0), minor = SIMD2<Int>(0, sy)
        if dy > dx { swap(&dx, &dy); swap(&major, &minor) }
        var err = dx - 2 * dy
        for _ in 0...dx {
            setPixel(p, color)
            if err < 0 { err += 2 * dx - 2 * dy; p &+= major &+ minor } else { err -= 2 * dy; p &+= major }
        }
    }

    /// A circle of `radius` around `center`: its 1-pixel outline, or the whole disc when `filled`.
    /// Meant for debug images; not pixel-identical to cv2.circle.
    public mutating func drawCircle(center: SIMD2<Int>, radius: Int, color: [UInt8], filled: Bool = false) {
        precondition(color.count == channels, "one colour value per channel")
        guard radius >= 0 else { return }
        // Midpoint circle: one octant, mirrored eight ways.
        var x = radius, y = 0, err = 1 - radius
        while x >= y {
            if filled {
                for (yy, half) in [(center.y + y, x), (center.y - y, x), (center.y + x, y), (center.y - x, y)] {
                    if yy >= 0 && yy < height {
                        let x1 = max(center.x - half, 0), x2 = min(center.x + half, width - 1)
                        if x1 <= x2 { fillSpan(y: yy, from: x1, to: x2, color: color) }
                    }
                }
            } else {
                for (ox, oy) in [(x, y), (y, x), (-y, x), (-x, y), (-x, -y), (-y, -x), (y, -x), (x, -y)] {
                    setPixel(SIMD2(center.x + ox, center.y + oy), color)
                }
            }
            y += 1
            if err < 0 { err += 2 * y + 1 } else { x -= 1; err += 2 * (y - x) + 1 }
        }
    }

    @inline(__always) private mutating func setPixel(_ p: SIMD2<Int>, _ color: [UInt8]) {
        guard p.x >= 0, p.y >= 0, p.x < width, p.y < height else { return }
        let o = (p.y * width + p.x) * channels
        for c in 0..<channels { pixels[o + c] = color[c] }
    }

    private mutating func fillSpan(y: Int, from x1: Int, to x2: Int, color: [UInt8]) {
        let cn = channels, w = width
        pixels.withUnsafeMutableBufferPointer { px in
            var o = (y * w + x1) * cn
            for _ in x1...x2 {
                for c in 0..<cn { px[o + c] = color[c] }
                o += cn
            }
        }
    }
}
