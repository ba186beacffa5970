// Shared helpers of the trainer tests: fixture faces, temporary directories, running dfl-train.
import FaceSet
import Foundation
import SAEHD
import Samples
@testable import ModelStore
import Trainer
import XCTest

enum Fixture {
    static let faces = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/faces").path
    /// e.g. `folder("src", "train")`, `folder("dst_gray", "heldout")`.
    static func folder(_ side: String, _ split: String) -> String { faces + "/" + side + "/" + split }

    static func store(_ side: String, _ split: String, options: TrainingOptions, keepColorReference: Bool = false) throws -> FaceStore {
        try loadFaceStore(.files(FaceList.expand([folder(side, split)])), side: side,
                          resolution: options.architecture.resolution, faceType: options.faceType,
                          keepColorReference: keepColorReference)
    }
}

/// A fresh empty directory under the system temporary directory, removed at the end of the test.
func temporaryDirectory(_ test: XCTestCase) -> String {
    let path = NSTemporaryDirectory() + "trainer-test-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

/// Small options that train fast: resolution 64, tiny dims.
func tinyOptions(channels: Int = 3, config: String = "liae-ud-64-32-16-16-16", batch: Int = 4) -> TrainingOptions {
    var o = TrainingOptions(architecture: try! ModelConfig(config, channels: channels), faceType: .wholeFace)
    o.batchSize = batch
    o.seed = 7
    return o
}

struct ToolResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// The built dfl-train next to the test bundle.
let trainerExecutable: String = {
    var candidates = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
                      Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()]
    candidates.append(Bundle.module.bundleURL.deletingLastPathComponent())
    for c in candidates where FileManager.default.isExecutableFile(atPath: c.appendingPathComponent("dfl-train").path) {
        return c.appendingPathComponent("dfl-train").path
    }
    return candidates.last!.appendingPathComponent("dfl-train").path
}()

/// The test process's environment with DFL_PRECISION=fp32 unless it sets one: dfl-train's default is `auto`
/// (bf16 on CPUs with AVX512-BF16), and the tests compare its files with in-process fp32 results bit for bit.
/// `DefaultPrecisionToolTests` runs the default itself.
func pinnedPrecisionEnvironment(_ extra: [String: String] = [:]) -> [String: String] {
    var environment = ProcessInfo.processInfo.environment
    if environment["DFL_PRECISION"] == nil { environment["DFL_PRECISION"] = "fp32" }
    return environment.merging(extra) { $1 }
}

/// Starts dfl-train, or `tool` (another tool built next to it), with standard output and error to files so
/// nothing blocks.
func startTrainer(_ arguments: [String], logs: String, stdin: String? = nil, tool: String = "dfl-train",
                  environment: [String: String] = [:]) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: trainerExecutable).deletingLastPathComponent().appendingPathComponent(tool)
    process.arguments = arguments
    process.environment = pinnedPrecisionEnvironment(environment)
    FileManager.default.createFile(atPath: logs + ".out", contents: nil)
    FileManager.default.createFile(atPath: logs + ".err", contents: nil)
    process.standardOutput = FileHandle(forWritingAtPath: logs + ".out")
    process.standardError = FileHandle(forWritingAtPath: logs + ".err")
    if let stdin {
        FileManager.default.createFile(atPath: logs + ".in", contents: Data(stdin.utf8))
        process.standardInput = FileHandle(forReadingAtPath: logs + ".in")
    } else {
        process.standardInput = FileHandle.nullDevice
    }
    try process.run()
    return process
}

/// Runs dfl-train, or `tool` (dfl-info, dfl-merge, …), to completion.
func runTrainer(_ arguments: [String], in dir: String, stdin: String? = nil, tool: String = "dfl-train",
                environment: [String: String] = [:]) throws -> ToolResult {
    let logs = dir + "/log-" + UUID().uuidString
    let p = try startTrainer(arguments, logs: logs, stdin: stdin, tool: tool, environment: environment)
    p.waitUntilExit()
    let out = (try? String(contentsOfFile: logs + ".out", encoding: .utf8)) ?? ""
    let err = (try? String(contentsOfFile: logs + ".err", encoding: .utf8)) ?? ""
    try? FileManager.default.removeItem(atPath: logs + ".out")
    try? FileManager.default.removeItem(atPath: logs + ".err")
    return ToolResult(status: p.terminationStatus, stdout: out, stderr: err)
}

