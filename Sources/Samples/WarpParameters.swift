// DFL's `gen_warp_params`: one random pose change (rotation, scale, shift, flip) shared by all four outputs
// of a sample, plus the random elastic grid that only the network input gets.
import ColorTransfer
import Foundation

/// Ranges of the random pose change (DFL's defaults).
public struct WarpRanges: Sendable, Equatable {
    /// Rotation in degrees, uniform.
    public var rotation: ClosedRange<Double> = -10...10
    /// DFL's scale_range (s0, s1); how it becomes a scale factor depends on `scaleFormula`.
    public var scale: ClosedRange<Double> = -0.15...0.15
    /// Shift as a fraction of the image side, uniform, for x and for y.
    public var translation: ClosedRange<Double> = -0.05...0.05
    public var scaleFormula: ScaleFormula = .upstream

    public init() {}

    /// Both formulas of DFL's scale draw: upstream since July 2022 draws U(1/(1−s0), 1+s1) = U(0.8696, 1.15);
    /// the SAEHDBW snapshot (and older upstream) draws U(1+s0, 1+s1) = U(0.85, 1.15).
    public enum ScaleFormula: Sendable, Equatable { case upstream, saehdbw }

    /// The interval the scale factor is drawn from.
    public var scaleFactorRange: ClosedRange<Double> {
        switch scaleFormula {
        case .upstream: return (1 / (1 - scale.lowerBound))...(1 + scale.upperBound)
        case .saehdbw: return (1 + scale.lowerBound)...(1 + scale.upperBound)
        }
    }
}

/// One sample's random geometry.
public struct WarpParameters: Sendable {
    /// Output side in pixels (the model resolution).
    public let size: Int
    public let rotationDegrees: Double
    public let scale: Double
    /// Shift as fractions of `size`.
    public let tx: Double, ty: Double
    public let flip: Bool
    /// Grid cell of the random warp (size/2, size/4 or size/8).
    public let cellSize: Int
    /// Dense maps of the random warp: output pixel i reads the source at (mapX[i], mapY[i]).
    public let mapX: [Float], mapY: [Float]

    /// The affine pose change as a forward map: `getRotationMatrix2D((size/2, size/2), rotation, scale)`
    /// with (tx·size, ty·size) added to the translation.
    public var affine: AffineMap {
        var m = AffineMap.rotation(center: SIMD2(Double(size / 2), Double(size / 2)), degrees: rotationDegrees,
                                   scale: scale)
        m.c += tx * Double(size)
        m.f += ty * Double(size)
        return m
    }

    /// Draws the parameters in DFL's order: rotation, scale, tx, ty, flip (40 % when `allowFlip`), then the
    /// grid cell and the interior node offsets.
    public static func random(size: Int, ranges: WarpRanges, allowFlip: Bool,
                              rng: inout SeededGenerator) -> WarpParameters {
        precondition(size >= 8, "warp size too small")
        let rotation = rng.uniform(ranges.rotation.lowerBound, ranges.rotation.upperBound)
        let s = ranges.scaleFactorRange
        let scale = rng.uniform(s.lowerBound, s.upperBound)
        let tx = rng.uniform(ranges.translation.lowerBound, ranges.translation.upperBound)
        let ty = rng.uniform(ranges.translation.lowerBound, ranges.translation.upperBound)
        let flip = allowFlip && rng.int(below: 10) < 4
        let cell = [size / 2, size / 4, size / 8][rng.int(below: 3)]
        let (mapX, mapY) = randomWarpMaps(size: size, cell: cell, rng: &rng)
        return WarpParameters(size: size, rotationDegrees: rotation, scale: scale, tx: tx, ty: ty, flip: flip,
                              cellSize: cell, mapX: mapX, mapY: mapY)
    }

    /// Explicit parameters (tests, previews). `jitter` = nil gives the undisplaced grid (identity + 0.5 px).
    public init(size: Int, rotationDegrees: Double = 0, scale: Double = 1, tx: Double = 0, ty: Double = 0,
                flip: Bool = false, cellSize: Int? = nil, mapX: [Float]? = nil, mapY: [Float]? = nil) {
        self.size = size
        self.rotationDegrees = rotationDegrees
        self.scale = scale
        self.tx = tx
        self.ty = ty
        self.flip = flip
        let cell = cellSize ?? max(1, size / 4)
        self.cellSize = cell
        if let mx = mapX, let my = mapY {
            self.mapX = mx
            self.mapY = my
        } else {
            let n = size / cell + 1
            let nodes = (0..<n).map { Float(Double($0) * Double(size) / Double(n - 1)) }
            let zeros = [Float](repeating: 0, count: n * n)
            (self.mapX, self.mapY) = WarpParameters.denseMaps(size: size, cell: cell, nodes: nodes,
                                                              offsetX: zeros, offsetY: zeros)
        }
    }

    /// Random elastic grid: nodes at linspace(0, size, n), n = size/cell + 1; interior nodes moved by
    /// cell·0.24·t (t ~ N(0,1) truncated to ±2.5 by rejection, divided by 2.5); then the node arrays are
    /// upscaled bilinearly to (size + cell)² and cropped by cell/2 on each side.
    static func randomWarpMaps(size: Int, cell: Int, rng: inout SeededGenerator) -> ([Float], [Float]) {
        let n = size / cell + 1
        let nodes = (0..<n).map { Float(Double($0) * Double(size) / Double(n - 1)) }
        var ox = [Float](repeating: 0, count: n * n), oy = ox
        func truncatedNormal() -> Double {
            while true {
                let t = rng.normal()
                if abs(t) <= 2.5 { return t / 2.5 }
            }
        }
        let amplitude = Double(cell) * 0.24
        // x offsets of all interior nodes first, then y offsets (DFL draws two arrays).
        for j in 1..<(n - 1) { for i in 1..<(n - 1) { ox[j * n + i] = Float(amplitude * truncatedNormal()) } }
        for j in 1..<(n - 1) { for i in 1..<(n - 1) { oy[j * n + i] = Float(amplitude * truncatedNormal()) } }
        return denseMaps(size: size, cell: cell, nodes: nodes, offsetX: ox, offsetY: oy)
    }

    /// mapX node (j, i) = nodes[i] + offsetX, mapY node (j, i) = nodes[j] + offsetY, upscaled and cropped.
    static func denseMaps(size: Int, cell: Int, nodes: [Float], offsetX: [Float],
                          offsetY: [Float]) -> ([Float], [Float]) {
        let n = nodes.count
        var gx = [Float](repeating: 0, count: n * n), gy = gx
        for j in 0..<n { for i in 0..<n {
            gx[j * n + i] = nodes[i] + offsetX[j * n + i]
            gy[j * n + i] = nodes[j] + offsetY[j * n + i]
        } }
        let full = size + cell
        let half = cell / 2
        return (upscaleBilinearCropped(gx, n: n, to: full, crop: half, size: size),
                upscaleBilinearCropped(gy, n: n, to: full, crop: half, size: size))
    }

    /// cv2.resize(grid n×n → full×full, INTER_LINEAR) restricted to the window [crop, crop + size)².
    static func upscaleBilinearCropped(_ grid: [Float], n: Int, to full: Int, crop: Int, size: Int) -> [Float] {
        let scale = Double(n) / Double(full)
        // Per output coordinate: source index and fraction, clamped at the edges as OpenCV does.
        func taps(_ d: Int) -> (Int, Int, Float) {
            var f = (Double(d) + 0.5) * scale - 0.5
            var i = Int(f.rounded(.down))
            f -= Double(i)
            if i < 0 { i = 0; f = 0 }
            if i >= n - 1 { i = n - 1; f = 0 }
            return (i, min(i + 1, n - 1), Float(f))
        }
        let t = (0..<size).map { taps($0 + crop) }
        var out = [Float](repeating: 0, count: size * size)
        for y in 0..<size {
            let (y0, y1, fy) = t[y]
            for x in 0..<size {
                let (x0, x1, fx) = t[x]
                let top = grid[y0 * n + x0] * (1 - fx) + grid[y0 * n + x1] * fx
                let bottom = grid[y1 * n + x0] * (1 - fx) + grid[y1 * n + x1] * fx
                out[y * size + x] = top * (1 - fy) + bottom * fy
            }
        }
        return out
    }
}
