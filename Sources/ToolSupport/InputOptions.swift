// The face-list input every tool shares (docs/ARCHITECTURE.md, "Face lists"): paths as arguments, a directory
// meaning its image files in name order, or — with no arguments — one path per line on standard input
// (`-0`/`--null` for NUL-separated lists, as `find -print0` writes them).
import ArgumentParser

public struct InputOptions: ParsableArguments {
    @Argument(help: ArgumentHelp(
        "Input files or directories (a directory means its .jpg/.jpeg/.png files in name order).",
        discussion: "With no paths, one path per line is read from standard input."))
    public var paths: [String] = []

    @Flag(name: [.customShort("0"), .customLong("null")],
          help: "Paths on standard input are separated by NUL characters, not newlines.")
    public var nullSeparated = false

    public init() {}
}

import FaceSet
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum InputError: Error, CustomStringConvertible {
    case noInputs
    public var description: String {
        "no input files (give paths as arguments or one per line on standard input)"
    }
}

extension InputOptions {
    /// The input paths in order: the expanded arguments, or the list read from standard input.
    public func resolvePaths() throws -> [String] {
        if !paths.isEmpty { return try FaceList.expand(paths) }
        // Waiting on a terminal for a list nobody is typing would look like a hang.
        if isatty(STDIN_FILENO) == 1 { throw InputError.noInputs }
        let data = FileHandle.standardInput.readDataToEndOfFile()
        // Paths read from stdin may themselves be directories (e.g. `echo faces/ | dfl-pack`).
        return try FaceList.expand(FaceList.parse([UInt8](data), nullSeparated: nullSeparated))
    }
}
