// dfl-train's matrix-multiply precision as a user gets it: `auto` by default (bf16 where the CPU has
// AVX512-BF16, README "bf16 training"), DFL_PRECISION in the environment in place of the default, and
// --precision over both. The trainer names what it runs on its first line ("matmul fp32", "matmul bf16-avx512").
import Foundation
import NeuralNet
import XCTest

final class DefaultPrecisionToolTests: XCTestCase {
    /// One iteration of a tiny model with `extra` options and `environment`; the trainer's header line.
    func header(_ extra: [String] = [], environment: [String: String]) throws -> String {
        let dir = NSTemporaryDirectory() + "trainer-precision-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try runTrainer(["--model", dir + "/m", "--src", Fixture.folder("src", "train"), "--dst", Fixture.folder("dst", "train"),
                                "--config", "df-ud-64-16-16-16-16", "--batch-size", "2", "--iterations", "1",
                                "--preview-every", "0", "--save-every", "0"] + extra, in: dir, environment: environment)
        XCTAssertEqual(r.status, 0, r.stderr)
        return r.stderr.split(separator: "\n").first.map(String.init) ?? ""
    }

    /// The kernel the header line names.
    func kernel(_ extra: [String] = [], environment: [String: String]) throws -> String {
        let line = try header(extra, environment: environment)
        guard let range = line.range(of: #"matmul [a-z0-9-]+"#, options: .regularExpression) else {
            XCTFail("no matmul on the header line: \(line)"); return ""
        }
        return String(line[range].dropFirst("matmul ".count))
    }

    /// An fp32 run names OpenBLAS's kernels: those this test process runs under the same environment, with the
    /// generic set they replace where OpenBLAS fell back to it (docs/blas-core.md). A user's OPENBLAS_CORETYPE is
    /// what runs; a bf16 run does not multiply in OpenBLAS and names none.
    func testFP32HeaderNamesOpenBLASKernels() throws {
        let expected = "matmul fp32 (OpenBLAS \(Threads.blasCoreName)"
            + (Threads.blasCoreReplaced.map { " in place of its fallback \($0)" } ?? "") + ")"
        let own = try header(environment: ["DFL_PRECISION": "fp32"])
        XCTAssertTrue(own.hasSuffix(expected), own)
        let chosen = try header(environment: ["DFL_PRECISION": "fp32", "OPENBLAS_CORETYPE": "Haswell"])
        XCTAssertTrue(chosen.hasSuffix("matmul fp32 (OpenBLAS Haswell)"), chosen)
        let bf16 = try header(["--precision", "bf16"], environment: [:])
        XCTAssertFalse(bf16.contains("OpenBLAS"), bf16)
    }

    func testDefaultIsAutoAndTheEnvironmentAndTheFlagOverrideIt() throws {
        // An empty DFL_PRECISION is no setting: the tool's own default, auto.
        let auto = MatmulPrecision.hardwareBF16 ? "bf16-avx512" : "fp32"
        XCTAssertEqual(try kernel(environment: ["DFL_PRECISION": ""]), auto, "the default")
        XCTAssertEqual(try kernel(environment: ["DFL_PRECISION": "fp32"]), "fp32", "DFL_PRECISION=fp32")
        // auto on a CPU without AVX512-BF16 (or made to look like one) is fp32.
        XCTAssertEqual(try kernel(environment: ["DFL_PRECISION": "", "DFL_BF16_HARDWARE": "0"]), "fp32", "auto without bf16")
        // The flag wins over the environment; bf16 without the instructions runs the portable twin.
        XCTAssertEqual(try kernel(["--precision", "bf16"], environment: ["DFL_PRECISION": "fp32"]),
                       MatmulPrecision.hardwareBF16 ? "bf16-avx512" : "bf16-portable", "--precision bf16")
    }
}
