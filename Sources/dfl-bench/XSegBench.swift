import ArgumentParser
import Foundation
import Imaging
import NeuralNet
import ToolSupport
import XSeg

/// `dfl-bench xseg`: the network part of `dfl-xseg apply`, alone: XSegMasker.extract (batches of faces already
/// at the network's side → sigmoid masks with DFL's 0.1 floor) on seeded random faces, so that it compares
/// with the PyTorch peer's forward pass (bench/torch_xseg_step.py), which also starts from tensors in memory.
/// The whole command adds model loading, JPEG decoding, PNG encoding and the metadata rewrite.
struct BenchXSeg: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "xseg",
        abstract: "XSeg's forward pass (the network part of dfl-xseg apply) on random faces, timed: faces/s.")

    @Option(help: "Network input side (DFL: 256).") var resolution = XSegNetwork.dflResolution
    @Option(help: "Base channel width (DFL: 32).") var baseChannels = XSegNetwork.dflBaseChannels
    @Option(help: "Faces per forward pass (dfl-xseg apply: 4).") var batch = 4
    @Option(help: "Faces per timed round.") var faces = 28
    @Option(help: "Timed rounds (after one untimed batch); the median is reported.") var rounds = 3
    @Option(help: "Threads.") var threads = 2
    @Option(help: "Operands of the matrix multiplies: fp32, bf16 or auto.") var precision: MatmulPrecision = .fp32

    func validate() throws {
        guard [batch, faces, rounds, threads].allSatisfy({ $0 >= 1 }) else {
            throw ValidationError("--batch, --faces, --rounds and --threads must be at least 1")
        }
        guard resolution >= 64, resolution % 64 == 0, baseChannels >= 1 else {
            throw ValidationError("--resolution must be a multiple of 64 and --base-channels at least 1")
        }
    }

    func run() throws { try exitingOnFailure("dfl-bench") { try xsegCommand(self) } }
}

func xsegCommand(_ args: BenchXSeg) throws {
    Threads.set(args.threads)
    MatmulPrecision.global = args.precision
    let masker = XSegMasker(network: XSegNetwork(resolution: args.resolution, baseChannels: args.baseChannels, seed: 1),
                            faceType: nil, batchSize: args.batch)
    var rng = SeededRNG(seed: 7)
    let side = args.resolution
    let inputs = (0..<args.faces).map { _ in
        FloatImage(width: side, height: side, channels: 3, data: (0..<(side * side * 3)).map { _ in rng.nextUnitFloat() })
    }
    _ = try masker.extract(Array(inputs.prefix(args.batch)))
    var rates: [Double] = []
    for _ in 0..<args.rounds {
        let t0 = now()
        _ = try masker.extract(inputs)
        rates.append(Double(args.faces) / (now() - t0))
    }
    let rate = median(rates)
    print("bench xseg-forward res=\(side) base=\(args.baseChannels) batch=\(args.batch) faces=\(args.faces) "
          + "threads=\(args.threads) rounds=\(args.rounds) matmul=\(args.precision.resolved) "
          + String(format: "faces_per_s=%.2f ms_per_face=%.1f peak_rss_mb=%.0f", rate, 1000 / rate, peakRSSMegabytes()))
}
