// dfl-bench: speed figures for this machine, one `bench <name> key=value ...` line per measurement.
//
//   dfl-bench [--quick] [--threads N] [--configs LIST] [--precision P]   machine info, sgemm (1 and 2 threads), every
//                                                        training config, each in its own child process
//   dfl-bench sgemm --threads N [--size 2048]
//   dfl-bench train CONFIG --channels C --batch B [--threads N] [--iterations N] [--warmup N] [--sgemm GFLOPS]
//                   [--algo fast|dense|f2|f4] [--no-polyphase] [--precision fp32|bf16|auto] [--gemm-shapes]
//                                                   --precision: the operands of the convolutions' and dense
//                                                   layers' multiplies (bf16: rounded to bfloat16, fp32
//                                                   accumulation); --gemm-shapes: a `bench gemm` line per GEMM
//                                                   shape of one step (calls, share of the step's flops);
//                                                   with a Winograd choice, also a `bench layers` line: each 3×3
//                                                   stride-1 and 5×5 stride-2 conv's algorithms (forward/input
//                                                   grad/weight grad); --no-polyphase keeps 5×5 stride 2 dense
//   dfl-bench conv SIZE CIN COUT K STRIDE BATCH [--algo fast|dense|f2|f4] [--no-polyphase] [--precision P]
//                                                   one layer, forward + backward
//   dfl-bench checkpoint CONFIG CHANNELS PATH       one step on random data, then save (format check)
//
// The command line is parsed by swift-argument-parser (Bench* commands at the end of this file): an unknown or
// misspelt option, a bad value or a missing argument is a usage error (exit 2) before anything is measured.
//
// fraction_of_sgemm divides the step's GFLOP/s by the median sgemm rate (2048³, same thread count) sampled
// between the timed iterations, so both see the same machine load; the rate measured at the start of the
// run is printed too (sgemm_gflops_at_start). cpu_time_fraction compares FLOPs per CPU-second of the step
// and of sgemm, which a shared machine disturbs less than wall-clock rates.
//
// OpenBLAS's worker threads poll for work with sched_yield for 2^OPENBLAS_THREAD_TIMEOUT cycles (2^28 by
// default, about 0.1 s) after each multi-threaded call before they sleep. Each reference sgemm therefore left
// them polling through the next training step, on the same two cores: liae-ud-96 bf16 measured 7 % slower
// (Zen 5). OpenBLAS reads the variable when it loads, so dfl-bench starts itself again with it set to 4 (they
// sleep at once) unless the caller set it. The engine's own multiplies run OpenBLAS single-threaded and never
// wake those threads, so a training run (dfl-train) does not meet this.
import ArgumentParser
import Foundation
import COpenBLAS
import NeuralNet
import SAEHD
import ToolSupport

/// The configurations of issue 5: name, channels, batch.
let defaultConfigs: [(String, Int, Int)] = [
    ("df-ud-96-256-64-64-22", 3, 8), ("liae-ud-96-32-32-32-16", 1, 8),
    ("df-udt-192-128-48-32-16", 1, 4), ("df-udt-256-96-32-32-16", 1, 4), ("liae-udt-128-96-32-32-16", 1, 8),
]

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func peakRSSMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024  // KiB on Linux
}

/// User + system CPU seconds of this process (all threads).
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) * 1e-6
        + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) * 1e-6
}

func cpuModel() -> String {
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown" }
    for line in text.split(separator: "\n") where line.hasPrefix("model name") {
        return line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
    }
    return "unknown"
}

func cpuFlags() -> Set<String> {
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return [] }
    for line in text.split(separator: "\n") where line.hasPrefix("flags") {
        return Set(line.split(separator: ":", maxSplits: 1).last!.split(separator: " ").map(String.init))
    }
    return []
}

/// The widest vector registers the build's code generation may use: a native build (`-target-cpu native`,
/// the default) uses what the host has; a PORTABLE=1 build targets baseline x86-64 (SSE2, 128-bit).
func vectorDescription() -> (bits: Int, isa: String) {
    #if NATIVE_CPU
    let f = cpuFlags()
    if f.contains("avx512f") { return (512, "avx512 (native)") }
    if f.contains("avx2") { return (256, "avx2 (native)") }
    return (128, "sse (native)")
    #else
    return (128, "sse2 (portable)")
    #endif
}

/// Median GFLOP/s of `cblas_sgemm` on square `n` matrices with `threads` threads.
func measureSgemm(threads: Int, size n: Int, repeats: Int) -> Double {
    Threads.setBLAS(threads)
    let a = Tensor(shape: [n, n]), b = Tensor(shape: [n, n]), c = Tensor(shape: [n, n])
    var rng = SeededRNG(seed: 1)
    for i in 0..<a.count { a.data[i] = rng.nextUnitFloat(); b.data[i] = rng.nextUnitFloat() }
    func run() {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1, a.data, Int32(n),
                    b.data, Int32(n), 0, c.data, Int32(n))
    }
    run()
    var times: [Double] = []
    for _ in 0..<repeats { let t0 = now(); run(); times.append(now() - t0) }
    return 2 * Double(n) * Double(n) * Double(n) / median(times) / 1e9
}


func sgemmCommand(_ args: BenchSgemm) {
    let threads = args.threads, size = args.size
    let g = measureSgemm(threads: threads, size: size, repeats: args.repeats)
    print(String(format: "bench sgemm threads=%d n=%d gflops=%.1f", threads, size, g))
}

func trainCommand(_ args: BenchTrain) throws {
    let name = args.config
    let channels = args.channels, batch = args.batch
    let threads = args.threads
    let iterations = max(1, args.iterations), warmup = args.warmup
    let sgemm = args.sgemm
    // dense: im2col + sgemm everywhere; fast: Winograd where ConvolutionSelection's shape rules pick it.
    let choice = args.algo, algo = choice.rawValue
    ConvolutionSelection.choice = choice
    if args.noPolyphase { ConvolutionSelection.polyphase = false }
    MatmulPrecision.global = args.precision
    let precision = args.precision
    Threads.set(threads)
    let config = try ModelConfig(name, channels: channels)
    // DFL defaults (AdaBelief, masked training) plus the eyes/mouth term, as the PyTorch peer step computes it;
    // --gan-power / --true-face-power add the discriminators and their steps.
    let ganPower = args.ganPower
    let trueFacePower = args.trueFacePower
    let lossOptions = LossOptions(maskedTraining: true, eyesMouthPriority: true, ganPower: ganPower,
                                  ganPatchSize: args.ganPatchSize, ganDims: args.ganDims,
                                  trueFacePower: trueFacePower)
    let model = SAEHDModel(config: config, seed: 1, lossOptions: lossOptions)
    let data = TrainingBatch(batch: batch, resolution: config.resolution, channels: channels)
    data.fillRandom(seed: 2)
    for _ in 0..<warmup { model.trainStep(data) }
    var times: [Double] = []
    var sgemmDuring: [Double] = []
    var cpuRatios: [Double] = []
    var cpuTimes: [Double] = []
    var macs = 0, stepMacs = 0
    // The training's own peak: read after the first timed step, before the sgemm reference below allocates
    // its three 2048² matrices (48 MB) next to the model's buffers.
    var stepPeakRSS = 0.0
    for _ in 0..<iterations {
        MACCounter.reset()
        let t0 = now(), c0 = cpuSeconds()
        model.trainStep(data)
        times.append(now() - t0)
        let stepCPU = cpuSeconds() - c0
        cpuTimes.append(stepCPU)
        macs = MACCounter.forward
        stepMacs = MACCounter.forward + MACCounter.backward
        if stepPeakRSS == 0 { stepPeakRSS = peakRSSMegabytes() }
        // The reference rate is sampled between iterations, under the same load as the step itself
        // (the machine may be shared), with the same thread count.
        let c1 = cpuSeconds()
        sgemmDuring.append(measureSgemm(threads: threads, size: 2048, repeats: 1))
        let sgemmCPU = cpuSeconds() - c1
        Threads.set(threads)
        // FLOPs per CPU-second of the step against those of sgemm (2 calls inside measureSgemm).
        cpuRatios.append((6 * Double(macs) / stepCPU) / (4 * 2048.0 * 2048 * 2048 / sgemmCPU))
    }
    if choice != .dense && !args.profile {
        // Which algorithm each 3×3 stride-1 and 5×5 stride-2 convolution ran (forward/input gradient/weight gradient), from the
        // profiler's keys of one more step.
        ConvProfiler.table = [:]
        ConvProfiler.enabled = true
        model.trainStep(data)
        ConvProfiler.enabled = false
        // 3×3 stride-1 layers as SIZE:IN->OUT:ALGOS, 5×5 stride-2 ones (polyphase rewrite) with a k5s2: prefix.
        let layers = ConvProfiler.table.keys.filter { $0.hasPrefix("k3s1") || $0.hasPrefix("k5s2") }.sorted()
            .map { ($0.hasPrefix("k3s1") ? String($0.dropFirst(5)) : $0).replacingOccurrences(of: " ", with: ":") }
        print("bench layers \(config.description) algo=\(algo) " + layers.joined(separator: " "))
        ConvProfiler.table = [:]
    }
    if args.gemmShapes {
        // Every GEMM of one more step by shape: calls and share of the step's GEMM flops.
        GEMMShapes.table = [:]
        GEMMShapes.enabled = true
        model.trainStep(data)
        GEMMShapes.enabled = false
        func flops(_ key: String) -> Double {
            let f = key.split(separator: " ").compactMap { Double($0) }
            return 2 * f[2] * f[3] * f[4] * Double(GEMMShapes.table[key]!)
        }
        let total = GEMMShapes.table.keys.reduce(0) { $0 + flops($1) }
        for key in GEMMShapes.table.keys.sorted(by: { flops($0) > flops($1) }) {
            let f = key.split(separator: " ")
            print(String(format: "bench gemm %@ ta=%@ tb=%@ m=%@ n=%@ k=%@ beta=%@ calls=%d share=%.4f", config.description,
                         String(f[0]), String(f[1]), String(f[2]), String(f[3]), String(f[4]), String(f[5]),
                         GEMMShapes.table[key]!, flops(key) / total))
        }
        GEMMShapes.table = [:]
    }
    if args.profile {
        ConvProfiler.enabled = true
        let t0 = now()
        model.trainStep(data)
        let stepSeconds = now() - t0
        ConvProfiler.enabled = false
        let convSeconds = ConvProfiler.table.values.reduce(0) { $0 + $1.forward + $1.backward }
        print(String(format: "bench profile step_ms=%.1f conv_ms=%.1f other_ms=%.1f", stepSeconds * 1000,
                     convSeconds * 1000, (stepSeconds - convSeconds) * 1000))
        var rows = ConvProfiler.table.map { ($0.key, $0.value) }
        rows.sort { $0.1.forward + $0.1.backward > $1.1.forward + $1.1.backward }
        for (key, v) in rows {
            let sec = v.forward + v.backward
            print(String(format: "bench conv %@ calls=%d fwd_ms=%.1f bwd_ms=%.1f gflops=%.1f", key.replacingOccurrences(of: " ", with: "_"),
                         v.calls, v.forward * 1000, v.backward * 1000, 2 * Double(v.macs) / sec / 1e9))
        }
    }
    let ms = median(times) * 1000
    // Forward + two backward products, 2 flops per MAC (docs/saehd-model.md §2).
    let iterationFlops = 2 * 3 * Double(macs)
    let gflops = iterationFlops / (ms / 1000) / 1e9
    // Effective rate: the dense multiply-adds (MACCounter counts them whatever the algorithm) per second.
    var line = String(format: "bench train %@ ch=%d batch=%d threads=%d algo=%@ precision=%@ matmul=%@ ms_per_iter=%.1f ms_min=%.1f effective_gflops=%.1f",
                      config.description, channels, batch, threads, algo, precision.description,
                      precision.resolved.description, ms, times.min()! * 1000, gflops)
    let sgemmNow = median(sgemmDuring)
    line += String(format: " fraction_of_sgemm=%.3f sgemm_gflops=%.1f cpu_time_fraction=%.3f cpu_ms_per_iter=%.1f", gflops / sgemmNow,
                   sgemmNow, median(cpuRatios), median(cpuTimes) * 1000)
    if let sgemm { line += String(format: " fraction_of_sgemm_at_start=%.3f sgemm_gflops_at_start=%.1f", gflops / sgemm, sgemm) }
    // iter_gmacs: 3 × the forward passes' multiply-adds; step_gmacs: those of every pass that ran (a forward
    // pass without backward, a backward without weight or input gradient count once each).
    line += String(format: " iter_gmacs=%.2f step_gmacs=%.2f params=%d peak_rss_mb=%.0f peak_rss_with_sgemm_mb=%.0f iterations=%d",
                   3 * Double(macs) / 1e9, Double(stepMacs) / 1e9, model.parameterCount, stepPeakRSS, peakRSSMegabytes(), iterations)
    if ganPower > 0 || trueFacePower > 0 { line += String(format: " gan_power=%g true_face_power=%g", ganPower, trueFacePower) }
    print(line)
}

/// Runs this executable again with `arguments`, echoing its `bench` lines; returns its exit status.
func runChild(_ arguments: [String]) -> Int32 {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    p.arguments = arguments
    do { try p.run() } catch { printError("dfl-bench: cannot start child: \(error)"); return 1 }
    p.waitUntilExit()
    return p.terminationStatus
}

func allCommand(_ args: BenchAll) {
    let quick = args.quick
    let threads = args.threads
    let vec = vectorDescription()
    setvbuf(stdout, nil, _IOLBF, 0)
    print("bench machine cpu=\"\(cpuModel())\" cores=\(ProcessInfo.processInfo.activeProcessorCount) isa=\"\(vec.isa)\" vector_bits=\(vec.bits) blas_core=\(Threads.blasCoreName) blas_core_replaced=\(Threads.blasCoreReplaced ?? "no") openblas_coretype_env=\(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "unset")")
    let repeats = quick ? 3 : 7
    var rates: [Int: Double] = [:]
    for t in Set([1, 2, threads]).sorted() {
        rates[t] = measureSgemm(threads: t, size: 2048, repeats: repeats)
        print(String(format: "bench sgemm threads=%d n=2048 gflops=%.1f", t, rates[t]!))
    }
    let configs = args.configs ?? defaultConfigs
    var failed = false
    for (name, ch, b) in configs {
        // The dense path and the fast path (Winograd where the shape rules pick it) in the same run.
        for algo in ["dense", "fast"] {
            let childArgs = ["train", name, "--channels", "\(ch)", "--batch", "\(b)", "--threads", "\(threads)",
                             "--iterations", quick ? "3" : "10", "--warmup", quick ? "1" : "2",
                             "--sgemm", String(format: "%.1f", rates[threads]!), "--algo", algo,
                             "--precision", args.precision.rawValue]
            if runChild(childArgs) != 0 { failed = true; printError("dfl-bench: \(name) algo=\(algo) failed") }
        }
    }
    if failed { exit(1) }
}

/// dfl-bench conv: one layer, forward + backward.
func convCommand(_ args: BenchConv) {
    let threads = args.threads
    let (hw, cin, cout, k, st, b) = (args.size, args.cin, args.cout, args.k, args.stride, args.batch)
    if let bf = args.blockFloats { ConvolutionTuning.blockFloats = bf }
    if let a = args.algo { ConvolutionSelection.choice = a }
    if args.denseDw { ConvolutionSelection.winogradWeightGradient = false }
    if args.noPolyphase { ConvolutionSelection.polyphase = false }
    MatmulPrecision.global = args.precision
    let precision = args.precision
    Threads.set(threads)
    var rng = SeededRNG(seed: 1)
    let conv = Conv2D(name: "c", inChannels: cin, outChannels: cout, kernel: k, stride: st,
                      activation: .leakyReLU(0.1), workspace: Workspace(), rng: &rng)
    let x = Tensor(shape: [b, hw, hw, cin])
    for i in 0..<x.count { x.data[i] = rng.nextUnitFloat() - 0.5 }
    let dy = Tensor(shape: [b, conv.outputSize(hw), conv.outputSize(hw), cout])
    for i in 0..<dy.count { dy.data[i] = rng.nextUnitFloat() - 0.5 }
    var ratios: [Double] = [], rates: [Double] = [], cpuRatios: [Double] = [], fwd: [Double] = [], bwd: [Double] = []
    var cpuFwd: [Double] = [], cpuBwd: [Double] = []
    for rep in 0..<args.reps + 1 {
        MACCounter.reset()
        let t0 = now(), c0 = cpuSeconds()
        _ = conv.forward(x)
        let t1 = now(), cMid = cpuSeconds()
        GradientPool.give(conv.backward(dy))
        let t = now() - t0, c = cpuSeconds() - c0
        if rep > 0 { fwd.append(t1 - t0); bwd.append(t - (t1 - t0)); cpuFwd.append(cMid - c0); cpuBwd.append(c - (cMid - c0)) }
        let flops = 6 * Double(MACCounter.forward)
        // --no-sgemm: no reference multiply between the passes (profiling the layer alone); the ratios are then 0.
        let c1 = cpuSeconds()
        let s = args.noSgemm ? .infinity : measureSgemm(threads: threads, size: 2048, repeats: 1)
        let sc = args.noSgemm ? .infinity : cpuSeconds() - c1
        Threads.set(threads)
        // Per CPU-second rates are insensitive to being descheduled on a shared machine.
        let sgemmFlops = 2.0 * 2048 * 2048 * 2048 * 2  // warm-up call + timed call inside measureSgemm
        if rep > 0 { rates.append(flops / t / 1e9); ratios.append(flops / t / 1e9 / s); cpuRatios.append((flops / c) / (sgemmFlops / sc)) }
    }
    print(String(format: "bench conv %dx%d %d->%d k%d s%d b%d precision=%@ algo=%@/%@/%@ fwd_ms=%.2f bwd_ms=%.2f cpu_fwd_ms=%.2f cpu_bwd_ms=%.2f gflops=%.1f fraction_of_sgemm=%.3f cpu_time_fraction=%.3f block_floats=%d",
                 hw, hw, cin, cout, k, st, b, precision.resolved.description, conv.algorithm.description, conv.inputGradientAlgorithm.description, conv.weightGradientAlgorithm.description,
                 median(fwd) * 1000, median(bwd) * 1000, median(cpuFwd) * 1000, median(cpuBwd) * 1000, median(rates), median(ratios), median(cpuRatios), ConvolutionTuning.blockFloats))
}

/// dfl-bench checkpoint: one training step on random data, then save (format check).
func checkpointCommand(_ args: BenchCheckpoint) throws {
    let ch = args.channels
    let config = try ModelConfig(args.config, channels: ch)
    let model = SAEHDModel(config: config, seed: 1)
    let data = TrainingBatch(batch: 1, resolution: config.resolution, channels: ch)
    data.fillRandom(seed: 2)
    let losses = model.trainStep(data)
    try model.save(to: args.path)
    print(String(format: "bench checkpoint %@ ch=%d path=%@ tensors=%d src_loss=%.4f", config.description, ch, args.path,
                 model.parameters.count * 3, losses.srcMean))
}

/// Runs this program again with OPENBLAS_THREAD_TIMEOUT=4 when the variable is unset (see the header).
func restartWithShortBLASPolling() {
    guard getenv("OPENBLAS_THREAD_TIMEOUT") == nil else { return }
    setenv("OPENBLAS_THREAD_TIMEOUT", "4", 1)
    execv("/proc/self/exe", CommandLine.unsafeArgv)
    // execv returns only when it failed: measure as things are.
}

restartWithShortBLASPolling()
DFLBench.runAsTool()
