// Preview images: DFL's grid (one row per preview face: src, src→src, dst, dst→dst, dst→src) and a loss
// plot drawn with Imaging's lines (spec §6.4).
import Foundation
import Imaging

public enum Preview {
    /// The preview grid: row i = [src_i, src→src_i, dst_i, dst→dst_i, dst→src_i], each r × r, 8-bit with
    /// the images' channel count.
    public static func grid(src: [FloatImage], srcToSrc: [FloatImage], dst: [FloatImage], dstToDst: [FloatImage],
                            dstToSrc: [FloatImage]) -> Image {
        let columns = [src, srcToSrc, dst, dstToDst, dstToSrc]
        let rows = columns.map(\.count).min() ?? 0
        guard rows > 0 else { return Image(width: 0, height: 0, channels: 1) }
        let r = src[0].width, c = src[0].channels
        var out = Image(width: 5 * r, height: rows * r, channels: c)
        for (col, images) in columns.enumerated() {
            for row in 0..<rows {
                let img = images[row].toUInt8()
                for y in 0..<r {
                    let from = y * r * c, to = ((row * r + y) * 5 * r + col * r) * c
                    out.pixels.replaceSubrange(to..<(to + r * c), with: img.pixels[from..<(from + r * c)])
                }
            }
        }
        return out
    }

    /// A loss plot (RGB): per pixel column the min…max of each loss over the iterations in that column,
    /// src red and dst cyan on dark gray, y from 0 to 2 × the mean loss of the last 80 % of iterations,
    /// with 6 horizontal grid lines.
    public static func lossPlot(_ records: [LossRecord], width: Int = 800, height: Int = 200) -> Image {
        var img = Image(width: width, height: height, channels: 3, fill: 26)
        for i in 1...6 {
            let y = height - 1 - i * (height - 1) / 7
            img.drawLine(from: SIMD2(0, y), to: SIMD2(width - 1, y), color: [60, 60, 60])
        }
        guard !records.isEmpty else { return img }
        let tail = records[(records.count / 5)...]
        let mean = tail.reduce(0.0) { $0 + $1.src + $1.dst } / Double(2 * tail.count)
        let top = max(2 * mean, 1e-6)
        func y(_ v: Double) -> Int { height - 1 - Int((min(v, top) / top * Double(height - 1)).rounded()) }
        let colors: [[UInt8]] = [[255, 64, 64], [64, 255, 255]]
        let series: [(LossRecord) -> Double] = [{ $0.src }, { $0.dst }]
        for k in 0..<2 {
            let value = series[k]
            var previous: SIMD2<Int>? = nil
            for x in 0..<width {
                let lo = x * records.count / width, hi = max(lo + 1, (x + 1) * records.count / width)
                guard lo < records.count else { break }
                var minV = Double.infinity, maxV = -Double.infinity
                for r in records[lo..<min(hi, records.count)] { minV = min(minV, value(r)); maxV = max(maxV, value(r)) }
                img.drawLine(from: SIMD2(x, y(minV)), to: SIMD2(x, y(maxV)), color: colors[k])
                let point = SIMD2(x, y((minV + maxV) / 2))
                if let previous { img.drawLine(from: previous, to: point, color: colors[k]) }
                previous = point
            }
        }
        return img
    }
}
