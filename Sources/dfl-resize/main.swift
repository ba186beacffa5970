// dfl-resize: change the size and/or face type of aligned faces, re-deriving every geometric field of
// their metadata as DeepFaceLab's faceset resizer does (docs/dfl-faceset.md §5).
import ArgumentParser
import AtomicIO
import FaceAlign
import FaceSet
import Imaging
import ToolSupport

struct DFLResize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dfl-resize",
        abstract: "Resize aligned faces and/or change their face type, keeping their metadata consistent.",
        discussion: """
        With --size only, each face is resized with Lanczos-4 and its landmarks and polygons are scaled. \
        With --face-type, the aligned image is re-cropped to the new face type by warping it (Lanczos-4, \
        black border where the new crop reaches past the old one), and landmarks, polygons, \
        image_to_face_mat and the XSeg mask follow. Faces are written to --out DIR as JPEG (quality 100 \
        by default) under their own names; the written paths are printed in input order.

        SAEHDBW's grayscale datasets are made by converting and shrinking an existing faceset, for \
        example 768 → 384 → 192 with face type mf:

        EXAMPLES:
          dfl-resize --size 384 --gray --out faces384 faces768/
          dfl-resize --size 192 --face-type mf --out faces192 faces384/ | dfl-pack --out src.pak
        """,
        version: toolchainVersion)

    @OptionGroup var input: InputOptions

    @Option(name: [.short, .long], help: "Output directory (created if missing).")
    var out: String

    @Option(name: [.short, .long], help: "New width and height in pixels (default: keep each face's size).")
    var size: Int?

    @Option(name: [.customShort("t"), .long],
            help: "New face type (default: keep each face's type).")
    var faceType: FaceType?

    @Flag(help: "Also convert to a 1-channel grayscale face (BT.601 luma), as SAEHDBW's resizer does.")
    var gray = false

    @Option(help: "JPEG quality of the written faces (1-100).")
    var quality: Int = 100

    @Flag(name: [.short, .long], help: "No progress output on standard error.")
    var quiet = false

    func validate() throws {
        guard size != nil || faceType != nil else {
            throw ValidationError("give --size and/or --face-type")
        }
        if let s = size, !(16...8192).contains(s) { throw ValidationError("--size must be 16...8192") }
        guard (1...100).contains(quality) else { throw ValidationError("--quality must be 1...100") }
    }

    func run() throws {
        let inputs = try input.resolvePaths()
        let outDir = try OutputDirectory(out)
        let newType = faceType
        let status = PerFileRunner.run(tool: "dfl-resize", inputs: inputs, quiet: quiet) { path in
            let face = try FaceFile(path: path)
            let (image, metadata) = try resizeFace(face, size: size, faceType: newType, gray: gray)
            let bytes = try DFLJPG.embed(metadata, into: encodeJPEG(image, quality: quality))
            let target = outDir.file(named: face.stem + ".jpg")
            try ensureNotSameFile(input: path, output: target)
            try AtomicFile.write(bytes, to: target)
            return [target]
        }
        throw ExitCode(status)
    }
}


enum ResizeError: Error, CustomStringConvertible {
    case notSquare(Int, Int)
    var description: String {
        switch self {
        case let .notSquare(w, h): return "aligned face is not square (\(w)×\(h))"
        }
    }
}

/// Resizes one face: the pixels by the operation FaceAlign's resize geometry chooses, the metadata by its
/// new landmarks and matrices.
func resizeFace(_ face: FaceFile, size: Int?, faceType: FaceType?, gray: Bool) throws -> (Image, FaceMetadata) {
    let oldSize = face.image.width
    guard face.image.height == oldSize else { throw ResizeError.notSquare(face.image.width, face.image.height) }
    let newSize = size ?? oldSize
    let geometry = try resizedFaceGeometry(AlignedFaceGeometry(metadata: face.metadata, size: oldSize),
                                           newSize: newSize, newFaceType: faceType)
    var image = face.image.channels == 4 ? face.image.toGray().grayToRGB() : face.image   // drop PNG alpha
    switch geometry.pixelOperation {
    case .resize:
        // SAEHDBW converts before resizing on this path.
        if gray && image.channels != 1 { image = image.toGray() }
        if newSize != oldSize { image = image.resized(width: newSize, height: newSize, method: .lanczos4) }
    case .warp:
        image = warpAffine(image, matrix: geometry.oldToNew.rowMajor, width: newSize, height: newSize,
                           interpolation: .lanczos4, border: .constant(0))
        if gray && image.channels != 1 { image = image.toGray() }
    }

    var m = face.metadata
    m.faceType = geometry.faceType
    m.landmarks = geometry.landmarks.map(\.simd)
    if m.imageToFaceMat != nil { m.imageToFaceMat = geometry.imageToFaceMat?.rowMajor }
    m.segIEPolys = m.segIEPolys.map { poly in
        SegIEPolygon(kind: poly.kind, points: poly.points.map { geometry.oldToNew.apply(Point2D($0)).simd })
    }
    if let maskTransform = geometry.xsegMaskTransform, let maskBytes = m.xsegMask {
        m.xsegMask = try rewarpXSegMask(maskBytes, transformAt256: maskTransform)
    }
    return (image, m)
}

/// DFL keeps XSeg masks at 256×256: warp the mask into the new face type at 256 px (Lanczos-4), threshold
/// at one half, and store it as PNG again.
func rewarpXSegMask(_ bytes: [UInt8], transformAt256: Affine2D) throws -> [UInt8] {
    var mask = try decodeImage(bytes)
    if mask.channels != 1 { mask = mask.toGray() }
    let toMask256 = Affine2D.scaling(256 / Double(mask.width))
    let warped = warpAffine(mask, matrix: transformAt256.composed(after: toMask256).rowMajor, width: 256, height: 256,
                            interpolation: .lanczos4, border: .constant(0))
    let binary = Image(width: 256, height: 256, channels: 1, pixels: warped.pixels.map { $0 >= 128 ? 255 : 0 })
    return try encodePNG(binary)
}

DFLResize.runAsTool()
