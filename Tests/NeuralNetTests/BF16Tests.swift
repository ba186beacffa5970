import XCTest
import CBF16
@testable import NeuralNet

/// The bf16 precision (`MatmulPrecision.bf16`): operands rounded to bfloat16 (nearest even), fp32 accumulation.
///
/// - The kernels against a float64 product of the bf16-rounded operands (rounded here by an independent
///   Swift implementation): the sequential fp32 sum of k exact products is within k·2⁻²⁴ · Σ|terms| of it
///   (the classic bound γ_k for recursive summation), which leaves no room for a wrong rounding of the
///   operands (2⁻⁹ relative) or a lost term.
/// - The AVX512-BF16 kernel is bit-identical to the portable one (same order of additions; run only where
///   the CPU has AVX512-BF16).
/// - Layers whose GEMM operands are the layer's own tensors (im2col convolutions, dense): bf16 mode equals
///   fp32 mode run on operands rounded beforehand, to fp32 accumulation error (1e-5 normwise).
/// - Winograd layers (the rounding hits the transformed tiles) against the direct float64 convolution, with
///   the per-element error measure of WinogradTests (relative to Σ|x·w|): F(2×2) < 1e-2, F(4×4) < 6e-2.
/// - A small net's bf16 gradients against finite differences of its fp32 objective (bf16 is a
///   perturbation of the fp32 function, so the numeric side runs in fp32), normwise per tensor: 2e-2 with
///   dense or F(2×2) convolutions, 1e-1 with F(4×4).
final class BF16Tests: XCTestCase {
    override func tearDown() {
        MatmulPrecision.global = .fp32
        MatmulPrecision.forcePortableKernel = false
        ConvolutionSelection.choice = .fast
        ConvolutionSelection.polyphase = true
    }

    /// The kernels this CPU can run.
    static var kernels: [MatmulKernel] { MatmulPrecision.hardwareBF16 ? [.bf16Portable, .bf16AVX512] : [.bf16Portable] }

    /// fp32 → bf16 → fp32, round to nearest even, written from the definition (NaN stays NaN; the kernels
    /// also flush fp32 denormals to zero, as VCVTNEPS2BF16 does).
    static func referenceRound(_ x: Float) -> Float {
        if x.isNaN { return x }
        if x.isSubnormal { return x.sign == .minus ? -0.0 : 0.0 }
        let bits = x.bitPattern
        let low = bits & 0xffff, high = bits >> 16
        let up = low > 0x8000 || (low == 0x8000 && high & 1 == 1)
        return Float(bitPattern: (up ? high + 1 : high) << 16)
    }

    static func random(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var rng = SeededRNG(seed: seed)
        return (0..<count).map { _ in (rng.nextUnitFloat() * 2 - 1) * scale }
    }

    // MARK: - Kernels

    func testRoundingIsNearestEvenOnBothKernels() {
        var values: [Float] = [0, -0.0, 1, -1, .infinity, -.infinity, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                               .leastNormalMagnitude, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
                               Float(bitPattern: 0x3f80_8000), Float(bitPattern: 0x3f81_8000), Float(bitPattern: 0x3f80_8001),
                               Float(bitPattern: 0x3f80_7fff), Float(bitPattern: 0x7f7f_8000), Float(bitPattern: 0x0080_0000)]
        var rng = SeededRNG(seed: 3)
        for _ in 0..<4000 { values.append(Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))) }
        for kernel in Self.kernels {
            var out = [Float](repeating: 0, count: values.count)
            roundToBF16(values, &out, count: values.count, kernel: kernel)
            for (x, y) in zip(values, out) {
                let want = Self.referenceRound(x)
                if x.isNaN { XCTAssertTrue(y.isNaN, "\(kernel) \(x.bitPattern)"); continue }
                XCTAssertEqual(y.bitPattern, want.bitPattern, "\(kernel): \(String(x.bitPattern, radix: 16))")
            }
        }
        // Ties go to even, overflow goes to infinity.
        XCTAssertEqual(Self.referenceRound(Float(bitPattern: 0x3f80_8000)).bitPattern, 0x3f80_0000)
        XCTAssertEqual(Self.referenceRound(Float(bitPattern: 0x3f81_8000)).bitPattern, 0x3f82_0000)
        XCTAssertEqual(Self.referenceRound(.greatestFiniteMagnitude), .infinity)
    }

    /// Shapes: tails of every blocking (m, n off the panel sizes, odd k, k over one 256-element block, n over
    /// one 512-column block), every transpose, beta 0 and 1; rows of one value (k 1, rows adjacent: a 1×1
    /// convolution's input gradient with one output channel, converted 16 rows at a time, with a tail) and of
    /// 16 (the forward pass of a 1×1 convolution with 16 input channels and one output).
    static let shapes: [(m: Int, n: Int, k: Int, ta: Bool, tb: Bool, beta: Float)] = [
        (1, 1, 1, false, false, 0), (7, 5, 3, false, false, 1), (37, 70, 91, false, true, 0), (100, 64, 128, true, false, 1),
        (33, 130, 301, true, true, 0), (300, 16, 64, false, false, 1), (13, 48, 1000, false, false, 0),
        (97, 600, 40, false, false, 1), (25, 33, 257, true, false, 0), (8, 200, 513, false, true, 1),
        (1003, 16, 1, false, false, 1), (45, 3, 1, false, true, 0), (203, 1, 16, false, false, 0),
    ]

    func testKernelsMatchFloat64ProductOfRoundedOperands() {
        for kernel in Self.kernels {
            for (s, (m, n, k, ta, tb, beta)) in Self.shapes.enumerated() {
                let a = Self.random(m * k, seed: UInt64(s * 3 + 1)), b = Self.random(k * n, seed: UInt64(s * 3 + 2))
                let c0 = Self.random(m * n, seed: UInt64(s * 3 + 3))
                var c = c0
                let lda = ta ? m : k, ldb = tb ? k : n
                matmul(kernel, transA: ta, transB: tb, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: &c, ldc: n)
                let ar = a.map(Self.referenceRound), br = b.map(Self.referenceRound)
                var worst = 0.0
                for i in 0..<m {
                    for j in 0..<n {
                        var sum = Double(beta) * Double(c0[i * n + j]), scale = abs(sum)
                        for kk in 0..<k {
                            let p = Double(ta ? ar[kk * lda + i] : ar[i * lda + kk]) * Double(tb ? br[j * ldb + kk] : br[kk * ldb + j])
                            sum += p; scale += abs(p)
                        }
                        let bound = Double(k + 1) * 0x1p-24 * scale + 1e-30
                        worst = max(worst, abs(Double(c[i * n + j]) - sum) / bound)
                    }
                }
                XCTAssertLessThanOrEqual(worst, 1, "\(kernel) m\(m) n\(n) k\(k) ta\(ta) tb\(tb) beta\(beta): error / bound")
            }
        }
    }

    func testAVX512KernelIsBitIdenticalToPortable() throws {
        try XCTSkipUnless(MatmulPrecision.hardwareBF16, "no AVX512-BF16 on this CPU")
        let shapes = Self.shapes + [(512, 64, 128, false, false, 0), (4096, 16, 36, false, false, 1), (64, 1024, 600, true, false, 1),
                                    (300, 96, 1152, false, true, 0), (16, 576, 4608, false, false, 0)]
        for (s, (m, n, k, ta, tb, beta)) in shapes.enumerated() {
            let a = Self.random(m * k, seed: UInt64(s + 10), scale: 3), b = Self.random(k * n, seed: UInt64(s + 20))
            let c0 = Self.random(m * n, seed: UInt64(s + 30))
            var fast = c0, portable = c0
            matmul(.bf16AVX512, transA: ta, transB: tb, m: m, n: n, k: k, a: a, lda: ta ? m : k, b: b, ldb: tb ? k : n,
                 beta: beta, c: &fast, ldc: n)
            matmul(.bf16Portable, transA: ta, transB: tb, m: m, n: n, k: k, a: a, lda: ta ? m : k, b: b, ldb: tb ? k : n,
                 beta: beta, c: &portable, ldc: n)
            let differing = zip(fast, portable).filter { $0.bitPattern != $1.bitPattern }.count
            XCTAssertEqual(differing, 0, "m\(m) n\(n) k\(k) ta\(ta) tb\(tb) beta\(beta)")
        }
    }

    /// A product of fewer than 16 columns with a transposed A runs as its transpose
    /// (`dfl_bf16_set_transpose_narrow`): the same bits as the untransposed product, and the bits of the
    /// documented order computed here (start from 0 or C, then per k pair the product of element 2p+1, then of
    /// element 2p, each added in fp32). Shapes: one column into C itself (ldc 1) and into a strided C, 2–15
    /// columns, both B layouts, beta 0 and 1, k over one 256-element block, odd k, the weight gradients of 1×1
    /// convolutions with one output channel and of the 64→4 image head; and products that keep their own
    /// layout (A not transposed, 16 columns, m ≤ n), among them one column from a plain A, which the AVX512
    /// kernel runs with rows in the lanes.
    func testNarrowProductsRunAsTheirTransposeWithTheSameBits() {
        defer { dfl_bf16_set_transpose_narrow(1) }
        let shapes: [(m: Int, n: Int, k: Int, ta: Bool, tb: Bool, beta: Float, ldc: Int)] = [
            (1000, 1, 32, true, false, 0, 1), (300, 1, 17, true, true, 1, 3), (77, 3, 600, true, false, 1, 5),
            (520, 15, 9, true, false, 0, 15), (40, 7, 301, true, true, 1, 7), (32, 1, 4096, true, false, 1, 1),
            (576, 4, 2304, true, false, 0, 4), (2, 1, 3, true, false, 1, 1),
            (1000, 1, 32, false, false, 0, 1), (17, 16, 5, true, false, 0, 16), (3, 5, 40, true, true, 1, 5),
            // One column from a plain A (rows in the lanes, `gemv_avx512`): runs of 16 pairs and a tail, a strided
            // C, beta 1, both B layouts; and one row of a transposed A that is a run in memory.
            (1000, 1, 77, false, false, 1, 3), (37, 1, 16, false, true, 0, 1), (16, 1, 64, false, false, 1, 1),
            (1, 16, 1001, true, false, 1, 16), (1, 5, 300, true, true, 0, 5),
        ]
        for kernel in Self.kernels {
            for (s, (m, n, k, ta, tb, beta, ldc)) in shapes.enumerated() {
                let a = Self.random(m * k, seed: UInt64(s + 70), scale: 2), b = Self.random(k * n, seed: UInt64(s + 80))
                let c0 = Self.random(m * ldc, seed: UInt64(s + 90))
                let lda = ta ? m : k, ldb = tb ? k : n
                var results: [[Float]] = []
                for transpose in [Int32(1), 0] {
                    dfl_bf16_set_transpose_narrow(transpose)
                    var c = c0
                    matmul(kernel, transA: ta, transB: tb, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta,
                           c: &c, ldc: ldc)
                    results.append(c)
                }
                XCTAssertEqual(results[0].map(\.bitPattern), results[1].map(\.bitPattern),
                               "\(kernel) m\(m) n\(n) k\(k) ta\(ta) tb\(tb) beta\(beta): transposed vs not")
                var want = c0
                for i in 0..<m {
                    for j in 0..<n {
                        func term(_ kk: Int) -> Float {
                            guard kk < k else { return 0 }
                            let x = Self.referenceRound(ta ? a[kk * lda + i] : a[i * lda + kk])
                            return x * Self.referenceRound(tb ? b[j * ldb + kk] : b[kk * ldb + j])
                        }
                        var acc: Float = beta == 0 ? 0 : c0[i * ldc + j]
                        for p in 0..<((k + 1) / 2) {
                            acc = acc + term(2 * p + 1)
                            acc = acc + term(2 * p)
                        }
                        want[i * ldc + j] = acc
                    }
                }
                XCTAssertEqual(results[0].map(\.bitPattern), want.map(\.bitPattern),
                               "\(kernel) m\(m) n\(n) k\(k) ta\(ta) tb\(tb) beta\(beta): against the documented order")
            }
        }
    }

    /// The Winograd entry points (operands already bf16: row-major A with a packed B, both k-major) against
    /// the generic bf16 GEMM on the same values: bit-identical (the same pairs, added in the same order).
    func testPrepackedAndKMajorEntryPointsEqualGenericGEMM() {
        for kernel in Self.kernels {
            for (s, (m, n, k)) in [(1, 1, 1), (37, 70, 91), (64, 64, 64), (130, 33, 300), (13, 600, 520)].enumerated() {
                let a = Self.random(m * k, seed: UInt64(s + 40)), b = Self.random(k * n, seed: UInt64(s + 50))
                // Rows: A (m × k) as pair words, rows of ⌈k/2⌉ words (odd k padded with a zero); B packed.
                let words = (k + 1) / 2
                var aw = [UInt32](repeating: 0, count: m * words)
                for i in 0..<m { for kk in 0..<k { aw[i * words + kk / 2] |= bf16Bits(a[i * k + kk]) << (16 * UInt32(kk % 2)) } }
                var packed = [UInt32](repeating: 0, count: dfl_bf16_packed_words(Int32(k), Int32(n)))
                dfl_bf16_pack_b(kernel.code, 0, Int32(k), Int32(n), b, Int32(n), &packed)
                var rows = [Float](repeating: 0, count: m * n), generic = rows
                matmulRows(kernel, m: m, n: n, k: k, a: aw, ldaWords: words, packedB: packed, beta: 0, c: &rows, ldc: n)
                matmul(kernel, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, beta: 0, c: &generic, ldc: n)
                XCTAssertEqual(rows.map(\.bitPattern), generic.map(\.bitPattern), "\(kernel) rows m\(m) n\(n) k\(k)")
                // K-major: C (m × n) += Xᵀ · Y for X (k × m), Y (k × n), both stored with k pairs interleaved.
                let x = a, y = b   // read as (k × m) and (k × n)
                var xw = [UInt32](repeating: 0, count: words * m), yw = [UInt32](repeating: 0, count: words * n)
                for kk in 0..<k {
                    for i in 0..<m { xw[(kk / 2) * m + i] |= bf16Bits(x[kk * m + i]) << (16 * UInt32(kk % 2)) }
                    for j in 0..<n { yw[(kk / 2) * n + j] |= bf16Bits(y[kk * n + j]) << (16 * UInt32(kk % 2)) }
                }
                let c0 = Self.random(m * n, seed: UInt64(s + 60))
                var kmajor = c0, transposed = c0
                matmulKMajor(kernel, m: m, n: n, pairs: words, a: xw, strideA: m, b: yw, strideB: n, beta: 1, c: &kmajor, ldc: n)
                matmul(kernel, transA: true, m: m, n: n, k: k, a: x, lda: m, b: y, ldb: n, beta: 1, c: &transposed, ldc: n)
                XCTAssertEqual(kmajor.map(\.bitPattern), transposed.map(\.bitPattern), "\(kernel) k-major m\(m) n\(n) k\(k)")
            }
        }
    }

    /// The bf16 forward's filter transform, written straight into the packed layout, equals the fp32 transform
    /// packed by `dfl_bf16_pack_b` word for word (odd channel counts, columns off the panel width, several
    /// column and k blocks), with the Swift transform and, where the CPU has AVX512-BF16, CBF16's twin. So does
    /// the input gradient's transform of the rotated, channel-exchanged filter (AVX512 only) against the flipped
    /// copy transformed and packed. The output is 64-byte aligned, as the workspace's is, so the large cases take
    /// the streaming stores.
    func testPackedFilterTransformEqualsTransformThenPack() {
        for tile in [WinogradTile.f2, .f4] {
            for (cin, cout) in [(1, 1), (3, 12), (17, 40), (64, 88), (301, 600), (520, 96), (96, 520)] {
                let w = Self.random(9 * cin * cout, seed: UInt64(cin * 7 + cout))
                var flipped = [Float](repeating: 0, count: w.count)   // tap t, (o, i) = w tap 8 - t, (i, o)
                for t in 0..<9 { for i in 0..<cin { for o in 0..<cout { flipped[(t * cout + o) * cin + i] = w[((8 - t) * cin + i) * cout + o] } } }
                for flip in [false, true] {
                    let k = flip ? cout : cin, n = flip ? cin : cout
                    let a2 = tile.alpha * tile.alpha, words = dfl_bf16_packed_words(Int32(k), Int32(n))
                    var u = [Float](repeating: 0, count: a2 * k * n)
                    WinogradConvolution.transformFilter(tile, weight: flip ? flipped : w, cin: k, cout: n, u: &u)
                    var want = [UInt32](repeating: 0, count: a2 * words)
                    for xi in 0..<a2 {
                        u.withUnsafeBufferPointer { ub in
                            want.withUnsafeMutableBufferPointer { wb in
                                dfl_bf16_pack_b(MatmulKernel.bf16Portable.code, 0, Int32(k), Int32(n), ub.baseAddress! + xi * k * n,
                                                Int32(n), wb.baseAddress! + xi * words)
                            }
                        }
                    }
                    let got = UnsafeMutableRawPointer.allocate(byteCount: 4 * want.count, alignment: 64)
                    defer { got.deallocate() }
                    for kernel in Self.kernels where !flip || kernel == .bf16AVX512 {
                        got.initializeMemory(as: UInt8.self, repeating: 0, count: 4 * want.count)  // padding past n is never written
                        if flip {
                            WinogradConvolution.transformFlippedFilterPacked(tile, weight: w, cin: cin, cout: cout, packed: got,
                                                                             packedWords: words)
                        } else {
                            WinogradConvolution.transformFilterPacked(tile, weight: w, cin: cin, cout: cout, packed: got,
                                                                      packedWords: words, kernel: kernel)
                        }
                        let result = Array(UnsafeBufferPointer(start: got.assumingMemoryBound(to: UInt32.self), count: want.count))
                        let first = result.indices.first { result[$0] != want[$0] }
                        XCTAssertNil(first, "\(kernel) \(tile) \(cin)->\(cout) flipped \(flip): first different word")
                    }
                }
            }
        }
    }

    /// The Swift rounding the Winograd transforms use (8 lanes and scalar) gives the C kernels' bits.
    func testSwiftRoundingEqualsKernelRounding() {
        var values: [Float] = [0, -0.0, .infinity, -.infinity, .nan, -.nan, .greatestFiniteMagnitude, .leastNonzeroMagnitude,
                               -.leastNormalMagnitude, Float(bitPattern: 0x3f80_8000), Float(bitPattern: 0x3f81_8000),
                               Float(bitPattern: 0x7f80_0001), Float(bitPattern: 0xffbf_ffff)]
        var rng = SeededRNG(seed: 9)
        for _ in 0..<8003 { values.append(Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))) }
        var want = [UInt16](repeating: 0, count: values.count)
        dfl_bf16_words(values, &want, values.count)
        for i in 0..<values.count {
            XCTAssertEqual(UInt16(bf16Bits(values[i])), want[i], "scalar \(String(values[i].bitPattern, radix: 16))")
        }
        for i in stride(from: 0, to: values.count - 7, by: 8) {
            let v = SIMD8<Float>(values[i..<(i + 8)])
            let bits = bf16Bits(v)
            for l in 0..<8 { XCTAssertEqual(UInt16(bits[l]), want[i + l], "lane \(String(values[i + l].bitPattern, radix: 16))") }
        }
    }

    /// Whole Winograd layers (forward, input gradient, weight gradient; F(2×2), F(4×4), the polyphase rewrite;
    /// whole-batch and per-block paths, plane strides padded by `WinogradConvolution.skewed` or not) on the
    /// AVX512-BF16 kernel are bit-identical to the portable kernel.
    func testWinogradLayersAreBitIdenticalAcrossKernels() throws {
        try XCTSkipUnless(MatmulPrecision.hardwareBF16, "no AVX512-BF16 on this CPU")
        MatmulPrecision.global = .bf16
        for choice in [ConvAlgorithmChoice.f2, .f4] {
            ConvolutionSelection.choice = choice
            for (n, h, cin, cout, k, stride) in [(2, 7, 9, 5, 3, 1), (2, 24, 32, 48, 3, 1), (4, 48, 17, 24, 3, 1), (2, 16, 16, 24, 5, 2),
                                                 (8, 48, 32, 96, 3, 1)] {
                var results: [[[Float]]] = []
                for portable in [false, true] {
                    MatmulPrecision.forcePortableKernel = portable
                    var rng = SeededRNG(seed: UInt64(h))
                    let conv = Conv2D(name: "c", inChannels: cin, outChannels: cout, kernel: k, stride: stride,
                                      activation: .leakyReLU(0.1), workspace: Workspace(), rng: &rng)
                    let x = GradientCheck.random([n, h, h, cin], seed: 1)
                    let y = conv.forward(x)
                    let dy = GradientCheck.random(y.shape, seed: 2)
                    let r = Self.pass(conv, x, dy)
                    results.append([r.y, r.dx, r.grads[0], r.grads[1]])
                }
                for (what, i) in [("y", 0), ("dx", 1), ("dW", 2), ("db", 3)] {
                    XCTAssertEqual(results[0][i].map(\.bitPattern), results[1][i].map(\.bitPattern),
                                   "\(choice) \(n)x\(h)x\(h) \(cin)->\(cout) k\(k)s\(stride) \(what)")
                }
            }
        }
    }

    /// The bf16 Winograd weight gradient adds its tile pairs in order whatever the chunking, and each output
    /// channel's sums do not depend on the block of channels it is formed in: one chunk (the default for these
    /// sizes), chunks of 128 tiles, and blocks of 8 output channels give the same bits, on each kernel.
    func testWinogradWeightGradientIsIndependentOfChunking() {
        MatmulPrecision.global = .bf16
        let savedChunk = WinogradConvolution.weightGradientChunkFloats
        let savedColumns = WinogradConvolution.weightGradientColumns
        defer {
            WinogradConvolution.weightGradientChunkFloats = savedChunk
            WinogradConvolution.weightGradientColumns = savedColumns
        }
        for kernel in Self.kernels {
            MatmulPrecision.forcePortableKernel = kernel == .bf16Portable
            for choice in [ConvAlgorithmChoice.f2, .f4] {
                ConvolutionSelection.choice = choice
                var grads: [[Float]] = []
                // 1 float: the 128-tile floor, 5 chunks of 24×24 b4 with F2, 2 with F4; 8 columns: blocks 8, 8, 1.
                for (chunkFloats, columns) in [(savedChunk, savedColumns), (1, savedColumns), (savedChunk, 8)] {
                    WinogradConvolution.weightGradientChunkFloats = chunkFloats
                    WinogradConvolution.weightGradientColumns = columns
                    var rng = SeededRNG(seed: 9)
                    let conv = Conv2D(name: "c", inChannels: 24, outChannels: 17, kernel: 3, workspace: Workspace(), rng: &rng)
                    let x = GradientCheck.random([4, 24, 24, 24], seed: 3)
                    let dy = GradientCheck.random([4, 24, 24, 17], seed: 4)
                    grads.append(Self.pass(conv, x, dy).grads[0])
                }
                XCTAssertEqual(grads[0].map(\.bitPattern), grads[1].map(\.bitPattern), "\(kernel) \(choice) chunks")
                XCTAssertEqual(grads[0].map(\.bitPattern), grads[2].map(\.bitPattern), "\(kernel) \(choice) column blocks")
            }
        }
    }

    func testPrecisionResolution() {
        XCTAssertEqual(MatmulPrecision.fp32.resolved, .fp32)
        XCTAssertEqual(MatmulPrecision.auto.resolved, MatmulPrecision.hardwareBF16 ? .bf16AVX512 : .fp32)
        XCTAssertTrue(MatmulPrecision.bf16.resolved.isBF16)
        MatmulPrecision.forcePortableKernel = true
        XCTAssertEqual(MatmulPrecision.bf16.resolved, .bf16Portable)
        let ws = Workspace()
        XCTAssertEqual(ws.matmulKernel, MatmulPrecision.global.resolved)
        ws.precision = .bf16
        XCTAssertEqual(ws.matmulKernel, .bf16Portable)
    }

    // MARK: - Layers

    static func normwise(_ a: [Float], _ b: [Float]) -> Double {
        var d = 0.0, s = 0.0
        for (x, y) in zip(a, b) { d += Double(x - y) * Double(x - y); s += Double(y) * Double(y) }
        return (d / max(s, 1e-300)).squareRoot()
    }

    static func rounded(_ t: Tensor) -> Tensor {
        let r = Tensor(shape: t.shape)
        roundToBF16(t.data, r.data, count: t.count)
        return r
    }

    /// Runs forward and backward of `layer` at `x`, `dy`: (y, dx, parameter gradients).
    static func pass(_ layer: Layer, _ x: Tensor, _ dy: Tensor) -> (y: [Float], dx: [Float], grads: [[Float]]) {
        for p in layer.parameters { p.grad.zero() }
        let y = layer.forward(x).array
        let dx = layer.backward(dy)
        let out = (y, dx.array, layer.parameters.map { $0.grad.array })
        GradientPool.give(dx)
        return out
    }

    /// im2col convolutions (3×3 stride 1, 5×5 stride 2, 1×1, pixel-shuffled, a narrow head) and a dense layer: in bf16 mode,
    /// y, dx and dW equal the fp32 pass on operands rounded to bf16 first (x and W for y, W and dy for dx,
    /// x and dy for dW), to 1e-5 normwise; the bias gradient (an fp32 reduction of dy) equals fp32 mode's
    /// exactly. And bf16 mode differs from plain fp32 by more than 1e-4 (the operands were rounded).
    func testIm2colAndDenseLayersEqualFP32OnRoundedOperands() {
        ConvolutionSelection.choice = .dense
        for kernel in Self.kernels {
            MatmulPrecision.forcePortableKernel = kernel == .bf16Portable
            var rng = SeededRNG(seed: 5)
            let ws = Workspace()
            let layers: [(String, Layer, [Int])] = [
                ("conv3x3", Conv2D(name: "a", inChannels: 12, outChannels: 20, kernel: 3, workspace: ws, rng: &rng), [2, 9, 7, 12]),
                ("conv5x5s2", Conv2D(name: "b", inChannels: 6, outChannels: 10, kernel: 5, stride: 2, workspace: ws, rng: &rng), [2, 10, 8, 6]),
                ("conv1x1", Conv2D(name: "c", inChannels: 16, outChannels: 8, kernel: 1, workspace: ws, rng: &rng), [3, 5, 5, 16]),
                ("upscale", Conv2D(name: "d", inChannels: 8, outChannels: 16, kernel: 3, pixelShuffle: true, workspace: ws, rng: &rng), [2, 6, 5, 8]),
                ("dense", Dense(name: "e", inFeatures: 300, outFeatures: 70, rng: &rng), [6, 300]),
                // A narrow head (4 outputs from 24 inputs): under bf16 both gradients come from dY's columns
                // (`Im2colConvolution.gradientsFromOutputColumns`), over two row blocks on two threads.
                ("head", Conv2D(name: "f", inChannels: 24, outChannels: 4, kernel: 3, workspace: ws, rng: &rng), [4, 24, 20, 24]),
            ]
            for (name, layer, shape) in layers {
                let x = GradientCheck.random(shape, seed: 11)
                let y0 = layer.forward(x)
                let dy = GradientCheck.random(y0.shape, seed: 12)
                let weight = layer.parameters[0].value
                let saved = weight.array

                MatmulPrecision.global = .bf16
                let bf = Self.pass(layer, x, dy)
                MatmulPrecision.global = .fp32
                let fp = Self.pass(layer, x, dy)
                // The fp32 pass on rounded operands: y from (x̃, W̃); dx from (W̃, dỹ); dW from (x̃, dỹ).
                let xr = Self.rounded(x), dyr = Self.rounded(dy)
                weight.copy(from: Self.rounded(weight))
                let refY = Self.pass(layer, xr, dyr)
                weight.buffer.update(fromContentsOf: saved)
                let refW = Self.pass(layer, xr, dyr)   // dW needs only x̃ and dỹ; W is back to unrounded

                XCTAssertLessThan(Self.normwise(bf.y, refY.y), 1e-5, "\(kernel) \(name) y")
                XCTAssertLessThan(Self.normwise(bf.dx, refY.dx), 1e-5, "\(kernel) \(name) dx")
                XCTAssertLessThan(Self.normwise(bf.grads[0], refW.grads[0]), 1e-5, "\(kernel) \(name) dW")
                XCTAssertEqual(bf.grads[1], fp.grads[1], "\(kernel) \(name) bias gradient")
                XCTAssertGreaterThan(Self.normwise(bf.y, fp.y), 1e-4, "\(kernel) \(name): bf16 mode did not round")
                XCTAssertGreaterThan(Self.normwise(bf.grads[0], fp.grads[0]), 1e-4, "\(kernel) \(name): dW not rounded")
            }
        }
    }

    /// Winograd F(2×2) and F(4×4) layers in bf16 mode (forward with bias, input gradient, weight gradient)
    /// against the direct float64 convolution, per element relative to Σ|x·w| (WinogradTests' measure).
    /// Measured maxima on these shapes: F(2×2) 3.5e-3, F(4×4) 3.4e-2 (fp32: 2e-7 and 1e-6): F(4×4)'s output
    /// transform (weights up to 8) amplifies the 2⁻⁹ rounding of the transformed tiles about 10×. Also the
    /// polyphase 5×5 stride-2 rewrite (F(4×4) GEMMs) against fp32 mode, normwise: measured 1.9e-2 (y, dW),
    /// 3.1e-2 (dx); bound 6e-2.
    func testWinogradLayersInBF16AgainstDirectReference() {
        let tolerance: [ConvAlgorithmChoice: Double] = [.f2: 1e-2, .f4: 6e-2]
        MatmulPrecision.global = .bf16
        for kernel in Self.kernels {
            MatmulPrecision.forcePortableKernel = kernel == .bf16Portable
            for choice in [ConvAlgorithmChoice.f2, .f4] {
                ConvolutionSelection.choice = choice
                for (n, h, w, cin, cout) in [(2, 5, 7, 9, 4), (1, 13, 6, 24, 16), (2, 12, 12, 64, 48), (4, 16, 16, 32, 64),
                                             (4, 3, 3, 32, 64)] {
                    var rng = SeededRNG(seed: UInt64(h * 10 + w))
                    let conv = Conv2D(name: "c", inChannels: cin, outChannels: cout, kernel: 3, workspace: Workspace(), rng: &rng)
                    for i in 0..<cout { conv.bias.value.data[i] = Float(i % 7) * 0.1 - 0.3 }
                    let x = GradientCheck.random([n, h, w, cin], seed: 1)
                    let y = conv.forward(x)
                    XCTAssertNotNil(conv.algorithm.winogradTile)
                    let fwd = WinogradTests.worstError(y, x, conv.weight.value.data, bias: conv.bias.value.array, interior: h * w)
                    let dy = GradientCheck.random(y.shape, seed: 2)
                    conv.weight.grad.zero()
                    let dx = conv.backward(dy)
                    let dw = WinogradTests.worstWeightGradientError(conv.weight.grad, x, dy)
                    let f = WinogradTests.flipped(conv.weight.value, cin: cin, cout: cout)
                    let bwd = f.withUnsafeBufferPointer { WinogradTests.worstError(dx, dy, $0.baseAddress!, bias: nil, interior: h * w) }
                    let tag = "\(kernel) \(choice) \(n)x\(h)x\(w) \(cin)->\(cout)"
                    XCTAssertLessThan(fwd, tolerance[choice]!, "forward \(tag)")
                    XCTAssertLessThan(bwd, tolerance[choice]!, "dx \(tag)")
                    XCTAssertLessThan(dw, tolerance[choice]!, "dW \(tag)")
                    // Well above fp32's error: the multiplies did run in bf16.
                    XCTAssertGreaterThan(max(fwd, bwd, dw), 1e-4, "bf16 not used? \(tag)")
                    GradientPool.give(dx)
                }
            }
            // Polyphase 5×5 stride 2 (F(4×4) on the rewrite) against fp32 mode.
            ConvolutionSelection.choice = .f4
            var rng = SeededRNG(seed: 8)
            let down = Conv2D(name: "d", inChannels: 16, outChannels: 24, kernel: 5, stride: 2, workspace: Workspace(), rng: &rng)
            let x = GradientCheck.random([2, 16, 16, 16], seed: 3)
            let dy = GradientCheck.random([2, 8, 8, 24], seed: 4)
            MatmulPrecision.global = .bf16
            let bf = Self.pass(down, x, dy)
            MatmulPrecision.global = .fp32
            let fp = Self.pass(down, x, dy)
            MatmulPrecision.global = .bf16
            for (what, a, b) in [("y", bf.y, fp.y), ("dx", bf.dx, fp.dx), ("dW", bf.grads[0], fp.grads[0])] {
                let e = Self.normwise(a, b)
                XCTAssertLessThan(e, 6e-2, "\(kernel) polyphase \(what)")
                XCTAssertGreaterThan(e, 1e-4, "\(kernel) polyphase \(what): not bf16?")
            }
        }
    }

    /// The fast choice under bf16 (`ConvolutionSelection.bf16Algorithm`): F(2×2) on 3×3 images of 16 channels
    /// or more, and where F(4×4) would have fewer than 64 tiles; fp32 keeps the shape rule.
    func testFastChoiceUnderBF16MovesSmallLayersToF2() {
        ConvolutionSelection.choice = .fast
        let cases: [(n: Int, side: Int, cin: Int, fp32: ConvAlgorithm, bf16: ConvAlgorithm)] = [
            (4, 3, 32, .dense, .winogradF2), (4, 3, 8, .dense, .dense), (4, 12, 32, .winogradF4, .winogradF2),
            (3, 16, 32, .winogradF4, .winogradF2), (4, 16, 32, .winogradF4, .winogradF4), (8, 12, 32, .winogradF4, .winogradF4),
            (1, 48, 32, .winogradF4, .winogradF4), (4, 6, 32, .winogradF2, .winogradF2),
        ]
        for (n, side, cin, fp32, bf16) in cases {
            for (precision, want) in [(MatmulPrecision.fp32, fp32), (.bf16, bf16)] {
                MatmulPrecision.global = precision
                var rng = SeededRNG(seed: 9)
                let conv = Conv2D(name: "c", inChannels: cin, outChannels: 16, kernel: 3, workspace: Workspace(), rng: &rng)
                _ = conv.forward(GradientCheck.random([n, side, side, cin], seed: 3))
                XCTAssertEqual(conv.algorithm, want, "\(precision) \(n)x\(side)x\(side) \(cin)->16")
            }
        }
    }

    /// A small net (3×3 convolution with leaky ReLU, 5×5 stride 2, dense) in bf16: its analytic gradients in
    /// bf16 mode against central differences of the fp32 objective Σ y·r, normwise over 12 probes per tensor
    /// (kinks skipped). Measured: dense convolutions ≤ 8e-3, F(2×2) ≤ 1.5e-2, F(4×4) ≤ 6.5e-2 (the input
    /// gradient); bounds 2e-2, 2e-2, 1e-1.
    func testSmallNetGradientsInBF16MatchFiniteDifferencesOfFP32() {
        // F(4×4) by name: at 18 tiles the fast choice gives this layer F(2×2) under bf16 (`bf16Algorithm`).
        for (choice, tolerance) in [(ConvAlgorithmChoice.dense, 2e-2), (.f2, 2e-2), (.f4, 1e-1)] {
        ConvolutionSelection.choice = choice
        for kernel in Self.kernels {
            MatmulPrecision.forcePortableKernel = kernel == .bf16Portable
            var rng = SeededRNG(seed: 21)
            let ws = Workspace()
            let conv = Conv2D(name: "a", inChannels: 16, outChannels: 16, kernel: 3, activation: .leakyReLU(0.1), workspace: ws, rng: &rng)
            let down = Conv2D(name: "b", inChannels: 16, outChannels: 8, kernel: 5, stride: 2, workspace: ws, rng: &rng)
            let flat = FlattenCHW()
            let dense = Dense(name: "c", inFeatures: 8 * 6 * 6, outFeatures: 10, rng: &rng)
            let net: [Layer] = [conv, down, flat, dense]
            let x = GradientCheck.random([2, 12, 12, 16], seed: 1)
            func forward() -> Tensor { net.reduce(x) { $1.forward($0) } }
            let r = GradientCheck.random([2, 10], seed: 2)
            MatmulPrecision.global = .bf16
            for l in net { for p in l.parameters { p.grad.zero() } }
            _ = forward()
            XCTAssertEqual(conv.algorithm, choice == .dense ? .dense : choice == .f2 ? .winogradF2 : .winogradF4)
            var g = r
            for l in net.reversed() { let d = l.backward(g); if g !== r { GradientPool.give(g) }; g = d }
            let dx = g.array
            GradientPool.give(g)
            let analytic = net.flatMap { $0.parameters }.map { $0.grad.array }
            MatmulPrecision.global = .fp32
            func objective() -> Double { GradientCheck.dot(forward(), r) }
            var probe = SeededRNG(seed: 7)
            var checked = 0, skipped = 0
            func check(_ t: Tensor, _ grad: [Float], _ what: String) {
                var numeric: [Float] = [], analytic: [Float] = []
                for _ in 0..<12 {
                    let i = Int(probe.next() % UInt64(t.count))
                    let old = t.data[i], eps: Float = 1e-2
                    let f0 = objective()
                    t.data[i] = old + eps; let fp = objective()
                    t.data[i] = old - eps; let fm = objective()
                    t.data[i] = old
                    let right = (fp - f0) / Double(eps), left = (f0 - fm) / Double(eps)
                    if abs(right - left) > 0.05 * max(abs(right), abs(left), 0.05) { skipped += 1; continue }   // a kink
                    numeric.append(Float((fp - fm) / (2 * Double(eps))))
                    analytic.append(grad[i])
                    checked += 1
                }
                let e = Self.normwise(analytic, numeric)
                XCTAssertLessThan(e, tolerance, "\(kernel) \(what): numeric \(numeric) bf16 analytic \(analytic)")
            }
            check(x, dx, "input")
            for (k, p) in net.flatMap({ $0.parameters }).enumerated() { check(p.value, analytic[k], p.name) }
            XCTAssertGreaterThan(checked, 2 * skipped, "\(kernel): too many probes at kinks")
        }
        }
    }
}
