import XCTest
import Foundation
import CBLASCore
@testable import NeuralNet

/// OpenBLAS's kernels on CPUs it does not know (docs/blas-core.md): the rule that replaces its generic
/// fallback, and the running library's state after the engine's set-up.
final class BLASCoreTests: XCTestCase {
    private func replacing(_ core: String, _ level: Int32, env: Bool = false) -> String? {
        dfl_blas_core_replacing(core, level, env ? 1 : 0).map { String(cString: $0) }
    }

    func testOnlyAPreAVXFallbackIsReplacedAndOnlyWithoutTheUsersVariable() {
        let avx512 = Int32(DFL_ISA_AVX512), avx2 = Int32(DFL_ISA_AVX2), base = Int32(DFL_ISA_BASELINE)
        // The fallback OpenBLAS 0.3.21 took on an Intel Xeon (family 6, model 207) under KVM.
        XCTAssertEqual(replacing("Prescott", avx512), "SkylakeX")
        XCTAssertEqual(replacing("Prescott", avx2), "Haswell")
        XCTAssertEqual(replacing("Nehalem", avx2), "Haswell")
        XCTAssertEqual(replacing("Unknown", avx512), "SkylakeX")
        XCTAssertEqual(replacing("prescott", avx2), "Haswell")
        // A CPU without AVX2 keeps the SSE kernels; a user's OPENBLAS_CORETYPE always wins.
        XCTAssertNil(replacing("Prescott", base))
        XCTAssertNil(replacing("Prescott", avx512, env: true))
        // OpenBLAS's own choice for a CPU it knows stands, even where a wider one would run.
        for known in ["SkylakeX", "Cooperlake", "SapphireRapids", "Haswell", "Zen", "Sandybridge"] {
            XCTAssertNil(replacing(known, avx512), known)
        }
    }

    /// The level from CPUID against the kernel's view of the same CPU (/proc/cpuinfo's flags).
    func testISALevelAgreesWithTheKernelsFlags() throws {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else {
            throw XCTSkip("no /proc/cpuinfo flags")
        }
        let flags = Set(line.split(separator: ":")[1].split(separator: " ").map(String.init))
        let avx512 = ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "avx2", "fma"].allSatisfy(flags.contains)
        let avx2 = ["avx2", "fma"].allSatisfy(flags.contains)
        let expected = avx512 ? DFL_ISA_AVX512 : avx2 ? DFL_ISA_AVX2 : DFL_ISA_BASELINE
        XCTAssertEqual(Int(dfl_cpu_isa_level()), Int(expected), "flags: avx512 \(avx512), avx2 \(avx2)")
    }

    /// After the engine's set-up, OpenBLAS runs no pre-AVX kernels on a CPU with AVX2 unless the user asked
    /// for them, and the environment is as it was.
    func testEngineSetUpLeavesNoGenericKernelsAndTheEnvironmentAsItWas() {
        let before = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"]
        _ = Threads.count
        let core = Threads.blasCoreName
        XCTAssertEqual(getenv("OPENBLAS_CORETYPE").map { String(cString: $0) }, before)
        if before != nil {
            XCTAssertNil(Threads.blasCoreReplaced, "a user's OPENBLAS_CORETYPE is not overridden")
            return
        }
        XCTAssertNil(dfl_blas_core_replacing(core, dfl_cpu_isa_level(), 0).map { String(cString: $0) },
                     "OpenBLAS still on \(core) on a CPU of level \(dfl_cpu_isa_level())")
        if let replaced = Threads.blasCoreReplaced { print("OpenBLAS had picked \(replaced); now \(core)") }
    }
}
