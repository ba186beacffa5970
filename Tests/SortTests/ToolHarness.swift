// Runs the built dfl-sort binary and builds face files for it: fixture faces from Fixtures/faces, copies
// with new metadata (synthetic landmarks at known head poses), and broken inputs.
import XCTest
import Foundation
import FaceSet
import FaceAlign

struct ToolRun {
    var stdout: String
    var stderr: String
    var status: Int32
    var lines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) }
    var errorLines: [String] { stderr.split(separator: "\n").map(String.init).filter { $0.hasPrefix("dfl-sort: ") } }
}

enum ToolHarness {
    /// The directory holding the built products (the test bundle sits next to the executables).
    static var binary: URL { Bundle.main.bundleURL.appendingPathComponent("dfl-sort") }

    static func run(_ arguments: [String], stdin: String? = nil) throws -> ToolRun {
        let p = Process()
        p.executableURL = binary
        p.arguments = arguments
        let out = Pipe(), err = Pipe(), input = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = input
        try p.run()
        if let stdin { input.fileHandleForWriting.write(stdin.data(using: .utf8)!) }
        try input.fileHandleForWriting.close()
        // Read both pipes before waiting so a full pipe cannot block the child.
        final class Box: @unchecked Sendable { var data = Data() }
        let errBox = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { errBox.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        let errData = errBox.data
        p.waitUntilExit()
        return ToolRun(stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self),
                       status: p.terminationStatus)
    }

    static func temporaryDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dfl-sort-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func fixtureFace(_ name: String) throws -> [UInt8] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/faces/" + name, withExtension: "jpg"))
        return [UInt8](try Data(contentsOf: url))
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// `jpeg` (an aligned face) with its metadata changed by `edit`.
    static func withMetadata(_ jpeg: [UInt8], _ edit: (inout FaceMetadata) -> Void) throws -> [UInt8] {
        var m = try DFLJPG.readMetadata(jpeg)
        edit(&m)
        return try DFLJPG.embed(m, into: jpeg)
    }

    /// `jpeg` without any APP15 segment: a plain JPEG, no DFL metadata.
    static func strippedOfMetadata(_ jpeg: [UInt8]) throws -> [UInt8] {
        var file = try JPEGFile(parsing: jpeg)
        file.segments.removeAll { $0.marker == JPEGSegment.app15 }
        return try file.serialized()
    }

    /// 68 landmarks of the 3-D head template turned by `yaw` (about the vertical axis) and `pitch`
    /// (about the horizontal axis), placed 350 units in front of the aligned-face camera of a `size`
    /// image (focal length = size, centre = size/2) and projected — DFL's pose model run forwards.
    static func landmarks(yaw: Double, pitch: Double = 0, size: Int = 256) -> [SIMD2<Double>] {
        let f = Double(size), c = Double(size) / 2, depth = 350.0
        let (cy, sy, cx, sx) = (cos(yaw), sin(yaw), cos(pitch), sin(pitch))
        return headTemplate3D.map { p in
            // Rx(pitch) first, then Ry(yaw): R = Ry·Rx.
            let y1 = cx * p.y - sx * p.z, z1 = sx * p.y + cx * p.z
            let x2 = cy * p.x + sy * z1, z2 = -sy * p.x + cy * z1
            return SIMD2(f * x2 / (z2 + depth) + c, f * y1 / (z2 + depth) + c)
        }
    }
}
