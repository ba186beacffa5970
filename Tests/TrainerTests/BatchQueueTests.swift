import XCTest
@testable import Trainer

/// How many ready batches the trainer keeps by default: up to 4, fewer for large batches (the queue holds at
/// most about 16 MiB, at least 2 batches).
final class BatchQueueTests: XCTestCase {
    /// Bytes of one step's batch as the trainer counts them: both sides' warped and target images and their
    /// two masks, as floats.
    func bytes(resolution r: Int, channels c: Int, batch b: Int) -> Int { 2 * b * r * r * (2 * c + 2) * 4 }

    func testQueueCapacityFollowsBatchSize() {
        // liae-ud-96 c1 b8: 2.4 MB a batch, 4 kept.
        XCTAssertEqual(SessionSettings.queueCapacity(batchBytes: bytes(resolution: 96, channels: 1, batch: 8)), 4)
        // liae-udt-128 c1 b8: 4 MiB, still 4; 144 px c1 b8: 5.3 MB, 3 kept.
        XCTAssertEqual(SessionSettings.queueCapacity(batchBytes: bytes(resolution: 128, channels: 1, batch: 8)), 4)
        XCTAssertEqual(SessionSettings.queueCapacity(batchBytes: bytes(resolution: 144, channels: 1, batch: 8)), 3)
        // df-udt-256 c1 b4: 8.4 MB, 2 kept (was 4: 17 MB more at the trainer's peak).
        XCTAssertEqual(SessionSettings.queueCapacity(batchBytes: bytes(resolution: 256, channels: 1, batch: 4)), 2)
        // Larger batches never go below 2: one ready while the next is built.
        XCTAssertEqual(SessionSettings.queueCapacity(batchBytes: bytes(resolution: 256, channels: 3, batch: 8)), 2)
        XCTAssertEqual(SessionSettings.queueCapacity(batchBytes: 0), 4)
    }
}
