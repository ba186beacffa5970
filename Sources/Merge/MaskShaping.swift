// Mask erosion/dilation and feathering in DFL's units (docs/saehd-model.md §7.2 step 5): the work mask at 4r×4r
// is zero-padded by r, eroded (or dilated) with an elliptic element, its outer band of width r + blur/2
// zeroed so the feathered edge stays inside the predicted square, Gaussian-blurred, cropped and clipped.
import Imaging

/// OpenCV's MORPH_ELLIPSE element of `side`×`side` as one [start, end) column range per row; anchor side/2.
func ellipseElementRows(side: Int) -> [Range<Int>] {
    guard side > 1 else { return [0..<max(side, 0)] }
    let r = side / 2, c = side / 2
    let inverseR2 = 1 / Double(r * r)
    return (0..<side).map { i in
        let dy = i - r
        guard abs(dy) <= r else { return 0..<0 }
        let dx = Int((Double(c) * (Double(r * r - dy * dy) * inverseR2).squareRoot()).rounded(.toNearestOrEven))
        return max(c - dx, 0)..<min(c + dx + 1, side)
    }
}

/// Sliding minimum over the window [x + lo, x + hi] of one row (positions outside the row are ignored),
/// van Herk / Gil–Werman: O(1) per sample for any window length.
private func slidingMin(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count n: Int,
                        lo: Int, hi: Int, prefix g: UnsafeMutablePointer<Float>, suffix h: UnsafeMutablePointer<Float>) {
    let w = hi - lo + 1
    // Block-wise prefix and suffix minima.
    var start = 0
    while start < n {
        let end = min(start + w, n)
        var m = Float.infinity
        for i in start..<end { m = min(m, src[i]); g[i] = m }
        m = .infinity
        for i in stride(from: end - 1, through: start, by: -1) { m = min(m, src[i]); h[i] = m }
        start = end
    }
    for x in 0..<n {
        let a = max(x + lo, 0), b = min(x + hi, n - 1)
        if a > b { dst[x] = .infinity; continue }
        // [a, b] spans at most two blocks: suffix of a's block and prefix up to b.
        dst[x] = (a / w == b / w) ? { var m = Float.infinity; for i in a...b { m = min(m, src[i]) }; return m }()
                                  : min(h[a], g[b])
    }
}

/// Grey erosion of a 1-channel mask by the `side`×`side` ellipse (cv2.erode, pixels outside ignored).
func erodeWithEllipse(_ image: FloatImage, side: Int) -> FloatImage {
    guard side > 1 else { return image }
    let w = image.width, h = image.height
    let rows = ellipseElementRows(side: side)
    let anchor = side / 2
    var out = [Float](repeating: .infinity, count: w * h)
    var horizontal = [Float](repeating: 0, count: w * h)
    var g = [Float](repeating: 0, count: w), s = [Float](repeating: 0, count: w)
    // Rows of the element with the same column span share one horizontal pass.
    var spans: [Range<Int>: [Int]] = [:]
    for (i, cols) in rows.enumerated() where !cols.isEmpty { spans[cols, default: []].append(i) }
    image.data.withUnsafeBufferPointer { src in
        for (cols, elementRows) in spans.sorted(by: { $0.key.lowerBound < $1.key.lowerBound }) {
            let lo = cols.lowerBound - anchor, hi = cols.upperBound - 1 - anchor
            horizontal.withUnsafeMutableBufferPointer { hp in
                g.withUnsafeMutableBufferPointer { gp in
                    s.withUnsafeMutableBufferPointer { sp in
                        for y in 0..<h {
                            slidingMin(src.baseAddress! + y * w, hp.baseAddress! + y * w, count: w, lo: lo, hi: hi,
                                       prefix: gp.baseAddress!, suffix: sp.baseAddress!)
                        }
                    }
                }
            }
            for i in elementRows {
                let dy = i - anchor
                for y in 0..<h {
                    let sy = y + dy
                    guard sy >= 0, sy < h else { continue }
                    for x in 0..<w { out[y * w + x] = min(out[y * w + x], horizontal[sy * w + x]) }
                }
            }
        }
    }
    for i in 0..<out.count where out[i] == .infinity { out[i] = image.data[i] }
    return FloatImage(width: w, height: h, channels: 1, data: out)
}

/// Grey dilation by the ellipse: erosion of the negated mask (the element is symmetric).
func dilateWithEllipse(_ image: FloatImage, side: Int) -> FloatImage {
    var negated = image
    for i in negated.data.indices { negated.data[i] = -negated.data[i] }
    var out = erodeWithEllipse(negated, side: side)
    for i in out.data.indices { out.data[i] = -out.data[i] }
    return out
}

/// DFL's mask shaping for a 1-channel `mask` of side 4r (`resolution` = r): erode (`erode` > 0) or dilate
/// (< 0) by an |erode|-sided ellipse, keep a zero band of r + blur/2 around the padded mask, blur with a
/// `blur`-sized Gaussian (made odd), clip to [0, 1]. Sizes are in pixels of the 4r mask.
public func shapeMask(_ mask: FloatImage, resolution r: Int, erode: Int, blur: Int) -> FloatImage {
    precondition(mask.channels == 1, "shapeMask takes a 1-channel mask")
    let w = mask.width, h = mask.height
    let pw = w + 2 * r, ph = h + 2 * r
    var padded = FloatImage(width: pw, height: ph, channels: 1)
    for y in 0..<h {
        for x in 0..<w { padded.data[(y + r) * pw + x + r] = mask.data[y * w + x] }
    }
    if erode > 0 { padded = erodeWithEllipse(padded, side: erode) }
    if erode < 0 { padded = dilateWithEllipse(padded, side: -erode) }
    let band = r + blur / 2
    for y in 0..<ph {
        for x in 0..<pw where x < band || y < band || x >= pw - band || y >= ph - band {
            padded.data[y * pw + x] = 0
        }
    }
    if blur > 0 {
        let k = blur + 1 - blur % 2
        padded = padded.gaussianBlurred(kernelSize: k)
    }
    var out = FloatImage(width: w, height: h, channels: 1)
    for y in 0..<h {
        for x in 0..<w { out.data[y * w + x] = min(max(padded.data[(y + r) * pw + x + r], 0), 1) }
    }
    return out
}
