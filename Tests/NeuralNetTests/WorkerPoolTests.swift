import Foundation
import Synchronization
import XCTest
@testable import NeuralNet

/// `Threads.perform` (the engine's worker pool): every iteration runs exactly once before it returns, regions
/// back to back, regions started from inside a region and from two threads at once (those go to
/// `concurrentPerform`), and the pool's workers really take part.
final class WorkerPoolTests: XCTestCase {
    func testEveryIterationRunsOnceBeforeReturning() {
        for iterations in [2, 3, 7, 64, 1000] {
            for _ in 0..<200 {
                let counts = UnsafeMutablePointer<Int32>.allocate(capacity: iterations)
                counts.initialize(repeating: 0, count: iterations)
                defer { counts.deallocate() }
                Threads.perform(iterations: iterations) { i in
                    // Each index is written by one thread only, so plain stores suffice; a second run would make 2.
                    counts[i] += 1
                }
                XCTAssertEqual((0..<iterations).filter { counts[$0] != 1 }, [], "\(iterations) iterations")
            }
        }
    }

    func testNestedRegionsAndTwoCallersAtOnce() {
        let total = Atomic<Int>(0)
        let group = DispatchGroup()
        for _ in 0..<2 {
            group.enter()
            Thread {
                for _ in 0..<100 {
                    Threads.perform(iterations: 4) { _ in
                        Threads.perform(iterations: 3) { _ in total.wrappingAdd(1, ordering: .relaxed) }
                    }
                }
                group.leave()
            }.start()
        }
        XCTAssertEqual(group.wait(timeout: .now() + 60), .success, "deadlock")
        XCTAssertEqual(total.load(ordering: .relaxed), 2 * 100 * 4 * 3)
    }

    func testWorkersTakePart() throws {
        try XCTSkipIf(Threads.count < 2, "one thread")
        let caller = pthread_self()
        var others = 0
        for _ in 0..<50 {
            let elsewhere = Atomic<Int>(0)
            Threads.perform(iterations: 64) { _ in
                if pthread_equal(pthread_self(), caller) == 0 { elsewhere.wrappingAdd(1, ordering: .relaxed) }
                usleep(50)
            }
            others += elsewhere.load(ordering: .relaxed)
        }
        XCTAssertGreaterThan(others, 0, "no iteration ran off the calling thread")
    }
}
