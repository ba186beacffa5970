// `--debug DIR`: the frame with, per written face, the detector box (blue for HOG, yellow for the CNN, whose
// box is drawn as adapted for the landmark model), the 68 landmarks (green) and
// the aligned square's footprint (red) with a small triangle marking its top-left corner, as DFL's
// extractor draws them (without DFL's darkening of the face hull).
import FaceAlign
import FaceDetect
import Imaging

enum DebugOverlay {
    static let green: [UInt8] = [0, 255, 0]
    static let blue: [UInt8] = [0, 0, 255]
    static let red: [UInt8] = [255, 0, 0]
    static let yellow: [UInt8] = [255, 255, 0]

    /// Landmark polylines (index ranges) and whether each is closed: jaw, brows, nose (with 30 appended to
    /// the nostrils), eyes, mouth.
    static let polylines: [([Int], Bool)] = [
        (Array(0...16), false), (Array(17...21), false), (Array(22...26), false), (Array(27...30), false),
        (Array(31...35) + [30], false), (Array(36...41), true), (Array(42...47), true), (Array(48...59), true),
        (Array(60...67), true),
    ]

    /// `frame` (RGB) with the overlays of `faces`, each with its frame → aligned matrix for `size`.
    static func draw(on frame: Image, faces: [(DetectedFace, Affine2D)], size: Int) -> Image {
        var image = frame
        for (face, m) in faces {
            let b = face.box
            let corners = [Point2D(Double(b.left), Double(b.top)), Point2D(Double(b.right), Double(b.top)),
                           Point2D(Double(b.right), Double(b.bottom)), Point2D(Double(b.left), Double(b.bottom))]
            polyline(&image, corners, closed: true, color: face.detector == .cnn ? yellow : blue, thickness: 2)
            for (indices, closed) in polylines {
                polyline(&image, indices.map { face.landmarks[$0] }, closed: closed, color: green, thickness: 1)
            }
            for (i, p) in face.landmarks.enumerated() {
                dot(&image, p, radius: i <= 16 ? 2 : 1, color: green)
            }
            guard let inverse = m.inverted else { continue }
            let s = Double(size)
            polyline(&image, inverse.apply([Point2D(0, 0), Point2D(s - 1, 0), Point2D(s - 1, s - 1), Point2D(0, s - 1)]),
                     closed: true, color: red, thickness: 2)
            polyline(&image, inverse.apply([Point2D(0.05 * s, 0), Point2D(0.1 * s, 0.1 * s), Point2D(0, 0.1 * s)]),
                     closed: true, color: red, thickness: 2)
        }
        return image
    }

    static func polyline(_ image: inout Image, _ points: [Point2D], closed: Bool, color: [UInt8], thickness: Int) {
        guard points.count > 1 else { return }
        for i in 0..<(points.count - 1) { line(&image, points[i], points[i + 1], color: color, thickness: thickness) }
        if closed { line(&image, points[points.count - 1], points[0], color: color, thickness: thickness) }
    }

    /// A line stamped with a square brush at every pixel step.
    static func line(_ image: inout Image, _ a: Point2D, _ b: Point2D, color: [UInt8], thickness: Int) {
        let length = max(abs(b.x - a.x), abs(b.y - a.y))
        guard length.isFinite, length < 65536 else { return }
        let steps = Int(length.rounded(.up))
        for k in 0...max(steps, 1) {
            let t = steps == 0 ? 0 : Double(k) / Double(steps)
            stamp(&image, x: Int((a.x + (b.x - a.x) * t).rounded()), y: Int((a.y + (b.y - a.y) * t).rounded()),
                  half: thickness / 2, color: color)
        }
    }

    static func dot(_ image: inout Image, _ p: Point2D, radius: Int, color: [UInt8]) {
        guard abs(p.x) < 1e9, abs(p.y) < 1e9 else { return }
        let cx = Int(p.x.rounded()), cy = Int(p.y.rounded())
        for dy in -radius...radius {
            for dx in -radius...radius where dx * dx + dy * dy <= radius * radius {
                stamp(&image, x: cx + dx, y: cy + dy, half: 0, color: color)
            }
        }
    }

    static func stamp(_ image: inout Image, x: Int, y: Int, half: Int, color: [UInt8]) {
        for yy in (y - half)...(y + half) where yy >= 0 && yy < image.height {
            for xx in (x - half)...(x + half) where xx >= 0 && xx < image.width {
                for c in 0..<3 { image[xx, yy, c] = color[c] }
            }
        }
    }
}
