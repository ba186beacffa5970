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

// G g G^T of one 3x3 filter slice: tap (ky, kx) at src + (ky*3 + kx)*tap, columns c..c+15.
AVX512BF16 INLINE void filter_tile(int alpha, const float *src, size_t tap, __mmask16 m, v16 *out) {
    v16 tmp[18], d[3], o[6];
    for (int kx = 0; kx < 3; kx++) {
        for (int ky = 0; ky < 3; ky++) d[ky] = _mm512_maskz_loadu_ps(m, src + (ky * 3 + kx) * tap);
        filter_1d(alpha, d, o);
        for (int i = 0; i < alpha; i++) tmp[i * 3 + kx] = o[i];
    }
    for (int i = 0; i < alpha; i++) {
        for (int kx = 0; kx < 3; kx++) d[kx] = tmp[i * 3 + kx];
        filter_1d(alpha, d, o);
        for (int j = 0; j < alpha; j++) out[i * alpha + j] = o[j];
    }
}

AVX512BF16 INLINE void filter_packed(int alpha, const float *weight, int cin, int cout, int p_begin, int p_end,
                                     uint32_t *packed, size_t packed_words) {
    int nr, nc, kb;
    dfl_bf16_packed_layout(cout, &nr, &nc, &kb);
    const int a2 = alpha * alpha, pairs = (cin + 1) / 2;
    const size_t tap = (size_t)cin * cout;
    v16 out0[36], out1[36];
    for (int p = p_begin; p < p_end; p++) {
        const float *src0 = weight + (size_t)2 * p * cout;
        const int second = 2 * p + 1 < cin;
        const int pc = p / kb * kb, kp = pairs - pc < kb ? pairs - pc : kb;
        for (int c = 0; c < cout; c += 16) {
            __mmask16 m = lanes(cout - c);
            filter_tile(alpha, src0 + c, tap, m, out0);
            if (second) filter_tile(alpha, src0 + cout + c, tap, m, out1);
            else for (int xi = 0; xi < a2; xi++) out1[xi] = _mm512_setzero_ps();
            // Word (p, c) of the packed layout (cbf16.h); 16 columns from a multiple of 16 stay in one panel.
            const int jc = c / nc * nc, ncols = cout - jc < nc ? cout - jc : nc, q = (c - jc) / nr;
            const size_t at = (size_t)jc / nr * nr * pairs + (size_t)((ncols + nr - 1) / nr) * nr * pc +
                              (size_t)q * nr * kp + (size_t)(p - pc) * nr + (c - jc - q * nr);
            for (int xi = 0; xi < a2; xi++)
                _mm512_mask_storeu_epi32(packed + xi * packed_words + at, m, pair_words(out0[xi], out1[xi]));
        }
    }
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

AVX512BF16 INLINE void filter_gradient(int alpha, const float *du, int cin, int cout, int ci_begin, int ci_end,
                                       float *dweight, size_t ldw) {
    const size_t plane = (size_t)cin * cout, weight_plane = (size_t)cin * ldw;
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

AVX512BF16 void dfl_winograd_filter_gradient(int alpha, const float *du, int cin, int cout, int ci_begin, int ci_end,
                                             float *dweight, size_t ldw) {
    if (alpha == 6) filter_gradient(6, du, cin, cout, ci_begin, ci_end, dweight, ldw);
    else filter_gradient(4, du, cin, cout, ci_begin, ci_end, dweight, ldw);
}
