// The Winograd transforms of the bf16 path on AVX512-BF16 (those that write the GEMMs' bf16 operands, and the
// output and filter-gradient transforms that read their fp32 results): 16 channels per vector, VCVTNEPS2BF16
// for the rounding. They are the fast twins of NeuralNet's Swift transforms (WinogradTransforms.swift,
// WinogradBF16.swift), which stay the portable code: the same fp32 operations in the same order (no
// contraction into FMAs), and VCVTNEPS2BF16 rounds as bf16Bits does (nearest even, NaN quieted, denormals to
// signed zero), so both give the same bits (BF16Tests.testWinogradLayersAreBitIdenticalAcrossKernels).
// The 1-D transforms are F(2x2, 3x3) (alpha 4) and F(4x4, 3x3) (alpha 6); docs/bf16.md.
#include "cbf16.h"

#include <immintrin.h>

#pragma clang fp contract(off)

#define AVX512BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16,avx512dq")))
#define INLINE static inline __attribute__((always_inline))

typedef __m512 v16;

#include "transpose16.h"

AVX512BF16 INLINE v16 add(v16 a, v16 b) { return _mm512_add_ps(a, b); }
AVX512BF16 INLINE v16 sub(v16 a, v16 b) { return _mm512_sub_ps(a, b); }
AVX512BF16 INLINE v16 mul(float s, v16 a) { return _mm512_mul_ps(_mm512_set1_ps(s), a); }

// B^T along one axis: alpha inputs -> alpha outputs.
AVX512BF16 INLINE void input_1d(int alpha, const v16 *d, v16 *o) {
    if (alpha == 4) {
        o[0] = sub(d[0], d[2]); o[1] = add(d[1], d[2]); o[2] = sub(d[2], d[1]); o[3] = sub(d[1], d[3]);
    } else {
        v16 a = sub(d[4], mul(4, d[2])), b = sub(d[3], mul(4, d[1]));
        v16 c = sub(d[4], d[2]), e = mul(2, sub(d[3], d[1]));
        o[0] = add(sub(mul(4, d[0]), mul(5, d[2])), d[4]);
        o[1] = add(a, b); o[2] = sub(a, b);
        o[3] = add(c, e); o[4] = sub(c, e);
        o[5] = add(sub(mul(4, d[1]), mul(5, d[3])), d[5]);
    }
}

// A along one axis (the adjoint of A^T): m output-gradient values -> alpha.
AVX512BF16 INLINE void output_adjoint_1d(int alpha, const v16 *y, v16 *o) {
    if (alpha == 4) {
        o[0] = y[0]; o[1] = add(y[0], y[1]); o[2] = sub(y[0], y[1]); o[3] = sub(_mm512_setzero_ps(), y[1]);
    } else {
        v16 e = add(y[0], y[2]), od = add(y[1], y[3]), e4 = add(y[0], mul(4, y[2])), o8 = add(mul(2, y[1]), mul(8, y[3]));
        o[0] = y[0]; o[1] = add(e, od); o[2] = sub(e, od); o[3] = add(e4, o8); o[4] = sub(e4, o8); o[5] = y[3];
    }
}

// A 1-D transform along one axis: `side` inputs -> alpha outputs.
typedef void (*transform_1d)(int alpha, const v16 *in, v16 *out);

// The 2-D transform `t` applied along columns, then rows, to the side x side pixels whose pixel (i, j) starts at
// pixels[i*side + j], channels c..c+15 (lanes outside `m` read as zero); element xi = i*alpha + j into out[xi].
// (Always inlined with a constant `t`, so the call through the pointer goes away.)
AVX512BF16 INLINE void separable_tile(int alpha, int side, transform_1d t, const float *const *pixels, int c,
                                      __mmask16 m, v16 *out) {
    v16 tmp[36], d[6], o[6];
    for (int j = 0; j < side; j++) {
        for (int k = 0; k < side; k++) d[k] = _mm512_maskz_loadu_ps(m, pixels[k * side + j] + c);
        t(alpha, d, o);
        for (int i = 0; i < alpha; i++) tmp[i * alpha + j] = o[i];
    }
    for (int i = 0; i < alpha; i++) {
        for (int k = 0; k < side; k++) d[k] = tmp[i * alpha + k];
        t(alpha, d, o);
        for (int j = 0; j < alpha; j++) out[i * alpha + j] = o[j];
    }
}

// B^T d B of the alpha x alpha input tile.
AVX512BF16 INLINE void input_tile(int alpha, const float *const *pixels, int c, __mmask16 m, v16 *out) {
    separable_tile(alpha, alpha, input_1d, pixels, c, m, out);
}

// A dY A^T of the (alpha - 2)^2 output-gradient pixels.
AVX512BF16 INLINE void output_gradient_tile(int alpha, const float *const *pixels, int c, __mmask16 m, v16 *out) {
    separable_tile(alpha, alpha - 2, output_adjoint_1d, pixels, c, m, out);
}

AVX512BF16 INLINE __mmask16 lanes(int left) { return left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1); }

// The bf16 bits of a and b as words a | b << 16.
AVX512BF16 INLINE __m512i pair_words(v16 a, v16 b) {
    __m512i lo = _mm512_cvtepu16_epi32((__m256i)_mm512_cvtneps_pbh(a));
    __m512i hi = _mm512_cvtepu16_epi32((__m256i)_mm512_cvtneps_pbh(b));
    return _mm512_or_si512(lo, _mm512_slli_epi32(hi, 16));
}

// Prefetches the pixels that the next tile to the right adds (`step` past the last of each of the `side` rows):
// the tile loops visit it next, the input is read from memory once per layer, and its latency otherwise stalls
// the transforms.
AVX512BF16 INLINE void prefetch_next_tile(int side, int step, const float *const *pixels, int channels) {
    for (int i = 0; i < side; i++) {
        const char *last = (const char *)pixels[i * side + side - 1];
        for (int k = 1; k <= step; k++)
            for (int b = 0; b < channels * 4; b += 64) _mm_prefetch(last + (size_t)k * channels * 4 + b, _MM_HINT_T0);
    }
}

AVX512BF16 INLINE void input_rows(int alpha, const float *const *pixels, int channels, uint16_t *dst, size_t stride) {
    v16 out[36];
    const int a2 = alpha * alpha;
    prefetch_next_tile(alpha, alpha - 2, pixels, channels);
    for (int c = 0; c < channels; c += 16) {
        __mmask16 m = lanes(channels - c);
        input_tile(alpha, pixels, c, m, out);
        for (int xi = 0; xi < a2; xi++)
            _mm256_mask_storeu_epi16(dst + xi * stride + c, m, (__m256i)_mm512_cvtneps_pbh(out[xi]));
    }
    if (channels % 2 == 1)
        for (int xi = 0; xi < a2; xi++) dst[xi * stride + channels] = 0;
}

AVX512BF16 void dfl_winograd_input_bf16(int alpha, const float *const *pixels, int channels, uint16_t *dst,
                                        size_t stride) {
    if (alpha == 6) input_rows(6, pixels, channels, dst, stride);
    else input_rows(4, pixels, channels, dst, stride);
}

// Both tiles of a pair through `tile` (input or output-gradient transform; `side` pixels a side), stored as pair
// words; the pair two tiles to the right is prefetched.
#define PAIRS_BODY(tile, side)                                                                              \
    v16 out0[36], out1[36];                                                                                 \
    const int a2 = alpha * alpha;                                                                           \
    if (pixels1) prefetch_next_tile(side, 2 * (alpha - 2), pixels1, channels);                              \
    for (int c = 0; c < channels; c += 16) {                                                                \
        __mmask16 m = lanes(channels - c);                                                                  \
        tile(alpha, pixels0, c, m, out0);                                                                   \
        if (pixels1) tile(alpha, pixels1, c, m, out1);                                                      \
        else for (int xi = 0; xi < a2; xi++) out1[xi] = _mm512_setzero_ps();                                \
        for (int xi = 0; xi < a2; xi++)                                                                     \
            _mm512_mask_storeu_epi32(dst + xi * stride + c, m, pair_words(out0[xi], out1[xi]));             \
    }

AVX512BF16 INLINE void input_pairs(int alpha, const float *const *pixels0, const float *const *pixels1, int channels,
                                   uint32_t *dst, size_t stride) {
    PAIRS_BODY(input_tile, alpha)
}

AVX512BF16 INLINE void output_gradient_pairs(int alpha, const float *const *pixels0, const float *const *pixels1,
                                             int channels, uint32_t *dst, size_t stride) {
    PAIRS_BODY(output_gradient_tile, alpha - 2)
}

AVX512BF16 void dfl_winograd_input_pairs_bf16(int alpha, const float *const *pixels0, const float *const *pixels1,
                                              int channels, uint32_t *dst, size_t stride_words) {
    if (alpha == 6) input_pairs(6, pixels0, pixels1, channels, dst, stride_words);
    else input_pairs(4, pixels0, pixels1, channels, dst, stride_words);
}

AVX512BF16 void dfl_winograd_output_gradient_pairs_bf16(int alpha, const float *const *pixels0,
                                                        const float *const *pixels1, int channels, uint32_t *dst,
                                                        size_t stride_words) {
    if (alpha == 6) output_gradient_pairs(6, pixels0, pixels1, channels, dst, stride_words);
    else output_gradient_pairs(4, pixels0, pixels1, channels, dst, stride_words);
}

// A^T along one axis: alpha inputs -> alpha - 2 outputs.
AVX512BF16 INLINE void output_1d(int alpha, const v16 *d, v16 *o) {
    if (alpha == 4) {
        o[0] = add(add(d[0], d[1]), d[2]); o[1] = sub(sub(d[1], d[2]), d[3]);
    } else {
        v16 s12 = add(d[1], d[2]), d12 = sub(d[1], d[2]), s34 = add(d[3], d[4]), d34 = sub(d[3], d[4]);
        o[0] = add(add(d[0], s12), s34);
        o[1] = add(d12, mul(2, d34));
        o[2] = add(s12, mul(4, s34));
        o[3] = add(add(d12, mul(8, d34)), d[5]);
    }
}

AVX512BF16 INLINE void output_tile(int alpha, const float *src, size_t src_stride, float *const *pixels, int channels,
                                   const float *bias, int leaky, float slope) {
    const int mt = alpha - 2;
    v16 tmp[24], d[6], o[6];
    const v16 zero = _mm512_setzero_ps(), a = _mm512_set1_ps(slope);
    for (int c = 0; c < channels; c += 16) {
        __mmask16 m = lanes(channels - c);
        for (int j = 0; j < alpha; j++) {
            for (int k = 0; k < alpha; k++) d[k] = _mm512_maskz_loadu_ps(m, src + (k * alpha + j) * src_stride + c);
            output_1d(alpha, d, o);
            for (int i = 0; i < mt; i++) tmp[i * alpha + j] = o[i];
        }
        v16 b = bias ? _mm512_maskz_loadu_ps(m, bias + c) : zero;
        for (int i = 0; i < mt; i++) {
            for (int k = 0; k < alpha; k++) d[k] = tmp[i * alpha + k];
            output_1d(alpha, d, o);
            for (int j = 0; j < mt; j++) {
                v16 v = o[j];
                if (bias) v = add(v, b);
                if (leaky) v = _mm512_mask_mul_ps(v, _mm512_cmp_ps_mask(v, zero, _CMP_LE_OQ), v, a);
                _mm512_mask_storeu_ps(pixels[i * mt + j] + c, m, v);
            }
        }
    }
}

AVX512BF16 void dfl_winograd_output(int alpha, const float *src, size_t src_stride, float *const *pixels, int channels,
                                    const float *bias, int leaky, float slope) {
    if (alpha == 6) output_tile(6, src, src_stride, pixels, channels, bias, leaky, slope);
    else output_tile(4, src, src_stride, pixels, channels, bias, leaky, slope);
}

// G along one axis: 3 taps -> alpha outputs (the constants divided in float, as the Swift literals are).
AVX512BF16 INLINE void filter_1d(int alpha, const v16 *g, v16 *o) {
    if (alpha == 4) {
        v16 s = mul(0.5f, add(g[0], g[2])), h = mul(0.5f, g[1]);
        o[0] = g[0]; o[1] = add(s, h); o[2] = sub(s, h); o[3] = g[2];
    } else {
        v16 s = add(g[0], g[2]);
        o[0] = mul(0.25f, g[0]);
        o[1] = mul(-1.0f / 6.0f, add(s, g[1])); o[2] = mul(-1.0f / 6.0f, sub(s, g[1]));
        v16 t = add(mul(1.0f / 24.0f, g[0]), mul(1.0f / 6.0f, g[2])), u = mul(1.0f / 12.0f, g[1]);
        o[3] = add(t, u); o[4] = sub(t, u);
        o[5] = g[2];
    }
}

// G g G^T of one 3x3 filter slice, tap (ky, kx) in g[ky*3 + kx] (16 columns).
AVX512BF16 INLINE void filter_tile(int alpha, const v16 *g, v16 *out) {
    v16 tmp[18], d[3], o[6];
    for (int kx = 0; kx < 3; kx++) {
        for (int ky = 0; ky < 3; ky++) d[ky] = g[ky * 3 + kx];
        filter_1d(alpha, d, o);
        for (int i = 0; i < alpha; i++) tmp[i * 3 + kx] = o[i];
    }
    for (int i = 0; i < alpha; i++) {
        for (int kx = 0; kx < 3; kx++) d[kx] = tmp[i * 3 + kx];
        filter_1d(alpha, d, o);
        for (int j = 0; j < alpha; j++) out[i * alpha + j] = o[j];
    }
}

// The transforms of one packed word's channel pair: taps g0, and g1 for the second channel (NULL where the pair
// has none: zeros).
AVX512BF16 INLINE void filter_pair(int alpha, const v16 *g0, const v16 *g1, v16 *out0, v16 *out1) {
    filter_tile(alpha, g0, out0);
    if (g1) filter_tile(alpha, g1, out1);
    else for (int xi = 0; xi < alpha * alpha; xi++) out1[xi] = _mm512_setzero_ps();
}

// U is written once and read by the next GEMMs: past the L2, streaming stores skip reading each line before
// writing it, which measured 1.3-1.6x faster on the large layers (docs/bf16.md).
static const size_t stream_bytes = (size_t)1 << 20;

// Whether U's stores stream: U is large, and every full 16-column store lands on a 64-byte line (panels are
// multiples of 16 columns).
INLINE int streams(int a2, const uint32_t *packed, size_t packed_words) {
    return (size_t)a2 * packed_words * 4 >= stream_bytes && (uintptr_t)packed % 64 == 0 && packed_words % 16 == 0;
}

// Stores pair words lo | hi << 16 of U element xi (xi = 0..a2-1) at packed + xi*packed_words + at, 16 columns
// under mask m.
AVX512BF16 INLINE void store_pairs(int a2, const v16 *lo, const v16 *hi, uint32_t *packed, size_t packed_words,
                                   size_t at, __mmask16 m, int stream) {
    if (stream && m == 0xffff) {
        for (int xi = 0; xi < a2; xi++)
            _mm512_stream_si512((void *)(packed + xi * packed_words + at), pair_words(lo[xi], hi[xi]));
    } else {
        for (int xi = 0; xi < a2; xi++)
            _mm512_mask_storeu_epi32(packed + xi * packed_words + at, m, pair_words(lo[xi], hi[xi]));
    }
}

// Word (p, c) of the packed layout (cbf16.h) for n columns in panels of nr, blocks of nc columns and kb pairs;
// 16 columns from a multiple of 16 stay in one panel.
INLINE size_t packed_word(int p, int c, int n, int pairs, int nr, int nc, int kb) {
    const int pc = p / kb * kb, kp = pairs - pc < kb ? pairs - pc : kb;
    const int jc = c / nc * nc, ncols = n - jc < nc ? n - jc : nc, q = (c - jc) / nr;
    return (size_t)jc / nr * nr * pairs + (size_t)((ncols + nr - 1) / nr) * nr * pc + (size_t)q * nr * kp +
           (size_t)(p - pc) * nr + (c - jc - q * nr);
}

AVX512BF16 INLINE void filter_packed(int alpha, const float *weight, int cin, int cout, int p_begin, int p_end,
                                     uint32_t *packed, size_t packed_words) {
    int nr, nc, kb;
    dfl_bf16_packed_layout(cout, &nr, &nc, &kb);
    const int a2 = alpha * alpha, pairs = (cin + 1) / 2;
    const int stream = streams(a2, packed, packed_words);
    const size_t tap = (size_t)cin * cout;
    v16 g0[9], g1[9], out0[36], out1[36];
    for (int p = p_begin; p < p_end; p++) {
        const float *src0 = weight + (size_t)2 * p * cout;
        const int second = 2 * p + 1 < cin;
        for (int c = 0; c < cout; c += 16) {
            __mmask16 m = lanes(cout - c);
            for (int t = 0; t < 9; t++) {
                g0[t] = _mm512_maskz_loadu_ps(m, src0 + c + t * tap);
                if (second) g1[t] = _mm512_maskz_loadu_ps(m, src0 + cout + c + t * tap);
            }
            filter_pair(alpha, g0, second ? g1 : NULL, out0, out1);
            store_pairs(a2, out0, out1, packed, packed_words, packed_word(p, c, cout, pairs, nr, nc, kb), m, stream);
        }
    }
    if (stream) _mm_sfence();
}

// The packed U of the input-gradient convolution: its filter is the layer's, rotated 180 degrees with input and
// output channels exchanged (tap (ky, kx), channel pair (o, i) = weight tap (2-ky, 2-kx), (i, o)). Pairs p of the
// layer's output channels (the GEMM's k), columns = the layer's input channels. Blocks of 16 x 16 channels are
// transposed in registers, so no flipped copy of the weight is written.
AVX512BF16 INLINE void filter_packed_flipped(int alpha, const float *weight, int cin, int cout, int p_begin, int p_end,
                                             uint32_t *packed, size_t packed_words) {
    int nr, nc, kb;
    dfl_bf16_packed_layout(cin, &nr, &nc, &kb);
    const int a2 = alpha * alpha, pairs = (cout + 1) / 2;
    const int stream = streams(a2, packed, packed_words);
    const size_t tap = (size_t)cin * cout;
    v16 block[9][16], g0[9], g1[9], out0[36], out1[36];
    for (int c = 0; c < cin; c += 16) {
        const __mmask16 m = lanes(cin - c);
        for (int p0 = p_begin / 8 * 8; p0 < p_end; p0 += 8) {
            const int o0 = 2 * p0;                              // the block's first output channel
            const __mmask16 om = lanes(cout - o0);
            // block[t][o] = weight tap t, input channels c..c+15, output channel o0 + o.
            for (int t = 0; t < 9; t++) {
                for (int i = 0; i < 16; i++)
                    block[t][i] = c + i < cin ? _mm512_maskz_loadu_ps(om, weight + t * tap + (size_t)(c + i) * cout + o0)
                                              : _mm512_setzero_ps();
                transpose16(block[t]);
            }
            const int pa = p0 > p_begin ? p0 : p_begin, pb = p0 + 8 < p_end ? p0 + 8 : p_end;
            for (int p = pa; p < pb; p++) {
                const int o = 2 * (p - p0), second = 2 * p + 1 < cout;
                for (int t = 0; t < 9; t++) {
                    g0[t] = block[8 - t][o];
                    g1[t] = block[8 - t][o + 1];
                }
                filter_pair(alpha, g0, second ? g1 : NULL, out0, out1);
                store_pairs(a2, out0, out1, packed, packed_words, packed_word(p, c, cin, pairs, nr, nc, kb), m, stream);
            }
        }
    }
    if (stream) _mm_sfence();
}

AVX512BF16 void dfl_winograd_filter_packed_flipped_bf16(int alpha, const float *weight, int cin, int cout, int p_begin,
                                                        int p_end, uint32_t *packed, size_t packed_words) {
    if (alpha == 6) filter_packed_flipped(6, weight, cin, cout, p_begin, p_end, packed, packed_words);
    else filter_packed_flipped(4, weight, cin, cout, p_begin, p_end, packed, packed_words);
}

AVX512BF16 void dfl_winograd_filter_packed_bf16(int alpha, const float *weight, int cin, int cout, int p_begin,
                                                int p_end, uint32_t *packed, size_t packed_words) {
    if (alpha == 6) filter_packed(6, weight, cin, cout, p_begin, p_end, packed, packed_words);
    else filter_packed(4, weight, cin, cout, p_begin, p_end, packed, packed_words);
}

// G^T along one axis (the adjoint of G): alpha values -> 3 taps.
AVX512BF16 INLINE void filter_adjoint_1d(int alpha, const v16 *u, v16 *o) {
    if (alpha == 4) {
        v16 s = mul(0.5f, add(u[1], u[2]));
        o[0] = add(u[0], s); o[1] = mul(0.5f, sub(u[1], u[2])); o[2] = add(s, u[3]);
    } else {
        v16 s12 = add(u[1], u[2]), d12 = sub(u[1], u[2]), s34 = add(u[3], u[4]), d34 = sub(u[3], u[4]);
        o[0] = add(sub(mul(0.25f, u[0]), mul(1.0f / 6.0f, s12)), mul(1.0f / 24.0f, s34));
        o[1] = add(mul(-1.0f / 6.0f, d12), mul(1.0f / 12.0f, d34));
        o[2] = add(add(mul(-1.0f / 6.0f, s12), mul(1.0f / 6.0f, s34)), u[5]);
    }
}

AVX512BF16 INLINE void filter_gradient(int alpha, const float *du, int cin, int cout, size_t plane, int ci_begin,
                                       int ci_end, float *dweight, size_t ldw) {
    const size_t weight_plane = (size_t)cin * ldw;
    v16 tmp[18], d[6], o[3];
    for (int ci = ci_begin; ci < ci_end; ci++) {
        const float *src = du + (size_t)ci * cout;
        float *dst = dweight + (size_t)ci * ldw;
        for (int c = 0; c < cout; c += 16) {
            __mmask16 m = lanes(cout - c);
            for (int j = 0; j < alpha; j++) {
                for (int i = 0; i < alpha; i++) d[i] = _mm512_maskz_loadu_ps(m, src + (i * alpha + j) * plane + c);
                filter_adjoint_1d(alpha, d, o);
                for (int ky = 0; ky < 3; ky++) tmp[ky * alpha + j] = o[ky];
            }
            for (int ky = 0; ky < 3; ky++) {
                for (int j = 0; j < alpha; j++) d[j] = tmp[ky * alpha + j];
                filter_adjoint_1d(alpha, d, o);
                for (int kx = 0; kx < 3; kx++) {
                    float *p = dst + (ky * 3 + kx) * weight_plane + c;
                    _mm512_mask_storeu_ps(p, m, add(_mm512_maskz_loadu_ps(m, p), o[kx]));
                }
            }
        }
    }
}

AVX512BF16 void dfl_winograd_filter_gradient(int alpha, const float *du, int cin, int cout, size_t plane, int ci_begin,
                                             int ci_end, float *dweight, size_t ldw) {
    if (alpha == 6) filter_gradient(6, du, cin, cout, plane, ci_begin, ci_end, dweight, ldw);
    else filter_gradient(4, du, cin, cout, plane, ci_begin, ci_end, dweight, ldw);
}
