import XCTest
@testable import NeuralNet

/// Buffer reuse: `Tensor.reuse` across batch sizes and `GradientPool`'s use of larger free buffers.
final class MemoryReuseTests: XCTestCase {
    override func tearDown() {
        GradientPool.drain()
        super.tearDown()
    }

    /// A smaller batch gets a view of the same storage, the full batch gets the buffer itself back, and a
    /// larger batch or another sample shape gets a new buffer.
    func testReuseKeepsTheLargestBatchBuffer() {
        let full = Tensor.reuse(nil, shape: [4, 3, 3, 2])
        let half = Tensor.reuse(full, shape: [2, 3, 3, 2])
        XCTAssertEqual(half.shape, [2, 3, 3, 2])
        XCTAssertEqual(half.data, full.data)
        XCTAssertTrue(Tensor.reuse(half, shape: [4, 3, 3, 2]) === full)
        XCTAssertEqual(Tensor.reuse(Tensor.reuse(half, shape: [1, 3, 3, 2]), shape: [3, 3, 3, 2]).data, full.data)
        XCTAssertNotEqual(Tensor.reuse(half, shape: [5, 3, 3, 2]).data, full.data)
        XCTAssertNotEqual(Tensor.reuse(full, shape: [2, 3, 3, 4]).data, full.data)
        // A view made elsewhere is not a buffer to hand out again.
        let other = Tensor(viewOf: full, batch: 1..<3)
        XCTAssertNotEqual(Tensor.reuse(other, shape: [1, 3, 3, 2]).data, other.data)
    }

    /// A request with no free buffer of its size takes the first elements of a free one of up to 4× its
    /// size, and giving it back returns that buffer; a smaller request allocates.
    func testPoolServesSmallerRequestsFromLargerFreeBuffers() {
        GradientPool.drain()
        let big = GradientPool.take([10, 10])
        let bigData = big.data
        GradientPool.give(big)
        let small = GradientPool.take([5, 6])
        XCTAssertEqual(small.shape, [5, 6])
        XCTAssertEqual(small.data, bigData)
        XCTAssertEqual(GradientPool.freeFloats, 0)
        GradientPool.give(small)
        XCTAssertEqual(GradientPool.freeFloats, 100)
        let again = GradientPool.take([100])
        XCTAssertEqual(again.data, bigData)
        GradientPool.give(again)
        let tiny = GradientPool.take([24])   // more than 4× smaller: a buffer of its own
        XCTAssertNotEqual(tiny.data, bigData)
        XCTAssertEqual(GradientPool.freeFloats, 100)
        GradientPool.give(tiny)
        XCTAssertEqual(GradientPool.freeFloats, 124)
    }
}
