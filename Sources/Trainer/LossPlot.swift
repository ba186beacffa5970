// preview/loss.png as a chart a user can read: iteration on x (elapsed training time under each tick),
// loss on a labelled y axis (logarithmic when the losses span a factor of 3 or more), src and dst named in
// a legend, and the held-out SSIM of quality.csv on a second y axis at the right when there is one.
// Ticks are 1-2-5 steps; the axis ranges adapt to the data. The chart takes any named loss series and any
// quality figure (`LossChart`): dfl-train's src/dst losses and held-out SSIM, dfl-xseg's loss and held-out IoU.
import Foundation
import Imaging
import ModelStore

/// What the loss chart shows.
public struct LossChart: Sendable {
    /// One value at one iteration.
    public struct Point: Sendable, Equatable {
        public var iteration: Int
        public var value: Double
        public init(iteration: Int, value: Double) { self.iteration = iteration; self.value = value }
    }

    /// A named loss curve.
    public struct Series: Sendable {
        public var name: String
        public var color: [UInt8]
        public var points: [Point]
        public init(name: String, color: [UInt8], points: [Point]) { self.name = name; self.color = color; self.points = points }
    }

    /// The loss curves on the left axis.
    public var series: [Series]
    /// Training seconds at each iteration (the time under each x tick).
    public var seconds: [Point]
    /// The quality figure on the right axis (empty: no right axis), its legend entry and axis title.
    public var quality: [Point]
    public var qualityName: String
    public var qualityAxis: String

    public init(series: [Series], seconds: [Point], quality: [Point] = [], qualityName: String = "held-out ssim",
                qualityAxis: String = "ssim") {
        self.series = series; self.seconds = seconds; self.quality = quality
        self.qualityName = qualityName; self.qualityAxis = qualityAxis
    }

    /// dfl-train's chart: src and dst losses, held-out SSIM.
    public init(_ losses: [LossRecord], quality: [QualityRecord] = []) {
        self.init(series: [Series(name: "src", color: LossPlot.srcColor, points: losses.map { Point(iteration: $0.iteration, value: $0.src) }),
                           Series(name: "dst", color: LossPlot.dstColor, points: losses.map { Point(iteration: $0.iteration, value: $0.dst) })],
                  seconds: losses.map { Point(iteration: $0.iteration, value: $0.seconds) },
                  quality: quality.map { Point(iteration: $0.iteration, value: $0.ssim) })
    }
}

/// Where things go on the loss chart; public so tests can check the ticks against their own arithmetic.
public struct LossPlotLayout: Sendable {
    public static let width = 800, height = 300
    /// The plot area: x from `left` to `right`, y from `top` to `bottom` (pixel columns and rows, inclusive).
    public static let left = 60, top = 24, bottom = height - 36
    public static func plotRight(hasQuality: Bool) -> Int { width - (hasQuality ? 60 : 16) }

    public var right: Int
    /// Iterations at the left and right edges.
    public var xRange: ClosedRange<Double>
    /// Losses at the bottom and top edges; `logScale` maps them logarithmically.
    public var yRange: ClosedRange<Double>
    public var logScale: Bool
    /// SSIM at the bottom and top edges of the right axis (nil without held-out figures).
    public var qualityRange: ClosedRange<Double>?
    public var xTicks: [Double]
    public var yTicks: [Double]
    public var qualityTicks: [Double]

    public init(losses: [LossRecord], quality: [QualityRecord]) {
        self.init(chart: LossChart(losses, quality: quality))
    }

    public init(chart: LossChart) {
        let quality = chart.quality
        right = Self.plotRight(hasQuality: !quality.isEmpty)
        let lastLoss = chart.series.compactMap { $0.points.last?.iteration }.max()
        let lastIteration = Double(max(lastLoss ?? 1, quality.last?.iteration ?? 1, 1))
        xRange = 0...lastIteration
        xTicks = Self.linearTicks(0...lastIteration, target: 7).filter { $0 <= lastIteration }
        let values = chart.series.flatMap { $0.points.map(\.value) }.filter { $0.isFinite && $0 > 0 }
        let lo = values.min() ?? 0.1, hi = values.max() ?? 1
        logScale = hi / lo >= 3
        if logScale {
            let r = Self.logRange(lo, hi)
            yRange = r.range
            yTicks = r.ticks
        } else {
            let step = Self.niceStep((hi - lo) / 5 > 0 ? (hi - lo) / 5 : max(hi, 1e-6) / 10)
            var a = (lo / step + 1e-9).rounded(.down) * step, b = (hi / step - 1e-9).rounded(.up) * step
            if b <= a { a -= step; b += step }
            a = max(a, 0)
            yRange = a...b
            yTicks = Self.ticks(from: a, to: b, step: step)
        }
        if quality.isEmpty {
            qualityRange = nil
            qualityTicks = []
        } else {
            let s = quality.map(\.value).filter(\.isFinite)
            let lo = s.min() ?? 0, hi = s.max() ?? 1
            let step = Self.niceStep(max(hi - lo, 0.01) / 4)
            var a = (lo / step + 1e-9).rounded(.down) * step, b = (hi / step - 1e-9).rounded(.up) * step
            if b <= a { b = a + step }
            a = max(a, -1); b = min(b, 1)
            qualityRange = a...b
            qualityTicks = Self.ticks(from: a, to: b, step: step)
        }
    }

    /// Pixel column of an iteration.
    public func x(_ iteration: Double) -> Int {
        Self.left + Int(((iteration - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * Double(right - Self.left)).rounded())
    }

    /// Pixel row of a loss (clamped to the plot area).
    public func y(_ loss: Double) -> Int {
        let f: Double
        if logScale {
            f = (log(max(loss, 1e-12)) - log(yRange.lowerBound)) / (log(yRange.upperBound) - log(yRange.lowerBound))
        } else {
            f = (loss - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound)
        }
        return Self.row(f)
    }

    /// Pixel row of an SSIM on the right axis.
    public func qualityY(_ ssim: Double) -> Int {
        guard let r = qualityRange else { return Self.bottom }
        return Self.row((ssim - r.lowerBound) / (r.upperBound - r.lowerBound))
    }

    static func row(_ fraction: Double) -> Int {
        Self.bottom - Int((min(max(fraction, 0), 1) * Double(Self.bottom - Self.top)).rounded())
    }

    /// 1, 2 or 5 × a power of ten, the smallest of those ≥ `x`.
    static func niceStep(_ x: Double) -> Double {
        let p = pow(10, (log10(x)).rounded(.down))
        for m in [1.0, 2, 5, 10] where m * p >= x * (1 - 1e-9) { return m * p }
        return 10 * p
    }

    static func linearTicks(_ r: ClosedRange<Double>, target: Int) -> [Double] {
        let step = niceStep(max(r.upperBound - r.lowerBound, 1) / Double(target))
        return ticks(from: (r.lowerBound / step).rounded(.up) * step, to: r.upperBound, step: step)
    }

    static func ticks(from a: Double, to b: Double, step: Double) -> [Double] {
        var out: [Double] = []
        var i = 0.0
        while a + i * step <= b + step * 1e-6 { out.append(a + i * step); i += 1 }
        return out
    }

    /// The log axis: from the largest 1-2-5 value ≤ lo to the smallest ≥ hi, ticked at the 1-2-5 values
    /// (at 1…9 × 10^k when that gives fewer than 4 ticks).
    static func logRange(_ lo: Double, _ hi: Double) -> (range: ClosedRange<Double>, ticks: [Double]) {
        func candidates(_ mantissas: [Double]) -> [Double] {
            let k0 = Int(log10(lo).rounded(.down)) - 1, k1 = Int(log10(hi).rounded(.up)) + 1
            return (k0...k1).flatMap { k in mantissas.map { $0 * pow(10, Double(k)) } }
        }
        var c = candidates([1, 2, 5])
        var a = c.last { $0 <= lo * (1 + 1e-9) } ?? lo, b = c.first { $0 >= hi * (1 - 1e-9) } ?? hi
        if c.filter({ $0 >= a && $0 <= b }).count < 4 {
            c = candidates([1, 2, 3, 4, 5, 6, 7, 8, 9])
            a = c.last { $0 <= lo * (1 + 1e-9) } ?? lo
            b = c.first { $0 >= hi * (1 - 1e-9) } ?? hi
        }
        return (a...b, c.filter { $0 >= a * (1 - 1e-9) && $0 <= b * (1 + 1e-9) })
    }
}

public enum LossPlot {
    static let background: [UInt8] = [26, 26, 26], grid: [UInt8] = [52, 52, 52], axis: [UInt8] = [150, 150, 150]
    public static let tickColor: [UInt8] = [200, 200, 200]
    static let text: [UInt8] = [220, 220, 220], dim: [UInt8] = [150, 150, 150]
    public static let srcColor: [UInt8] = [255, 80, 80], dstColor: [UInt8] = [64, 224, 255], qualityColor: [UInt8] = [255, 210, 0]

    /// dfl-train's chart (RGB, `LossPlotLayout.width` × `height`).
    public static func draw(_ records: [LossRecord], quality: [QualityRecord] = []) -> Image {
        draw(LossChart(records, quality: quality))
    }

    /// The chart (RGB, `LossPlotLayout.width` × `height`).
    public static func draw(_ chart: LossChart) -> Image {
        let L = LossPlotLayout.self
        let layout = LossPlotLayout(chart: chart)
        let quality = chart.quality
        var img = Image(width: L.width, height: L.height, channels: 3, fill: background[0])
        let left = L.left, right = layout.right, top = L.top, bottom = L.bottom

        // Grid, axes and ticks.
        for v in layout.yTicks {
            let y = layout.y(v)
            img.drawLine(from: SIMD2(left + 1, y), to: SIMD2(right, y), color: grid)
            img.drawLine(from: SIMD2(left - 5, y), to: SIMD2(left - 1, y), color: tickColor)
            let label = format(v)
            img.drawText(label, at: SIMD2(left - 8 - BitmapFont.width(label), y - 3), color: text)
        }
        for v in layout.xTicks {
            let x = layout.x(v)
            img.drawLine(from: SIMD2(x, top), to: SIMD2(x, bottom - 1), color: grid)
            img.drawLine(from: SIMD2(x, bottom + 1), to: SIMD2(x, bottom + 5), color: tickColor)
            let label = String(Int(v))
            img.drawText(label, at: SIMD2(x - BitmapFont.width(label) / 2, bottom + 8), color: text)
            let time = elapsed(atIteration: v, chart.seconds)
            img.drawText(time, at: SIMD2(x - BitmapFont.width(time) / 2, bottom + 19), color: dim)
        }
        img.drawText("iter", at: SIMD2(4, bottom + 8), color: text)
        img.drawText("time", at: SIMD2(4, bottom + 19), color: dim)
        img.drawLine(from: SIMD2(left, top), to: SIMD2(left, bottom), color: axis)
        img.drawLine(from: SIMD2(left, bottom), to: SIMD2(right, bottom), color: axis)
        img.drawText(layout.logScale ? "loss (log)" : "loss", at: SIMD2(4, 8), color: text)

        // Legend.
        var lx = left + 110
        var legend: [(String, [UInt8])] = chart.series.map { ($0.name, $0.color) }
        if !quality.isEmpty { legend.append((chart.qualityName, qualityColor)) }
        for (name, color) in legend {
            for d in 0..<2 { img.drawLine(from: SIMD2(lx, 11 + d), to: SIMD2(lx + 16, 11 + d), color: color) }
            img.drawText(name, at: SIMD2(lx + 21, 8), color: text)
            lx += 21 + BitmapFont.width(name) + 24
        }

        // Loss curves: per pixel column the min…max of the iterations in it, joined by their midpoints.
        for series in chart.series where !series.points.isEmpty {
            let records = series.points, color = series.color
            do {
                var previous: SIMD2<Int>? = nil
                var i = 0
                for x in left...right {
                    var lo = Double.infinity, hi = -Double.infinity
                    while i < records.count && layout.x(Double(records[i].iteration)) <= x {
                        let v = records[i].value
                        if v.isFinite { lo = min(lo, v); hi = max(hi, v) }
                        i += 1
                    }
                    guard lo <= hi else { continue }
                    img.drawLine(from: SIMD2(x, layout.y(lo)), to: SIMD2(x, layout.y(hi)), color: color)
                    let point = SIMD2(x, layout.y(sqrt(lo * hi)))
                    if let previous { img.drawLine(from: previous, to: point, color: color) }
                    previous = point
                }
            }
        }

        // Held-out SSIM on the right axis.
        if !quality.isEmpty {
            img.drawLine(from: SIMD2(right, top), to: SIMD2(right, bottom), color: axis)
            for v in layout.qualityTicks {
                let y = layout.qualityY(v)
                img.drawLine(from: SIMD2(right + 1, y), to: SIMD2(right + 5, y), color: tickColor)
                img.drawText(format(v), at: SIMD2(right + 8, y - 3), color: qualityColor)
            }
            img.drawText(chart.qualityAxis, at: SIMD2(right + 8, 8), color: qualityColor)
            var previous: SIMD2<Int>? = nil
            for q in quality where q.value.isFinite {
                let p = SIMD2(layout.x(Double(q.iteration)), layout.qualityY(q.value))
                if let previous { img.drawLine(from: previous, to: p, color: qualityColor) }
                img.drawCircle(center: p, radius: 2, color: qualityColor, filled: true)
                previous = p
            }
        }
        return img
    }

    /// A tick value with as many decimals as it needs (at most 6).
    static func format(_ v: Double) -> String {
        for d in 0...6 {
            let s = String(format: "%.\(d)f", v)
            if abs((Double(s) ?? v) - v) <= abs(v) * 1e-9 + 1e-12 { return s }
        }
        return String(format: "%.6f", v)
    }

    /// Training time at an iteration (from loss.csv's seconds column): "25m", "1h05".
    static func elapsed(atIteration it: Double, _ records: [LossChart.Point]) -> String {
        guard it > 0, let r = records.last(where: { Double($0.iteration) <= it }) ?? records.first else { return "0m" }
        let minutes = Int((r.value / 60).rounded())
        return minutes < 60 ? "\(minutes)m" : String(format: "%dh%02d", minutes / 60, minutes % 60)
    }
}
