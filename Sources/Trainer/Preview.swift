// Preview images: DFL's grid (one row per preview face: src, src→src, dst, dst→dst, dst→src) under a
// header row naming the columns, and the loss chart (LossPlot.swift; docs/saehd-model.md §6.4).
import Foundation
import Imaging
import ModelStore

public enum Preview {
    /// Names of the grid's columns, drawn in its header row.
    public static let columnNames = ["src", "src→src", "dst", "dst→dst", "dst→src"]
    /// Height of the header row.
    public static let headerHeight = 12

    /// The preview grid: a header row naming the columns, then row i = [src_i, src→src_i, dst_i, dst→dst_i,
    /// dst→src_i], each r × r, 8-bit with the images' channel count.
    public static func grid(src: [FloatImage], srcToSrc: [FloatImage], dst: [FloatImage], dstToDst: [FloatImage],
                            dstToSrc: [FloatImage]) -> Image {
        grid(columns: zip(columnNames, [src, srcToSrc, dst, dstToDst, dstToSrc]).map { ($0, $1) })
    }

    /// A preview grid of any named columns: a header row with the names, then row i = the columns' i-th
    /// images (r × r, all with the first image's channel count), as many rows as the shortest column.
    public static func grid(columns: [(name: String, images: [FloatImage])]) -> Image {
        let rows = columns.map(\.images.count).min() ?? 0
        guard rows > 0 else { return Image(width: 0, height: 0, channels: 1) }
        let first = columns[0].images[0]
        let r = first.width, c = first.channels, n = columns.count
        let h = headerHeight
        var out = Image(width: n * r, height: h + rows * r, channels: c)
        for (col, name) in columns.map(\.name).enumerated() {
            // Centred in its column; names wider than a small face are cut at the column's edge.
            let x = col * r + max(0, (r - BitmapFont.width(name)) / 2)
            var label = Image(width: r, height: h, channels: c)
            label.drawText(name, at: SIMD2(x - col * r, 3), color: [UInt8](repeating: 255, count: c))
            for y in 0..<h {
                let to = (y * n * r + col * r) * c
                out.pixels.replaceSubrange(to..<(to + r * c), with: label.pixels[(y * r * c)..<((y + 1) * r * c)])
            }
        }
        for (col, column) in columns.enumerated() {
            for row in 0..<rows {
                let img = column.images[row].toUInt8()
                for y in 0..<r {
                    let from = y * r * c, to = ((h + row * r + y) * n * r + col * r) * c
                    out.pixels.replaceSubrange(to..<(to + r * c), with: img.pixels[from..<(from + r * c)])
                }
            }
        }
        return out
    }

    /// The loss chart (see LossPlot): loss.csv's rows, and quality.csv's held-out SSIM when there is one.
    public static func lossPlot(_ records: [LossRecord], quality: [QualityRecord] = []) -> Image {
        LossPlot.draw(records, quality: quality)
    }
}
