// CLearningKernels: elementwise float32 kernels for the optimisers of the Learning module.
//
// Every kernel works on flat arrays of `n` elements that must not overlap (restrict). Each is
// compiled in several versions (x86-64-v4, x86-64-v3, baseline) and the loader picks the best
// one for the CPU at start-up (function multiversioning, `target_clones`). Floating-point
// contraction is off in the implementation, so every version rounds identically: the same
// inputs give the same bits on every machine of a cluster.
#ifndef CLEARNINGKERNELS_H
#define CLEARNINGKERNELS_H

#include <stddef.h>

#include "CLearningHalo.h"

#ifdef __cplusplus
extern "C" {
#endif

/// One Adam step (Kingma & Ba), with optional L2 weight decay added to the gradient:
///   g = grad + weightDecay·param
///   m = beta1·m + (1 - beta1)·g
///   v = beta2·v + (1 - beta2)·g²
///   param -= lr · (m / biasCorrection1) / (sqrt(v / biasCorrection2) + eps)
/// with biasCorrection1 = 1 - beta1^t and biasCorrection2 = 1 - beta2^t for the 1-based step t.
void cl_adam_step(float *restrict param, const float *restrict grad,
                  float *restrict m, float *restrict v, size_t n,
                  float lr, float beta1, float beta2, float eps, float weightDecay,
                  float biasCorrection1, float biasCorrection2);

/// One AdamW step (Loshchilov & Hutter): decoupled weight decay, then the Adam update of `grad`:
///   param *= 1 - lr·weightDecay
///   m, v and param as in cl_adam_step with weightDecay 0.
void cl_adamw_step(float *restrict param, const float *restrict grad,
                   float *restrict m, float *restrict v, size_t n,
                   float lr, float beta1, float beta2, float eps, float weightDecay,
                   float biasCorrection1, float biasCorrection2);

/// One SGD step with momentum (no dampening; PyTorch's convention):
///   g = grad + weightDecay·param
///   buffer = momentum·buffer + g             (skipped when momentum == 0; buffer may then be NULL)
///   d = nesterov ? g + momentum·buffer : buffer   (d = g when momentum == 0)
///   param -= lr·d
/// A zero-initialised buffer makes the first step equal to PyTorch's (buffer = g).
void cl_sgd_step(float *restrict param, const float *restrict grad,
                 float *restrict buffer, size_t n,
                 float lr, float momentum, float weightDecay, int nesterov);

/// Sum of x[i]² accumulated in double, in a fixed order (eight interleaved partial sums added
/// pairwise), so the result does not depend on the version chosen.
double cl_sum_of_squares(const float *restrict x, size_t n);

/// x[i] *= factor.
void cl_scale(float *restrict x, size_t n, float factor);

#ifdef __cplusplus
}
#endif

#endif
