// The core's peak multiply rates, for reading the kernels' GFLOP/s against (docs/bf16.md, "Kernel details"):
// 12 independent chains of VDPBF16PS zmm (32 multiply-adds each), of VFMADD231PS ymm and of VFMADD231PS zmm,
// one thread, wall-clock. 12 chains cover the instructions' latency on the x86 cores this project meets; the
// chains' loop is unrolled so the accumulators stay in registers (gcc -O2 otherwise keeps them in memory and
// measures half the rate).
//   cc -O2 bench/bf16/peak.c -o /tmp/peak && /tmp/peak        (gcc or clang)
// Without AVX512-BF16 (or AVX-512F) the lines that need it are left out.
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

enum { CHAINS = 12 };

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

// One function per instruction: CHAINS accumulators of type T, each updated by STEP(acc) n times; FLOPS per
// instruction; LANE0(acc) reads one lane so the sums stay alive.
#define DEFINE_PEAK(NAME, TARGET, T, ZERO, STEP, FLOPS, LANE0)                                              \
    __attribute__((target(TARGET))) static double NAME(long n) {                                          \
        T acc[CHAINS];                                                                                    \
        for (int i = 0; i < CHAINS; i++) acc[i] = ZERO;                                                   \
        double t = now();                                                                                 \
        for (long k = 0; k < n; k++) {                                                                    \
            _Pragma("GCC unroll 12") for (int i = 0; i < CHAINS; i++) acc[i] = STEP(acc[i]);              \
            __asm__ volatile("" : : "v"(acc[0]), "v"(acc[CHAINS - 1]));                                   \
        }                                                                                                 \
        t = now() - t;                                                                                    \
        float s = 0;                                                                                      \
        for (int i = 0; i < CHAINS; i++) s += LANE0(acc[i]);                                              \
        if (s == 1) puts("");                                                                             \
        return (double)CHAINS * n * FLOPS / t / 1e9;                                                      \
    }

// Pairs of 1.0 (bf16 0x3f80) for the dot product; a tiny addend for the FMAs so no value overflows.
#define BF16_STEP(a) _mm512_dpbf16_ps(a, (__m512bh)_mm512_set1_epi32(0x3f803f80), (__m512bh)_mm512_set1_epi32(0x3f803f80))
#define YMM_STEP(a) _mm256_fmadd_ps(a, _mm256_set1_ps(1e-9f), _mm256_set1_ps(1e-9f))
#define ZMM_STEP(a) _mm512_fmadd_ps(a, _mm512_set1_ps(1e-9f), _mm512_set1_ps(1e-9f))
#define ZMM_LANE0(a) _mm512_cvtss_f32(a)
#define YMM_LANE0(a) _mm256_cvtss_f32(a)

DEFINE_PEAK(bf16_dot, "avx512f,avx512bf16", __m512, _mm512_setzero_ps(), BF16_STEP, 64, ZMM_LANE0)
DEFINE_PEAK(fma_ymm, "avx2,fma", __m256, _mm256_setzero_ps(), YMM_STEP, 16, YMM_LANE0)
DEFINE_PEAK(fma_zmm, "avx512f", __m512, _mm512_setzero_ps(), ZMM_STEP, 32, ZMM_LANE0)

int main(void) {
    const long n = 100000000;
    __builtin_cpu_init();
    int bf16 = __builtin_cpu_supports("avx512bf16"), zmm = __builtin_cpu_supports("avx512f");
    for (int r = 0; r < 2; r++) {
        printf("peak GFLOP/s per core:");
        if (bf16) printf(" bf16_dot_zmm=%.1f", bf16_dot(n));
        printf(" fp32_fma_ymm=%.1f", fma_ymm(n));
        if (zmm) printf(" fp32_fma_zmm=%.1f", fma_zmm(n));
        printf("\n");
    }
    return 0;
}
