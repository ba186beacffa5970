/// One polygon of DFL's XSeg editor (`seg_ie_polys`, docs/dfl-faceset.md §1.6), in aligned-image pixels.
public struct SegIEPolygon: Equatable, Sendable {
    /// INCLUDE polygons (type 1) add to the mask, EXCLUDE polygons (type 0) cut from it.
    public enum Kind: Int, Sendable { case exclude = 0, include = 1 }
    public var kind: Kind
    public var points: [SIMD2<Double>]
    public init(kind: Kind, points: [SIMD2<Double>]) {
        self.kind = kind
        self.points = points
    }
}

/// The typed content of an aligned face's metadata dict (docs/dfl-faceset.md §1.4, normalised per §8).
///
/// `dictionary` keeps the dict exactly as read, so keys this type does not know survive a rewrite:
/// `pickleValue()` overlays the typed fields on it.
public struct FaceMetadata: Equatable, Sendable {
    public var faceType: FaceType
    /// 68 landmarks in aligned-image pixels.
    public var landmarks: [SIMD2<Double>]
    /// The frame's file name (with extension, no directory).
    public var sourceFilename: String?
    /// (left, top, right, bottom) of the detection in frame pixels; may be "inverted" after rotation.
    public var sourceRect: [Int]?
    /// 68 landmarks in frame pixels.
    public var sourceLandmarks: [SIMD2<Double>]?
    /// The 2×3 frame → aligned affine matrix, row-major (a, b, c, d, e, f).
    public var imageToFaceMat: [Double]?
    /// nil when absent; DFL's default is 1.0 (`effectiveEyebrowsExpandMod`).
    public var eyebrowsExpandMod: Double?
    /// XSeg polygons, in stored order (DFL puts INCLUDE ones first when it loads them).
    public var segIEPolys: [SegIEPolygon]
    /// The encoded mask image (PNG or JPEG file bytes), as stored in `xseg_mask`.
    public var xsegMask: [UInt8]?
    /// The dict as read (ordered pairs), including keys this type does not interpret.
    public var dictionary: [PicklePair]

    public var effectiveEyebrowsExpandMod: Double { eyebrowsExpandMod ?? 1.0 }

    public init(faceType: FaceType, landmarks: [SIMD2<Double>], sourceFilename: String? = nil,
                sourceRect: [Int]? = nil, sourceLandmarks: [SIMD2<Double>]? = nil, imageToFaceMat: [Double]? = nil,
                eyebrowsExpandMod: Double? = nil, segIEPolys: [SegIEPolygon] = [], xsegMask: [UInt8]? = nil,
                dictionary: [PicklePair] = []) {
        self.faceType = faceType
        self.landmarks = landmarks
        self.sourceFilename = sourceFilename
        self.sourceRect = sourceRect
        self.sourceLandmarks = sourceLandmarks
        self.imageToFaceMat = imageToFaceMat
        self.eyebrowsExpandMod = eyebrowsExpandMod
        self.segIEPolys = segIEPolys
        self.xsegMask = xsegMask
        self.dictionary = dictionary
    }

    /// The keys DFL's writer emits, in its order; typed fields are written back under these.
    static let typedKeys = ["face_type", "landmarks", "source_filename", "source_rect", "source_landmarks",
                            "image_to_face_mat", "eyebrows_expand_mod", "seg_ie_polys", "xseg_mask"]

    // MARK: Reading

    /// Interprets a metadata dict. Throws `FaceSetError.metadata` naming the first bad field.
    public init(pickle value: PickleValue) throws {
        guard case let .dict(pairs) = value else { throw FaceSetError.metadata("metadata is not a dict") }
        func field(_ k: String) -> PickleValue? {
            guard let v = value[k], v != .none else { return nil }
            return v
        }
        if let ft = field("face_type") {
            guard let s = ft.stringValue, let t = FaceType(dflName: s) else {
                throw FaceSetError.metadata("face_type \(ft) is not a DFL face type")
            }
            faceType = t
        } else {
            faceType = .full
        }
        guard let lm = field("landmarks") else { throw FaceSetError.metadata("landmarks missing") }
        landmarks = try FaceMetadata.points(lm, key: "landmarks", count: 68)
        if let s = field("source_filename") {
            guard let str = s.stringValue else { throw FaceSetError.metadata("source_filename is not a string") }
            sourceFilename = str
        }
        if let r = field("source_rect") {
            let ints = try FaceMetadata.numbers(r, key: "source_rect").map { d -> Int in
                guard let i = Int(exactly: d) else { throw FaceSetError.metadata("source_rect value \(d) is not an integer") }
                return i
            }
            guard ints.count == 4 else { throw FaceSetError.metadata("source_rect has \(ints.count) values, not 4") }
            sourceRect = ints
        }
        if let sl = field("source_landmarks") {
            sourceLandmarks = try FaceMetadata.points(sl, key: "source_landmarks", count: 68)
        }
        if let m = field("image_to_face_mat") {
            let v = try FaceMetadata.numbers(m, key: "image_to_face_mat")
            guard v.count == 6 else { throw FaceSetError.metadata("image_to_face_mat has \(v.count) values, not 2×3") }
            imageToFaceMat = v
        }
        if let e = field("eyebrows_expand_mod") {
            guard let d = e.doubleValue else { throw FaceSetError.metadata("eyebrows_expand_mod is not a number") }
            eyebrowsExpandMod = d
        }
        segIEPolys = try field("seg_ie_polys").map(FaceMetadata.polygons) ?? []
        if let x = field("xseg_mask") {
            switch x {
            case let .ndarray(a): xsegMask = try a.uint8s()
            case let .bytes(b): xsegMask = b
            default: throw FaceSetError.metadata("xseg_mask is not a uint8 array")
            }
        }
        dictionary = pairs
    }

    /// (x, y) pairs from a list of pairs or an (n, 2) ndarray.
    static func points(_ v: PickleValue, key: String, count: Int? = nil) throws -> [SIMD2<Double>] {
        var out: [SIMD2<Double>] = []
        switch v {
        case let .ndarray(a):
            guard a.shape.count == 2, a.shape[1] == 2 else {
                throw FaceSetError.metadata("\(key) array has shape \(a.shape), not (n, 2)")
            }
            let d = try a.doubles()
            for i in stride(from: 0, to: d.count, by: 2) { out.append(SIMD2(d[i], d[i + 1])) }
        default:
            guard let rows = v.sequence else { throw FaceSetError.metadata("\(key) is not a list of points") }
            for r in rows {
                guard let p = r.sequence, p.count == 2, let x = p[0].doubleValue, let y = p[1].doubleValue else {
                    throw FaceSetError.metadata("\(key) has an element that is not an [x, y] pair")
                }
                out.append(SIMD2(x, y))
            }
        }
        if let n = count, out.count != n { throw FaceSetError.metadata("\(key) has \(out.count) points, not \(n)") }
        return out
    }

    /// Flat numbers from an ndarray or a (nested) list/tuple of numbers.
    static func numbers(_ v: PickleValue, key: String) throws -> [Double] {
        if case let .ndarray(a) = v { return try a.doubles() }
        guard let items = v.sequence else { throw FaceSetError.metadata("\(key) is not an array or list") }
        var out: [Double] = []
        for x in items {
            if let d = x.doubleValue { out.append(d) }
            else if x.sequence != nil { out += try numbers(x, key: key) }
            else { throw FaceSetError.metadata("\(key) holds a non-number") }
        }
        return out
    }

    /// `{'polys': [{'type': t, 'pts': …}]}` or the legacy `[(type, pts), …]`.
    static func polygons(_ v: PickleValue) throws -> [SegIEPolygon] {
        let items: [PickleValue]
        if case .dict = v {
            guard let p = v["polys"] else { return [] }
            guard let list = p.sequence else { throw FaceSetError.metadata("seg_ie_polys['polys'] is not a list") }
            items = list
        } else if let list = v.sequence {
            items = list
        } else {
            throw FaceSetError.metadata("seg_ie_polys is neither a dict nor a list")
        }
        return try items.map { item in
            let typeValue: PickleValue?, ptsValue: PickleValue?
            if case .dict = item {
                typeValue = item["type"]; ptsValue = item["pts"]
            } else if let pair = item.sequence, pair.count == 2 {
                typeValue = pair[0]; ptsValue = pair[1]
            } else {
                throw FaceSetError.metadata("seg_ie_polys entry is neither a dict nor a (type, pts) pair")
            }
            guard let t = typeValue?.intValue, let kind = SegIEPolygon.Kind(rawValue: t) else {
                throw FaceSetError.metadata("seg_ie_polys type must be 0 or 1")
            }
            guard let pts = ptsValue else { throw FaceSetError.metadata("seg_ie_polys entry has no pts") }
            // An empty polygon may be `[]` or a (0, 2) array.
            if let s = pts.sequence, s.isEmpty { return SegIEPolygon(kind: kind, points: []) }
            return SegIEPolygon(kind: kind, points: try points(pts, key: "seg_ie_polys pts"))
        }
    }

    // MARK: Writing

    /// The dict to pickle: the original dict with the typed fields written over it (in place when the key
    /// existed, appended in DFL's order otherwise). `None` values are dropped, as DFL does; so are unknown
    /// keys whose values hold opaque Python objects, which could not be written without making the reader
    /// import and call them.
    public func pickleValue() throws -> PickleValue {
        var typed: [String: PickleValue] = [:]
        typed["face_type"] = .string(faceType.dflName)
        typed["landmarks"] = FaceMetadata.pointList(landmarks)
        typed["source_filename"] = sourceFilename.map { .string($0) }
        if let r = sourceRect {
            guard r.count == 4 else { throw FaceSetError.metadata("source_rect must have 4 values") }
            let fits32 = r.allSatisfy { Int32(exactly: $0) != nil }
            typed["source_rect"] = .ndarray(fits32 ? try NDArray(int32s: r, shape: [4]) : try NDArray(int64s: r, shape: [4]))
        }
        typed["source_landmarks"] = sourceLandmarks.map(FaceMetadata.pointList)
        if let m = imageToFaceMat {
            guard m.count == 6 else { throw FaceSetError.metadata("image_to_face_mat must have 6 values") }
            typed["image_to_face_mat"] = .ndarray(try NDArray(doubles: m, shape: [2, 3]))
        }
        typed["eyebrows_expand_mod"] = eyebrowsExpandMod.map { .float($0) }
        if !segIEPolys.isEmpty { typed["seg_ie_polys"] = try FaceMetadata.polygonsValue(segIEPolys) }
        if let x = xsegMask { typed["xseg_mask"] = .ndarray(try NDArray(uint8s: x, shape: [x.count])) }

        var out: [PicklePair] = []
        var written = Set<String>()
        for p in dictionary {
            if let k = p.key.stringValue, FaceMetadata.typedKeys.contains(k) {
                if !written.contains(k), let v = typed[k] { out.append(PicklePair(p.key, v)); written.insert(k) }
            } else if p.value != .none && !p.value.containsOpaque && !p.key.containsOpaque {
                out.append(p)
            }
        }
        for k in FaceMetadata.typedKeys where !written.contains(k) {
            if let v = typed[k] { out.append(PicklePair(.string(k), v)) }
        }
        return .dict(out)
    }

    static func pointList(_ p: [SIMD2<Double>]) -> PickleValue {
        .list(p.map { .list([.float($0.x), .float($0.y)]) })
    }

    /// DFL's dict form with float32 (n, 2) point arrays, as its XSeg editor writes.
    static func polygonsValue(_ polys: [SegIEPolygon]) throws -> PickleValue {
        .dict([PicklePair(.string("polys"), .list(try polys.map { p in
            let flat = p.points.flatMap { [Float($0.x), Float($0.y)] }
            return .dict([PicklePair(.string("type"), .int(p.kind.rawValue)),
                          PicklePair(.string("pts"), .ndarray(try NDArray(floats: flat, shape: [p.points.count, 2])))])
        }))])
    }
}
