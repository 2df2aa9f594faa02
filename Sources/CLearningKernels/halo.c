// Periodic halo copy and its adjoint (fold); see include/CLearningHalo.h.
//
// Rows of an NHWC sample are contiguous (w·c floats), so the copy is three memcpy per padded row
// (left wrap, interior, right wrap). The fold copies the interior rows and then adds each border
// element to the element it copies; its inner loops run over channels and vectorise
// (target_clones: one version per micro-architecture level). Only additions of the same terms in a
// fixed order: every version gives the same bits.
#include "CLearningHalo.h"

#include <string.h>

#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define CL_HALO_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif
#endif
#ifndef CL_HALO_CLONES
#define CL_HALO_CLONES
#endif

static inline size_t wrap(ptrdiff_t i, size_t n) {
    ptrdiff_t m = i % (ptrdiff_t)n;
    return (size_t)(m < 0 ? m + (ptrdiff_t)n : m);
}

CL_HALO_CLONES
void cl_periodic_halo(const float *restrict x, float *restrict halo, size_t n, size_t h, size_t w,
                      size_t c, size_t pad) {
    const size_t hp = h + 2 * pad, wp = w + 2 * pad;
    const size_t row = w * c, prow = wp * c, edge = pad * c;
    for (size_t s = 0; s < n; s++) {
        const float *xs = x + s * h * row;
        float *hs = halo + s * hp * prow;
        for (size_t i = 0; i < hp; i++) {
            const float *src = xs + wrap((ptrdiff_t)i - (ptrdiff_t)pad, h) * row;
            float *dst = hs + i * prow;
            memcpy(dst, src + row - edge, edge * sizeof(float));     // left border: last pad columns
            memcpy(dst + edge, src, row * sizeof(float));            // interior
            memcpy(dst + edge + row, src, edge * sizeof(float));     // right border: first pad columns
        }
    }
}

CL_HALO_CLONES
void cl_periodic_halo_fold(const float *restrict dhalo, float *restrict dx, size_t n, size_t h,
                           size_t w, size_t c, size_t pad) {
    const size_t hp = h + 2 * pad, wp = w + 2 * pad;
    const size_t row = w * c, prow = wp * c;
    for (size_t s = 0; s < n; s++) {
        const float *gs = dhalo + s * hp * prow;
        float *ds = dx + s * h * row;
        // Interior first (a plain copy), then the border rows and columns added onto their sources.
        for (size_t i = 0; i < h; i++) memcpy(ds + i * row, gs + (i + pad) * prow + pad * c, row * sizeof(float));
        for (size_t i = 0; i < hp; i++) {
            const int borderRow = i < pad || i >= h + pad;
            float *drow = ds + wrap((ptrdiff_t)i - (ptrdiff_t)pad, h) * row;
            const float *grow = gs + i * prow;
            for (size_t j = 0; j < wp; j++) {
                const int borderCol = j < pad || j >= w + pad;
                if (!borderRow && !borderCol) continue;
                float *d = drow + wrap((ptrdiff_t)j - (ptrdiff_t)pad, w) * c;
                const float *g = grow + j * c;
                for (size_t k = 0; k < c; k++) d[k] += g[k];
            }
        }
    }
}
