// Face motion for --motion-blur (docs/saehd-model.md §7.1): the centre of each frame's face, found by mapping
// the point (127, 127) of its 256-px full-face crop back to the frame, moves from the previous frame to the
// next; the vector's length and angle drive the blur. As DFL, only when no frame has more than one face.
import FaceAlign
import FaceSet
import Foundation
import Merge

/// `faces` with `motion` filled in from the neighbouring frames (in `frames` order); unchanged, with a
/// warning, when some frame has several faces.
func addMotion(_ faces: [AlignedFace], frames: [String], warn: (String) -> Void) throws -> [AlignedFace] {
    var byStem: [String: Int] = [:]
    for (i, face) in faces.enumerated() {
        if byStem[face.frameStem] != nil {
            warn("frame \(face.frameStem) has more than one face: motion blur is off")
            return faces
        }
        byStem[face.frameStem] = i
    }
    let order = frames.map(fileStem)
    // The face centre per frame (nil for a frame without a face).
    let centres: [Point2D?] = order.map { stem in
        guard let i = byStem[stem],
              let m = try? transformMatrix(landmarks: faces[i].face.landmarks, size: 256, faceType: .full),
              let inverse = m.inverted else { return nil }
        return inverse.apply(Point2D(127, 127))
    }
    var out = faces
    for (k, stem) in order.enumerated() {
        guard let i = byStem[stem], let here = centres[k] else { continue }
        let previous = centres[max(k - 1, 0)] ?? here, next = centres[min(k + 1, order.count - 1)] ?? here
        let v = next - previous
        out[i] = AlignedFace(origin: faces[i].origin, frameStem: faces[i].frameStem,
                             face: { var f = faces[i].face; f.motion = FaceMotion(power: v.length, degrees: -atan2(v.y, v.x) * 180 / .pi); return f }())
    }
    return out
}
