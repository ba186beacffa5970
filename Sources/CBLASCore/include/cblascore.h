// OpenBLAS's kernel choice on CPUs it does not know (docs/blas-core.md).
//
// Debian's OpenBLAS (0.3.21, DYNAMIC_ARCH) picks its kernels from the CPU's family and model. On a CPU
// newer than the library, or one a hypervisor presents under a generic name, it falls back to its SSE3
// "Prescott" kernels: on a 2-core Intel Xeon with AVX-512 (family 6, model 207, under KVM), sgemm runs at
// 34 GFLOP/s per core there against 168 with its SkylakeX kernels. These functions notice that fallback and
// re-run OpenBLAS's own selection with the kernels the CPU's instruction sets allow, as
// OPENBLAS_CORETYPE would have done.
#ifndef CBLASCORE_H
#define CBLASCORE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// What the CPU and the OS allow, from CPUID and XGETBV.
enum {
    DFL_ISA_BASELINE = 0,   ///< no AVX2 + FMA with the YMM state saved
    DFL_ISA_AVX2 = 1,       ///< AVX2 and FMA
    DFL_ISA_AVX512 = 2,     ///< AVX-512 F, CD, BW, DQ and VL with the ZMM state saved
};

/// The level above for this CPU.
int dfl_cpu_isa_level(void);

/// The OpenBLAS core name that should replace `openblas_core` on a CPU of `isa_level`, or NULL to keep it:
/// "SkylakeX" (AVX-512) or "Haswell" (AVX2) when `openblas_core` is one of OpenBLAS's pre-AVX kernel
/// sets (its fallback for unknown CPUs is "Prescott"), and only when `coretype_env_set` is 0: a user's
/// OPENBLAS_CORETYPE always wins.
const char *dfl_blas_core_replacing(const char *openblas_core, int isa_level, int coretype_env_set);

/// Status codes of dfl_blas_choose_core.
enum {
    DFL_BLAS_CORE_KEPT = 0,          ///< OpenBLAS's own choice stands
    DFL_BLAS_CORE_SWITCHED = 1,      ///< OpenBLAS re-ran its selection with the core dfl_blas_core_replacing named
    DFL_BLAS_CORE_UNAVAILABLE = -1,  ///< a switch was due, but the library lacks the DYNAMIC_ARCH entry points
};

/// Applies dfl_blas_core_replacing to the running OpenBLAS, once per process (later calls return the first
/// call's status). Call it before the first BLAS call, while no other thread can be calling BLAS. The
/// environment is left as it was.
int dfl_blas_choose_core(void);

/// OpenBLAS's own choice before dfl_blas_choose_core changed it ("" before that call or when it kept it).
const char *dfl_blas_core_replaced(void);

#ifdef __cplusplus
}
#endif

#endif
