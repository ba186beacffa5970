import Foundation

/// The face/frame lists every tool consumes (docs/ARCHITECTURE.md, "Face lists"): paths as arguments, where a
/// directory means its image files in name order, or one path per line on standard input.
public enum FaceList {
    /// File extensions taken from a directory (compared case-insensitively).
    public static let imageExtensions: Set<String> = ["jpg", "jpeg", "png"]

    /// True for names ending in .jpg/.jpeg/.png in any case.
    public static func isImageName(_ name: String) -> Bool {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return false }
        return imageExtensions.contains(name[name.index(after: dot)...].lowercased())
    }

    /// Expands arguments: each directory becomes its image files sorted by name (byte order, like `ls` in
    /// the C locale); anything else is kept as given. `listDirectory` returns a directory's entry names, or
    /// nil when the path is not a directory.
    public static func expand(_ arguments: [String], listDirectory: (String) throws -> [String]?) rethrows -> [String] {
        var out: [String] = []
        for arg in arguments {
            if let names = try listDirectory(arg) {
                let dir = arg.hasSuffix("/") ? String(arg.dropLast()) : arg
                out += names.filter(isImageName)
                    .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
                    .map { dir.isEmpty ? "/" + $0 : dir + "/" + $0 }
            } else {
                out.append(arg)
            }
        }
        return out
    }

    /// `expand` over the real file system (hidden files are skipped).
    public static func expand(_ arguments: [String]) throws -> [String] {
        try expand(arguments) { path in
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else { return nil }
            return try FileManager.default.contentsOfDirectory(atPath: path).filter { !$0.hasPrefix(".") }
        }
    }

    /// Paths from standard-input bytes: `\n`-separated (a trailing `\r` is kept, as `find` would), or
    /// NUL-separated with `nullSeparated` (`-0`). Empty entries are skipped.
    public static func parse(_ input: [UInt8], nullSeparated: Bool) -> [String] {
        let sep: UInt8 = nullSeparated ? 0 : 0x0A
        return input.split(separator: sep, omittingEmptySubsequences: true).map { String(decoding: $0, as: UTF8.self) }
    }
}
