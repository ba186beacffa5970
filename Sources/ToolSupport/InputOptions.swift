// The face-list input every tool shares (DESIGN.md "Face lists"): paths as arguments, a directory meaning
// its image files in name order, or — with no arguments — one path per line on standard input
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
