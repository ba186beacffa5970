import XCTest
@testable import NeuralNet

/// Buffer reuse: `Tensor.reuse` across batch sizes and `GradientPool`'s use of larger free buffers.
final class MemoryReuseTests: XCTestCase {
    override func tearDown() {
        GradientPool.drain()
        ConvolutionSelection.choice = .fast
        super.tearDown()
    }

    /// Two 5×5 stride-2 layers on one workspace: the polyphase rewrite keeps its space-to-depth input and
    /// weights in shared scratch and builds them again for backward (and writes its input gradient over
    /// them), so the first layer's backward must not see the second layer's. Against the dense path.
    func testPolyphaseLayersSharingScratchMatchDense() {
        let ws = Workspace()
        var rng = SeededRNG(seed: 21)
        let a = Conv2D(name: "a", inChannels: 4, outChannels: 8, kernel: 5, stride: 2, activation: .leakyReLU(0.1), workspace: ws, rng: &rng)
        let b = Conv2D(name: "b", inChannels: 8, outChannels: 16, kernel: 5, stride: 2, activation: .leakyReLU(0.1), workspace: ws, rng: &rng)
        let x = Tensor(shape: [2, 16, 16, 4])
        for i in 0..<x.count { x.data[i] = rng.nextUnitFloat() - 0.5 }
        let dy = Tensor(shape: [2, 4, 4, 16])
        for i in 0..<dy.count { dy.data[i] = rng.nextUnitFloat() - 0.5 }
        func run(_ choice: ConvAlgorithmChoice) -> [[Float]] {
            ConvolutionSelection.choice = choice
            for p in a.parameters + b.parameters { p.grad.zero() }
            let y = b.forward(a.forward(x)).array
            let mid = b.backward(dy)
            let dx = a.backward(mid)
            if choice == .f4 { XCTAssertEqual([a.algorithm, b.algorithm], [.winogradF4, .winogradF4]) }   // the rewrite ran
            defer { GradientPool.give(mid); GradientPool.give(dx) }
            return [y, dx.array] + (a.parameters + b.parameters).map(\.grad.array)
        }
        let fast = run(.f4), dense = run(.dense)
        for (got, want) in zip(fast, dense) {
            let scale = want.map(abs).max()!
            let err = zip(got, want).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(err, 1e-4 * scale)
        }
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
