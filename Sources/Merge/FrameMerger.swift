// One frame through DFL's MergeMaskedFace for each of its faces (docs/saehd-model.md §7.2), sequentially: each
// face is blended into the result of the previous one and the frame mask is the clipped sum of the masks.
import ColorTransfer
import FaceAlign
import FaceSet
import Imaging

/// A dst face of a frame as the merger needs it.
public struct FrameFace: Sendable {
    /// The 68 landmarks in frame pixels (the aligned face's `source_landmarks`).
    public var landmarks: [Point2D]
    /// The face's XSeg mask (1 channel, [0, 1]) in its own pixel space, or nil.
    public var xsegMask: FloatImage?
    /// Maps XSeg-mask pixel coordinates to frame coordinates (required with `xsegMask`).
    public var xsegToFrame: Affine2D?
    /// The face's motion between the neighbouring frames, for `MergeSettings.motionBlur`; nil for none.
    public var motion: FaceMotion?

    public init(landmarks: [Point2D], xsegMask: FloatImage? = nil, xsegToFrame: Affine2D? = nil, motion: FaceMotion? = nil) {
        self.landmarks = landmarks
        self.xsegMask = xsegMask
        self.xsegToFrame = xsegToFrame
        self.motion = motion
    }
}

/// A merged frame.
public struct MergedFrame: Sendable {
    /// The output frame: 3 channels (RGB, or gray repeated in `gray` colour mode); in `raw-predict` mode the
    /// last face's prediction (black resolution² square for a frame without faces).
    public var image: Image
    /// The final blend mask, 1 channel, frame-sized (raw-predict: the last face's work mask).
    public var mask: Image
}

/// Merges frames with one predictor and one set of settings. Thread-safe; use one for all frames.
public struct FrameMerger: Sendable {
    public let predictor: FacePredictor
    public let settings: MergeSettings
    /// The XSeg model of the `xseg-prd`/`xseg-dst` mask modes (nil when the mode runs none).
    public let segmenter: FaceSegmenter?

    /// Throws for settings out of range, and for a mask mode that runs an XSeg model without `segmenter`.
    public init(predictor: FacePredictor, settings: MergeSettings, segmenter: FaceSegmenter? = nil) throws {
        try settings.validate()
        if settings.maskMode.needsXSegModel && segmenter == nil { throw MergeError.missingXSegModel(settings.maskMode) }
        self.predictor = predictor
        self.settings = settings
        self.segmenter = segmenter
    }

    /// The colour mode used for frames with `frameChannels` channels (`auto` resolved).
    public func effectiveColorMode(frameChannels: Int) -> ColorMode {
        switch settings.colorMode {
        case .auto:
            if frameChannels == 1 { return .gray }
            return predictor.channels == 1 ? .luma : .color
        case .luma:
            return frameChannels == 1 ? .gray : .luma
        default:
            return settings.colorMode
        }
    }

    /// Channels of the image the face pipeline works on (3 in `color`, 1 otherwise).
    public func workingChannels(frameChannels: Int) -> Int {
        effectiveColorMode(frameChannels: frameChannels) == .color ? 3 : 1
    }

    /// Throws when the colour transfer cannot run on the working channel count (rct, mkl need colour).
    public func checkColorTransfer(frameChannels: Int) throws {
        if let ct = settings.colorTransfer, !ct.supports(channels: workingChannels(frameChannels: frameChannels)) {
            throw MergeError.colorTransferUnsupported(
                "colour transfer \(ct.rawValue) needs colour; this merge works on 1 channel (use lct, sot or idt)")
        }
    }

    /// `frame` with every face in `faces` swapped.
    public func merge(frame: Image, faces: [FrameFace]) throws -> MergedFrame {
        try checkColorTransfer(frameChannels: frame.channels)
        let colorMode = effectiveColorMode(frameChannels: frame.channels)
        var rgb = frame.toFloat()
        if rgb.channels == 4 { rgb = dropAlpha(rgb) }
        if rgb.channels == 1 && colorMode == .color { rgb = rgb.grayToRGB() }
        var work: FloatImage
        switch colorMode {
        case .gray: work = frame.channels == 1 ? rgb : (frame.channels == 4 ? dropAlpha(frame.toFloat()).toGray() : frame.toGray().toFloat())
        case .luma: work = rgb.toGray()
        default: work = rgb
        }
        var total = FloatImage(width: frame.width, height: frame.height, channels: 1)
        // Luma mode's chroma strategies act where the prediction differs from the dst face (crop space).
        var change: FloatImage? = colorMode == .luma && settings.chroma != .keep
            ? FloatImage(width: frame.width, height: frame.height, channels: 1) : nil
        // The XSeg network sees the frame in colour (a gray frame as three equal channels), as it was given.
        let xsegFrame = settings.maskMode.needsXSegModel && !faces.isEmpty ? rgb.converted(toChannels: 3) : nil
        var lastPrediction: (FloatImage, FloatImage)?
        for (i, face) in faces.enumerated() {
            lastPrediction = try mergeFace(face, index: i, into: &work, mask: &total, change: &change, xsegFrame: xsegFrame)
        }
        if settings.mode == .rawPredict {
            let r = predictor.resolution
            var (image, mask) = lastPrediction ?? (FloatImage(width: r, height: r, channels: work.channels),
                                                   FloatImage(width: r, height: r, channels: 1))
            if colorMode == .luma, let face = faces.last, lastPrediction != nil {
                image = try colorPrediction(image, face: face, frame: rgb)
            }
            return MergedFrame(image: image.converted(toChannels: 3).toUInt8(), mask: mask.toUInt8())
        }
        let output: FloatImage
        switch colorMode {
        case .luma:
            if let change, !faces.isEmpty {
                output = replaceLuma(of: rgb, with: work, mask: total, change: change, chroma: settings.chroma,
                                     faceSize: try meanCropSide(faces))
            } else {
                output = faces.isEmpty ? rgb : replaceLuma(of: rgb, with: work)
            }
        case .gray: output = work.grayToRGB()
        default: output = work
        }
        return MergedFrame(image: output.toUInt8(), mask: total.toUInt8())
    }

    /// Luma mode's raw-predict: the gray prediction with the dst face's chroma as the merge would give it
    /// (the whole crop counts as inside the mask).
    func colorPrediction(_ prediction: FloatImage, face: FrameFace, frame rgb: FloatImage) throws -> FloatImage {
        let r = predictor.resolution
        let faceMat = try transformMatrix(landmarks: face.landmarks, size: r, faceType: predictor.faceType)
        let crop = warpAffine(rgb, matrix: faceMat.rowMajor, width: r, height: r, interpolation: .cubic).clipped()
        var change = crop.toGray()
        for i in change.data.indices { change.data[i] = abs(prediction.data[i] - change.data[i]) }
        let ones = FloatImage(width: r, height: r, channels: 1, fill: 1)
        return replaceLuma(of: crop, with: prediction, mask: ones, change: change, chroma: settings.chroma,
                           faceSize: Double(r))
    }

    /// The mean side, in frame pixels, of the faces' crops (the scale of the luma mode's chroma statistics).
    func meanCropSide(_ faces: [FrameFace]) throws -> Double {
        let r = predictor.resolution
        var sum = 0.0
        for face in faces {
            let m = try transformMatrix(landmarks: face.landmarks, size: r, faceType: predictor.faceType)
            sum += Double(r) / abs(m.determinant).squareRoot()
        }
        return sum / Double(max(faces.count, 1))
    }

    private func dropAlpha(_ image: FloatImage) -> FloatImage {
        var out = FloatImage(width: image.width, height: image.height, channels: 3)
        for i in 0..<(image.width * image.height) {
            for c in 0..<3 { out.data[3 * i + c] = image.data[4 * i + c] }
        }
        return out
    }

    /// One face (MergeMaskedFace) merged into `work`, its frame mask added to `total`, and when `change` is
    /// given, |pasted prediction − dst face| warped into it (maximum over faces). `xsegFrame` is the frame in
    /// colour for the XSeg mask modes. Returns the prediction and work mask (what raw-predict shows).
    func mergeFace(_ face: FrameFace, index: Int, into work: inout FloatImage, mask total: inout FloatImage,
                   change: inout FloatImage?, xsegFrame: FloatImage? = nil) throws -> (FloatImage, FloatImage) {
        let r = predictor.resolution, ft = predictor.faceType, s = settings
        let cn = work.channels
        let scale = 1 + 0.01 * Double(s.outputFaceScale)
        let faceMat = try transformMatrix(landmarks: face.landmarks, size: r, faceType: ft)
        let outputMat = try transformMatrix(landmarks: face.landmarks, size: r, faceType: ft, scale: scale)
        let maskMat = try transformMatrix(landmarks: face.landmarks, size: 4 * r, faceType: ft, scale: scale)
        let interpolation: WarpInterpolation = cn == 1 ? .lanczos4 : .cubic   // SAEHDBW pastes with Lanczos-4

        // 1.–3. The dst face cut out of the frame, its hull, and the prediction.
        let dstFace = warpAffine(work, matrix: faceMat.rowMajor, width: r, height: r,
                                 interpolation: .cubic).clipped()
        let prediction = try predictor.predict(dstFace.converted(toChannels: predictor.channels),
                                              masks: s.maskMode.learnedMasks)
        guard prediction.image.width == r, prediction.image.height == r,
              prediction.image.channels == predictor.channels else {
            throw MergeError.predictionShape(expected: "\(r)×\(r)×\(predictor.channels)",
                                             got: "\(prediction.image.width)×\(prediction.image.height)×\(prediction.image.channels)")
        }
        var predicted = prediction.image.clipped().converted(toChannels: cn)

        // 4. The work mask, values below 1/255 dropped. The hull (`dst`, and `xseg` for a face without one) is
        // drawn anti-aliased on the grid it is used on (HullMask.swift) instead of filled at r and scaled up.
        let hull = s.maskMode == .dst || (s.maskMode == .xseg && (face.xsegMask == nil || face.xsegToFrame == nil))
        let hullParts = hull ? try maskHullParts(face, faceMat: faceMat) : []
        var workMask = try selectMask(face, prediction: prediction, faceMat: faceMat, hullParts: hullParts,
                                      xsegFrame: xsegFrame)
        for i in workMask.data.indices where workMask.data[i] < 1 / 255 { workMask.data[i] = 0 }
        if s.mode == .rawPredict { return (predicted, workMask) }
        guard let rect = frameRect(covering: [(maskMat, 4 * r), (faceMat, r)],
                                   frameWidth: work.width, frameHeight: work.height) else { return (predicted, workMask) }

        // 5.–6. Erode / blur in 4r pixels; the frame-space mask M in the face's rectangle; the area where the
        // work mask is set. Without erosion and blur (or in the raw modes) the hull goes straight into the
        // frame, covered per frame pixel, so its edge is one frame pixel wide at any model resolution. With
        // them, it is drawn on the 4r grid, where erode and blur count their pixels, shaped and warped as DFL.
        var frameMask: FloatImage
        let area: FloatImage
        if hull && (s.mode.isRaw || (s.erode == 0 && s.blur == 0)), let fromMask = maskMat.inverted {
            // The 4r square stays the mask's limit, as it is for the warped mask.
            let side = Double(4 * r) - 0.5
            let toRect = Affine2D.translation(-Double(rect.x), -Double(rect.y)).composed(after: fromMask)
            let parts = hullParts.map { toRect.apply(clipConvexPolygon($0, x0: -0.5, y0: -0.5, x1: side, y1: side)) }
            frameMask = coverageMask(of: parts, width: rect.width, height: rect.height)
            area = FloatImage(width: r, height: r, channels: 1, data: workMask.data.map { $0 > 0 ? 1 : 0 })
        } else {
            var mask4r = hull ? hullCoverage(hullParts, side: 4 * r, size: 4 * r)
                              : workMask.resized(width: 4 * r, height: 4 * r, method: .cubic).clipped()
            if !s.mode.isRaw { mask4r = shapeMask(mask4r, resolution: r, erode: s.erode, blur: s.blur) }
            frameMask = warpToFrame(mask4r, toFace: maskMat, rect: rect, interpolation: .cubic).clipped()
            let shaped = mask4r.resized(width: r, height: r, method: .cubic)
            area = FloatImage(width: r, height: r, channels: 1, data: shaped.data.map { $0 > 0 ? 1 : 0 })
        }
        for i in frameMask.data.indices where frameMask.data[i] < 1 / 255 { frameMask.data[i] = 0 }

        let before = work.region(rect)
        var blended = before
        var pastedPrediction: FloatImage?
        switch s.mode {
        case .original, .rawPredict:
            break
        case .rawRGB:
            let ones = FloatImage(width: r, height: r, channels: 1, fill: 1)
            let box = warpToFrame(ones, toFace: outputMat, rect: rect, interpolation: interpolation)
            let pasted = warpToFrame(predicted, toFace: outputMat, rect: rect, interpolation: interpolation,
                                     border: .replicate)
            blended = blend(before, pasted, box).clipped()
            pastedPrediction = predicted
        case .overlay, .histMatch, .seamless, .seamlessHistMatch:
            guard maskIsLargeEnough(frameMask) else { break }
            if !s.mode.isSeamless, let ct = s.colorTransfer {
                predicted = try colorTransfer(ct, predicted, toward: dstFace,
                                              seed: ColorTransfer.SeededGenerator.derive(s.seed, UInt64(index))).clipped()
            }
            if s.mode == .histMatch {
                predicted = histMatch(predicted, toward: dstFace, area: s.maskedHistMatch ? area : nil)
            }
            pastedPrediction = predicted
            var faceInFrame = warpToFrame(predicted, toFace: outputMat, rect: rect, interpolation: interpolation,
                                          border: .replicate).clipped()
            if s.mode.isSeamless, let binary = seamlessMask(frameMask) {
                faceInFrame = poissonBlend(guide: faceInFrame, frame: before, mask: binary).clipped()
            }
            blended = blend(before, faceInFrame, frameMask)
            // f. Post-pass on the merged face crop.
            let postColor = s.mode.isSeamless ? s.colorTransfer : nil
            let motionSize = s.motionBlur > 0 ? face.motion.flatMap { motionBlurSize($0, amount: s.motionBlur) } : nil
            if postColor != nil || s.mode == .seamlessHistMatch || s.sharpenAmount != 0 || motionSize != nil {
                var merged = work
                merged.setRegion(rect, blended)
                var crop = warpAffine(merged, matrix: faceMat.rowMajor, width: r, height: r,
                                      interpolation: .cubic).clipped()
                if let ct = postColor {
                    crop = try colorTransfer(ct, crop, toward: dstFace,
                                             seed: ColorTransfer.SeededGenerator.derive(s.seed, UInt64(index))).clipped()
                }
                if s.mode == .seamlessHistMatch { crop = colorHistogramMatch(crop, toward: dstFace, threshold: s.histMatchThreshold) }
                if let k = motionSize, let motion = face.motion {
                    crop = filter2D(crop, kernel: motionBlurKernel(size: k, degrees: motion.degrees))
                }
                crop = blurSharpen(crop, mode: s.sharpenMode, amount: s.sharpenAmount)
                let back = warpToFrame(crop, toFace: faceMat, rect: rect, interpolation: interpolation, border: .replicate)
                blended = blend(before, back, frameMask).clipped()
            }
        }
        work.setRegion(rect, blended)
        if change != nil, let pasted = pastedPrediction {
            var difference = pasted
            for i in difference.data.indices { difference.data[i] = abs(pasted.data[i] - dstFace.data[i]) }
            let inFrame = warpToFrame(difference, toFace: outputMat, rect: rect, interpolation: .bilinear)
            for y in 0..<rect.height {
                for x in 0..<rect.width {
                    let i = (rect.y + y) * work.width + rect.x + x
                    change!.data[i] = max(change!.data[i], inFrame.data[y * rect.width + x])
                }
            }
        }
        // The frame mask: clipped sum over faces.
        for y in 0..<rect.height {
            for x in 0..<rect.width {
                let i = (rect.y + y) * total.width + rect.x + x
                total.data[i] = min(total.data[i] + frameMask.data[y * rect.width + x], 1)
            }
        }
        return (predicted, workMask)
    }

    /// The hull's convex parts in the 4r mask's coordinates (`maskMat`'s, which include the output face scale):
    /// the polygon DFL fills at r in `faceMat`'s crop, scaled by 4 as DFL's r → 4r resize scales it.
    private func maskHullParts(_ face: FrameFace, faceMat: Affine2D) throws -> [[Point2D]] {
        try faceHullPolygons(landmarks: Affine2D(4, 0, 0, 0, 4, 0).composed(after: faceMat).apply(face.landmarks))
    }

    /// The hull parts (4r coordinates) covered on a `size`×`size` grid of the same square: at 4r as they are,
    /// at r scaled by 1/4 (back in `faceMat`'s crop). The grid's edges cut them to the square.
    private func hullCoverage(_ parts: [[Point2D]], side: Int, size: Int) -> FloatImage {
        let k = Double(size) / Double(side)
        return coverageMask(of: parts.map { $0.map { Point2D($0.x * k, $0.y * k) } }, width: size, height: size)
    }

    /// The r×r mask of the mask mode (step 4); `hullParts` are the hull's parts for `dst` and `xseg` without one;
    /// `xsegFrame` the colour frame the XSeg modes cut the dst face from.
    private func selectMask(_ face: FrameFace, prediction: FacePrediction, faceMat: Affine2D,
                            hullParts: [[Point2D]], xsegFrame: FloatImage?) throws -> FloatImage {
        let r = predictor.resolution
        func learned(_ m: FloatImage?) throws -> FloatImage {
            guard let m, m.width == r, m.height == r, m.channels == 1 else {
                throw MergeError.missingLearnedMask(settings.maskMode)
            }
            return m.clipped()
        }
        func hull() -> FloatImage { hullCoverage(hullParts, side: 4 * r, size: r) }
        switch settings.maskMode {
        case .full: return FloatImage(width: r, height: r, channels: 1, fill: 1)
        case .dst: return hull()
        case .learnedPrd: return try learned(prediction.predictedMask)
        case .learnedDst: return try learned(prediction.dstMask)
        case .learnedPrdTimesDst, .learnedPrdPlusDst:
            var a = try learned(prediction.predictedMask)
            let b = try learned(prediction.dstMask)
            let product = settings.maskMode == .learnedPrdTimesDst
            for i in a.data.indices { a.data[i] = product ? a.data[i] * b.data[i] : min(a.data[i] + b.data[i], 1) }
            return a
        case .xseg:
            guard let xseg = face.xsegMask, let toFrame = face.xsegToFrame else { return hull() }
            let toCrop = faceMat.composed(after: toFrame)
            return warpAffine(xseg, matrix: toCrop.rowMajor, width: r, height: r, interpolation: .cubic).clipped()
        case .xsegPrd, .xsegDst, .xsegPrdTimesDst, .learnedTimesXSeg:
            // docs/xseg.md, "XSeg in the merger": the product of the parts the mode names.
            guard let masker = segmenter, let frame = xsegFrame else { throw MergeError.missingXSegModel(settings.maskMode) }
            let xseg = XSegFaceMasks(masker: masker, resolution: r, modelFaceType: predictor.faceType)
            let parts = settings.maskMode.xsegParts
            var product = FloatImage(width: r, height: r, channels: 1, fill: 1)
            func multiply(_ m: FloatImage) { for i in product.data.indices { product.data[i] *= m.data[i] } }
            if settings.maskMode == .learnedTimesXSeg {
                multiply(try learned(prediction.predictedMask))
                multiply(try learned(prediction.dstMask))
            }
            if parts.predicted {
                multiply(try xseg.predictedMask(prediction: prediction.image.clipped().converted(toChannels: 3),
                                                frame: frame, landmarks: face.landmarks, faceMat: faceMat))
            }
            if parts.dst { multiply(try xseg.dstMask(frame: frame, landmarks: face.landmarks, faceMat: faceMat)) }
            return product
        }
    }

    /// Step b: histogram matching with the outside of `area` set to white in both images.
    private func histMatch(_ predicted: FloatImage, toward dst: FloatImage, area: FloatImage?) -> FloatImage {
        var source = predicted, template = dst
        if let area {
            let cn = predicted.channels
            for i in source.data.indices {
                let m = area.data[i / cn]
                source.data[i] = min(source.data[i] * m + (1 - m), 1)
                template.data[i] = template.data[i] * m + (1 - m)
            }
        }
        return colorHistogramMatch(source, toward: template, threshold: settings.histMatchThreshold)
    }
}

/// `a·(1 − m) + b·m` per pixel, m 1 channel.
func blend(_ a: FloatImage, _ b: FloatImage, _ m: FloatImage) -> FloatImage {
    let cn = a.channels
    var out = a
    for i in out.data.indices {
        let w = m.data[i / cn]
        out.data[i] = a.data[i] * (1 - w) + b.data[i] * w
    }
    return out
}

/// DFL merges only when the region where M ≥ 0.1 has a bounding box with both sides ≥ 4 px.
func maskIsLargeEnough(_ m: FloatImage) -> Bool {
    var x0 = Int.max, y0 = Int.max, x1 = Int.min, y1 = Int.min
    for y in 0..<m.height {
        for x in 0..<m.width where m.data[y * m.width + x] >= 0.1 {
            x0 = min(x0, x); x1 = max(x1, x); y0 = min(y0, y); y1 = max(y1, y)
        }
    }
    return x0 != Int.max && x1 - x0 + 1 >= 4 && y1 - y0 + 1 >= 4
}

/// Step c: the binary mask for seamless cloning, M > t for the first t in 0.1...0.9 that leaves pixels.
func seamlessMask(_ m: FloatImage) -> FloatImage? {
    for i in 1...9 {
        let t = Float(i) / 10
        if m.data.contains(where: { $0 > t }) {
            return FloatImage(width: m.width, height: m.height, channels: 1, data: m.data.map { $0 > t ? 1 : 0 })
        }
    }
    return nil
}
