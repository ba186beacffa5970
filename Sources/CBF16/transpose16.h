// A 16 x 16 transpose of 32-bit lanes in AVX-512 registers, shared by the bf16 GEMM (bf16gemm.c) and the
// Winograd transforms (winograd_bf16.c). Include after defining AVX512BF16, INLINE and v16 (= __m512).
#ifndef DFL_TRANSPOSE16_H
#define DFL_TRANSPOSE16_H

// The 16 x 16 transpose of r (row i in r[i]) in place.
AVX512BF16 INLINE void transpose16(v16 *r) {
    v16 t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    // Per 128-bit lane L of group g = rows 4g..4g+3: r[4g + j] holds rows 4g..4g+3 of column 4L + j.
    for (int g = 0; g < 16; g += 4) {
        r[g] = _mm512_shuffle_ps(t[g], t[g + 2], 0x44);
        r[g + 1] = _mm512_shuffle_ps(t[g], t[g + 2], 0xee);
        r[g + 2] = _mm512_shuffle_ps(t[g + 1], t[g + 3], 0x44);
        r[g + 3] = _mm512_shuffle_ps(t[g + 1], t[g + 3], 0xee);
    }
    for (int j = 0; j < 4; j++) {
        v16 a = _mm512_shuffle_f32x4(r[j], r[4 + j], 0x88), b = _mm512_shuffle_f32x4(r[j], r[4 + j], 0xdd);
        v16 c = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0x88), d = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0xdd);
        t[j] = _mm512_shuffle_f32x4(a, c, 0x88);        // column j
        t[8 + j] = _mm512_shuffle_f32x4(a, c, 0xdd);    // column 8 + j
        t[4 + j] = _mm512_shuffle_f32x4(b, d, 0x88);    // column 4 + j
        t[12 + j] = _mm512_shuffle_f32x4(b, d, 0xdd);   // column 12 + j
    }
    for (int i = 0; i < 16; i++) r[i] = t[i];
}

#endif
