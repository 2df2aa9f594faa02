// CLearningKernels: elementwise float32 kernels for the optimisers and layers of the Learning module.
//
// Every kernel works on flat arrays that must not overlap (restrict). Each is
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

/// dst[i] = sources[0][i] + sources[1][i] + … + sources[count-1][i], added in that order (count >= 1).
/// dst may be one of the sources; the sources must not otherwise overlap dst.
void cl_sum_sources(float *dst, const float *const *sources, size_t count, size_t n);

/// dst[i] = sources[0][i] + … + sources[count-1][i] (in that order, as cl_sum_sources), and every
/// sources[k][i] set to 0 once read: one pass that sums and clears gradient buffers. dst must not
/// overlap any source (a scratch buffer).
void cl_sum_sources_clearing(float *restrict dst, float *const *sources, size_t count, size_t n);

/// x[i] *= factor.
void cl_scale(float *restrict x, size_t n, float factor);

// MARK: Activations
//
// exp is evaluated by a polynomial of our own (Cody–Waite range reduction, Cephes' degree-5
// minimax polynomial, 2^n assembled from bits; about 1 ulp), only ever of a non-positive
// argument, because libm's expf/tanhf calls block vectorisation. Results agree with the
// libm-based formulas to a few float32 ulps; NaN inputs give NaN outputs.

/// SiLU: y[i] = x[i]·σ(x[i]), σ(x) = 1/(1 + e^{−x}) evaluated without overflow.
void cl_silu_forward(const float *restrict x, float *restrict y, size_t n);

/// SiLU backward: dx[i] = dy[i]·σ(x)·(1 + x·(1 − σ(x))).
void cl_silu_backward(const float *restrict x, const float *restrict dy, float *restrict dx, size_t n);

/// GELU, tanh approximation: y = 0.5·x·(1 + tanh(u)), u = sqrt(2/π)·(x + 0.044715·x³), computed
/// as x·σ(2u) (the same function: 0.5·(1 + tanh(u)) = σ(2u)), which needs one exp and no tanh.
void cl_gelu_forward(const float *restrict x, float *restrict y, size_t n);

/// GELU backward: dx = dy·(s + 2·x·s·(1 − s)·sqrt(2/π)·(1 + 3·0.044715·x²)), s = σ(2u)
/// (equal to 0.5·(1 + t) + 0.5·x·(1 − t²)·u′ with t = tanh(u)).
void cl_gelu_backward(const float *restrict x, const float *restrict dy, float *restrict dx, size_t n);

/// Softmax of each of `rows` rows of n floats, in place: x[j] = e^{x[j] − m} / Σ_k e^{x[k] − m},
/// m the row maximum (so every exp argument is ≤ 0: no overflow). A row of −inf gives NaN.
void cl_softmax_rows(float *x, size_t rows, size_t n);

/// Softmax backward, in place on g: given the softmax rows p and dL/dp in g,
/// g[j] = p[j]·(g[j] − Σ_k p[k]·g[k]) = dL/d(logits).
void cl_softmax_backward_rows(const float *restrict p, float *restrict g, size_t rows, size_t n);

/// ReLU: y[i] = x[i] if x[i] > 0, else 0 (NaN gives 0, as the Swift max(0, x) it replaces).
void cl_relu_forward(const float *restrict x, float *restrict y, size_t n);

/// cl_relu_forward in place: x[i] = max(0, x[i]) (NaN gives 0).
void cl_relu_in_place(float *x, size_t n);

/// ReLU backward from the forward OUTPUT y: dx[i] = dy[i] if y[i] > 0, else 0 (y > 0 exactly where
/// the pre-activation is > 0; the derivative at the kink is 0).
void cl_relu_backward(const float *restrict y, const float *restrict dy, float *restrict dx, size_t n);

/// cl_relu_backward in place on `positions` × `channels` floats (channels fastest), adding each
/// channel's masked values to sums[c] (double, positions in order): dy[p, c] = 0 where y[p, c] <= 0,
/// sums[c] += Σ_p dy[p, c]. y and dy must not overlap.
void cl_relu_mask_sums(const float *restrict y, float *restrict dy, size_t positions, size_t channels,
                       double *restrict sums);

/// cl_relu_backward into dx with the same per-channel sums as cl_relu_mask_sums.
void cl_relu_backward_sums(const float *restrict y, const float *restrict dy, float *restrict dx, size_t positions,
                           size_t channels, double *restrict sums);

// MARK: GroupNorm
//
// A batch of `rows` samples, each `positions` × `channels` floats (channels fastest: NHWC with
// positions = H·W, or a vector sample with positions = 1). The channels are split into `groups`
// contiguous groups of channels/groups; each (sample, group) is normalised over its
// positions × channels/groups values m with the biased variance:
//   μ = mean(x), σ² = mean((x − μ)²), r = 1/sqrt(σ² + eps), x̂ = (x − μ)·r, y = γ_c·x̂ + β_c.
// Sums are accumulated per channel over the positions in double (loops across channels
// vectorise; shifted by the channel's first value, so one pass gives the variance without
// cancellation), then over each group's channels in a fixed order: every version gives the same bits.

/// Doubles of workspace the GroupNorm kernels need for `channels` channels.
size_t cl_group_norm_workspace(size_t channels);

/// GroupNorm forward. Writes y (rows × positions × channels) and, for backward, the μ and r of
/// every (sample, group) into mean and rstd (rows × groups each). μ is kept in double: y is
/// computed as (x − float(μ))·γ·r plus a per-channel offset holding the rest of μ, so it keeps
/// float32 accuracy even when |μ| ≫ σ.
void cl_group_norm_forward(const float *restrict x, const float *restrict gamma, const float *restrict beta,
                           float *restrict y, double *restrict mean, float *restrict rstd,
                           double *restrict workspace,
                           size_t rows, size_t positions, size_t channels, size_t groups, float eps);

/// GroupNorm backward, from the x, mean and rstd of the forward: ADDS Σ dy·x̂ into dgamma and Σ dy
/// into dbeta (channels each) and, unless dx is NULL, writes
///   dx = r·(γ_c·dy − mean(γ·dy) − x̂·mean(γ·dy·x̂))   (means over the sample's group).
void cl_group_norm_backward(const float *restrict x, const float *restrict dy, const float *restrict gamma,
                            const double *restrict mean, const float *restrict rstd,
                            float *restrict dx, float *restrict dgamma, float *restrict dbeta,
                            double *restrict workspace,
                            size_t rows, size_t positions, size_t channels, size_t groups);

#ifdef __cplusplus
}
#endif

#endif
