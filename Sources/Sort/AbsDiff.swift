// `absdiff`: a chain through the faces by summed absolute pixel difference. DFL computes the full
// distance matrix on a GPU with an HDF5 cache; here each step measures the current face against the
// faces not yet placed, on all cores, which visits the same chain.
import Foundation
import Imaging

public enum AbsDiffOrdering {
    public enum Failure: Error, CustomStringConvertible {
        case sizeMismatch(index: Int, expected: (Int, Int, Int), got: (Int, Int, Int))
        public var description: String {
            switch self {
            case .sizeMismatch(_, let e, let g):
                return "absdiff needs faces of one size: expected \(e.0)x\(e.1), got \(g.0)x\(g.1) (\(e.2) and \(g.2) channels)"
            }
        }
    }

    /// Σ|a − b| over every sample.
    public static func distance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        precondition(a.count == b.count, "images of different sizes")
        var total = 0
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                var i = 0
                let n = pa.count
                while i < n {
                    // Sum in 32-bit blocks to let the compiler vectorise without overflow.
                    let end = min(n, i + 1 << 16)
                    var s: UInt32 = 0
                    for k in i..<end {
                        let x = Int16(pa[k]) - Int16(pb[k])
                        s &+= UInt32(x < 0 ? -x : x)
                    }
                    total += Int(s)
                    i = end
                }
            }
        }
        return total
    }

    /// The chain from face 0: each step goes to the unvisited face nearest to (`similar`) or farthest
    /// from (`!similar`) the current one; ties go to the lower index. Returns the order and each face's
    /// distance to its predecessor (0 first). Every face must have the same width and height; in a mix of
    /// gray and colour faces the gray ones are compared as three equal channels (alpha is dropped).
    public static func chain(_ input: [Image], similar: Bool = true) throws -> (order: [Int], distances: [Double]) {
        let n = input.count
        guard n > 0 else { return ([], []) }
        let colour = input.contains { $0.channels > 1 }
        let images = input.map { colour ? $0.grayToRGB() : $0 }
        let shape = (images[0].width, images[0].height, images[0].channels)
        for (i, im) in images.enumerated() where (im.width, im.height, im.channels) != shape {
            throw Failure.sizeMismatch(index: i, expected: shape, got: (im.width, im.height, im.channels))
        }
        var visited = [Bool](repeating: false, count: n)
        var order = [0], distances = [0.0]
        visited[0] = true
        var current = 0
        var d = [Int](repeating: 0, count: n)
        while order.count < n {
            let cur = current
            d.withUnsafeMutableBufferPointer { out in
                DispatchQueue.concurrentPerform(iterations: n) { j in
                    out[j] = visited[j] ? 0 : distance(images[cur].pixels, images[j].pixels)
                }
            }
            var pick = -1
            for j in 0..<n where !visited[j] {
                if pick < 0 || (similar ? d[j] < d[pick] : d[j] > d[pick]) { pick = j }
            }
            visited[pick] = true
            order.append(pick)
            distances.append(Double(d[pick]))
            current = pick
        }
        return (order, distances)
    }
}
