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

__attribute__((target("avx512f,avx512bf16"))) static double bf16_dot(long n) {
    __m512 acc[CHAINS];
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_setzero_ps();
    __m512bh x = (__m512bh)_mm512_set1_epi32(0x3f803f80);   // pairs of 1.0
    double t = now();
    for (long k = 0; k < n; k++) {
#pragma GCC unroll 12
        for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_dpbf16_ps(acc[i], x, x);
        __asm__ volatile("" : : "v"(acc[0]), "v"(acc[CHAINS - 1]));
    }
    t = now() - t;
    float s = 0;
    for (int i = 0; i < CHAINS; i++) s += _mm512_reduce_add_ps(acc[i]);
    if (s == 1) puts("");   // keeps the sums alive
    return (double)CHAINS * n * 64 / t / 1e9;
}

__attribute__((target("avx2,fma"))) static double fma_ymm(long n) {
    __m256 acc[CHAINS];
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm256_setzero_ps();
    __m256 x = _mm256_set1_ps(1e-9f);
    double t = now();
    for (long k = 0; k < n; k++) {
#pragma GCC unroll 12
        for (int i = 0; i < CHAINS; i++) acc[i] = _mm256_fmadd_ps(acc[i], x, x);
        __asm__ volatile("" : : "v"(acc[0]), "v"(acc[CHAINS - 1]));
    }
    t = now() - t;
    float s = 0;
    for (int i = 0; i < CHAINS; i++) s += acc[i][0];
    if (s == 1) puts("");
    return (double)CHAINS * n * 16 / t / 1e9;
}

__attribute__((target("avx512f"))) static double fma_zmm(long n) {
    __m512 acc[CHAINS];
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_setzero_ps();
    __m512 x = _mm512_set1_ps(1e-9f);
    double t = now();
    for (long k = 0; k < n; k++) {
#pragma GCC unroll 12
        for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_fmadd_ps(acc[i], x, x);
        __asm__ volatile("" : : "v"(acc[0]), "v"(acc[CHAINS - 1]));
    }
    t = now() - t;
    float s = 0;
    for (int i = 0; i < CHAINS; i++) s += _mm512_reduce_add_ps(acc[i]);
    if (s == 1) puts("");
    return (double)CHAINS * n * 32 / t / 1e9;
}

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
