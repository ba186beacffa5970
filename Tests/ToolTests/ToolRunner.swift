// Runs the built command-line tools as a user would: arguments, standard input, exit status, and what
// they print on standard output and standard error.
import Foundation
import TestSupport
import XCTest

typealias ToolResult = ToolProcessResult

enum Repo {
    /// The repository root, found from this file's path.
    static let root: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
    static let dflFaces = path("Tests/FaceSetTests/Fixtures/dfl/faces")
    static let dflGray = path("Tests/FaceSetTests/Fixtures/dfl/gray")
    static let generatedFaces = path("Tests/FaceSetTests/Fixtures/generated")
}

func runTool(_ name: String, _ arguments: [String], stdin: Data? = nil) throws -> ToolResult {
    try ToolProcess.run(name, arguments, stdin: stdin)
}

/// A fresh empty directory under the system temporary directory, removed when the test ends.
func temporaryDirectory(_ test: XCTestCase) throws -> String {
    let dir = try ToolProcess.temporaryDirectory("dfl-tooltests")
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
    return dir
}

func readBytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

func directoryListing(_ dir: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
}
