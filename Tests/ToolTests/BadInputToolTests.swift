import Foundation
import XCTest

/// Issue 3's bad-input list, fed to the tools next to a good face: each bad file is reported as
/// `tool: path: reason`, the good one is still written, the exit status is 1, and no partial or
/// temporary file is left in the output directory.
final class BadInputToolTests: XCTestCase {
    func makeBadInputs(in dir: String) throws -> [String] {
        let good = try readBytes(Repo.dflFaces + "/obama_speech_2009_0.jpg")
        var files: [(String, [UInt8])] = []
        files.append(("empty.jpg", []))
        files.append(("truncated.jpg", Array(good.prefix(good.count / 3))))
        // APP15 payload replaced by garbage that still starts with the pickle PROTO byte.
        var garbage = good
        if let app15 = findAPP15(good) {
            for i in (app15 + 3)..<min(app15 + 200, good.count) { garbage[i] = UInt8(truncatingIfNeeded: i &* 31) }
        }
        files.append(("garbage_app15.jpg", garbage))
        files.append(("png_as_jpeg.jpg", try readBytes(Repo.path("examples/data/astronaut_collins.png"))))
        files.append(("evil_os_system.jpg", try readBytes(Repo.generatedFaces + "/evil_os_system.jpg")))
        var paths: [String] = []
        for (name, bytes) in files {
            let p = dir + "/" + name
            XCTAssertTrue(FileManager.default.createFile(atPath: p, contents: Data(bytes)))
            paths.append(p)
        }
        return paths
    }

    /// Offset of the payload's PROTO byte minus 3 of the first APP15 segment that holds a pickle.
    func findAPP15(_ b: [UInt8]) -> Int? {
        var i = 2
        while i + 4 < b.count, b[i] == 0xFF {
            let len = Int(b[i + 2]) << 8 | Int(b[i + 3])
            if b[i + 1] == 0xEF, b[i + 4] == 0x80 { return i + 1 }
            i += 2 + len
        }
        return nil
    }

    func check(tool: String, extraArguments: [String]) throws {
        let inDir = try temporaryDirectory(self)
        let outDir = try temporaryDirectory(self)
        let bad = try makeBadInputs(in: inDir)
        let good = Repo.dflFaces + "/grace_hopper_navy_1984_0.jpg"
        let r = try runTool(tool, extraArguments + ["--out", outDir] + bad + [good])
        XCTAssertEqual(r.status, 1, "\(tool) exit status")
        for path in bad {
            XCTAssertTrue(r.stderrLines.contains { $0.hasPrefix("\(tool): \(path): ") && $0.count > tool.count + path.count + 4 },
                          "\(tool) did not report \(path): \(r.stderr)")
        }
        XCTAssertEqual(r.stdoutLines, [outDir + "/grace_hopper_navy_1984_0.jpg"])
        let listing = try directoryListing(outDir)
        XCTAssertTrue(listing.allSatisfy { !$0.hasPrefix(".") }, "temporary files left: \(listing)")
        XCTAssertTrue(listing.contains("grace_hopper_navy_1984_0.jpg"))
        for name in ["empty.jpg", "truncated.jpg", "garbage_app15.jpg", "png_as_jpeg.jpg", "evil_os_system.jpg"] {
            XCTAssertFalse(listing.contains(name), "\(tool) wrote output for bad input \(name)")
        }
    }

    func testGray() throws { try check(tool: "dfl-gray", extraArguments: []) }
    func testResize() throws { try check(tool: "dfl-resize", extraArguments: ["--size", "64"]) }

    func testInfoReportsBadFilesAndPrintsGoodOnes() throws {
        let inDir = try temporaryDirectory(self)
        let bad = try makeBadInputs(in: inDir)
        let good = Repo.dflFaces + "/grace_hopper_navy_1984_0.jpg"
        let r = try runTool("dfl-info", bad + [good])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stdoutLines.contains { $0.contains("grace_hopper_navy_1984_0.jpg") })
        for path in bad where !path.hasSuffix("evil_os_system.jpg") && !path.hasSuffix("truncated.jpg") {
            XCTAssertTrue(r.stderrLines.contains { $0.hasPrefix("dfl-info: \(path): ") }, "not reported: \(path)")
        }
    }

    func testUsageErrorsExitWithStatus2() throws {
        XCTAssertEqual(try runTool("dfl-resize", ["--out", "/tmp/x", "a.jpg"]).status, 2)   // no --size/--face-type
        XCTAssertEqual(try runTool("dfl-gray", ["--channels", "2", "--out", "/tmp/x", "a.jpg"]).status, 2)
        XCTAssertEqual(try runTool("dfl-pack", ["a.jpg"]).status, 2)   // no mode
        XCTAssertEqual(try runTool("dfl-resize", ["--face-type", "sideways", "--out", "/tmp/x", "a.jpg"]).status, 2)
    }
}
