// dfl-bench through the binary: every form bench/run.sh and dfl-bench itself use still runs and measures what
// it was asked (the key=value line says so), and an unknown or misspelt option is a usage error before anything
// is measured, so a benchmark cannot silently measure something else.
import Foundation
import XCTest

final class BenchToolTests: XCTestCase {
    /// The `bench ...` lines of a run.
    func benchLines(_ r: ToolResult, _ prefix: String) -> [String] { r.stdoutLines.filter { $0.hasPrefix(prefix) } }

    /// Misspelt or unknown options, bad values and missing arguments: exit 2, a message naming the problem on
    /// standard error, no measurement on standard output.
    func testUnknownOptionsAndBadValuesAreUsageErrors() throws {
        let cases: [([String], String)] = [
            (["--qiuck"], "--qiuck"),
            (["--threads", "1", "--config", "df-ud-64-16-16-16-16:1:1"], "--config"),
            (["--configs", "df-ud-64-16-16-16-16:1"], "--configs"),
            (["train", "df-ud-64-16-16-16-16", "--itreations", "2"], "--itreations"),
            (["train", "df-ud-64-16-16-16-16", "--algo", "fft"], "fft"),
            (["train", "df-ud-64-16-16-16-16", "--gan-power", "lots"], "lots"),
            (["train", "no-such-config"], "no-such-config"),
            (["train"], "config"),
            (["sgemm", "--thread", "1"], "--thread"),
            (["conv", "16", "4", "4", "3", "1"], "batch"),
            (["conv", "16", "4", "4", "3", "1", "1", "--no-polyphse"], "--no-polyphse"),
            (["checkpoint", "df-ud-64-16-16-16-16", "2", "/tmp/x.safetensors"], "CHANNELS"),
            (["xseg", "--resolution", "100"], "--resolution"),
            (["frobnicate"], "frobnicate"),
        ]
        for (args, named) in cases {
            let r = try runTool("dfl-bench", args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertEqual(r.stdout, "", "\(args) measured something")
            XCTAssertTrue(r.stderr.contains(named), "\(args): the message does not name \(named): \(r.stderr)")
        }
        XCTAssertTrue(try runTool("dfl-bench", ["--qiuck"]).stderr.contains("Unknown option '--qiuck'"))
        for args in [["--help"], ["train", "--help"], ["--version"]] {
            XCTAssertEqual(try runTool("dfl-bench", args).status, 0, "\(args)")
        }
    }

    /// The subcommands with the options bench/run.sh passes: each line reports the values asked for.
    func testSubcommandsMeasureWhatWasAsked() throws {
        var r = try runTool("dfl-bench", ["sgemm", "--threads", "1", "--size", "96", "--repeats", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(benchLines(r, "bench sgemm").count, 1)
        XCTAssertTrue(r.stdout.hasPrefix("bench sgemm threads=1 n=96 gflops="), r.stdout)

        // bench/run.sh's engine and GAN forms (with --iterations and --warmup).
        r = try runTool("dfl-bench", ["train", "df-ud-64-16-16-16-16", "--channels", "1", "--batch", "1", "--threads", "1",
                                      "--iterations", "1", "--warmup", "0", "--algo", "dense", "--gan-power", "0.1",
                                      "--true-face-power", "0.01"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let train = try XCTUnwrap(benchLines(r, "bench train").first, r.stdout)
        XCTAssertTrue(train.hasPrefix("bench train df-ud-64-16-16-16-16 ch=1 batch=1 threads=1 algo=dense precision=fp32 matmul=fp32 ms_per_iter="), train)
        XCTAssertTrue(train.contains(" iterations=1"), train)
        XCTAssertTrue(train.hasSuffix(" gan_power=0.1 true_face_power=0.01"), train)

        r = try runTool("dfl-bench", ["conv", "16", "4", "8", "3", "1", "1", "--threads", "1", "--reps", "1", "--algo", "dense"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("bench conv 16x16 4->8 k3 s1 b1 precision=fp32 algo=dense/dense/dense "), r.stdout)

        let dir = try temporaryDirectory(self)
        r = try runTool("dfl-bench", ["checkpoint", "df-ud-64-16-16-16-16", "1", dir + "/c.safetensors"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("bench checkpoint df-ud-64-16-16-16-16 ch=1 path=\(dir)/c.safetensors tensors="), r.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/c.safetensors"))
        // bench/xseg.sh's network-only apply figure.
        r = try runTool("dfl-bench", ["xseg", "--resolution", "64", "--base-channels", "2", "--batch", "3", "--faces", "5",
                                      "--rounds", "1", "--threads", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("bench xseg-forward res=64 base=2 batch=3 faces=5 threads=1 rounds=1 matmul=fp32 faces_per_s="),
                      r.stdout)
    }

    /// The measurement with no subcommand (bench/run.sh: `dfl-bench --threads N [--quick]`) on one tiny config:
    /// the machine line, sgemm at 1 and 2 threads, and the config's dense and fast steps from its child
    /// processes (`dfl-bench train ...`, which would exit 2 on an option of the parent's it did not know).
    func testDefaultCommandRunsItsChildren() throws {
        let r = try runTool("dfl-bench", ["--quick", "--threads", "1", "--configs", "df-ud-64-16-16-16-16:1:1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(benchLines(r, "bench machine ").count, 1, r.stdout)
        XCTAssertEqual(benchLines(r, "bench sgemm ").map { String($0.prefix(28)) },
                       ["bench sgemm threads=1 n=2048", "bench sgemm threads=2 n=2048"])
        let steps = benchLines(r, "bench train ")
        XCTAssertEqual(steps.count, 2, r.stdout)
        for (line, algo) in zip(steps, ["dense", "fast"]) {
            XCTAssertTrue(line.hasPrefix("bench train df-ud-64-16-16-16-16 ch=1 batch=1 threads=1 algo=\(algo) "), line)
            XCTAssertTrue(line.contains(" iterations=3"), line)
        }
    }
}
