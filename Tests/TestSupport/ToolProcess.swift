// Shared by the test targets that run the built command-line tools as a user would: arguments,
// standard input, environment, exit status and both output streams.
import Foundation

public struct ToolProcessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    /// Standard output split into lines (no empty trailing line).
    public var stdoutLines: [String] { stdout.split(separator: "\n").map(String.init) }
    public var stderrLines: [String] { stderr.split(separator: "\n").map(String.init) }
}

public enum ToolProcess {
    /// The directory of the built executables: the test bundle sits next to them.
    public static let binDirectory: URL = {
        let candidates = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent(),
                          URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
        for c in candidates where FileManager.default.isExecutableFile(atPath: c.appendingPathComponent("dfl-gray").path) {
            return c
        }
        return candidates[0]
    }()

    /// Runs the tool `name` and waits for it.
    public static func run(_ name: String, _ arguments: [String], stdin: Data? = nil,
                           environment: [String: String] = [:]) throws -> ToolProcessResult {
        let process = Process()
        process.executableURL = binDirectory.appendingPathComponent(name)
        process.arguments = arguments
        // dfl-train's default precision is `auto` (bf16 on CPUs with AVX512-BF16); the tests pin fp32 unless
        // the test process or the call sets DFL_PRECISION, so their results are the same on every CPU.
        var base = ProcessInfo.processInfo.environment
        if base["DFL_PRECISION"] == nil { base["DFL_PRECISION"] = "fp32" }
        process.environment = base.merging(environment) { $1 }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        // Drain both pipes while the tool runs, so a chatty tool cannot block on a full pipe.
        final class Box: @unchecked Sendable { var data = Data() }
        let outBox = Box(), errBox = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { outBox.data = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { errBox.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        group.wait()
        return ToolProcessResult(status: process.terminationStatus, stdout: String(decoding: outBox.data, as: UTF8.self),
                                 stderr: String(decoding: errBox.data, as: UTF8.self))
    }

    /// A fresh empty directory under the system's temporary directory.
    public static func temporaryDirectory(_ label: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
}
