// dfl-bench's command line (swift-argument-parser, as the other tools): the measurement with no subcommand,
// and the sgemm, train, conv and checkpoint subcommands that it and bench/run.sh start. An unknown or misspelt
// option, a bad value or a missing argument is a usage error (exit 2) before anything is measured, so a
// benchmark never measures something other than what was asked.
import ArgumentParser
import NeuralNet
import SAEHD
import ToolSupport

extension ConvAlgorithmChoice: ExpressibleByArgument {}
extension MatmulPrecision: ExpressibleByArgument {}

struct DFLBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dfl-bench",
        abstract: "Speed figures for this machine, one `bench <name> key=value ...` line per measurement.",
        discussion: """
            With no subcommand: machine info, sgemm (1 and 2 threads), then every training config on the dense \
            and the fast convolution path, each in its own child process (`dfl-bench train`). bench/run.sh \
            (`make bench`) runs it and adds the trainer, held-out evaluation, GAN, extraction and merge figures.
            """,
        version: toolchainVersion,
        subcommands: [BenchAll.self, BenchSgemm.self, BenchTrain.self, BenchConv.self, BenchCheckpoint.self, BenchXSeg.self],
        defaultSubcommand: BenchAll.self)
}

/// A config name as ModelConfig reads it; a bad one is a usage error that says why.
func checkConfig(_ name: String, channels: Int) throws {
    do { _ = try ModelConfig(name, channels: channels) } catch { throw ValidationError("\(name): \(error)") }
}

/// `--configs name:channels:batch,...`.
func parseConfigList(_ text: String) throws -> [(String, Int, Int)] {
    try text.split(separator: ",", omittingEmptySubsequences: false).map { item in
        let f = item.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard f.count == 3, let c = Int(f[1]), let b = Int(f[2]), c == 1 || c == 3, b >= 1 else {
            throw ValidationError("--configs takes name:channels:batch,... (channels 1 or 3), not '\(item)'")
        }
        try checkConfig(f[0], channels: c)
        return (f[0], c, b)
    }
}

struct BenchAll: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all",
        abstract: "Machine info, sgemm at 1 and 2 threads, and one training step per config (dense and fast), each config in a child process.")

    @Flag(help: "Fewer repeats and iterations (3 timed iterations per config).")
    var quick = false
    @Option(help: "Threads of the training step and of its sgemm reference.")
    var threads = 2
    @Option(help: ArgumentHelp("The configs to time instead of the four default ones.", valueName: "name:channels:batch,..."),
            transform: parseConfigList)
    var configs: [(String, Int, Int)]?
    @Option(help: "Operands of the matrix multiplies: fp32, bf16 or auto (docs/bf16.md).")
    var precision: MatmulPrecision = .fp32

    func validate() throws { guard threads >= 1 else { throw ValidationError("--threads must be at least 1") } }
    func run() throws { allCommand(self) }
}

struct BenchSgemm: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sgemm", abstract: "Median GFLOP/s of cblas_sgemm on square matrices.")

    @Option(help: "BLAS threads.")
    var threads = 1
    @Option(help: "Matrix side.")
    var size = 2048
    @Option(help: "Timed calls (after one warm-up call).")
    var repeats = 5

    func validate() throws {
        guard threads >= 1, size >= 1, repeats >= 1 else { throw ValidationError("--threads, --size and --repeats must be at least 1") }
    }
    func run() throws { sgemmCommand(self) }
}

struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "One full SAEHD training step (src and dst, forward + backward + optimizer) on random data, timed.",
        discussion: """
            With a Winograd choice (--algo other than dense), also a `bench layers` line: each 3x3 stride-1 and 5x5 \
            stride-2 convolution's algorithms (forward/input gradient/weight gradient).
            """)

    @Argument(help: "Compact architecture, e.g. liae-ud-96-32-32-32-16.")
    var config: String
    @Option(help: "Image channels: 1 or 3.")
    var channels = 3
    @Option(help: "Samples per side.")
    var batch = 8
    @Option(help: "Threads of the step.")
    var threads = 2
    @Option(help: "Timed iterations.")
    var iterations = 10
    @Option(help: "Untimed iterations first.")
    var warmup = 2
    @Option(help: "The sgemm rate measured at the start of the run (adds fraction_of_sgemm_at_start).")
    var sgemm: Double?
    @Option(help: "Convolution algorithms: fast, dense, f2 or f4.")
    var algo: ConvAlgorithmChoice = .fast
    @Flag(help: "Keep the 5x5 stride-2 convolutions dense (no space-to-depth rewrite).")
    var noPolyphase = false
    @Flag(help: "Also print one step's time per convolution shape.")
    var profile = false
    @Option(help: "GAN power (adds the patch discriminator and its step).")
    var ganPower: Float = 0
    @Option(help: "True-face power (df: the code discriminator and its step).")
    var trueFacePower: Float = 0
    @Option(help: "GAN patch size (0: resolution / 8).")
    var ganPatchSize = 0
    @Option(help: "GAN dims.")
    var ganDims = 16
    @Option(help: "Operands of the matrix multiplies: fp32, bf16 (rounded to bfloat16, fp32 accumulation) or auto (docs/bf16.md).")
    var precision: MatmulPrecision = .fp32
    @Flag(help: "Also print a `bench gemm` line per GEMM shape of one step (calls, share of the step's flops).")
    var gemmShapes = false

    func validate() throws {
        guard channels == 1 || channels == 3 else { throw ValidationError("--channels must be 1 or 3") }
        guard batch >= 1, threads >= 1, warmup >= 0 else { throw ValidationError("--batch and --threads must be at least 1, --warmup 0 or more") }
        try checkConfig(config, channels: channels)
    }
    func run() throws { try exitingOnFailure("dfl-bench") { try trainCommand(self) } }
}

struct BenchConv: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "conv", abstract: "One convolution layer, forward + backward, timed.")

    @Argument(help: "Input height and width.") var size: Int
    @Argument(help: "Input channels.") var cin: Int
    @Argument(help: "Output channels.") var cout: Int
    @Argument(help: "Kernel size.") var k: Int
    @Argument(help: "Stride.") var stride: Int
    @Argument(help: "Batch.") var batch: Int
    @Option(help: "Threads.")
    var threads = 2
    @Option(help: "ConvolutionTuning.blockFloats.")
    var blockFloats: Int?
    @Option(help: "Convolution algorithms: fast, dense, f2 or f4 (default: $DFL_CONV_ALGO, else fast).")
    var algo: ConvAlgorithmChoice?
    @Flag(help: "Dense weight gradient with Winograd forward.")
    var denseDw = false
    @Flag(help: "Keep 5x5 stride 2 dense.")
    var noPolyphase = false
    @Option(help: "Timed repetitions (after one untimed).")
    var reps = 6
    @Option(help: "Operands of the matrix multiplies: fp32, bf16 or auto.")
    var precision: MatmulPrecision = .fp32
    @Flag(help: "No reference sgemm between the passes (the layer alone; the ratios are then 0).")
    var noSgemm = false

    func validate() throws {
        guard [size, cin, cout, k, stride, batch, threads, reps].allSatisfy({ $0 >= 1 }) else {
            throw ValidationError("SIZE CIN COUT K STRIDE BATCH, --threads and --reps must be at least 1")
        }
    }
    func run() throws { convCommand(self) }
}

struct BenchCheckpoint: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint", abstract: "One training step on random data, then save the model (format check).")

    @Argument(help: "Compact architecture.") var config: String
    @Argument(help: "Image channels: 1 or 3.") var channels: Int
    @Argument(help: "The safetensors file to write.") var path: String

    func validate() throws {
        guard channels == 1 || channels == 3 else { throw ValidationError("CHANNELS must be 1 or 3") }
        try checkConfig(config, channels: channels)
    }
    func run() throws { try exitingOnFailure("dfl-bench") { try checkpointCommand(self) } }
}
