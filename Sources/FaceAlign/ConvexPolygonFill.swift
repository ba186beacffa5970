// Filling a convex polygon with integer vertices the way OpenCV's fillConvexPoly does for 8-connected
// lines and no sub-pixel shift (what DFL's masks use), so that mask pixel counts match DFL's:
//   1. the outline: each edge drawn as an 8-connected Bresenham line (left to right, OpenCV's error rule);
//   2. the interior: for every row from the top vertex down to the row above the bottom vertex, the span
//      between the left and right edge, with edge x walked in 16.16 fixed point and both ends rounded to
//      the nearest pixel. A pixel's centre is at its integer coordinates, so this is centre sampling with
//      the span ends rounded outward by up to half a pixel.
// Pixels outside the image are skipped. Rows are in [0, height), columns in [0, width).
import Imaging

/// Sets every channel of the pixels covered by the convex `polygon` to `value` (OpenCV fillConvexPoly,
/// LINE_8, shift 0). The polygon must be convex (use `convexHull`); vertex order may be either way.
/// Vertices beyond ±`PixelPoint.coordinateLimit` are clamped to it. The work is bounded by the image
/// size and the vertex count, whatever the coordinates.
public func fillConvexPolygon(_ image: inout FloatImage, _ polygon: [PixelPoint], value: Float = 1) {
    guard !polygon.isEmpty, image.width > 0, image.height > 0 else { return }
    let polygon = polygon.map(\.clampedToLimit)
    let width = image.width, height = image.height, channels = image.channels
    image.data.withUnsafeMutableBufferPointer { data in
        func span(_ y: Int, _ x0: Int, _ x1: Int) {
            guard y >= 0, y < height else { return }
            let a = max(x0, 0), b = min(x1, width - 1)
            guard a <= b else { return }
            for i in (y * width + a) * channels..<(y * width + b + 1) * channels { data[i] = value }
        }
        var previous = polygon[polygon.count - 1]
        for p in polygon {
            if let (a, b) = clipLine(previous, p, width: width, height: height) {
                drawLine8(a, b) { x, y in span(y, x, x) }
            }
            previous = p
        }
        fillConvexInterior(polygon, width: width, height: height, span: span)
    }
}

/// OpenCV's `clipLine`: the segment cut to the image rectangle [0, width−1]×[0, height−1] (Cohen–Sutherland,
/// new coordinates truncated toward zero, the second end computed from the already-moved first end);
/// nil when the segment misses the image. OpenCV draws the clipped segment, which shifts the pixels of
/// lines that leave the image.
func clipLine(_ a: PixelPoint, _ b: PixelPoint, width: Int, height: Int) -> (PixelPoint, PixelPoint)? {
    guard width > 0, height > 0 else { return nil }
    let right = width - 1, bottom = height - 1
    var (x1, y1, x2, y2) = (a.x, a.y, b.x, b.y)
    func code(_ x: Int, _ y: Int) -> Int {
        (x < 0 ? 1 : 0) + (x > right ? 2 : 0) + (y < 0 ? 4 : 0) + (y > bottom ? 8 : 0)
    }
    var c1 = code(x1, y1), c2 = code(x2, y2)
    if c1 & c2 == 0 && c1 | c2 != 0 {
        if c1 & 12 != 0 {
            let edge = c1 < 8 ? 0 : bottom
            x1 += Int(Double(edge - y1) * Double(x2 - x1) / Double(y2 - y1))
            y1 = edge
            c1 = (x1 < 0 ? 1 : 0) + (x1 > right ? 2 : 0)
        }
        if c2 & 12 != 0 {
            let edge = c2 < 8 ? 0 : bottom
            x2 += Int(Double(edge - y2) * Double(x2 - x1) / Double(y2 - y1))
            y2 = edge
            c2 = (x2 < 0 ? 1 : 0) + (x2 > right ? 2 : 0)
        }
        if c1 & c2 == 0 && c1 | c2 != 0 {
            if c1 != 0 {
                let edge = c1 == 1 ? 0 : right
                y1 += Int(Double(edge - x1) * Double(y2 - y1) / Double(x2 - x1))
                x1 = edge
                c1 = 0
            }
            if c2 != 0 {
                let edge = c2 == 1 ? 0 : right
                y2 += Int(Double(edge - x2) * Double(y2 - y1) / Double(x2 - x1))
                x2 = edge
                c2 = 0
            }
        }
    }
    guard c1 | c2 == 0 else { return nil }
    return (PixelPoint(x1, y1), PixelPoint(x2, y2))
}

/// OpenCV's 8-connected line iterator walked from the left end: the major axis advances every step, the
/// minor axis when the error term (starting at major − 2·minor) is negative.
func drawLine8(_ a: PixelPoint, _ b: PixelPoint, plot: (Int, Int) -> Void) {
    let (p, q) = a.x > b.x ? (b, a) : (a, b)
    var dx = q.x - p.x, dy = q.y - p.y
    var stepX = (1, 0), stepY = (0, 1)    // steps along x and along y, as (dx, dy) pixel moves
    if dx < 0 { dx = -dx; stepX = (-1, 0) }
    if dy < 0 { dy = -dy; stepY = (0, -1) }
    var major = stepX, minor = stepY
    if dy > dx { swap(&dx, &dy); swap(&major, &minor) }
    var error = dx - 2 * dy
    var x = p.x, y = p.y
    for _ in 0...dx {
        plot(x, y)
        let diagonal = error < 0
        error += -2 * dy + (diagonal ? 2 * dx : 0)
        x += major.0 + (diagonal ? minor.0 : 0)
        y += major.1 + (diagonal ? minor.1 : 0)
    }
}

/// The interior spans: two chains walk down from the top vertex, one through increasing and one through
/// decreasing vertex indices; horizontal edges are skipped; the walk ends when the vertices run out.
private func fillConvexInterior(_ v: [PixelPoint], width: Int, height: Int, span: (Int, Int, Int) -> Void) {
    let n = v.count
    guard n >= 3 else { return }
    let fixedOne = 1 << 16, half = fixedOne >> 1
    var top = 0
    for i in 0..<n where v[i].y < v[top].y { top = i }
    let yMin = v[top].y
    let yMax = min(v.map(\.y).max()!, height - 1)
    guard v.map(\.x).max()! >= 0, yMax >= 0, v.map(\.x).min()! < width, yMin < height else { return }

    struct Edge { var index: Int; var direction: Int; var x: Int; var dx: Int; var endY: Int }
    var edges = [Edge(index: top, direction: 1, x: -fixedOne, dx: 0, endY: yMin),
                 Edge(index: top, direction: n - 1, x: -fixedOne, dx: 0, endY: yMin)]
    var verticesLeft = n
    var y = yMin
    repeat {
        for e in 0..<2 where y >= edges[e].endY {
            var from = edges[e].index
            var to = (from + edges[e].direction) % n
            while verticesLeft > 0 {
                verticesLeft -= 1
                let endY = v[to].y
                if endY > y {
                    let xs = v[from].x << 16, xe = v[to].x << 16
                    edges[e].endY = endY
                    // Rounded division, truncating toward zero like C.
                    edges[e].dx = ((xe - xs) * 2 + (endY - y)) / (2 * (endY - y))
                    edges[e].x = xs
                    edges[e].index = to
                    break
                }
                from = to
                to = (to + edges[e].direction) % n
            }
            if verticesLeft == 0 && !(y < edges[e].endY) { verticesLeft = -1 }
        }
        if verticesLeft < 0 { break }
        if y >= 0 {
            let (l, r) = edges[0].x > edges[1].x ? (1, 0) : (0, 1)
            span(y, (edges[l].x + half) >> 16, (edges[r].x + half) >> 16)
        }
        // Rows above the image draw nothing: jump to the next edge change or row 0 in one step (the same
        // x values as stepping row by row, since x advances by dx per row).
        let next = y < 0 ? max(y + 1, min(0, edges[0].endY, edges[1].endY)) : y + 1
        edges[0].x += edges[0].dx * (next - y)
        edges[1].x += edges[1].dx * (next - y)
        y = next
    } while y <= yMax
}
