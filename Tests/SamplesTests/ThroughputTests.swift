import XCTest
import ColorTransfer
import Foundation
@testable import Samples

/// Batches per second of the generator on one thread. Runs only with SAMPLES_BENCH=1 (release build:
/// `SAMPLES_BENCH=1 swift test -c release --filter ThroughputTests`); prints, asserts nothing about time.
final class ThroughputTests: XCTestCase {
    func measure(resolution: Int, batch: Int, channels: Int, batches: Int,
                 ct: ColorTransferMode? = nil) throws -> (wall: Double, cpu: Double) {
        let src = try store(faces: 8, size: resolution, resolution: resolution, channels: channels)
        let dst = try store(faces: 8, size: resolution, resolution: resolution, channels: channels,
                            keepReference: ct != nil)
        var g = try BatchGenerator(src: src, dst: dst, batchSize: batch,
                                   srcOptions: SampleOptions(outputChannels: channels),
                                   dstOptions: SampleOptions(randomFlip: true, outputChannels: channels),
                                   colorTransfer: ct, seed: 1)
        _ = try g.next()
        let start = Date(), cpuStart = processCPUSeconds()
        for _ in 0..<batches { _ = try g.next() }
        let wall = Date().timeIntervalSince(start), cpu = processCPUSeconds() - cpuStart
        return (Double(batches) / wall, Double(batches) / cpu)
    }

    /// CPU time of the whole process (robust against other load on a shared machine).
    func processCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    func testThroughput() throws {
        guard ProcessInfo.processInfo.environment["SAMPLES_BENCH"] == "1" else { throw XCTSkip("set SAMPLES_BENCH=1") }
        for (r, b, c, ct) in [(96, 8, 1, nil), (192, 4, 1, nil), (128, 8, 3, nil), (96, 8, 1, ColorTransferMode.lct),
                              (96, 8, 1, .sot), (192, 4, 1, .sot)] {
            let rate = try measure(resolution: r, batch: b, channels: c, batches: ct == .sot ? 4 : 40, ct: ct)
            print(String(format: "samples bench: %d px, batch %d, %d ch, ct %@: %.2f batches/s wall, %.2f per CPU-second (src+dst, 1 thread)",
                         r, b, c, ct?.rawValue ?? "none", rate.wall, rate.cpu))
        }
    }
}
