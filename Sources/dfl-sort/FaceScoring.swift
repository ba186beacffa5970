// Per-face work on all cores: load each face as the method needs it and compute its feature.
import Foundation
import Sort
import ToolSupport

enum FaceScoring {
    /// One result per path, in input order: the face's feature or the reason it cannot be used.
    static func score(paths: [String], method: SortMethod, quiet: Bool) -> [Result<FaceFeature, ScoreFailure>] {
        var results = [Result<FaceFeature, ScoreFailure>?](repeating: nil, count: paths.count)
        let progress = Progress(label: "dfl-sort \(method.rawValue)", total: paths.count, quiet: quiet)
        results.withUnsafeMutableBufferPointer { out in
            DispatchQueue.concurrentPerform(iterations: paths.count) { i in
                do {
                    let face = try method.loadFace(path: paths[i])
                    out[i] = .success(try method.feature(of: face))
                } catch {
                    out[i] = .failure(ScoreFailure(reason: "\(error)"))
                }
                progress.advance()
            }
        }
        progress.finish()
        var final = results.map { $0! }
        if method == .absdiff { rejectOtherSizes(&final) }
        return final
    }

    /// absdiff compares faces pixel by pixel: faces of another size than the first usable one are
    /// reported instead of stopping the whole run.
    private static func rejectOtherSizes(_ results: inout [Result<FaceFeature, ScoreFailure>]) {
        var shape: (Int, Int)?
        for i in results.indices {
            guard case .success(.image(let im)) = results[i] else { continue }
            let s = (im.width, im.height)
            if let shape {
                if shape != s {
                    results[i] = .failure(ScoreFailure(reason:
                        "absdiff needs faces of one size: \(s.0)x\(s.1) differs from the first face's \(shape.0)x\(shape.1)"))
                }
            } else {
                shape = s
            }
        }
    }
}

struct ScoreFailure: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
}
