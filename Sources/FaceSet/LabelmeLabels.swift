// XSeg labels without DeepFaceLab's editor: labelme's annotation files (one JSON file per image, as the
// `labelme` program saves them next to the image) ↔ the `seg_ie_polys` polygons of an aligned face
// (docs/xseg.md, "Labels"). labelme stores each shape as {"label", "points": [[x, y], …], "shape_type"} in
// the image's pixel coordinates, which are the aligned face's own pixels, as DFL's polygons are.
//
// The label rule: a shape whose label is `exclude`, or starts with `exclude` or `-` (`exclude-mic`, `-hand`),
// is an EXCLUDE polygon; every other label (`face`, `include`, `skin`, …) is an INCLUDE polygon. Polygons and
// rectangles are read (a rectangle as its four corners); other shape types are an error.
import Foundation

public enum LabelmeLabels {
    /// Errors with a message for the user.
    public struct LabelError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Largest annotation file read.
    public static let maxFileBytes = 16 << 20

    /// The polygon kind a labelme label means (see the file comment).
    public static func kind(forLabel label: String) -> SegIEPolygon.Kind {
        let l = label.trimmingCharacters(in: .whitespaces).lowercased()
        return l.hasPrefix("exclude") || l.hasPrefix("-") ? .exclude : .include
    }

    /// The polygons of a labelme file for an image of `width` × `height` pixels, in the file's order.
    /// Throws for malformed JSON, a size that is not the image's, a polygon with fewer than 3 points or a
    /// non-finite coordinate, and shape types other than polygon and rectangle.
    public static func polygons(json bytes: [UInt8], width: Int, height: Int) throws -> [SegIEPolygon] {
        guard bytes.count <= maxFileBytes else { throw LabelError(description: "annotation file larger than 16 MiB") }
        guard let root = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw LabelError(description: "not a labelme annotation (not a JSON object)")
        }
        if let w = root["imageWidth"] as? Int, let h = root["imageHeight"] as? Int, w != width || h != height {
            throw LabelError(description: "the annotation is for a \(w)×\(h) image, the face is \(width)×\(height)")
        }
        guard let shapes = root["shapes"] as? [[String: Any]] else {
            throw LabelError(description: "not a labelme annotation (no \"shapes\" list)")
        }
        return try shapes.enumerated().map { i, shape in
            let label = shape["label"] as? String ?? ""
            let type = shape["shape_type"] as? String ?? "polygon"
            guard let raw = shape["points"] as? [[Any]] else {
                throw LabelError(description: "shape \(i + 1) ('\(label)'): no points list")
            }
            var points: [SIMD2<Double>] = []
            for p in raw {
                guard p.count == 2, let x = (p[0] as? NSNumber)?.doubleValue, let y = (p[1] as? NSNumber)?.doubleValue,
                      x.isFinite, y.isFinite else {
                    throw LabelError(description: "shape \(i + 1) ('\(label)'): a point is not two finite numbers")
                }
                points.append(SIMD2(x, y))
            }
            switch type {
            case "polygon":
                guard points.count >= 3 else {
                    throw LabelError(description: "shape \(i + 1) ('\(label)'): a polygon needs at least 3 points, it has \(points.count)")
                }
            case "rectangle":
                guard points.count == 2 else { throw LabelError(description: "shape \(i + 1) ('\(label)'): a rectangle needs 2 points") }
                let (a, b) = (points[0], points[1])
                points = [a, SIMD2(b.x, a.y), b, SIMD2(a.x, b.y)]
            default:
                throw LabelError(description: "shape \(i + 1) ('\(label)'): shape type '\(type)' is not a polygon or rectangle")
            }
            return SegIEPolygon(kind: kind(forLabel: label), points: points)
        }
    }

    /// A labelme annotation of `polygons` for the image `imagePath` (as labelme stores it: relative to the
    /// JSON file) of `width` × `height` pixels. INCLUDE polygons are labelled `include`, EXCLUDE ones `exclude`.
    public static func json(polygons: [SegIEPolygon], imagePath: String, width: Int, height: Int) throws -> [UInt8] {
        let shapes: [[String: Any]] = polygons.map { p in
            ["label": p.kind == .include ? "include" : "exclude", "points": p.points.map { [$0.x, $0.y] },
             "group_id": NSNull(), "description": "", "shape_type": "polygon", "flags": [String: Any]()]
        }
        let root: [String: Any] = ["version": "5.4.1", "flags": [String: Any](), "shapes": shapes, "imagePath": imagePath,
                                   "imageData": NSNull(), "imageHeight": height, "imageWidth": width]
        return [UInt8](try JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys])) + [10]
    }
}
