import XCTest
@testable import NeuralNet

/// `ConvProfiler` credits a convolution with the passes that ran: its forward pass, plus the input and weight
/// gradients only when the layer computes them. `dfl-bench train --profile` turns these counts into GFLOP/s,
/// and a count of three passes per call used to inflate layers with forward-only calls (docs/gan-cost.md,
/// "What 1.45× would take"). The expected counts come from the layers' shapes, not from the code.
final class ConvProfilerTests: XCTestCase {
    override func tearDown() {
        ConvProfiler.enabled = false
        ConvProfiler.table = [:]
        super.tearDown()
    }

    /// The profiler's multiply-adds for one forward pass of `layer` on `x`, and one backward pass (when
    /// `input` or `weight` is set) computing those gradients. One entry is expected in the table.
    func recordedMACs(_ layer: Layer, x: Tensor, input: Bool, weight: Bool,
                      gradients set: (Bool, Bool) -> Void) -> Int {
        ConvProfiler.table = [:]
        ConvProfiler.enabled = true
        set(input, weight)
        let y = layer.forward(x)
        if input || weight {
            let dy = GradientCheck.random(y.shape, seed: 2)
            let dx = layer.backward(dy)
            if input { GradientPool.give(dx) }
        }
        ConvProfiler.enabled = false
        XCTAssertEqual(ConvProfiler.table.count, 1, "one layer, one profile entry")
        return ConvProfiler.table.values.first?.macs ?? -1
    }

    func testConvolutionsCountOnlyThePassesThatRan() {
        var rng = SeededRNG(seed: 1)
        let n = 2, h = 12, w = 10, cin = 6, cout = 5
        // 3x3 stride 1 (padding 1; Winograd where it applies) and 3x3 stride 2 (dense): output pixels x 9 x cin x cout.
        for (stride, outPixels) in [(1, h * w), (2, (h / 2) * (w / 2))] {
            let conv = Conv2D(name: "c", inChannels: cin, outChannels: cout, kernel: 3, stride: stride, workspace: Workspace(), rng: &rng)
            let x = GradientCheck.random([n, h, w, cin], seed: 3)
            let forward = n * outPixels * 9 * cin * cout
            let set = { (i: Bool, wt: Bool) in conv.needsInputGradient = i; conv.needsWeightGradient = wt }
            XCTAssertEqual(recordedMACs(conv, x: x, input: false, weight: false, gradients: set), forward, "stride \(stride): forward only")
            XCTAssertEqual(recordedMACs(conv, x: x, input: true, weight: false, gradients: set), 2 * forward, "stride \(stride): + input gradient")
            XCTAssertEqual(recordedMACs(conv, x: x, input: false, weight: true, gradients: set), 2 * forward, "stride \(stride): + weight gradient")
            XCTAssertEqual(recordedMACs(conv, x: x, input: true, weight: true, gradients: set), 3 * forward, "stride \(stride): both gradients")
        }
        // The direct stride-2 transposed convolution: input pixels x 9 x cin x cout.
        let t = Conv2DTranspose(name: "t", inChannels: cin, outChannels: cout, stride: 2, workspace: Workspace(), rng: &rng)
        let x = GradientCheck.random([n, h, w, cin], seed: 4)
        let forward = n * h * w * 9 * cin * cout
        let set = { (i: Bool, wt: Bool) in t.needsInputGradient = i; t.needsWeightGradient = wt }
        XCTAssertEqual(recordedMACs(t, x: x, input: false, weight: false, gradients: set), forward, "transposed: forward only")
        XCTAssertEqual(recordedMACs(t, x: x, input: true, weight: false, gradients: set), 2 * forward, "transposed: + input gradient")
        XCTAssertEqual(recordedMACs(t, x: x, input: true, weight: true, gradients: set), 3 * forward, "transposed: both gradients")
    }
}
