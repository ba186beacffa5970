// bf16 matrix multiplies with fp32 accumulation, for NeuralNet's bf16 precision.
//
// Numerics (both kernels): each operand is rounded fp32 -> bf16 to nearest even (NaN kept quiet, fp32
// denormals to signed zero, as VCVTNEPS2BF16 does); every output starts from 0 (beta 0) or from C (beta 1)
// and adds the exact bf16 x bf16 products in k order, pair by pair: for k-pair p, first the product of
// element 2p+1, then of element 2p, each addition rounded to nearest even in fp32 (the order in which
// VDPBF16PS adds, measured on Zen 4 and as Intel's SDM states), results below 2^-126 flushed to zero.
// The AVX512-BF16 kernel and the portable kernel therefore give bit-identical results on data whose
// products and partial sums stay above 2^-126 in magnitude (the portable one flushes a product below
// 2^-126 before adding it; VDPBF16PS adds it exactly and flushes only the sum).
#ifndef CBF16_H
#define CBF16_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when the CPU reports AVX512F + AVX512BW + AVX512-BF16 and the OS saves the ZMM state, else 0.
int dfl_bf16_hardware(void);

/// The kernels.
enum { DFL_BF16_PORTABLE = 0, DFL_BF16_AVX512 = 1 };

/// Row-major C = op(A) · op(B) + beta · C, op(A) m×k, op(B) k×n, beta 0 or 1, with the numerics above.
/// `kernel` DFL_BF16_AVX512 requires dfl_bf16_hardware() (else the portable kernel runs).
/// Single-threaded; safe to call from several threads at once (per-thread packing buffers).
void dfl_bf16_gemm(int kernel, int trans_a, int trans_b, int m, int n, int k,
                   const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);

/// Words of B (k × n) packed by dfl_bf16_pack_b under the current blocking.
size_t dfl_bf16_packed_words(int k, int n);

/// The packed layout for n columns: panels of `panel` columns, blocks of `column_block_size` columns and
/// `k_pairs_block` k pairs. Word (p, j) of a packed B (k-pair p, column j) sits at, with jc = j rounded down to
/// the column block, pc = p rounded down to the k block, kp = min(k_pairs_block, pairs − pc), q = (j − jc) / panel:
///   (jc / panel)·panel·pairs + ⌈ncols(jc) / panel⌉·panel·pc + q·panel·kp + (p − pc)·panel + (j − jc − q·panel)
/// (ncols(jc) = min(column_block_size, n − jc)). Lanes past n in the last panel are never read.
void dfl_bf16_packed_layout(int n, int *panel, int *column_block_size, int *k_pairs_block);

/// Packs op(B) (k × n) once for several dfl_bf16_gemm_rows calls (a Winograd layer's transformed filter).
void dfl_bf16_pack_b(int kernel, int trans_b, int k, int n, const float *b, int ldb, uint32_t *out);

/// C (m × n) = A · B (+ C when beta == 1) with A already bf16: row i holds k bf16 values (pair words,
/// an odd k padded with a zero) at a + i·lda_words; B packed by dfl_bf16_pack_b for (k, n).
void dfl_bf16_gemm_rows(int kernel, int m, int n, int k, const uint32_t *a, size_t lda_words, const uint32_t *b_packed,
                        float beta, float *c, int ldc);

/// C (m × n) = Σ_p A_p · B_p (+ C when beta == 1) over k pairs p, both operands k-major bf16 pair words:
/// word p of row i of A, (A[i][2p] | A[i][2p+1] << 16), at a[p·sa + i]; word p of column j of B at b[p·sb + j]
/// (a Winograd weight gradient: tiles paired, channels contiguous).
void dfl_bf16_gemm_kmajor(int kernel, int m, int n, int kpairs, const uint32_t *a, size_t sa, const uint32_t *b,
                          size_t sb, float beta, float *c, int ldc);

/// y[i] = the bf16 bits of x[i] (the GEMM's rounding), portable code.
void dfl_bf16_words(const float *x, uint16_t *y, size_t count);

/// y[i] = x[i] rounded to bf16 (as the GEMM rounds its operands), returned as fp32. y may be x.
void dfl_bf16_round(int kernel, const float *x, float *y, size_t count);

/// Blocking of the driver (k pairs per block, columns per block, rows per block), for measurements;
/// a value <= 0 leaves the setting unchanged.
void dfl_bf16_set_blocking(int k_pairs, int n_block, int m_block);

/// Micro-kernel column width of the AVX512 kernel: 16, 32 or 64 (0 = by n), for measurements.
void dfl_bf16_set_panel(int columns);

/// Whether dfl_bf16_gemm runs a product of fewer than 16 columns as its transpose (on by default; the
/// results are the same bits either way), for tests and measurements.
void dfl_bf16_set_transpose_narrow(int on);

/// Winograd transforms that write the bf16 operands of the Winograd GEMMs, the AVX512-BF16 twins of
/// NeuralNet's Swift transforms (same fp32 operations in the same order, same rounding: bit-identical).
/// They require dfl_bf16_hardware(). alpha is 4 (F(2x2, 3x3)) or 6 (F(4x4, 3x3)); pixels[i*alpha + j] is
/// the first channel of the tile's pixel (i, j) (a row of zeros outside the image).
///
/// B^T d B of one tile, `channels` channels: element xi's channel c at dst[xi*stride + c] as bf16 bits; an
/// odd channel count is padded with a zero at dst[xi*stride + channels].
void dfl_winograd_input_bf16(int alpha, const float *const *pixels, int channels, uint16_t *dst, size_t stride);

/// B^T d B of two tiles (pixels1 NULL: the second is zero), element xi's channel c as the word
/// bf16(tile 0) | bf16(tile 1) << 16 at dst[xi*stride_words + c].
void dfl_winograd_input_pairs_bf16(int alpha, const float *const *pixels0, const float *const *pixels1,
                                   int channels, uint32_t *dst, size_t stride_words);

/// A dY A^T of two output-gradient tiles (pixels[i*(alpha-2) + j]; pixels1 NULL: zero), stored as the pairs
/// above.
void dfl_winograd_output_gradient_pairs_bf16(int alpha, const float *const *pixels0, const float *const *pixels1,
                                             int channels, uint32_t *dst, size_t stride_words);

/// A^T M A of one tile's products (element xi's channel c at src[xi*src_stride + c]) into the (alpha-2)^2
/// pixels at pixels[i*(alpha-2) + j] (fp32), then + bias[c] (bias NULL: none), then with `leaky` the leaky
/// ReLU v > 0 ? v : v*slope; the order of NeuralNet's Swift output transform.
void dfl_winograd_output(int alpha, const float *src, size_t src_stride, float *const *pixels, int channels,
                         const float *bias, int leaky, float slope);

/// G g G^T of the 3x3 filter `weight` (tap (ky, kx), input channel i, output channel o at
/// weight[((ky*3 + kx)*cin + i)*cout + o]) for the input-channel pairs p_begin..<p_end, written into the packed
/// bf16 B layout of dfl_bf16_packed_layout(cout): element xi's pair word (p, o) at packed + xi*packed_words.
void dfl_winograd_filter_packed_bf16(int alpha, const float *weight, int cin, int cout, int p_begin, int p_end,
                                     uint32_t *packed, size_t packed_words);

/// The packed U of the input-gradient convolution of the layer whose filter is `weight` (as above): the
/// filter rotated 180 degrees with input and output channels exchanged, so k = cout (pairs p_begin..<p_end of
/// the layer's output channels) and the columns are the layer's cin, in dfl_bf16_packed_layout(cin). The same
/// bits as the flipped copy transformed by dfl_winograd_filter_packed_bf16.
void dfl_winograd_filter_packed_flipped_bf16(int alpha, const float *weight, int cin, int cout, int p_begin, int p_end,
                                             uint32_t *packed, size_t packed_words);

/// dW += G^T dU G for the input channels ci_begin..<ci_end: dU element xi of (i, o) at du[xi*plane + i*cout + o]
/// (plane >= cin*cout), dW tap (ky, kx) at dweight[((ky*3 + kx)*cin + i)*ldw + o] (fp32; the Swift weight
/// gradient's order). ldw >= cout lets dU be a block of dW's output channels.
void dfl_winograd_filter_gradient(int alpha, const float *du, int cin, int cout, size_t plane, int ci_begin, int ci_end,
                                  float *dweight, size_t ldw);

#ifdef __cplusplus
}
#endif

#endif
