// Runs the built command-line tools through the shared TestSupport target.
import Foundation
import TestSupport
import XCTest

typealias ToolResult = ToolProcessResult

func runTool(_ name: String, _ arguments: [String], stdin: Data? = nil) throws -> ToolResult {
    try ToolProcess.run(name, arguments, stdin: stdin)
}

/// A fresh empty directory under the system temporary directory, removed when the test ends.
func temporaryDirectory(_ test: XCTestCase) throws -> String {
    let dir = try ToolProcess.temporaryDirectory("dfl-mergetests")
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
    return dir
}

func readBytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

func directoryListing(_ dir: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
}
