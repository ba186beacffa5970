// See include/cblascore.h and docs/blas-core.md.
#define _GNU_SOURCE
#include "cblascore.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define DFL_X86 1
#endif

int dfl_cpu_isa_level(void) {
#ifdef DFL_X86
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return DFL_ISA_BASELINE;
    int fma = (ecx >> 12) & 1, osxsave = (ecx >> 27) & 1;
    if (!osxsave) return DFL_ISA_BASELINE;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    int ymm_state = (lo & 0x06) == 0x06, zmm_state = (lo & 0xE6) == 0xE6;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return DFL_ISA_BASELINE;
    int avx2 = (ebx >> 5) & 1;
    int f = (ebx >> 16) & 1, dq = (ebx >> 17) & 1, cd = (ebx >> 28) & 1, bw = (ebx >> 30) & 1, vl = (ebx >> 31) & 1;
    if (zmm_state && avx2 && fma && f && dq && cd && bw && vl) return DFL_ISA_AVX512;
    if (ymm_state && avx2 && fma) return DFL_ISA_AVX2;
#endif
    return DFL_ISA_BASELINE;
}

// OpenBLAS's x86 kernel sets that predate AVX (its corename strings).
static const char *const pre_avx_cores[] = {
    "Katmai", "Coppermine", "Northwood", "Prescott", "Banias", "Atom", "Core2", "Penryn", "Dunnington",
    "Nehalem", "Athlon", "Opteron", "Opteron(SSE3)", "Barcelona", "Nano", "Bobcat", "Unknown",
};

const char *dfl_blas_core_replacing(const char *openblas_core, int isa_level, int coretype_env_set) {
    if (coretype_env_set || openblas_core == NULL || isa_level == DFL_ISA_BASELINE) return NULL;
    int generic = 0;
    for (size_t i = 0; i < sizeof pre_avx_cores / sizeof *pre_avx_cores; i++)
        if (strcasecmp(openblas_core, pre_avx_cores[i]) == 0) generic = 1;
    if (!generic) return NULL;
    return isa_level == DFL_ISA_AVX512 ? "SkylakeX" : "Haswell";
}

static char replaced[32];
static int status = DFL_BLAS_CORE_KEPT;
static pthread_once_t once = PTHREAD_ONCE_INIT;

const char *dfl_blas_core_replaced(void) { return replaced; }

static void choose_core(void) {
    // Looked up at run time: a BLAS without DYNAMIC_ARCH (or not OpenBLAS) lacks them, and then nothing changes.
    char *(*corename)(void) = (char *(*)(void))dlsym(RTLD_DEFAULT, "openblas_get_corename");
    void (*quit)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "gotoblas_dynamic_quit");
    void (*init)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "gotoblas_dynamic_init");
    if (corename == NULL) return;
    const char *current = corename();
    const char *wanted = dfl_blas_core_replacing(current, dfl_cpu_isa_level(), getenv("OPENBLAS_CORETYPE") != NULL);
    if (wanted == NULL) return;
    if (quit == NULL || init == NULL) { status = DFL_BLAS_CORE_UNAVAILABLE; return; }
    strncpy(replaced, current, sizeof replaced - 1);
    // OpenBLAS's own selection, run again with the variable it reads; the variable was unset (else
    // `wanted` is NULL) and is unset again after.
    setenv("OPENBLAS_CORETYPE", wanted, 1);
    quit();
    init();
    unsetenv("OPENBLAS_CORETYPE");
    status = DFL_BLAS_CORE_SWITCHED;
}

int dfl_blas_choose_core(void) {
    pthread_once(&once, choose_core);
    return status;
}
