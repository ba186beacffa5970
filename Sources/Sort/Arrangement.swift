// Turning faces into features and features into an order: the library half of `dfl-sort`.
import Imaging

extension SortMethod {
    /// The value this method arranges `face` by. Throws when the face lacks what the method needs.
    public func feature(of face: FaceInput) throws -> FaceFeature {
        func image() throws -> Image {
            guard let im = face.image else { throw SortInputError.missing("image") }
            return im
        }
        func maskedImage() throws -> Image {
            let im = try image()
            guard let mask = face.hullMask else { throw SortInputError.missing("landmarks") }
            return FacePixels.masked(im, by: mask)
        }
        func pose() throws -> (pitch: Double, yaw: Double) {
            guard let p = face.pitch, let y = face.yaw else { throw SortInputError.missing("landmarks") }
            return (p, y)
        }
        func rectArea() throws -> Double {
            guard let r = face.sourceRect, let a = NameMethods.rectArea(r) else { throw SortInputError.missing("source_rect") }
            return a
        }
        switch self {
        case .blur: return .score(Sharpness.cpbd(try maskedImage()))
        case .motionBlur: return .score(MotionBlur.laplacianVariance(try maskedImage()))
        case .faceYaw: return .score(try pose().yaw)
        case .facePitch: return .score(try pose().pitch)
        case .faceSourceRectSize: return .score(try rectArea())
        case .hist: return .histogram(FaceHistogram(image: try image()))
        case .histDissim:
            // Masked by the hull when the face has landmarks, whole otherwise (as DFL).
            let im = face.hullMask != nil ? try maskedImage() : try image()
            return .histogram(FaceHistogram(gray: FacePixels.grayPlane(im)))
        case .brightness: return .score(ColourStats.brightness(try image()))
        case .hue: return .score(ColourStats.hue(try image()))
        case .black: return .score(Double(ColourStats.blackCount(try image())))
        case .origname:
            guard let name = face.sourceFilename else { throw SortInputError.missing("source_filename") }
            return .name(name)
        case .oneface: return .name(face.fileName)
        case .absdiff: return .image(try image())
        case .final, .finalFast:
            let im = try image()
            let (pitch, yaw) = try pose()
            let quality = self == .final ? Sharpness.cpbd(try maskedImage()) : try rectArea()
            return .candidate(BestFaceCandidate(yaw: yaw, pitch: pitch, quality: quality,
                                                histogram: FaceHistogram(gray: FacePixels.grayPlane(im))))
        }
    }
}

/// Options that change how a method arranges faces.
public struct ArrangeOptions: Sendable {
    /// Target number of faces for `final` / `final-fast` (DFL's default 2000).
    public var count: Int = 2000
    /// `absdiff`: walk to the most different face each step instead of the most similar.
    public var dissimilar: Bool = false
    public init(count: Int = 2000, dissimilar: Bool = false) { self.count = count; self.dissimilar = dissimilar }
}

/// A method's verdict over a list of faces.
public struct Arrangement: Sendable, Equatable {
    /// Face indices in output order.
    public var order: [Int]
    /// Indices the method left out (DFL would move them to its trash folder), in input order.
    public var rejected: [Int]
    /// Per face (by input index): the number it was ranked by, or its chain distance from the face before
    /// it (`hist`, `absdiff`), or its quality (`final`); nil where there is none.
    public var scores: [Double?]
    /// Per face: a textual score where the method ranks by a name (`origname`).
    public var labels: [String?]

    public init(order: [Int], rejected: [Int], scores: [Double?], labels: [String?]) {
        self.order = order; self.rejected = rejected; self.scores = scores; self.labels = labels
    }

    /// The text `--print-score` shows for face `i`.
    public func scoreText(_ i: Int) -> String {
        if let s = scores[i] { return formatScore(s) }
        return labels[i] ?? ""
    }

    /// Applies the user's filters in this order: reverse the order, drop scores below a value, keep the
    /// first N. Dropped faces are not added to `rejected` (they were asked away, not judged invalid).
    public func filtered(reverse: Bool, dropBelow: Double?, keep: Int?) -> Arrangement {
        var out = self
        if reverse { out.order.reverse() }
        if let limit = dropBelow { out.order = out.order.filter { (scores[$0] ?? -.infinity) >= limit } }
        if let keep { out.order = Array(out.order.prefix(max(0, keep))) }
        return out
    }
}

/// Scores printed with up to 9 significant digits, integers without a fraction.
public func formatScore(_ v: Double) -> String {
    if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
    var s = String(format: "%.9g", v)
    if s.contains("e") { return s }
    while s.contains(".") && s.hasSuffix("0") { s.removeLast() }
    return s
}

extension SortMethod {
    /// Arranges faces by their features (index i of `features` is face i).
    public func arrange(_ features: [FaceFeature], options: ArrangeOptions = ArrangeOptions()) throws -> Arrangement {
        let n = features.count
        var scores = [Double?](repeating: nil, count: n)
        var labels = [String?](repeating: nil, count: n)
        switch self {
        case .blur, .motionBlur, .faceYaw, .facePitch, .faceSourceRectSize, .brightness, .hue, .black:
            for (i, f) in features.enumerated() { if case .score(let s) = f { scores[i] = s } }
            let order = stableOrder(n, by: { scores[$0]! }, ascending: ascending)
            return Arrangement(order: order, rejected: [], scores: scores, labels: labels)
        case .hist:
            let hists = features.map { f -> FaceHistogram in if case .histogram(let h) = f { return h }; fatalError("hist feature") }
            let (order, distances) = HistogramOrdering.similarityChain(hists)
            for (k, i) in order.enumerated() { scores[i] = distances[k] }
            return Arrangement(order: order, rejected: [], scores: scores, labels: labels)
        case .histDissim:
            let hists = features.map { f -> FaceHistogram in if case .histogram(let h) = f { return h }; fatalError("hist feature") }
            let s = HistogramOrdering.dissimilarityScores(hists)
            for i in 0..<n { scores[i] = s[i] }
            return Arrangement(order: stableOrder(n, by: { s[$0] }, ascending: false), rejected: [], scores: scores, labels: labels)
        case .origname:
            let names = features.map { f -> String in if case .name(let s) = f { return s }; fatalError("name feature") }
            for i in 0..<n { labels[i] = names[i] }
            return Arrangement(order: NameMethods.originalNameOrder(names), rejected: [], scores: scores, labels: labels)
        case .oneface:
            let names = features.map { f -> String in if case .name(let s) = f { return s }; fatalError("name feature") }
            let keep = NameMethods.oneFaceKeep(fileNames: names)
            return Arrangement(order: (0..<n).filter { keep[$0] }, rejected: (0..<n).filter { !keep[$0] },
                               scores: scores, labels: labels)
        case .absdiff:
            let images = features.map { f -> Image in if case .image(let im) = f { return im }; fatalError("image feature") }
            let (order, distances) = try AbsDiffOrdering.chain(images, similar: !options.dissimilar)
            for (k, i) in order.enumerated() { scores[i] = distances[k] }
            return Arrangement(order: order, rejected: [], scores: scores, labels: labels)
        case .final, .finalFast:
            let candidates = features.map { f -> BestFaceCandidate in if case .candidate(let c) = f { return c }; fatalError("candidate feature") }
            for i in 0..<n { scores[i] = candidates[i].quality }
            let chosen = BestFaces.select(candidates, count: options.count)
            let picked = Set(chosen)
            return Arrangement(order: chosen, rejected: (0..<n).filter { !picked.contains($0) }, scores: scores, labels: labels)
        }
    }

    private func stableOrder(_ n: Int, by key: (Int) -> Double, ascending: Bool) -> [Int] {
        (0..<n).sorted { a, b in
            let x = key(a), y = key(b)
            if x != y { return ascending ? x < y : x > y }
            return a < b
        }
    }
}
