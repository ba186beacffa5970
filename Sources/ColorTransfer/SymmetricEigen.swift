// Eigen-decomposition of the small symmetric matrices (channel covariances, at most 3×3) that lct and mkl
// need. Cyclic Jacobi rotations converge quadratically and are exact enough in Double for these sizes.
import Foundation

/// A symmetric n×n matrix's eigenvalues and orthonormal eigenvectors.
struct SymmetricEigen {
    /// Eigenvalues (unsorted).
    var values: [Double]
    /// Row-major n×n matrix whose column k is the eigenvector of `values[k]`.
    var vectors: [Double]
    let n: Int

    /// Decomposes the symmetric row-major matrix `a` (n×n).
    init(symmetric a: [Double], n: Int) {
        precondition(a.count == n * n, "matrix size")
        self.n = n
        var m = a
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        for _ in 0..<64 {
            var off = 0.0
            for p in 0..<n { for q in (p + 1)..<max(p + 1, n) { off += m[p * n + q] * m[p * n + q] } }
            if off < 1e-30 { break }
            for p in 0..<n {
                for q in (p + 1)..<max(p + 1, n) {
                    let apq = m[p * n + q]
                    if abs(apq) < 1e-300 { continue }
                    let theta = (m[q * n + q] - m[p * n + p]) / (2 * apq)
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot()
                    let s = t * c
                    // m ← Jᵀ m J with the rotation J acting on rows/columns p and q.
                    for k in 0..<n {
                        let mkp = m[k * n + p], mkq = m[k * n + q]
                        m[k * n + p] = c * mkp - s * mkq
                        m[k * n + q] = s * mkp + c * mkq
                    }
                    for k in 0..<n {
                        let mpk = m[p * n + k], mqk = m[q * n + k]
                        m[p * n + k] = c * mpk - s * mqk
                        m[q * n + k] = s * mpk + c * mqk
                    }
                    for k in 0..<n {
                        let vkp = v[k * n + p], vkq = v[k * n + q]
                        v[k * n + p] = c * vkp - s * vkq
                        v[k * n + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        values = (0..<n).map { m[$0 * n + $0] }
        vectors = v
    }

    /// V · diag(f(λ)) · Vᵀ — a matrix function of the decomposed matrix (square root, inverse, …).
    func reconstruct(_ f: (Double) -> Double) -> [Double] {
        var out = [Double](repeating: 0, count: n * n)
        for k in 0..<n {
            let fk = f(values[k])
            for i in 0..<n { for j in 0..<n { out[i * n + j] += vectors[i * n + k] * fk * vectors[j * n + k] } }
        }
        return out
    }
}

/// Small dense row-major matrix helpers (n ≤ 3 in practice).
enum SmallMatrix {
    static func multiply(_ a: [Double], _ b: [Double], n: Int) -> [Double] {
        var c = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for k in 0..<n { let aik = a[i * n + k]; for j in 0..<n { c[i * n + j] += aik * b[k * n + j] } } }
        return c
    }

    static func transpose(_ a: [Double], n: Int) -> [Double] {
        var t = a
        for i in 0..<n { for j in 0..<n { t[j * n + i] = a[i * n + j] } }
        return t
    }

    static func diagonal(_ d: [Double]) -> [Double] {
        let n = d.count
        var m = [Double](repeating: 0, count: n * n)
        for i in 0..<n { m[i * n + i] = d[i] }
        return m
    }
}
