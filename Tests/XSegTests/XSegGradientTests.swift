import Foundation
import NeuralNet
import TestSupport
import XCTest
@testable import XSeg

/// XSeg's loss and the whole network's backward pass (docs/xseg.md, "Loss", "Backward").
final class XSegGradientTests: XCTestCase {
    /// The loss against TF's formula in float64 on DFL's logits and targets, stable for large |z|, and its
    /// gradient (of the batch sum) against finite differences.
    func testSigmoidCrossEntropy() throws {
        let ref = try Fixture.reference(64)
        let z = Tensor(shape: ref["logits"]!.shape, values: ref["logits"]!.values)
        let t = Tensor(shape: ref["target"]!.shape, values: ref["target"]!.values)
        let (losses, gradient) = XSegLoss.sigmoidCrossEntropy(logits: z, target: t)
        let per = z.count / 3
        for b in 0..<3 {
            var want = 0.0
            for i in (b * per)..<((b + 1) * per) {
                let zi = Double(z.data[i]), ti = Double(t.data[i])
                want += max(zi, 0) - zi * ti + log(1 + exp(-abs(zi)))
            }
            XCTAssertEqual(losses[b], want / Double(per), accuracy: 1e-6)
        }
        for i in stride(from: 0, to: z.count, by: 997) {
            let old = z.data[i], h: Float = 1e-2
            z.data[i] = old + h; let up = XSegLoss.sigmoidCrossEntropy(logits: z, target: t).losses.reduce(0, +)
            z.data[i] = old - h; let down = XSegLoss.sigmoidCrossEntropy(logits: z, target: t).losses.reduce(0, +)
            z.data[i] = old
            XCTAssertEqual(Double(gradient.data[i]), (up - down) / (2 * Double(h)), accuracy: 1e-7)
        }
        let extreme = XSegLoss.sigmoidCrossEntropy(logits: Tensor(shape: [1, 1, 2, 1], values: [-200, 200]),
                                                   target: Tensor(shape: [1, 1, 2, 1], values: [1, 1]))
        XCTAssertEqual(extreme.losses[0], 100, accuracy: 1e-4)     // (200 + 0) / 2
        XCTAssertEqual(extreme.gradient.array, [-0.5, 0])
    }

    /// Every element of every weight's gradient, and the per-sample losses, against the independent float64
    /// reference (tools/fixtures/xseg/make_gradient_reference.py: autograd on DFL's 64 px weights, input and
    /// target), in normal and pretrain mode: within 2.5e-4 (normal) and 2e-3 (pretrain, where everything goes
    /// through the linear bottleneck) of each tensor's largest gradient, measured up to 2.5e-5 and 4.7e-4 over
    /// OpenBLAS's Haswell and Cooper Lake kernels; FRN's eps within 1e-2 of itself. The eps gradient, Σ over samples and channels of −s²/2 · Σ_pixels dy·x̂·weight, is a
    /// small sum of large terms of both signs, so float32 rounding of the incoming gradient weighs far more
    /// in it (measured up to 9e-4 relative with OpenBLAS's Cooper Lake kernel, 3e-4 with Haswell's); a wrong
    /// sign, a missing |eps| or a factor is still far outside.
    func testGradientMatchesFloat64Reference() throws {
        let net = try XSegModelFolder.read(Fixture.folder(64)).network
        let ref = try Fixture.reference(64)
        let want = try SafeTensors.read(path: Fixture.folder(64) + "/gradient-reference.safetensors").tensors
        let x = Tensor(shape: ref["input"]!.shape, values: channelsReversed(ref["input"]!.values, channels: 3))
        let target = Tensor(shape: ref["target"]!.shape, values: ref["target"]!.values)
        for (pretrain, prefix) in [(false, ""), (true, "pretrain/")] {
            net.pretrain = pretrain
            for p in net.parameters { p.grad.zero() }
            let (losses, dLogits) = XSegLoss.sigmoidCrossEntropy(logits: net.forward(x), target: target)
            net.backward(dLogits)
            for (got, expected) in zip(losses, want[prefix + "loss"]!.values) { XCTAssertEqual(got, Double(expected), accuracy: 1e-6) }
            var worst = (name: "", error: Float(0)), worstEps = (name: "", error: Float(0))
            for p in net.parameters {
                let key = XSegNetwork.dflKey(p.name)
                guard let w = want[prefix + "grad/" + key] else { XCTFail("no \(prefix)grad/\(key)"); continue }
                // The reference's first convolution reads BGR, ours RGB.
                let expected = p === net.inputConvWeight ? inputAxisReversed(w.values, shape: w.shape) : w.values
                let scale = max(expected.reduce(0) { max($0, abs($1)) }, 1e-6)
                let error = maxAbsDifference(p.grad.array, expected) / scale
                let isEps = key.hasSuffix("/frn/eps:0")
                if isEps, error > worstEps.error { worstEps = (key, error) }
                if !isEps, error > worst.error { worst = (key, error) }
                XCTAssertLessThanOrEqual(error, isEps ? 1e-2 : pretrain ? 2e-3 : 2.5e-4, "\(prefix)\(key)")
            }
            print("\(prefix.isEmpty ? "normal" : "pretrain"): largest gradient error \(worst.error) of the tensor's "
                  + "largest element (\(worst.name)); FRN eps \(worstEps.error) (\(worstEps.name))")
        }
        net.pretrain = false
    }

    /// The summed loss on DFL's faces and targets.
    static func objective(_ net: XSegNetwork, _ x: Tensor, _ target: Tensor) -> Double {
        XSegLoss.sigmoidCrossEntropy(logits: net.forward(x), target: target).losses.reduce(0, +)
    }

    /// The whole network's gradient on DFL's trained 64 px weights (non-trivial FRN eps, TLU tau) against
    /// finite differences of the summed loss: along the analytic gradient of single tensors spread over the
    /// network (first conv, an FRN eps, a TLU tau, dense1, an up-conv kernel, out_conv) and of the whole
    /// network, each under random half masks, in normal and pretrain mode. Along u = (g ⊙ m)/|g ⊙ m| the loss's
    /// change over [−h, +h] must be the analytic gradient integrated along the same path (PathProbe: 3 % plus its
    /// measured error bound). The path is long enough for the slope to change along it, so the check is of the
    /// gradient at every point visited, not of |g ⊙ m| at the start.
    func testWholeNetworkGradientAlongRandomDirections() throws {
        let net = try XSegModelFolder.read(Fixture.folder(64)).network
        let ref = try Fixture.reference(64)
        let x = Tensor(shape: ref["input"]!.shape, values: channelsReversed(ref["input"]!.values, channels: 3))
        let target = Tensor(shape: ref["target"]!.shape, values: ref["target"]!.values)
        let names = ["XSeg.conv01.conv.weight", "XSeg.conv22.frn.eps", "XSeg.conv43.tlu.tau", "XSeg.dense1.weight",
                     "XSeg.up2.conv.weight", "XSeg.uconv11.frn.weight", "XSeg.out_conv.weight"]
        var rng = SeededRNG(seed: 5)
        var checked = 0, total = 0
        for pretrain in [false, true] {
            net.pretrain = pretrain
            for p in net.parameters { p.grad.zero() }
            let logits = net.forward(x)
            net.backward(XSegLoss.sigmoidCrossEntropy(logits: logits, target: target).gradient)
            let groups: [[Parameter]] = names.map { n in net.parameters.filter { $0.name == n } } + [net.parameters]
            XCTAssertTrue(groups.allSatisfy { !$0.isEmpty })
            for group in groups {
                let g = group.map { $0.grad.array.map(Double.init) }, start = group.map(\.value.array)
                for probe in 0..<2 {
                    let d = g.map { $0.map { v in probe == 0 || rng.next() % 2 == 0 ? v : 0 } }
                    let norm = d.joined().reduce(0) { $0 + $1 * $1 }.squareRoot()
                    let label = "\(pretrain ? "pretrain " : "")\(group.count == 1 ? group[0].name : "all weights") probe \(probe)"
                    // A half mask can empty a one-element tensor (FRN eps); the full gradient must not be zero.
                    guard norm > 0 else { XCTAssertGreaterThan(probe, 0, "\(label): zero gradient"); continue }
                    total += 1
                    func move(_ t: Double) {
                        for (k, p) in group.enumerated() {
                            for i in 0..<p.value.count { p.value.data[i] = Float(Double(start[k][i]) + t * d[k][i] / norm) }
                        }
                    }
                    // The slope along the gradient's direction by central differences (SlopeProbe) is biased by
                    // the TLU kinks the step crosses; f's change over the path against the analytic gradient
                    // integrated along it (PathProbe) is not, and checks the gradient at every point it visits.
                    let sigma = [2e-5, 1e-4].map { delta in SlopeProbe.noise(delta: delta) { t in move(t); return Self.objective(net, x, target) } }.max()!
                    let path = PathProbe(step: 2e-3, intervals: 32, noise: sigma) { t in
                        move(t)
                        for p in net.parameters { p.grad.zero() }
                        let logits = net.forward(x)
                        let loss = XSegLoss.sigmoidCrossEntropy(logits: logits, target: target)
                        net.backward(loss.gradient)
                        return (loss.losses.reduce(0, +), group.flatMap(\.value.array), group.flatMap(\.grad.array))
                    }
                    move(0)
                    for (k, p) in group.enumerated() { for i in 0..<p.value.count { p.value.data[i] = start[k][i] } }
                    guard path.bound <= 0.1 * abs(path.integrated) + 1e-9 else { continue }
                    XCTAssertEqual(path.secant, path.integrated, accuracy: 0.03 * abs(path.integrated) + path.bound,
                                   "\(label): f's change over the path against the analytic gradient integrated along it")
                    checked += 1
                }
            }
        }
        XCTAssertGreaterThanOrEqual(checked, total - 2, "probes with an error bound under 10 %")
        net.pretrain = false
    }

    /// A poisoned gradient pool changes nothing (the first layers of the backward pass take poisoned buffers;
    /// later ones get buffers earlier layers rewrote, which XSegLayerTests and the float64 reference cover),
    /// and gradients accumulate.
    func testPoisonedPoolAndAccumulation() throws {
        let net = XSegNetwork(resolution: 64, baseChannels: 2, seed: 3)
        let x = Tensor(shape: [2, 64, 64, 3])
        var rng = SeededRNG(seed: 8)
        for i in 0..<x.count { x.data[i] = rng.nextUnitFloat() }
        let dLogits = Tensor(shape: [2, 64, 64, 1])
        for i in 0..<dLogits.count { dLogits.data[i] = rng.nextUnitFloat() - 0.5 }
        func gradients() -> [[Float]] {
            for p in net.parameters { p.grad.zero() }
            _ = net.forward(x)
            net.backward(dLogits)
            return net.parameters.map(\.grad.array)
        }
        let first = gradients()
        GradientPool.poisonFreeBuffers(with: .nan)
        XCTAssertEqual(gradients(), first)
        _ = net.forward(x)
        net.backward(dLogits)
        for (p, g) in zip(net.parameters, first) {
            let scale = g.reduce(0) { max($0, abs($1)) }
            // Adding onto g rounds differently from computing g twice; an overwrite would be off by g.
            XCTAssertLessThanOrEqual(maxAbsDifference(p.grad.array, g.map { 2 * $0 }), 1e-4 * scale, p.name)
        }
    }
}
