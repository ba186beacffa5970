import FaceSet
import Foundation
import Imaging
import NeuralNet
import TestSupport
import XCTest

/// XSegTests' fixtures (Tests/XSegTests/Fixtures/README.md), read from the source tree.
enum Fixture {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("XSegTests/Fixtures").path
    /// grace: wf face with polygons; lin: head face with polygons; obama: f face with DFL's xseg_mask.
    static let faces = ["grace_hopper_navy_1984_0.jpg", "lin_manuel_miranda_2009_0.jpg", "obama_speech_2009_0.jpg"]
    static func folder(_ resolution: Int) -> String { root + (resolution == 64 ? "/xseg-64-b4" : "/xseg-128-b8") }
    static let saehdFolder = root + "/saehd-liae-64"

    /// DFL's forward pass on the faces (float32 NHWC).
    static func reference(_ resolution: Int) throws -> [String: SafeTensors.Entry] {
        try SafeTensors.read(path: folder(resolution) + "/reference.safetensors").tensors
    }

    /// Copies of the fixture faces (writable) in a new folder of `dir`.
    static func copyFaces(to dir: String, _ names: [String] = faces) throws -> String {
        let target = dir + "/faces-" + UUID().uuidString.prefix(6)
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        for name in names { try FileManager.default.copyItem(atPath: root + "/faces/" + name, toPath: target + "/" + name) }
        return target
    }
}

func temporaryDirectory(_ test: XCTestCase) -> String {
    let dir = NSTemporaryDirectory() + "xseg-tool-tests-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
    return dir
}

/// Runs dfl-xseg (or another tool) to completion.
@discardableResult
func xseg(_ arguments: [String], tool: String = "dfl-xseg", stdin: String? = nil) throws -> ToolProcessResult {
    try ToolProcess.run(tool, arguments, stdin: stdin.map { Data($0.utf8) })
}

/// Starts dfl-xseg in the background, output into `logs`.out/.err.
func startXSeg(_ arguments: [String], logs: String) throws -> Process {
    let p = Process()
    p.executableURL = ToolProcess.binDirectory.appendingPathComponent("dfl-xseg")
    p.arguments = arguments
    FileManager.default.createFile(atPath: logs + ".out", contents: nil)
    FileManager.default.createFile(atPath: logs + ".err", contents: nil)
    p.standardOutput = FileHandle(forWritingAtPath: logs + ".out")
    p.standardError = FileHandle(forWritingAtPath: logs + ".err")
    p.standardInput = FileHandle.nullDevice
    try p.run()
    return p
}

func bytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

/// A face's stored xseg_mask, decoded.
func storedMask(_ path: String) throws -> Image? {
    guard let m = try DFLJPG.readMetadata(bytes(path)).xsegMask else { return nil }
    return try decodeImage(m)
}

/// The tiny model options every training test uses: 64 px, base 4, batch 2, one thread.
let tiny = ["--resolution", "64", "--base-channels", "4", "--batch-size", "2", "--threads", "1", "--preview-every", "0", "--quiet"]
