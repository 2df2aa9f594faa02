// Periodic halos of NHWC image batches, for convolutions on the torus: the convolution then runs
// with padding 0 on the haloed image (see Sources/Learning/Conv/Conv2d.swift).
#ifndef CLEARNINGHALO_H
#define CLEARNINGHALO_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Writes the periodic extension of `x` (n samples of h × w × c, NHWC) into `halo`
/// (n × (h + 2·pad) × (w + 2·pad) × c): halo[s][i][j] = x[s][(i − pad) mod h][(j − pad) mod w].
/// Requires pad ≤ h and pad ≤ w.
void cl_periodic_halo(const float *restrict x, float *restrict halo, size_t n, size_t h, size_t w,
                      size_t c, size_t pad);

/// The adjoint of cl_periodic_halo: dx[s][i][j] = Σ of dhalo over every halo position that copies
/// x[s][i][j] (the interior one plus its wrapped images in the border). Overwrites dx.
void cl_periodic_halo_fold(const float *restrict dhalo, float *restrict dx, size_t n, size_t h,
                           size_t w, size_t c, size_t pad);

#ifdef __cplusplus
}
#endif

#endif
