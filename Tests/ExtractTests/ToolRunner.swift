// Runs the built dfl-extract binary (it sits next to the test bundle) and collects its output.
import Foundation
import TestSupport
import XCTest

struct ToolRun {
    var status: Int32
    var stdout: String
    var stderr: String
    var lines: [String] { stdout.split(separator: "\n").map(String.init) }
}

enum ToolRunner {

    /// The repository's examples/data folder.
    static let exampleData = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("examples/data")

    /// The five consecutive video frames of the fixtures.
    static var videoFrames: URL { Bundle.module.url(forResource: "Fixtures/video_frames", withExtension: nil)! }

    /// The poetry-jam frames (2 frames/s) and their expected face counts.
    static var poetryJam: URL { Bundle.module.url(forResource: "Fixtures/poetry_jam", withExtension: nil)! }

    static func run(_ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:]) throws -> ToolRun {
        let r = try ToolProcess.run("dfl-extract", arguments, stdin: stdin, environment: environment)
        return ToolRun(status: r.status, stdout: r.stdout, stderr: r.stderr)
    }

    /// A fresh empty directory under the temporary directory.
    static func temporaryDirectory(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("dfl-extract-tests-\(label)-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
