// Frame-space work is confined to the rectangle the face square covers, so a 1280×720 frame costs what its
// faces cost: masks and predicted faces are warped straight into that rectangle.
import FaceAlign
import Imaging

/// A rectangle of frame pixels.
struct PixelRect: Equatable {
    var x: Int, y: Int, width: Int, height: Int
    var isEmpty: Bool { width <= 0 || height <= 0 }
}

/// The bounding box (plus a 2-pixel margin, clamped to the frame) of the `side`×`side` square that the
/// frame → face matrix `toFace` maps the frame onto; nil when it misses the frame.
func frameRect(covering toFace: [(Affine2D, Int)], frameWidth: Int, frameHeight: Int) -> PixelRect? {
    var x0 = Double.infinity, y0 = Double.infinity, x1 = -Double.infinity, y1 = -Double.infinity
    for (m, side) in toFace {
        guard let inv = m.inverted else { continue }
        let s = Double(side)
        for p in [Point2D(0, 0), Point2D(s, 0), Point2D(0, s), Point2D(s, s)] {
            let q = inv.apply(p)
            x0 = min(x0, q.x); y0 = min(y0, q.y); x1 = max(x1, q.x); y1 = max(y1, q.y)
        }
    }
    guard x0.isFinite, y0.isFinite, x1.isFinite, y1.isFinite else { return nil }
    let left = max(Int(x0.rounded(.down)) - 2, 0), top = max(Int(y0.rounded(.down)) - 2, 0)
    let right = min(Int(x1.rounded(.up)) + 2, frameWidth), bottom = min(Int(y1.rounded(.up)) + 2, frameHeight)
    let rect = PixelRect(x: left, y: top, width: right - left, height: bottom - top)
    return rect.isEmpty ? nil : rect
}

/// `image` (in face space) warped back into the frame rectangle `rect` through the inverse of `toFace`
/// (cv2.warpAffine with WARP_INVERSE_MAP, restricted to `rect`).
func warpToFrame(_ image: FloatImage, toFace: Affine2D, rect: PixelRect,
                 interpolation: WarpInterpolation, border: WarpBorder = .constant(0)) -> FloatImage {
    // Output pixel q of the rectangle is frame pixel q + (x, y), which samples the face at toFace(q + (x, y)).
    let toRect = toFace.composed(after: .translation(Double(rect.x), Double(rect.y))).inverted!
    return warpAffine(image, matrix: toRect.rowMajor, width: rect.width, height: rect.height,
                      interpolation: interpolation, border: border)
}

extension FloatImage {
    /// The `rect` part of this image.
    func region(_ rect: PixelRect) -> FloatImage {
        cropped(x: rect.x, y: rect.y, width: rect.width, height: rect.height)
    }

    /// Writes `part` (of `rect`'s size and this image's channels) into `rect`.
    mutating func setRegion(_ rect: PixelRect, _ part: FloatImage) {
        let cn = channels
        let rowLength = rect.width * cn
        for y in 0..<rect.height {
            let dst = ((rect.y + y) * width + rect.x) * cn
            for i in 0..<rowLength { data[dst + i] = part.data[y * rowLength + i] }
        }
    }

    /// Values clamped to [0, 1].
    func clipped() -> FloatImage {
        var out = self
        for i in out.data.indices { out.data[i] = min(max(out.data[i], 0), 1) }
        return out
    }

    /// This image with `channels` channels: 3 → 1 by BT.601 luma, 1 → 3 by repetition.
    func converted(toChannels n: Int) -> FloatImage {
        if channels == n { return self }
        return n == 1 ? toGray() : grayToRGB()
    }
}
