// bf16 GEMM with fp32 accumulation: an AVX512-BF16 kernel (VDPBF16PS) chosen at run time, and a portable
// twin with the same packing, the same summation order and the same rounding (see cbf16.h).
//
// Layout (BLIS-like): k is walked in pairs, since VDPBF16PS multiplies pairs of bf16. B is packed per block
// of KB pairs × NC columns into panels of NR columns: panel word [p][j] = (B[2p][j] | B[2p+1][j] << 16).
// A is packed per block of MC rows into panels of MR rows: word [p][i] = (A[i][2p] | A[i][2p+1] << 16).
// The micro-kernel keeps an MR × NR block of C in registers; per pair it loads NR/16 vectors of B and
// broadcasts one A word per row. An odd k is padded with a zero element.
#include "cbf16.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xmmintrin.h>
#include <pmmintrin.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#define DFL_X86 1
#endif

// ---------------------------------------------------------------------------------------------------
// Settings and per-thread buffers.

static int kb_pairs = 128;   // k pairs per block
static int nc_block = 512;   // columns per block (a multiple of 64)
static int mc_block = 96;    // rows per block (a multiple of 48: 6, 12, 16, 24 divide it)
static int panel_override = 0;
static int transpose_narrow = 1;   // see dfl_bf16_gemm

void dfl_bf16_set_blocking(int k_pairs, int n_block, int m_block) {
    if (k_pairs > 0) kb_pairs = k_pairs;
    if (n_block > 0) nc_block = (n_block + 63) / 64 * 64;
    if (m_block > 0) mc_block = (m_block + 47) / 48 * 48;
}

void dfl_bf16_set_panel(int columns) { panel_override = columns; }

void dfl_bf16_set_transpose_narrow(int on) { transpose_narrow = on != 0; }

static __thread uint32_t *buf_a, *buf_b, *buf_t;
static __thread size_t cap_a, cap_b, cap_t;

static uint32_t *grow(uint32_t **buf, size_t *cap, size_t words) {
    if (words > *cap) {
        free(*buf);
        size_t bytes = (words * 4 + 63) / 64 * 64;
        *buf = aligned_alloc(64, bytes);
        if (!*buf) abort();
        *cap = bytes / 4;
    }
    return *buf;
}

// ---------------------------------------------------------------------------------------------------
// CPU detection.

int dfl_bf16_hardware(void) {
#ifdef DFL_X86
    static int cached = -1;
    if (cached >= 0) return cached;
    unsigned eax, ebx, ecx, edx;
    int ok = 0;
    if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & (1u << 27))) {   // OSXSAVE
        unsigned lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        int zmm_state = (lo & 0xE6) == 0xE6;   // XMM, YMM, opmask, ZMM_Hi256, Hi16_ZMM
        if (zmm_state && __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) {
            int f = (ebx >> 16) & 1, bw = (ebx >> 30) & 1, vl = (ebx >> 31) & 1;
            if (f && bw && vl && __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) ok = (eax >> 5) & 1;
        }
    }
    cached = ok;
    return ok;
#else
    return 0;
#endif
}

// ---------------------------------------------------------------------------------------------------
// Portable kernel.

/// fp32 -> bf16, round to nearest even; NaN stays a (quiet) NaN; zero and denormals -> signed zero.
static inline uint32_t to_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7f800000u) == 0) return (u >> 16) & 0x8000u;
    if ((u & 0x7fffffffu) > 0x7f800000u) return (u >> 16) | 0x40u;
    u += 0x7fffu + ((u >> 16) & 1u);
    return u >> 16;
}

static inline float lo_f(uint32_t w) { uint32_t u = w << 16; float f; memcpy(&f, &u, 4); return f; }
static inline float hi_f(uint32_t w) { uint32_t u = w & 0xffff0000u; float f; memcpy(&f, &u, 4); return f; }

static inline float elem(const float *x, int ld, int trans, int r, int c) {
    return trans ? x[(size_t)c * ld + r] : x[(size_t)r * ld + c];
}

/// Packs rows r0..<r0+rows, pairs p0..<p0+kp of op(X) (rows × k) as words [p][i] (stride `width`,
/// rows past `rows` zero).
static void pack_portable(const float *x, int ld, int trans, int k, int r0, int rows, int p0, int kp, int width,
                          uint32_t *dst) {
    for (int p = 0; p < kp; p++) {
        int k0 = 2 * (p0 + p), k1 = k0 + 1;
        uint32_t *d = dst + (size_t)p * width;
        for (int i = 0; i < rows; i++) {
            uint32_t lo = to_bf16(elem(x, ld, trans, r0 + i, k0));
            uint32_t hi = k1 < k ? to_bf16(elem(x, ld, trans, r0 + i, k1)) : 0;
            d[i] = lo | hi << 16;
        }
        for (int i = rows; i < width; i++) d[i] = 0;
    }
}

/// Rows r0..<r0+rows, pairs p0..<p0+kp of a row-major X (pairs adjacent in memory) as words [i][p].
static void rows_portable(const float *x, int ld, int k, int r0, int rows, int p0, int kp, uint32_t *dst) {
    for (int i = 0; i < rows; i++) {
        const float *src = x + (size_t)(r0 + i) * ld;
        for (int p = 0; p < kp; p++) {
            int k0 = 2 * (p0 + p);
            dst[(size_t)i * kp + p] = to_bf16(src[k0]) | (k0 + 1 < k ? to_bf16(src[k0 + 1]) << 16 : 0);
        }
    }
}

/// C[mr × nc] (+)= A panel · B panel, in the order of VDPBF16PS (odd element of a pair first).
static void kernel_portable(int kp, const uint32_t *ap, size_t si, size_t sp, int mr, const uint32_t *bp, size_t sb,
                            float *c, int ldc, int nc, int load) {
    float acc[64];
    for (int i = 0; i < mr; i++) {
        float *row = c + (size_t)i * ldc;
        for (int j = 0; j < nc; j++) acc[j] = load ? row[j] : 0.0f;
        for (int p = 0; p < kp; p++) {
            uint32_t aw = ap[i * si + (size_t)p * sp];
            float a0 = lo_f(aw), a1 = hi_f(aw);
            const uint32_t *bw = bp + (size_t)p * sb;
            for (int j = 0; j < nc; j++) {
                float s = acc[j] + a1 * hi_f(bw[j]);
                acc[j] = s + a0 * lo_f(bw[j]);
            }
        }
        for (int j = 0; j < nc; j++) row[j] = acc[j];
    }
}

// ---------------------------------------------------------------------------------------------------
// AVX512-BF16 kernel.

#ifdef DFL_X86
#define AVX512BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16,avx512dq")))
#define INLINE static inline __attribute__((always_inline))
typedef __m512 v16;
#include "transpose16.h"

/// 32 bf16: words 0..15 from lo, 16..31 from hi, interleaved into 16 pair words (lo[i] | hi[i] << 16).
AVX512BF16 static inline __m512i pair_words(__m512 lo, __m512 hi) {
    const __m512i idx = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8,
                                         23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    __m512bh both = _mm512_cvtne2ps_pbh(hi, lo);
    return _mm512_permutexvar_epi16(idx, (__m512i)both);
}

/// 32 consecutive floats (16 k-pairs of one row) as 16 pair words; `count` < 32 reads zeros past it.
AVX512BF16 static inline __m512i run_words(const float *x, int count) {
    __mmask16 m0 = count >= 16 ? 0xffff : (__mmask16)((1u << count) - 1);
    __mmask16 m1 = count >= 32 ? 0xffff : count <= 16 ? 0 : (__mmask16)((1u << (count - 16)) - 1);
    // No load at all for an empty second half (a short row's, e.g. a 1x1 convolution's 16 channels): a
    // masked load with no lanes still cost as much as the row's whole conversion.
    __m512 v0 = _mm512_maskz_loadu_ps(m0, x), v1 = m1 ? _mm512_maskz_loadu_ps(m1, x + 16) : _mm512_setzero_ps();
    return (__m512i)_mm512_cvtne2ps_pbh(v1, v0);
}

/// As pack_portable, vectorised: rows of op(X) run along memory when trans == 0 (pairs are adjacent
/// floats: convert runs, then scatter the words), across memory when trans == 1 (rows 2p and 2p+1 of X
/// are two runs over the rows of op(X): convert and interleave).
AVX512BF16 static void pack_avx512(const float *x, int ld, int trans, int k, int r0, int rows, int p0, int kp,
                                   int width, uint32_t *dst) {
    if (!trans) {
        uint32_t tmp[16];
        for (int i = 0; i < rows; i++) {
            const float *src = x + (size_t)(r0 + i) * ld;
            for (int p = 0; p < kp; p += 16) {
                int k0 = 2 * (p0 + p), left = k - k0;
                _mm512_storeu_si512(tmp, run_words(src + k0, left < 32 ? left : 32));
                int n = kp - p < 16 ? kp - p : 16;
                for (int q = 0; q < n; q++) dst[(size_t)(p + q) * width + i] = tmp[q];
            }
        }
        for (int p = 0; p < kp; p++)
            for (int i = rows; i < width; i++) dst[(size_t)p * width + i] = 0;
        return;
    }
    if (rows == 1 && ld == 1) {
        // One row of op(X) that is a run in memory (the transposed product of a weight gradient with one
        // output channel): its pairs are adjacent floats, converted 16 pairs at a time; word p goes to lane 0
        // of line p, the other lanes zero, as below.
        for (int p = 0; p < kp; p += 16) {
            int k0 = 2 * (p0 + p), left = k - k0, n = kp - p < 16 ? kp - p : 16;
            __m512i w = run_words(x + r0 + k0, left < 32 ? left : 32);
            for (int q = 0; q < n; q++) {
                __m512i line = _mm512_maskz_permutexvar_epi32(1, _mm512_set1_epi32(q), w);
                _mm512_mask_storeu_epi32(dst + (size_t)(p + q) * width, (__mmask16)((1u << (width < 16 ? width : 16)) - 1), line);
                for (int i = 16; i < width; i += 16) _mm512_storeu_si512(dst + (size_t)(p + q) * width + i, _mm512_setzero_si512());
            }
        }
        return;
    }
    for (int p = 0; p < kp; p++) {
        int k0 = 2 * (p0 + p);
        const float *s0 = x + (size_t)k0 * ld + r0;
        const float *s1 = k0 + 1 < k ? s0 + ld : NULL;
        uint32_t *d = dst + (size_t)p * width;
        for (int i = 0; i < width; i += 16) {
            int left = rows - i;
            __mmask16 m = left >= 16 ? 0xffff : left <= 0 ? 0 : (__mmask16)((1u << left) - 1);
            __m512 lo = _mm512_maskz_loadu_ps(m, s0 + i);
            __m512 hi = s1 ? _mm512_maskz_loadu_ps(m, s1 + i) : _mm512_setzero_ps();
            __m512i w = pair_words(lo, hi);
            int span = width - i < 16 ? width - i : 16;
            _mm512_mask_storeu_epi32(d + i, (__mmask16)((1u << span) - 1), w);
        }
    }
}

/// As rows_portable, vectorised: whole runs of 16 pairs unmasked, the last one masked.
AVX512BF16 static void rows_avx512(const float *x, int ld, int k, int r0, int rows, int p0, int kp, uint32_t *dst) {
    if (k == 1 && ld == 1) {
        // One value per row, rows adjacent (the input gradient of a 1x1 convolution with one output
        // channel): 16 rows per conversion instead of one.
        const float *src = x + r0;
        int i = 0;
        for (; i + 16 <= rows; i += 16)
            _mm512_storeu_si512(dst + i, pair_words(_mm512_loadu_ps(src + i), _mm512_setzero_ps()));
        if (i < rows) {
            __mmask16 m = (__mmask16)((1u << (rows - i)) - 1);
            _mm512_mask_storeu_epi32(dst + i, m, pair_words(_mm512_maskz_loadu_ps(m, src + i), _mm512_setzero_ps()));
        }
        return;
    }
    int full = kp / 16;
    if (2 * (p0 + kp) > k) full = (k - 2 * p0) / 32;   // the last pair is odd: its run is masked
    if (full > kp / 16) full = kp / 16;
    for (int i = 0; i < rows; i++) {
        const float *src = x + (size_t)(r0 + i) * ld + 2 * p0;
        uint32_t *d = dst + (size_t)i * kp;
        int p = 0;
        for (int q = 0; q < full; q++, p += 16) {
            __m512 v0 = _mm512_loadu_ps(src + 2 * p), v1 = _mm512_loadu_ps(src + 2 * p + 16);
            _mm512_storeu_si512(d + p, (__m512i)_mm512_cvtne2ps_pbh(v1, v0));
        }
        for (; p < kp; p += 16) {
            int k0 = 2 * (p0 + p), left = k - k0, n = kp - p < 16 ? kp - p : 16;
            _mm512_mask_storeu_epi32(d + p, (__mmask16)((1u << n) - 1), run_words(src + 2 * p, left < 32 ? left : 32));
        }
    }
}

/// MR × (16·NV) block of C (+)= A · B; `nc` valid columns. A word (i, p) is at ap[i·si + p·sp] (si = pairs,
/// sp = 1 for row-major pair words; si = 1, sp = row stride for k-major ones), B word (p, j) at bp[p·sb + j].
#define DEFINE_KERNEL(MR, NV)                                                                                  \
    AVX512BF16 static void kernel_##MR##x##NV(int kp, const uint32_t *ap, size_t si, size_t sp, const uint32_t *bp, \
                                               size_t sb, float *c, int ldc, int nc, int load) {             \
        __m512 acc[MR][NV];                                                                                  \
        __mmask16 mask[NV];                                                                                  \
        for (int v = 0; v < NV; v++) {                                                                       \
            int left = nc - 16 * v;                                                                          \
            mask[v] = left >= 16 ? 0xffff : left <= 0 ? 0 : (__mmask16)((1u << left) - 1);                \
        }                                                                                                    \
        for (int i = 0; i < MR; i++)                                                                         \
            for (int v = 0; v < NV; v++)                                                                     \
                acc[i][v] = load ? _mm512_maskz_loadu_ps(mask[v], c + (size_t)i * ldc + 16 * v)              \
                                 : _mm512_setzero_ps();                                                      \
        for (int p = 0; p < kp; p++) {                                                                       \
            __m512bh b[NV];                                                                                  \
            for (int v = 0; v < NV; v++) b[v] = (__m512bh)_mm512_maskz_loadu_epi32(mask[v], bp + (size_t)p * sb + 16 * v); \
            const uint32_t *col = ap + (size_t)p * sp;                                                       \
            for (int i = 0; i < MR; i++) {                                                                   \
                __m512bh a = (__m512bh)_mm512_set1_epi32((int)col[i * si]);                                  \
                for (int v = 0; v < NV; v++) acc[i][v] = _mm512_dpbf16_ps(acc[i][v], a, b[v]);               \
            }                                                                                                \
        }                                                                                                    \
        for (int i = 0; i < MR; i++)                                                                         \
            for (int v = 0; v < NV; v++)                                                                     \
                _mm512_mask_storeu_ps(c + (size_t)i * ldc + 16 * v, mask[v], acc[i][v]);                    \
    }

typedef void (*kernel_fn)(int, const uint32_t *, size_t, size_t, const uint32_t *, size_t, float *, int, int, int);

#define K1(MR) DEFINE_KERNEL(MR, 1)
#define K2(MR) DEFINE_KERNEL(MR, 2)
#define K4(MR) DEFINE_KERNEL(MR, 4)
K1(1) K1(2) K1(3) K1(4) K1(5) K1(6) K1(7) K1(8) K1(9) K1(10) K1(11) K1(12) K1(13) K1(14) K1(15) K1(16)
K1(17) K1(18) K1(19) K1(20) K1(21) K1(22) K1(23) K1(24)
K2(1) K2(2) K2(3) K2(4) K2(5) K2(6) K2(7) K2(8) K2(9) K2(10) K2(11) K2(12)
K4(1) K4(2) K4(3) K4(4) K4(5) K4(6)

static const kernel_fn kernels1[25] = {NULL, kernel_1x1, kernel_2x1, kernel_3x1, kernel_4x1, kernel_5x1,
    kernel_6x1, kernel_7x1, kernel_8x1, kernel_9x1, kernel_10x1, kernel_11x1, kernel_12x1, kernel_13x1,
    kernel_14x1, kernel_15x1, kernel_16x1, kernel_17x1, kernel_18x1, kernel_19x1, kernel_20x1, kernel_21x1,
    kernel_22x1, kernel_23x1, kernel_24x1};
static const kernel_fn kernels2[13] = {NULL, kernel_1x2, kernel_2x2, kernel_3x2, kernel_4x2, kernel_5x2,
    kernel_6x2, kernel_7x2, kernel_8x2, kernel_9x2, kernel_10x2, kernel_11x2, kernel_12x2};
static const kernel_fn kernels4[7] = {NULL, kernel_1x4, kernel_2x4, kernel_3x4, kernel_4x4, kernel_5x4,
    kernel_6x4};

/// C (m x 1) (+)= A · b for a row-major A and one column b (a 1x1 convolution with one output channel, and
/// the input gradient of one with one input channel). The panel kernels put C's columns in the vector lanes,
/// here 1 of 16; this puts 16 rows in the lanes instead: 16 rows' runs of 16 k pairs are converted as the
/// row packing converts them, transposed in registers, and each pair's 16 words go through VDPBF16PS against
/// b's pair word broadcast. Each lane is the same instruction on the same two words in the same pair order,
/// so every element of C is bit for bit what the panel kernels give (a product of two bf16 values is exact,
/// so which operand is which does not matter). `bw` holds b's kpairs pair words.
AVX512BF16 static void gemv_avx512(int m, int k, const float *a, int lda, const uint32_t *bw, float beta, float *c,
                                   int ldc) {
    const int kpairs = (k + 1) / 2;
    for (int i0 = 0; i0 < m; i0 += 16) {
        int rows = m - i0 < 16 ? m - i0 : 16;
        float start[16] = {0};
        if (beta != 0.0f)
            for (int i = 0; i < rows; i++) start[i] = c[(size_t)(i0 + i) * ldc];
        __m512 acc = _mm512_loadu_ps(start);
        for (int p0 = 0; p0 < kpairs; p0 += 16) {
            int pairs = kpairs - p0 < 16 ? kpairs - p0 : 16;
            v16 r[16];
            for (int i = 0; i < 16; i++)
                r[i] = i < rows ? _mm512_castsi512_ps(run_words(a + (size_t)(i0 + i) * lda + 2 * p0,
                                                                k - 2 * p0 < 32 ? k - 2 * p0 : 32))
                                : _mm512_setzero_ps();
            transpose16(r);   // r[p]: word p0 + p of each of the 16 rows
            for (int p = 0; p < pairs; p++)
                acc = _mm512_dpbf16_ps(acc, (__m512bh)r[p], (__m512bh)_mm512_set1_epi32((int)bw[p0 + p]));
        }
        if (rows == 16 && ldc == 1) {
            _mm512_storeu_ps(c + i0, acc);
        } else {
            float out[16];
            _mm512_storeu_ps(out, acc);
            for (int i = 0; i < rows; i++) c[(size_t)(i0 + i) * ldc] = out[i];
        }
    }
}

AVX512BF16 static void round_avx512(const float *x, float *y, size_t count) {
    size_t i = 0;
    for (; i < count; i += 16) {
        size_t left = count - i;
        __mmask16 m = left >= 16 ? 0xffff : (__mmask16)((1u << left) - 1);
        __m256bh h = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, x + i));
        __m512i w = _mm512_slli_epi32(_mm512_cvtepu16_epi32((__m256i)h), 16);
        _mm512_mask_storeu_ps(y + i, m, _mm512_castsi512_ps(w));
    }
}
#endif

// ---------------------------------------------------------------------------------------------------
// Driver.

void dfl_bf16_round(int kernel, const float *x, float *y, size_t count) {
#ifdef DFL_X86
    if (kernel == DFL_BF16_AVX512 && dfl_bf16_hardware()) { round_avx512(x, y, count); return; }
#endif
    for (size_t i = 0; i < count; i++) y[i] = lo_f(to_bf16(x[i]));
}

/// A GEMM operand as the driver reads it, by its rows r (the m rows of op(A), or the n columns of op(B)) and
/// k: fp32 (element (r, kk) at f[r·ld + kk], or f[kk·ld + r] when trans), converted and packed per block;
/// bf16 pair words row-major (word (r, p) at w[r·s + p]) or k-major (at w[p·s + r]), read in place; or
/// (B only) packed by dfl_bf16_pack_b.
enum { OP_FLOAT, OP_ROWS, OP_KMAJOR, OP_PACKED };
typedef struct {
    int kind;
    const float *f;
    int ld, trans;
    const uint32_t *w;
    size_t s;
} operand;

/// Panel width for n columns (both kernels, so that a packed B serves either).
static int panel_columns(int n) {
    if (panel_override == 16 || panel_override == 32 || panel_override == 64) return panel_override;
    return n <= 16 ? 16 : (n <= 32 || (n % 64 > 0 && n % 64 <= 32)) ? 32 : 64;
}

static int column_block(int nr) { return nc_block < nr ? nr : nc_block / nr * nr; }

/// Words of B block (jc, pc) of a packed B from the start (blocks in the driver's order).
static size_t packed_offset(int jc, int pc, int ncols, int kpairs, int nr) {
    return (size_t)(jc / nr) * nr * kpairs + (size_t)((ncols + nr - 1) / nr) * nr * pc;
}

static void pack_panels(int fast, const float *b, int ldb, int trans, int k, int j0, int ncols, int pc, int kp, int nr,
                        uint32_t *dst) {
    int npanels = (ncols + nr - 1) / nr;
    for (int q = 0; q < npanels; q++) {
        int j = j0 + q * nr, cols = ncols - q * nr < nr ? ncols - q * nr : nr;
#ifdef DFL_X86
        if (fast) { pack_avx512(b, ldb, trans, k, j, cols, pc, kp, nr, dst + (size_t)q * nr * kp); continue; }
#endif
        (void)fast;
        pack_portable(b, ldb, trans, k, j, cols, pc, kp, nr, dst + (size_t)q * nr * kp);
    }
}

static void run(int kernel, int m, int n, int k, operand A, operand B, float beta, float *c, int ldc) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        if (beta == 0.0f)
            for (int i = 0; i < m; i++) memset(c + (size_t)i * ldc, 0, (size_t)n * sizeof(float));
        return;
    }
    int fast = 0;
#ifdef DFL_X86
    fast = kernel == DFL_BF16_AVX512 && dfl_bf16_hardware();
#endif
    const int nr = panel_columns(n);
    const int mr = fast ? (nr == 16 ? 24 : nr == 32 ? 12 : 6) : 8;
    const int kpairs = (k + 1) / 2;
    const int kb = kb_pairs;
    const int nc = column_block(nr);
    const int mc = mc_block / mr * mr > 0 ? mc_block / mr * mr : mr;
    unsigned csr = 0;
    if (!fast) {
        // The portable kernel's FTZ/DAZ, as VDPBF16PS's.
        csr = _mm_getcsr();
        _mm_setcsr(csr | 0x8040);
    }
    for (int jc = 0; jc < n; jc += nc) {
        int ncols = n - jc < nc ? n - jc : nc;
        int npanels = (ncols + nr - 1) / nr;
        for (int pc = 0; pc < kpairs; pc += kb) {
            int kp = kpairs - pc < kb ? kpairs - pc : kb;
            const uint32_t *bblock;
            size_t sb, panel_step;
            if (B.kind == OP_FLOAT) {
                uint32_t *bpack = grow(&buf_b, &cap_b, (size_t)npanels * nr * kp);
                pack_panels(fast, B.f, B.ld, B.trans, k, jc, ncols, pc, kp, nr, bpack);
                bblock = bpack, sb = nr, panel_step = (size_t)nr * kp;
            } else if (B.kind == OP_PACKED) {
                bblock = B.w + packed_offset(jc, pc, ncols, kpairs, nr), sb = nr, panel_step = (size_t)nr * kp;
            } else {   // OP_KMAJOR
                bblock = B.w + (size_t)pc * B.s + jc, sb = B.s, panel_step = nr;
            }
            int load = pc > 0 || beta != 0.0f;
            for (int ic = 0; ic < m; ic += mc) {
                int nrows = m - ic < mc ? m - ic : mc;
                int mpanels = (nrows + mr - 1) / mr;
                const uint32_t *ablock;
                size_t si, sp, apanel_step;
                if (A.kind == OP_FLOAT && !A.trans) {
                    // Row-major A: its pairs are adjacent; a bf16 copy, word (i, p) at i·kp + p.
                    uint32_t *apack = grow(&buf_a, &cap_a, (size_t)nrows * kp);
#ifdef DFL_X86
                    if (fast) rows_avx512(A.f, A.ld, k, ic, nrows, pc, kp, apack); else
#endif
                    rows_portable(A.f, A.ld, k, ic, nrows, pc, kp, apack);
                    ablock = apack, si = kp, sp = 1, apanel_step = (size_t)mr * kp;
                } else if (A.kind == OP_FLOAT) {
                    // Transposed A: rows 2p and 2p+1 interleaved, word (i, p) at p·width + i.
                    int width = (nrows + 15) / 16 * 16;
                    uint32_t *apack = grow(&buf_a, &cap_a, (size_t)width * kp);
#ifdef DFL_X86
                    if (fast) pack_avx512(A.f, A.ld, 1, k, ic, nrows, pc, kp, width, apack); else
#endif
                    pack_portable(A.f, A.ld, 1, k, ic, nrows, pc, kp, width, apack);
                    ablock = apack, si = 1, sp = width, apanel_step = mr;
                } else if (A.kind == OP_ROWS) {
                    ablock = A.w + (size_t)ic * A.s + pc, si = A.s, sp = 1, apanel_step = (size_t)mr * A.s;
                } else {   // OP_KMAJOR
                    ablock = A.w + (size_t)pc * A.s + ic, si = 1, sp = A.s, apanel_step = mr;
                }
                for (int jq = 0; jq < npanels; jq++) {
                    int j0 = jc + jq * nr, cols = n - j0 < nr ? n - j0 : nr;
                    const uint32_t *bp = bblock + jq * panel_step;
                    for (int iq = 0; iq < mpanels; iq++) {
                        int i0 = ic + iq * mr, rows = m - i0 < mr ? m - i0 : mr;
                        const uint32_t *ap = ablock + iq * apanel_step;
                        float *cp = c + (size_t)i0 * ldc + j0;
#ifdef DFL_X86
                        if (fast) {
                            kernel_fn f = nr == 16 ? kernels1[rows] : nr == 32 ? kernels2[rows] : kernels4[rows];
                            f(kp, ap, si, sp, bp, sb, cp, ldc, cols, load);
                            continue;
                        }
#endif
                        kernel_portable(kp, ap, si, sp, rows, bp, sb, cp, ldc, cols, load);
                    }
                }
            }
        }
    }
    if (!fast) _mm_setcsr(csr);
}

/// Under 16 columns a panel of C leaves 16 - n of each vector's lanes empty (the weight gradient of a
/// convolution with 1 or 4 output channels uses 1 or 4 lanes of 16). Such a product with a transposed A
/// runs as its transpose, C^T = op(B)^T A, whose rows are C's columns and whose columns, C's m rows, fill
/// the vectors; A then packs as B does with a transposed B, two runs converted and interleaved. (With A not
/// transposed its packing as B scatters single words, which measured slower than the unused lanes: a 1x1
/// convolution's forward pass with one output channel, 96x96 b8, 0.53 ms against 0.25.) Each element of C
/// is the same sum of the same products in the same order (a product of two bf16 values is exact, so which
/// operand is which does not matter): the result is bit for bit that of the untransposed product. C^T goes
/// through a per-thread buffer unless it is C itself (n = 1, ldc = 1).
void dfl_bf16_gemm(int kernel, int trans_a, int trans_b, int m, int n, int k,
                   const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc) {
    operand A = {OP_FLOAT, a, lda, trans_a, NULL, 0}, B = {OP_FLOAT, b, ldb, !trans_b, NULL, 0};
#ifdef DFL_X86
    if (n == 1 && !trans_a && m >= 16 && k > 0 && kernel == DFL_BF16_AVX512 && dfl_bf16_hardware()) {
        int kpairs = (k + 1) / 2;
        uint32_t *bw = grow(&buf_b, &cap_b, (size_t)kpairs);
        for (int p = 0; p < kpairs; p++) {
            const float *b0 = trans_b ? b + 2 * p : b + (size_t)2 * p * ldb;
            bw[p] = to_bf16(*b0) | (2 * p + 1 < k ? to_bf16(trans_b ? b0[1] : b0[ldb]) << 16 : 0);
        }
        gemv_avx512(m, k, a, lda, bw, beta, c, ldc);
        return;
    }
#endif
    if (!transpose_narrow || !trans_a || n >= 16 || m <= n) {
        run(kernel, m, n, k, A, B, beta, c, ldc);
        return;
    }
    if (n == 1 && ldc == 1) {
        run(kernel, 1, m, k, B, A, beta, c, m);
        return;
    }
    float *t = (float *)grow(&buf_t, &cap_t, (size_t)m * n);
    if (beta != 0.0f)
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) t[(size_t)j * m + i] = c[(size_t)i * ldc + j];
    run(kernel, n, m, k, B, A, beta, t, m);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) c[(size_t)i * ldc + j] = t[(size_t)j * m + i];
}

void dfl_bf16_packed_layout(int n, int *panel, int *column_block_size, int *k_pairs_block) {
    *panel = panel_columns(n);
    *column_block_size = column_block(*panel);
    *k_pairs_block = kb_pairs;
}

size_t dfl_bf16_packed_words(int k, int n) {
    int nr = panel_columns(n);
    return (size_t)((n + nr - 1) / nr) * nr * (size_t)((k + 1) / 2);
}

void dfl_bf16_pack_b(int kernel, int trans_b, int k, int n, const float *b, int ldb, uint32_t *out) {
    int fast = 0;
#ifdef DFL_X86
    fast = kernel == DFL_BF16_AVX512 && dfl_bf16_hardware();
#endif
    const int nr = panel_columns(n), nc = column_block(nr), kpairs = (k + 1) / 2;
    for (int jc = 0; jc < n; jc += nc) {
        int ncols = n - jc < nc ? n - jc : nc;
        for (int pc = 0; pc < kpairs; pc += kb_pairs) {
            int kp = kpairs - pc < kb_pairs ? kpairs - pc : kb_pairs;
            pack_panels(fast, b, ldb, !trans_b, k, jc, ncols, pc, kp, nr, out + packed_offset(jc, pc, ncols, kpairs, nr));
        }
    }
}

void dfl_bf16_gemm_rows(int kernel, int m, int n, int k, const uint32_t *a, size_t lda_words, const uint32_t *b_packed,
                        float beta, float *c, int ldc) {
    operand A = {OP_ROWS, NULL, 0, 0, a, lda_words}, B = {OP_PACKED, NULL, 0, 0, b_packed, 0};
    run(kernel, m, n, k, A, B, beta, c, ldc);
}

void dfl_bf16_gemm_kmajor(int kernel, int m, int n, int kpairs, const uint32_t *a, size_t sa, const uint32_t *b,
                          size_t sb, float beta, float *c, int ldc) {
    operand A = {OP_KMAJOR, NULL, 0, 0, a, sa}, B = {OP_KMAJOR, NULL, 0, 0, b, sb};
    run(kernel, m, n, 2 * kpairs, A, B, beta, c, ldc);
}

void dfl_bf16_words(const float *x, uint16_t *y, size_t count) {
    for (size_t i = 0; i < count; i++) y[i] = (uint16_t)to_bf16(x[i]);
}
