// Crash-safe saves of any set of files (docs/ARCHITECTURE.md, "The model directory"), shared by dfl-train's
// model directory (ModelDirectory.swift) and dfl-xseg's (XSegModelDirectory.swift):
//
//   DIR/saves/<generation>/<files>      one complete save per folder, written and fsynced, never modified
//   DIR/current  -> saves/<newest generation>     (symlink, replaced by rename(2): atomic)
//   DIR/previous -> saves/<generation before it>  (the backup every model keeps)
//   DIR/<linked file> -> current/<linked file>    (fixed links, so the flat names keep working)
//
// A save removes what a killed run left (generations neither link names) while `current` is a link, then
// writes and fsyncs a whole new generation directory, then moves `previous` to the old generation, then
// switches `current`, and only then deletes generations that neither link names. Killed at
// any instant, `current` names a complete generation (the new or the old one), so the model always loads;
// `previous` is tried when `current` is missing or unreadable.
import AtomicIO
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A directory of crash-safe generations of a set of files.
public struct GenerationStore: Sendable {
    public let path: String
    /// The file every complete save holds (a folder holding it and no links is a single save: a backup).
    public let markerFile: String
    /// Files linked flat into `path` through `current`.
    public let linkedFiles: [String]

    public init(path: String, markerFile: String, linkedFiles: [String]) {
        self.path = path
        self.markerFile = markerFile
        self.linkedFiles = linkedFiles
    }

    var savesDirectory: String { path + "/saves" }

    /// The generation directory a link points to, if the link exists.
    public func generationPath(_ link: String) -> String? {
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path + "/" + link) else { return nil }
        return path + "/" + target
    }

    /// Whether the folder is one save on its own (a backup or a `saves/<generation>` folder): it holds the
    /// marker file and no `current` or `previous` link.
    public var isSingleSave: Bool {
        generationPath("current") == nil && generationPath("previous") == nil
            && FileManager.default.fileExists(atPath: path + "/" + markerFile)
    }

    /// The save folders to load from, best first.
    public var loadableGenerations: [String] {
        let linked = ["current", "previous"].compactMap { generationPath($0) }
        if !linked.isEmpty { return linked }
        return isSingleSave ? [path] : []
    }

    /// Runs `body` on `current`, falling back to `previous` when `current` is missing or fails (or on the
    /// folder itself when it is a single save). `none` is the error when there is no save at all.
    public func withLoadableGeneration<T>(none: @autoclosure () -> Error, _ body: (String) throws -> T) throws -> T {
        var firstError: Error?
        for gen in loadableGenerations {
            do { return try body(gen) } catch { if firstError == nil { firstError = error } }
        }
        throw firstError ?? none()
    }

    /// Throws unless the folder is missing, empty, or holds only `ours` (what a first save killed half-way
    /// leaves, and the logs) and dot files.
    public func checkUsableForNew(ours: Set<String>, message: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return }
        guard isDirectory.boolValue else { throw TrainerError.invalidOption("\(path) exists and is not a directory") }
        let entries = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [])
            .filter { !ours.contains($0) && !$0.hasPrefix(".") }
        if !entries.isEmpty { throw TrainerError.incompatibleModel(message) }
    }

    // MARK: Saving

    /// One file of a save: its name and what writes its bytes, in pieces, to the sink it is given (so a model's
    /// weights go from their tensors to the file without a copy of the whole file in memory).
    public struct File {
        public let name: String
        public let write: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void

        public init(_ name: String, write: @escaping ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) {
            self.name = name
            self.write = write
        }

        public init(_ name: String, bytes: [UInt8]) {
            self.init(name) { sink in try bytes.withUnsafeBytes { try sink($0) } }
        }
    }

    /// Writes `files` (`markerFile` among them) as a new generation named `<label>-<random id>` and makes it
    /// current (see the file comment).
    public func save(_ files: [File], label: String) throws {
        precondition(files.contains { $0.name == markerFile }, "a save must hold \(markerFile)")
        try createDirectory(path)
        try createDirectory(savesDirectory)
        // What a killed run left (a half-written save, or an old one it had not yet removed) goes first, so that
        // a kill during this save leaves at most current, previous and one more. Only while `current` is a
        // link: what goes is then what this save's own clean-up below would remove anyway.
        if (try? FileManager.default.destinationOfSymbolicLink(atPath: path + "/current")) != nil {
            removeUnreferencedGenerations()
        }
        let name = label + "-" + UUID().uuidString.prefix(8).lowercased()
        let gen = savesDirectory + "/" + name
        try createDirectory(gen)
        for file in files { try writeDurably(file.write, to: gen + "/" + file.name) }
        AtomicFile.syncDirectory(gen)
        AtomicFile.syncDirectory(savesDirectory)

        let old = try? FileManager.default.destinationOfSymbolicLink(atPath: path + "/current")
        if let old, FileManager.default.fileExists(atPath: path + "/" + old + "/" + markerFile) {
            try replaceLink("previous", target: old)
        }
        try replaceLink("current", target: "saves/" + name)
        for file in linkedFiles where (try? FileManager.default.destinationOfSymbolicLink(atPath: path + "/" + file)) == nil {
            try? FileManager.default.removeItem(atPath: path + "/" + file)
            try replaceLink(file, target: "current/" + file)
        }
        removeUnreferencedGenerations()
    }

    /// Keeps a dated copy of the current save under `backups/` (hard links to every file of the save:
    /// saves are never modified).
    @discardableResult
    public func backupCurrent(date: Date = Date()) throws -> String {
        guard let gen = generationPath("current") else { throw TrainerError.io("\(path): nothing saved to back up") }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH-mm-ss'Z'"
        try createDirectory(path + "/backups")
        // Two backups within one second get -2, -3, … (a backup is never replaced).
        let base = path + "/backups/" + formatter.string(from: date)
        var dest = base
        var n = 2
        while FileManager.default.fileExists(atPath: dest) { dest = base + "-\(n)"; n += 1 }
        let tmp = dest + ".tmp"
        try? FileManager.default.removeItem(atPath: tmp)
        try createDirectory(tmp)
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: gen)) ?? []).sorted()
        for file in files where link(gen + "/" + file, tmp + "/" + file) != 0 {
            try? FileManager.default.copyItem(atPath: gen + "/" + file, toPath: tmp + "/" + file)
        }
        AtomicFile.syncDirectory(tmp)
        guard rename(tmp, dest) == 0 else { throw TrainerError.io("\(dest): cannot rename the backup into place") }
        AtomicFile.syncDirectory(path + "/backups")
        return dest
    }

    /// Deletes generation directories that neither `current` nor `previous` names (older saves and
    /// half-written ones from a crash).
    private func removeUnreferencedGenerations() {
        let keep = Set(["current", "previous"].compactMap {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: path + "/" + $0)).map { URL(fileURLWithPath: $0).lastPathComponent }
        })
        // Temporary links left by a killed run.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] where name.hasPrefix(".") && name.contains(".tmp-") {
            if !name.hasSuffix("-\(getpid())") { unlink(path + "/" + name) }
        }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: savesDirectory) else { return }
        for name in names where !keep.contains(name) {
            try? FileManager.default.removeItem(atPath: savesDirectory + "/" + name)
        }
    }

    /// Points `name` at `target` atomically: a new symlink under a temporary name, renamed over the old one.
    private func replaceLink(_ name: String, target: String) throws {
        let tmp = path + "/." + name + ".tmp-\(getpid())"
        unlink(tmp)
        guard symlink(target, tmp) == 0 else { throw TrainerError.io("\(tmp): cannot create link (errno \(errno))") }
        guard rename(tmp, path + "/" + name) == 0 else {
            let e = errno
            unlink(tmp)
            throw TrainerError.io("\(path)/\(name): cannot replace link (errno \(e))")
        }
        AtomicFile.syncDirectory(path)
    }

    /// Writes a file that is new (in a fresh generation directory) and fsyncs it.
    private func writeDurably(_ produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void, to file: String) throws {
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw TrainerError.io("\(file): cannot create (errno \(errno))") }
        defer { close(fd) }
        try produce { piece in
            var written = 0
            while written < piece.count {
                let n = Glibc.write(fd, piece.baseAddress! + written, piece.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw TrainerError.io("\(file): write failed (errno \(errno))")
                }
                written += n
            }
        }
        guard fsync(fd) == 0 else { throw TrainerError.io("\(file): fsync failed (errno \(errno))") }
    }

    private func createDirectory(_ dir: String) throws {
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw TrainerError.io("\(dir): cannot create directory (\(error.localizedDescription))")
        }
    }
}
