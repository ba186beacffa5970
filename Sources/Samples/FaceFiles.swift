// Reading training faces from aligned-face files (DFL JPEG or PNG with metadata) and faceset.pak files.
import FaceSet
import Foundation
import Imaging

extension FaceRecord {
    /// An aligned face from its file bytes: pixels decoded (1-channel JPEGs stay gray), landmarks, face type,
    /// XSeg mask and eyebrows_expand_mod from the metadata. Throws for a file without DFL metadata.
    public init(faceFile bytes: [UInt8]) throws {
        let face = try DFLImage.read(bytes)
        guard let meta = face.metadata else { throw FaceSetError.noMetadata }
        var image = try decodeImage(bytes)
        if image.channels == 4 { image = image.droppingAlpha() }
        var xseg: FloatImage? = nil
        if let maskBytes = meta.xsegMask {
            let m = try decodeImage(maskBytes)
            xseg = m.toFloat()
        }
        self.init(image: image, landmarks: meta.landmarks, faceType: meta.faceType, xsegMask: xseg,
                  eyebrowsExpandMod: meta.effectiveEyebrowsExpandMod)
    }
}

extension Image {
    /// RGB from RGBA (the alpha channel dropped).
    fileprivate func droppingAlpha() -> Image {
        var px = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) { for k in 0..<3 { px[i * 3 + k] = pixels[i * 4 + k] } }
        return Image(width: width, height: height, channels: 3, pixels: px)
    }
}

/// Why a faceset file could not be read.
public enum FaceFileError: Error, CustomStringConvertible {
    case unreadable(String)
    case tooLarge(String, Int)

    public var description: String {
        switch self {
        case let .unreadable(path): return "\(path): cannot read"
        case let .tooLarge(path, size): return "\(path): \(size) bytes is larger than a face file can be"
        }
    }
}

extension FaceStore {
    /// Largest aligned-face file accepted (a 1024-px colour JPEG at quality 100 is about 1 MB).
    public static let maxFaceFileBytes = 64 << 20

    /// Reads aligned-face files on all cores and adds them in path order; unreadable faces go to `failed`
    /// with their path. Returns the number added.
    @discardableResult
    public mutating func load(files paths: [String], failed: (String, Error) -> Void = { _, _ in }) -> Int {
        load(count: paths.count, read: { i in
            try FaceRecord(faceFile: readWholeFile(paths[i], limit: FaceStore.maxFaceFileBytes))
        }, failed: { i, e in failed(paths[i], e) })
    }

    /// Reads the faces of a faceset.pak (without holding the whole pak in memory) on all cores, in pak order.
    /// Throws when the pak's header is unusable; bad faces inside go to `failed` with their index.
    @discardableResult
    public mutating func load(pak path: String, failed: (Int, Error) -> Void = { _, _ in }) throws -> Int {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw FaceFileError.unreadable(path) }
        defer { try? handle.close() }
        let size = Int(try handle.seekToEnd())
        let lock = NSLock()
        let readAt = { (offset: Int, count: Int) throws -> [UInt8] in
            lock.lock()
            defer { lock.unlock() }
            try handle.seek(toOffset: UInt64(offset))
            return [UInt8](try handle.read(upToCount: count) ?? Data())
        }
        let index = try PackedFaceset.readIndex(fileSize: size, readAt: readAt)
        return load(count: index.ranges.count, read: { i in
            let r = index.ranges[i]
            guard r.count <= FaceStore.maxFaceFileBytes else { throw FaceFileError.tooLarge(path, r.count) }
            return try FaceRecord(faceFile: readAt(r.lowerBound, r.count))
        }, failed: failed)
    }
}

/// The bytes of a file, refusing files over `limit` bytes.
func readWholeFile(_ path: String, limit: Int) throws -> [UInt8] {
    guard let handle = FileHandle(forReadingAtPath: path) else { throw FaceFileError.unreadable(path) }
    defer { try? handle.close() }
    let size = Int(try handle.seekToEnd())
    guard size <= limit else { throw FaceFileError.tooLarge(path, size) }
    try handle.seek(toOffset: 0)
    return [UInt8](try handle.readToEnd() ?? Data())
}
