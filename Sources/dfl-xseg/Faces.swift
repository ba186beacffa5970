// Reading faces for dfl-xseg train: aligned-face files and faceset.pak files, on all cores, in order.
import FaceSet
import Foundation
import ModelStore
import Samples

/// Faces read for training: each with a name for messages (its path, or `pak: face i`).
struct ReadFaces {
    var records: [XSegFaceRecord] = []
    var names: [String] = []
}

/// One face to read: a file, or face `index` of a faceset.pak.
enum FaceItem {
    case file(String)
    case packed(path: String, index: Int, range: Range<Int>)

    var name: String {
        switch self {
        case .file(let p): return p
        case let .packed(path, index, _): return "\(path): face \(index)"
        }
    }
}

/// Every face of `paths` (image files; a `.pak` means its faces), read on all cores. Any face that cannot be
/// read, or whose polygons are malformed, is an error listing them (up to 10), before anything is written.
func readFaces(_ paths: [String], side: String) throws -> ReadFaces {
    var items: [FaceItem] = []
    for path in paths {
        if path.lowercased().hasSuffix(".pak") {
            guard let handle = FileHandle(forReadingAtPath: path) else { throw TrainerError.badFaceSet("\(path): cannot read") }
            defer { try? handle.close() }
            do {
                let size = Int(try handle.seekToEnd())
                let index = try PackedFaceset.readIndex(fileSize: size) { offset, count in
                    try handle.seek(toOffset: UInt64(offset))
                    return [UInt8](try handle.read(upToCount: count) ?? Data())
                }
                items += index.ranges.enumerated().map { .packed(path: path, index: $0.offset, range: $0.element) }
            } catch {
                throw TrainerError.badFaceSet("\(path): \(error)")
            }
        } else {
            items.append(.file(path))
        }
    }
    var results = [Result<XSegFaceRecord, Error>?](repeating: nil, count: items.count)
    let lock = NSLock()
    var next = 0
    results.withUnsafeMutableBufferPointer { slots in
        let base = slots.baseAddress!
        DispatchQueue.concurrentPerform(iterations: max(1, min(ProcessInfo.processInfo.activeProcessorCount, items.count))) { _ in
            while true {
                lock.lock(); let i = next; next += 1; lock.unlock()
                if i >= items.count { return }
                base[i] = Result {
                    let bytes: [UInt8]
                    switch items[i] {
                    case .file(let path):
                        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                              let size = attributes[.size] as? Int else { throw TrainerError.badFaceSet("cannot read") }
                        guard size <= FaceStore.maxFaceFileBytes else { throw TrainerError.badFaceSet("\(size) bytes is too large for a face") }
                        guard let data = FileManager.default.contents(atPath: path) else { throw TrainerError.badFaceSet("cannot read") }
                        bytes = [UInt8](data)
                    case let .packed(path, _, range):
                        guard let handle = FileHandle(forReadingAtPath: path) else { throw TrainerError.badFaceSet("cannot read") }
                        defer { try? handle.close() }
                        try handle.seek(toOffset: UInt64(range.lowerBound))
                        bytes = [UInt8](try handle.read(upToCount: range.count) ?? Data())
                    }
                    return try XSegFaceRecord(faceFile: bytes)
                }
            }
        }
    }
    var out = ReadFaces()
    var failures: [String] = []
    for (item, result) in zip(items, results) {
        switch result! {
        case .success(let r): out.records.append(r); out.names.append(item.name)
        case .failure(let e): failures.append("\(item.name): \(e)")
        }
    }
    if !failures.isEmpty {
        let more = failures.count > 10 ? "\n… and \(failures.count - 10) more" : ""
        throw TrainerError.badFaceSet("\(failures.count) \(side) face(s) cannot be used:\n" + failures.prefix(10).joined(separator: "\n") + more)
    }
    return out
}

/// The samples of `records` on all cores (each face's preparation is independent), in order.
func prepareSamples(_ records: [XSegFaceRecord], names: [String], source: XSegLabelSource, resolution: Int,
                    faceType: FaceType) throws -> [XSegSample] {
    var results = [Result<XSegSample, Error>?](repeating: nil, count: records.count)
    results.withUnsafeMutableBufferPointer { slots in
        let base = slots.baseAddress!
        DispatchQueue.concurrentPerform(iterations: records.count) { i in
            base[i] = Result { try XSegSample.prepare(records[i], source: source, resolution: resolution, faceType: faceType) }
        }
    }
    var samples: [XSegSample] = []
    var failures: [String] = []
    for (i, r) in results.enumerated() {
        switch r! {
        case .success(let s): samples.append(s)
        case .failure(let e): failures.append("\(names[i]): \(e)")
        }
    }
    if !failures.isEmpty {
        throw TrainerError.badFaceSet("\(failures.count) face(s) cannot be prepared:\n" + failures.prefix(10).joined(separator: "\n"))
    }
    return samples
}
