// DFL's per-channel histogram matching (docs/saehd-model.md §7.2 step 7b): each distinct source value is mapped
// through the source CDF (scaled to threshold/255) onto the template's CDF (scaled to 1) by linear
// interpolation between the template's distinct values.
import Imaging

/// One channel of `source` matched to the distribution of `template` (values as given, any range).
/// `threshold` (0...255) scales the source quantiles to threshold/255, which caps the top of the output.
func matchChannelHistogram(_ source: [Float], _ template: [Float], threshold: Int) -> [Float] {
    guard !source.isEmpty, !template.isEmpty else { return source }
    // Distinct source values with their counts, and each sample's index among them.
    let order = source.indices.sorted { source[$0] < source[$1] }
    var sValues: [Float] = [], sCounts: [Int] = []
    var bin = [Int](repeating: 0, count: source.count)
    for i in order {
        if sValues.last != source[i] { sValues.append(source[i]); sCounts.append(0) }
        sCounts[sCounts.count - 1] += 1
        bin[i] = sValues.count - 1
    }
    let sortedTemplate = template.sorted()
    var tValues: [Float] = [], tCounts: [Int] = []
    for v in sortedTemplate {
        if tValues.last != v { tValues.append(v); tCounts.append(0) }
        tCounts[tCounts.count - 1] += 1
    }
    var sQuantiles = [Double](repeating: 0, count: sValues.count)
    var cumulative = 0
    for i in sCounts.indices { cumulative += sCounts[i]; sQuantiles[i] = Double(cumulative) }
    let sScale = Double(threshold) / 255 / Double(cumulative)
    for i in sQuantiles.indices { sQuantiles[i] *= sScale }
    var tQuantiles = [Double](repeating: 0, count: tValues.count)
    cumulative = 0
    for i in tCounts.indices { cumulative += tCounts[i]; tQuantiles[i] = Double(cumulative) }
    for i in tQuantiles.indices { tQuantiles[i] /= Double(cumulative) }
    // np.interp(sQuantiles, tQuantiles, tValues): clamps outside, linear inside.
    var mapped = [Float](repeating: 0, count: sValues.count)
    var j = 0
    for (i, q) in sQuantiles.enumerated() {
        if q <= tQuantiles[0] { mapped[i] = tValues[0]; continue }
        if q >= tQuantiles[tQuantiles.count - 1] { mapped[i] = tValues[tValues.count - 1]; continue }
        while j + 1 < tQuantiles.count, tQuantiles[j + 1] < q { j += 1 }
        // tQuantiles[j] < q <= tQuantiles[j + 1]
        let t = (q - tQuantiles[j]) / (tQuantiles[j + 1] - tQuantiles[j])
        mapped[i] = Float(Double(tValues[j]) + t * Double(tValues[j + 1] - tValues[j]))
    }
    return bin.map { mapped[$0] }
}

/// DFL's `color_hist_match`: every channel of `source` matched to the same channel of `template`.
public func colorHistogramMatch(_ source: FloatImage, toward template: FloatImage, threshold: Int = 255) -> FloatImage {
    precondition(source.channels == template.channels, "histogram matching needs equal channel counts")
    let cn = source.channels
    var out = source
    for c in 0..<cn {
        let s = stride(from: c, to: source.data.count, by: cn).map { source.data[$0] }
        let t = stride(from: c, to: template.data.count, by: cn).map { template.data[$0] }
        let m = matchChannelHistogram(s, t, threshold: threshold)
        for (k, i) in stride(from: c, to: out.data.count, by: cn).enumerated() { out.data[i] = m[k] }
    }
    return out
}
