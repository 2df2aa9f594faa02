// oneDNN (Debian's libdnnl-dev 2.6, C API) for the Learning module's convolutions.
//
// oneDNN's CPU build in Debian runs on OpenMP (libgomp): it starts OMP_NUM_THREADS threads per
// process. Cascade runs one rank per core, so the trainer sets OMP_NUM_THREADS=1 (as for
// OPENBLAS_NUM_THREADS); otherwise every rank would start one thread per core.
//
// Swift imports the enums as structs (use `.rawValue`) and the handles as OpaquePointer. The
// macros below are not plain integer literals (or are pointers), so they are re-exported as
// constants Swift can see.
#ifndef CASCADE_CDNNL_SHIM_H
#define CASCADE_CDNNL_SHIM_H
#include <oneapi/dnnl/dnnl.h>

/// Execution-argument indices of dnnl_exec_arg_t.arg (DNNL_ARG_*), as one enum Swift imports.
enum {
    CDNNL_ARG_SRC = DNNL_ARG_SRC,
    CDNNL_ARG_DST = DNNL_ARG_DST,
    CDNNL_ARG_FROM = DNNL_ARG_FROM,
    CDNNL_ARG_TO = DNNL_ARG_TO,
    CDNNL_ARG_WEIGHTS = DNNL_ARG_WEIGHTS,
    CDNNL_ARG_BIAS = DNNL_ARG_BIAS,
    CDNNL_ARG_DIFF_SRC = DNNL_ARG_DIFF_SRC,
    CDNNL_ARG_DIFF_DST = DNNL_ARG_DIFF_DST,
    CDNNL_ARG_DIFF_WEIGHTS = DNNL_ARG_DIFF_WEIGHTS,
    CDNNL_ARG_DIFF_BIAS = DNNL_ARG_DIFF_BIAS,
    CDNNL_ARG_SCRATCHPAD = DNNL_ARG_SCRATCHPAD,
};

/// DNNL_MEMORY_NONE: a memory object without a buffer (the data handle is set before each use).
static inline void *cdnnl_memory_none(void) { return DNNL_MEMORY_NONE; }

/// DNNL_MEMORY_ALLOCATE: the library allocates the memory object's buffer.
static inline void *cdnnl_memory_allocate(void) { return DNNL_MEMORY_ALLOCATE; }

/// OpenMP's thread count for oneDNN (libgomp, linked by the module). libgomp reads
/// OMP_NUM_THREADS when it loads, too early for a program to set it, so kinds that run
/// convolutions call this when the user has not chosen (one rank per core).
void omp_set_num_threads(int);
static inline void cdnnl_set_threads(int threads) { omp_set_num_threads(threads); }

#endif
