// Elementwise optimiser kernels; see include/CLearningKernels.h for the formulas and
// kernel_attributes.h for how they are made to vectorise.
#include "CLearningKernels.h"
#include "kernel_attributes.h"

#pragma STDC FP_CONTRACT OFF

static inline void adam_moments_and_update(float *restrict param, const float *restrict grad,
                                           float *restrict m, float *restrict v, size_t n,
                                           float lr, float beta1, float beta2, float eps,
                                           float coupledDecay, float bc1, float bc2) {
    const float a1 = 1.0f - beta1, a2 = 1.0f - beta2;
    const float stepSize = lr / bc1;
    const float invSqrtBc2 = 1.0f / CL_SQRT(bc2);
    for (size_t i = 0; i < n; i++) {
        const float g = grad[i] + coupledDecay * param[i];
        const float mi = beta1 * m[i] + a1 * g;
        const float vi = beta2 * v[i] + a2 * (g * g);
        m[i] = mi;
        v[i] = vi;
        param[i] -= stepSize * mi / (CL_SQRT(vi) * invSqrtBc2 + eps);
    }
}

CL_CLONES
void cl_adam_step(float *restrict param, const float *restrict grad,
                  float *restrict m, float *restrict v, size_t n,
                  float lr, float beta1, float beta2, float eps, float weightDecay,
                  float biasCorrection1, float biasCorrection2) {
    adam_moments_and_update(param, grad, m, v, n, lr, beta1, beta2, eps, weightDecay,
                            biasCorrection1, biasCorrection2);
}

CL_CLONES
void cl_adamw_step(float *restrict param, const float *restrict grad,
                   float *restrict m, float *restrict v, size_t n,
                   float lr, float beta1, float beta2, float eps, float weightDecay,
                   float biasCorrection1, float biasCorrection2) {
    const float a1 = 1.0f - beta1, a2 = 1.0f - beta2;
    const float stepSize = lr / biasCorrection1;
    const float invSqrtBc2 = 1.0f / CL_SQRT(biasCorrection2);
    const float shrink = 1.0f - lr * weightDecay;
    for (size_t i = 0; i < n; i++) {
        const float g = grad[i];
        const float mi = beta1 * m[i] + a1 * g;
        const float vi = beta2 * v[i] + a2 * (g * g);
        m[i] = mi;
        v[i] = vi;
        param[i] = param[i] * shrink - stepSize * mi / (CL_SQRT(vi) * invSqrtBc2 + eps);
    }
}

CL_CLONES
void cl_sgd_step(float *restrict param, const float *restrict grad,
                 float *restrict buffer, size_t n,
                 float lr, float momentum, float weightDecay, int nesterov) {
    if (momentum == 0.0f || buffer == NULL) {
        for (size_t i = 0; i < n; i++) {
            const float g = grad[i] + weightDecay * param[i];
            param[i] -= lr * g;
        }
    } else if (nesterov) {
        for (size_t i = 0; i < n; i++) {
            const float g = grad[i] + weightDecay * param[i];
            const float b = momentum * buffer[i] + g;
            buffer[i] = b;
            param[i] -= lr * (g + momentum * b);
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            const float g = grad[i] + weightDecay * param[i];
            const float b = momentum * buffer[i] + g;
            buffer[i] = b;
            param[i] -= lr * b;
        }
    }
}

CL_CLONES
double cl_sum_of_squares(const float *restrict x, size_t n) {
    double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        for (size_t j = 0; j < 8; j++) {
            const double xj = (double)x[i + j];
            acc[j] += xj * xj;
        }
    }
    for (size_t j = 0; i < n; i++, j++) {
        const double xj = (double)x[i];
        acc[j] += xj * xj;
    }
    return ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
}

CL_CLONES
void cl_sum_sources(float *dst, const float *const *sources, size_t count, size_t n) {
    // dst may be any one of the sources, so the sum of each block is formed in a local buffer
    // (every source element read before dst is written) and then stored.
    enum { BLOCK = 1024 };
    float acc[BLOCK] __attribute__((aligned(64)));
    for (size_t i0 = 0; i0 < n; i0 += BLOCK) {
        const size_t m = n - i0 < BLOCK ? n - i0 : BLOCK;
        const float *restrict first = sources[0] + i0;
        for (size_t i = 0; i < m; i++) acc[i] = first[i];
        for (size_t k = 1; k < count; k++) {
            const float *restrict s = sources[k] + i0;
            for (size_t i = 0; i < m; i++) acc[i] += s[i];
        }
        float *restrict d = dst + i0;
        for (size_t i = 0; i < m; i++) d[i] = acc[i];
    }
}

CL_CLONES
void cl_sum_sources_clearing(float *restrict dst, float *const *sources, size_t count, size_t n) {
    float *restrict first = sources[0];
    for (size_t i = 0; i < n; i++) { dst[i] = first[i]; first[i] = 0; }
    for (size_t k = 1; k < count; k++) {
        float *restrict s = sources[k];
        for (size_t i = 0; i < n; i++) { dst[i] += s[i]; s[i] = 0; }
    }
}

CL_CLONES
void cl_scale(float *restrict x, size_t n, float factor) {
    for (size_t i = 0; i < n; i++) x[i] *= factor;
}
