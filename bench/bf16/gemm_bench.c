// GFLOP/s of one GEMM shape, single thread, for choosing the bf16 kernel (docs/bf16.md):
//   sgemm    OpenBLAS cblas_sgemm, fp32 (today's path)
//   ours     dfl_bf16_gemm AVX512-BF16 kernel, fp32 in and out (conversion and packing included)
//   ours-in  the same kernel on operands already bf16 in the layouts it reads in place (A as pair-word rows and
//            B packed once, or both k-major for a transposed A): what the Winograd passes run
//   port     the portable twin (same numerics), for reference
//   xsmm     libxsmm 1.17 libxsmm_bsmmdispatch (JIT, bf16 in, fp32 out), operands already bf16 in the layout it
//            wants (A row-major as its column-major B; B in VNNI pairs as its A): kernel time only
//   xsmm+cvt the same plus converting A and packing B from fp32 with our AVX512 routines (what the engine
//            would have to pay per call), non-transposed shapes only
// Usage: gemm_bench [--reps N] [--blocking KP,NC,MC] [--panel 16|32|64] < shapes   (lines: ta tb m n k beta [label])
// Rates are per thread-CPU-second (a shared machine disturbs them less than wall-clock ones), median of N.
// Built by bench/bf16/run.sh; needs libopenblas-dev, and libxsmm-dev for the xsmm columns (HAVE_XSMM).
#include "cbf16.h"

#include <cblas.h>
#ifdef HAVE_XSMM
#include <libxsmm.h>
#endif
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);   // CPU time: a shared machine disturbs it less
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static float rnd(unsigned *s) {
    *s = *s * 1664525u + 1013904223u;
    return (float)(*s >> 8) / 16777216.0f - 0.5f;
}

static inline uint16_t bf(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

__attribute__((target("avx512f,avx512bw,avx512bf16")))
__attribute__((unused)) static void convert(const float *x, uint16_t *y, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) _mm256_storeu_si256((__m256i *)(y + i), (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(x + i)));
    for (; i < n; i++) y[i] = bf(x[i]);
}

/// B (k × n row-major) as VNNI pairs: out[(p·n + j)·2 + e] = B[2p + e][j].
__attribute__((unused)) static void vnni(const float *b, int k, int n, uint16_t *out) {
    for (int p = 0; p < (k + 1) / 2; p++)
        for (int j = 0; j < n; j++) {
            out[((size_t)p * n + j) * 2] = bf(b[(size_t)2 * p * n + j]);
            out[((size_t)p * n + j) * 2 + 1] = 2 * p + 1 < k ? bf(b[(size_t)(2 * p + 1) * n + j]) : 0;
        }
}

typedef void (*run_fn)(void *);
static double time_it(run_fn f, void *ctx, int reps, double flops) {
    double t[64];
    f(ctx);
    if (reps > 64) reps = 64;
    for (int r = 0; r < reps; r++) { double t0 = now(); f(ctx); t[r] = now() - t0; }
    qsort(t, reps, sizeof(double), cmp);
    return flops / t[reps / 2] / 1e9;
}

struct ctx {
    int ta, tb, m, n, k;
    float beta;
    float *a, *b, *c;
    uint16_t *a16, *bv;
    uint32_t *aw, *bw;   // ours-in: A rows (or k-major A), B packed (or k-major B)
#ifdef HAVE_XSMM
    libxsmm_bsmmfunction xk, xk_tail;
#endif
    int xblock;
};

static void run_sgemm(void *p) {
    struct ctx *x = p;
    cblas_sgemm(CblasRowMajor, x->ta ? CblasTrans : CblasNoTrans, x->tb ? CblasTrans : CblasNoTrans, x->m, x->n, x->k,
                1, x->a, x->ta ? x->m : x->k, x->b, x->tb ? x->k : x->n, x->beta, x->c, x->n);
}
static void run_ours(void *p) {
    struct ctx *x = p;
    dfl_bf16_gemm(DFL_BF16_AVX512, x->ta, x->tb, x->m, x->n, x->k, x->a, x->ta ? x->m : x->k, x->b, x->tb ? x->k : x->n,
                  x->beta, x->c, x->n);
}
static void run_ours_in(void *p) {
    struct ctx *x = p;
    int words = (x->k + 1) / 2;
    if (x->ta) dfl_bf16_gemm_kmajor(DFL_BF16_AVX512, x->m, x->n, words, x->aw, x->m, x->bw, x->n, x->beta, x->c, x->n);
    else dfl_bf16_gemm_rows(DFL_BF16_AVX512, x->m, x->n, x->k, x->aw, words, x->bw, x->beta, x->c, x->n);
}
static void run_port(void *p) {
    struct ctx *x = p;
    dfl_bf16_gemm(DFL_BF16_PORTABLE, x->ta, x->tb, x->m, x->n, x->k, x->a, x->ta ? x->m : x->k, x->b,
                  x->tb ? x->k : x->n, x->beta, x->c, x->n);
}
#ifdef HAVE_XSMM
// Column-major view: C'(n × m) = B'(n × k, VNNI) · A'(k × m); the rows of C are cut into blocks of xblock.
static void run_xsmm(void *p) {
    struct ctx *x = p;
    int i = 0;
    for (; i + x->xblock <= x->m; i += x->xblock)
        x->xk((const libxsmm_bfloat16 *)x->bv, (const libxsmm_bfloat16 *)(x->a16 + (size_t)i * x->k), x->c + (size_t)i * x->n);
    if (i < x->m)
        x->xk_tail((const libxsmm_bfloat16 *)x->bv, (const libxsmm_bfloat16 *)(x->a16 + (size_t)i * x->k), x->c + (size_t)i * x->n);
}
static void run_xsmm_cvt(void *p) {
    struct ctx *x = p;
    convert(x->a, x->a16, (size_t)x->m * x->k);
    vnni(x->b, x->k, x->n, x->bv);
    run_xsmm(p);
}
#endif

int main(int argc, char **argv) {
    int reps = 9;
    for (int i = 1; i + 1 < argc; i++) {
        if (!strcmp(argv[i], "--reps")) reps = atoi(argv[i + 1]);
        if (!strcmp(argv[i], "--blocking")) {   // k pairs, columns, rows per block
            int kb = 0, nc = 0, mc = 0;
            sscanf(argv[i + 1], "%d,%d,%d", &kb, &nc, &mc);
            dfl_bf16_set_blocking(kb, nc, mc);
        }
        if (!strcmp(argv[i], "--panel")) dfl_bf16_set_panel(atoi(argv[i + 1]));
    }
    openblas_set_num_threads(1);
#ifdef HAVE_XSMM
    libxsmm_init();
    printf("# libxsmm target %s, ", libxsmm_get_target_arch());
#endif
    printf("# openblas %s, avx512bf16 %d\n", openblas_get_corename(), dfl_bf16_hardware());
    printf("%-28s %5s %5s %5s %2s %2s %8s %8s %8s %8s %8s %8s\n", "label", "m", "n", "k", "ta", "tb", "sgemm", "ours",
           "port", "xsmm", "xsmm+cvt", "ours-in");
    char line[256];
    unsigned seed = 1;
    while (fgets(line, sizeof line, stdin)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        struct ctx x = {0};
        char label[128] = "";
        if (sscanf(line, "%d %d %d %d %d %f %127s", &x.ta, &x.tb, &x.m, &x.n, &x.k, &x.beta, label) < 6) continue;
        size_t sa = (size_t)x.m * x.k, sb = (size_t)x.k * x.n, sc = (size_t)x.m * x.n;
        x.a = malloc(sa * 4); x.b = malloc(sb * 4); x.c = malloc(sc * 4);
        x.a16 = malloc(sa * 2); x.bv = malloc(((size_t)x.k + 1) * x.n * 2);
        for (size_t i = 0; i < sa; i++) x.a[i] = rnd(&seed);
        for (size_t i = 0; i < sb; i++) x.b[i] = rnd(&seed);
        for (size_t i = 0; i < sc; i++) x.c[i] = rnd(&seed);
        double flops = 2.0 * x.m * x.n * x.k;
        double g_s = time_it(run_sgemm, &x, reps, flops);
        double g_o = time_it(run_ours, &x, reps, flops);
        double g_p = flops < 2e8 ? time_it(run_port, &x, 3, flops) : 0;
        double g_in = 0;
        if (!x.tb) {
            // The Winograd layouts: A (m × k, or k × m when ta) and B (k × n) as bf16 pair words.
            int words = (x.k + 1) / 2;
            x.aw = calloc((size_t)words * x.m, 4);
            for (int i = 0; i < x.m; i++)
                for (int kk = 0; kk < x.k; kk++) {
                    float v = x.ta ? x.a[(size_t)kk * x.m + i] : x.a[(size_t)i * x.k + kk];
                    size_t w = x.ta ? (size_t)(kk / 2) * x.m + i : (size_t)i * words + kk / 2;
                    x.aw[w] |= (uint32_t)bf(v) << (16 * (kk % 2));
                }
            if (x.ta) {
                x.bw = calloc((size_t)words * x.n, 4);
                for (int kk = 0; kk < x.k; kk++)
                    for (int j = 0; j < x.n; j++) x.bw[(size_t)(kk / 2) * x.n + j] |= (uint32_t)bf(x.b[(size_t)kk * x.n + j]) << (16 * (kk % 2));
            } else {
                x.bw = malloc(dfl_bf16_packed_words(x.k, x.n) * 4);
                dfl_bf16_pack_b(DFL_BF16_AVX512, 0, x.k, x.n, x.b, x.n, x.bw);
            }
            g_in = time_it(run_ours_in, &x, reps, flops);
            free(x.aw); free(x.bw);
        }
        double g_x = 0, g_xc = 0;
#ifdef HAVE_XSMM
        if (!x.ta && !x.tb) {
            convert(x.a, x.a16, sa);
            vnni(x.b, x.k, x.n, x.bv);
            float alpha = 1, beta = x.beta;
            int flags = LIBXSMM_GEMM_FLAG_VNNI_A;
            libxsmm_blasint lda = x.n, ldb = x.k, ldc = x.n;
            x.xblock = x.m < 64 ? x.m : 64;
            x.xk = libxsmm_bsmmdispatch(x.n, x.xblock, x.k, &lda, &ldb, &ldc, &alpha, &beta, &flags, NULL);
            int tail = x.m % x.xblock;
            x.xk_tail = tail ? libxsmm_bsmmdispatch(x.n, tail, x.k, &lda, &ldb, &ldc, &alpha, &beta, &flags, NULL) : x.xk;
            if (x.xk && x.xk_tail) {
                // Check against our portable kernel (same operands; libxsmm's summation order is its own).
                float *c1 = malloc(sc * 4), *c2 = malloc(sc * 4);
                memcpy(c1, x.c, sc * 4); memcpy(c2, x.c, sc * 4);
                float *save = x.c;
                x.c = c1; run_xsmm(&x);
                x.c = c2; run_port(&x);
                x.c = save;
                double maxd = 0;
                for (size_t i = 0; i < sc; i++) { double d = c1[i] - c2[i]; if (d < 0) d = -d; if (d > maxd) maxd = d; }
                if (maxd > 1e-3) printf("# %s: libxsmm differs from the reference by %g\n", label, maxd);
                free(c1); free(c2);
                g_x = time_it(run_xsmm, &x, reps, flops);
                g_xc = time_it(run_xsmm_cvt, &x, reps, flops);
            } else {
                printf("# %s: libxsmm dispatch returned NULL\n", label);
            }
        }
#endif
        printf("%-28s %5d %5d %5d %2d %2d %8.1f %8.1f %8.1f %8.1f %8.1f %8.1f\n", label, x.m, x.n, x.k, x.ta, x.tb, g_s, g_o, g_p,
               g_x, g_xc, g_in);
        fflush(stdout);
        free(x.a); free(x.b); free(x.c); free(x.a16); free(x.bv);
    }
    return 0;
}
