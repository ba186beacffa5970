// Loading a src or dst faceset for training or evaluation: a folder, a face list file, a .pak or `-`
// (a face list on standard input), decoded once into a FaceStore at the model's face type and resolution.
// Every problem is an error before training starts: unreadable faces, faces without landmarks, mixed
// sizes, mixed channels, an empty set.
import FaceAlign
import FaceSet
import Foundation
import Imaging
import ModelStore
import Samples

/// Where a faceset comes from.
public enum FaceSetSource: Sendable, Equatable {
    /// Aligned-face files, in order.
    case files([String])
    /// A faceset.pak.
    case pak(String)

    /// Interprets a command-line path: a directory (its images in name order), a `.pak`, an image file, or
    /// a face list file (one path per line). `stdinList` is what `-` means (the bytes of standard input).
    public static func resolve(_ path: String, stdinList: () -> [UInt8]) throws -> FaceSetSource {
        if path == "-" { return .files(try FaceList.expand(FaceList.parse(stdinList(), nullSeparated: false))) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TrainerError.badFaceSet("\(path): no such file or directory")
        }
        if isDirectory.boolValue { return .files(try FaceList.expand([path])) }
        if path.lowercased().hasSuffix(".pak") { return .pak(path) }
        if FaceList.isImageName(path) { return .files([path]) }
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = attributes[.size] as? Int, size <= 64 << 20,
              let data = FileManager.default.contents(atPath: path) else {
            throw TrainerError.badFaceSet("\(path): cannot read the face list")
        }
        return .files(try FaceList.expand(FaceList.parse([UInt8](data), nullSeparated: false)))
    }
}

/// Loads the faces of `source` into a store of the model's face type and resolution. Throws a
/// `TrainerError.badFaceSet` listing the bad faces (up to 10) when any face fails, when the set is empty,
/// or when faces differ in size or channel count. With `exact`, every face must already be at `resolution`
/// and `faceType` (held-out faces, whose figures would otherwise measure a conversion too).
public func loadFaceStore(_ source: FaceSetSource, side: String, resolution: Int, faceType: FaceType,
                          keepColorReference: Bool = false, exact: Bool = false) throws -> FaceStore {
    var store = FaceStore(resolution: resolution, faceType: faceType, keepColorReference: keepColorReference)
    var failures: [String] = []
    let lock = NSLock()
    var sizes: [Int: Int] = [:]
    var channels: [Int: Int] = [:]
    func note(_ record: FaceRecord) throws {
        if exact && (record.image.width != resolution || record.faceType != faceType) {
            throw TrainerError.badFaceSet("a \(record.image.width) px \(record.faceType.shortName) face; the model takes "
                                          + "\(resolution) px \(faceType.shortName) faces (dfl-resize converts them)")
        }
        lock.lock()
        sizes[record.image.width, default: 0] += 1
        channels[record.image.channels, default: 0] += 1
        lock.unlock()
    }
    let label: String
    switch source {
    case .files(let paths):
        label = paths.count == 1 ? paths[0] : "\(side) faceset"
        store.load(count: paths.count, read: { i in
            let record = try FaceRecord(faceFile: readFaceFile(paths[i]))
            try note(record)
            return record
        }, failed: { i, e in failures.append("\(paths[i]): \(describe(e))") })
    case .pak(let path):
        label = path
        guard let handle = FileHandle(forReadingAtPath: path) else { throw TrainerError.badFaceSet("\(path): cannot read") }
        defer { try? handle.close() }
        let size: Int
        let index: PackedFaceset.Index
        do {
            size = Int(try handle.seekToEnd())
            index = try PackedFaceset.readIndex(fileSize: size, readAt: { try readAt(handle, lock, $0, $1) })
        } catch {
            throw TrainerError.badFaceSet("\(path): \(describe(error))")
        }
        store.load(count: index.ranges.count, read: { i in
            let r = index.ranges[i]
            guard r.count <= FaceStore.maxFaceFileBytes else { throw FaceFileError.tooLarge(path, r.count) }
            let record = try FaceRecord(faceFile: readAt(handle, lock, r.lowerBound, r.count))
            try note(record)
            return record
        }, failed: { i, e in failures.append("\(path): face \(i): \(describe(e))") })
    }
    if !failures.isEmpty {
        let shown = failures.prefix(10).joined(separator: "\n")
        let more = failures.count > 10 ? "\n… and \(failures.count - 10) more" : ""
        throw TrainerError.badFaceSet("\(failures.count) \(side) face(s) cannot be used:\n\(shown)\(more)")
    }
    if sizes.count > 1 {
        let list = sizes.sorted { $0.key < $1.key }.map { "\($0.value) of \($0.key) px" }.joined(separator: ", ")
        throw TrainerError.badFaceSet("the \(side) faceset mixes face sizes (\(list)); resize them to one size with dfl-resize")
    }
    if channels.count > 1 {
        throw TrainerError.badFaceSet("the \(side) faceset mixes 1-channel and 3-channel faces; convert with dfl-gray")
    }
    guard store.count > 0 else { throw TrainerError.badFaceSet("the \(side) faceset (\(label)) has no faces") }
    return store
}

private func describe(_ error: Error) -> String {
    return "\(error)"
}

private func readFaceFile(_ path: String) throws -> [UInt8] {
    guard let handle = FileHandle(forReadingAtPath: path) else { throw FaceFileError.unreadable(path) }
    defer { try? handle.close() }
    let size = Int(try handle.seekToEnd())
    guard size <= FaceStore.maxFaceFileBytes else { throw FaceFileError.tooLarge(path, size) }
    try handle.seek(toOffset: 0)
    return [UInt8](try handle.readToEnd() ?? Data())
}

private func readAt(_ handle: FileHandle, _ lock: NSLock, _ offset: Int, _ count: Int) throws -> [UInt8] {
    lock.lock()
    defer { lock.unlock() }
    try handle.seek(toOffset: UInt64(offset))
    return [UInt8](try handle.read(upToCount: count) ?? Data())
}
