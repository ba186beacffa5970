// Methods that read names rather than pixels: `origname` (the source frame's file name stored in the
// face) and `oneface` (drop every face of a frame that produced more than one face).
import Foundation

public enum NameMethods {
    /// `origname`: indices ordered by `source_filename`, ascending (code-point order; ties keep input order).
    public static func originalNameOrder(_ names: [String]) -> [Int] {
        names.indices.sorted { a, b in
            let x = Array(names[a].unicodeScalars.map(\.value)), y = Array(names[b].unicodeScalars.map(\.value))
            return x.lexicographicallyPrecedes(y) || (x == y && a < b)
        }
    }

    /// Parses a face file name `FRAME_INDEX.ext` (DFL's aligned-face naming) into its two numbers;
    /// nil for any other stem.
    public static func frameAndFace(fileName: String) -> (frame: Int, face: Int)? {
        let base = (fileName as NSString).lastPathComponent
        let stem = (base as NSString).deletingPathExtension
        let parts = stem.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]), a >= 0, b >= 0 else { return nil }
        return (a, b)
    }

    /// `oneface`: which faces to keep. A frame with any face index other than 0 loses all its faces.
    /// Names that do not follow `FRAME_INDEX` are kept and do not disturb the others (DFL raises on a
    /// non-numeric stem and mixes up positions when some names do not match).
    public static func oneFaceKeep(fileNames: [String]) -> [Bool] {
        let parsed = fileNames.map(frameAndFace)
        var crowded = Set<Int>()
        for p in parsed { if let p, p.face != 0 { crowded.insert(p.frame) } }
        return parsed.map { p in
            guard let p else { return true }
            return !crowded.contains(p.frame)
        }
    }

    /// `face-source-rect-size`: the area |r − l|·|b − t| of a (left, top, right, bottom) rectangle.
    public static func rectArea(_ rect: [Double]) -> Double? {
        guard rect.count == 4 else { return nil }
        return abs(rect[2] - rect[0]) * abs(rect[3] - rect[1])
    }
}
