// SiLU, GELU and softmax forward and backward; see include/CLearningKernels.h for the formulas.
//
// libm's expf and tanhf are opaque calls that keep the loops scalar, so exp is computed here by
// a few multiplications and bit operations the compiler vectorises (kernel_attributes.h).
#include "CLearningKernels.h"
#include "kernel_attributes.h"

#include <stdint.h>
#include <string.h>

#pragma STDC FP_CONTRACT OFF

/// e^z for z ≤ 0, to about 1 ulp (Cephes expf: z = n·ln2 + r, |r| ≤ ln2/2, e^r by a degree-5
/// minimax polynomial, 2^n from exponent bits). Below −87 the result is 0 (e^z < 1.7e−38 there,
/// and 2^n would leave the normal range); NaN gives NaN.
static inline float exp_nonpositive(float z) {
    const float zc = z < -87.0f ? -87.0f : z;  // a NaN compares false and stays NaN
    // Adding 1.5·2^23 rounds z·log2(e) to the nearest integer n, which then sits in the low
    // mantissa bits of t: no float-to-int conversion (that would not be defined for NaN).
    const float shifter = 12582912.0f;
    const float t = zc * 1.44269504088896341f + shifter;
    const float n = t - shifter;
    uint32_t tBits;
    memcpy(&tBits, &t, sizeof tBits);
    // Cody–Waite: ln2 = 0.693359375 (exact in 9 bits) − 2.12194440e−4, so n·C1 is exact.
    float r = zc - n * 0.693359375f;
    r = r + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    const float expR = p * (r * r) + r + 1.0f;
    // 2^n: biased exponent n + 127 (in [1, 127] for z in [−87, 0]); unsigned so NaN's garbage wraps.
    const uint32_t scaleBits = (tBits - 0x4B400000u + 127u) << 23;
    float scale;
    memcpy(&scale, &scaleBits, sizeof scale);
    const float e = expR * scale;
    return z < -87.0f ? 0.0f : e;
}

/// σ(z) and 1 − σ(z) without overflow or cancellation: with e = e^{−|z|} ≤ 1,
/// σ = 1/(1 + e) and 1 − σ = e/(1 + e) for z ≥ 0, the other way round for z < 0.
static inline void sigmoid_pair(float z, float *sigma, float *oneMinusSigma) {
    const float e = exp_nonpositive(-fabsf(z));
    const float inv = 1.0f / (1.0f + e);
    const int positive = z >= 0.0f;
    *sigma = (positive ? 1.0f : e) * inv;
    *oneMinusSigma = (positive ? e : 1.0f) * inv;
}

CL_CLONES
void cl_silu_forward(const float *restrict x, float *restrict y, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float s, sc;
        sigmoid_pair(x[i], &s, &sc);
        y[i] = x[i] * s;
    }
}

CL_CLONES
void cl_silu_backward(const float *restrict x, const float *restrict dy, float *restrict dx, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float s, sc;
        sigmoid_pair(x[i], &s, &sc);
        dx[i] = dy[i] * (s * (1.0f + x[i] * sc));
    }
}

static const float geluC = 0.7978845608028654f;  // sqrt(2/π)
static const float geluA = 0.044715f;

CL_CLONES
void cl_gelu_forward(const float *restrict x, float *restrict y, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const float v = x[i];
        const float u = geluC * (v + geluA * (v * v * v));
        float s, sc;
        sigmoid_pair(2.0f * u, &s, &sc);
        y[i] = v * s;
    }
}

CL_CLONES
void cl_gelu_backward(const float *restrict x, const float *restrict dy, float *restrict dx, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const float v = x[i];
        const float u = geluC * (v + geluA * (v * v * v));
        const float du = geluC * (1.0f + 3.0f * geluA * (v * v));
        float s, sc;
        sigmoid_pair(2.0f * u, &s, &sc);
        dx[i] = dy[i] * (s + 2.0f * v * (s * sc) * du);
    }
}

// ReLU. Both operands are loaded unconditionally and the result is a select, so the loops vectorise
// (a conditional load `y > 0 ? dy : 0` written element by element compiles to a branch per float,
// mispredicted half the time on real activations: 18 ms per 16 × 64 × 64 × 64 layer measured).

CL_CLONES
void cl_relu_forward(const float *restrict x, float *restrict y, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const float v = x[i];
        y[i] = v > 0.0f ? v : 0.0f;
    }
}

CL_CLONES
void cl_relu_backward(const float *restrict y, const float *restrict dy, float *restrict dx, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const float g = dy[i];
        dx[i] = y[i] > 0.0f ? g : 0.0f;
    }
}

// The masked gradient is also the bias gradient's summand: its per-channel sums come out of the same
// pass (oneDNN's backward-weights otherwise re-reads dy for them). Double sums, one position after the
// other: the same order in every version.

// dz may be dy itself (the in-place version): each element is read before it is written, and the
// wrappers' restrict pointers tell the compiler what may alias after inlining.
static inline void relu_mask_sums(const float *restrict y, const float *dy, float *dz, size_t positions,
                                  size_t channels, double *restrict sums) {
    for (size_t p = 0; p < positions; p++) {
        const float *yp = y + p * channels, *gp = dy + p * channels;
        float *zp = dz + p * channels;
        for (size_t c = 0; c < channels; c++) {
            const float g = gp[c];
            const float v = yp[c] > 0.0f ? g : 0.0f;
            zp[c] = v;
            sums[c] += (double)v;
        }
    }
}

CL_CLONES
void cl_relu_mask_sums(const float *restrict y, float *restrict dy, size_t positions, size_t channels,
                       double *restrict sums) {
    relu_mask_sums(y, dy, dy, positions, channels, sums);
}

CL_CLONES
void cl_relu_backward_sums(const float *restrict y, const float *restrict dy, float *restrict dx, size_t positions,
                           size_t channels, double *restrict sums) {
    relu_mask_sums(y, dy, dx, positions, channels, sums);
}

CL_CLONES
void cl_relu_in_place(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const float v = x[i];
        x[i] = v > 0.0f ? v : 0.0f;
    }
}

// MARK: Softmax (self-attention)

enum { softmaxLanes = 8 };  // independent partial maxima and sums: the loops vectorise without reassociation

CL_CLONES
void cl_softmax_rows(float *x, size_t rows, size_t n) {
    for (size_t r = 0; r < rows; r++) {
        float *row = x + r * n;
        float lanes[softmaxLanes];
        for (size_t l = 0; l < softmaxLanes; l++) lanes[l] = -INFINITY;
        size_t i = 0;
        for (; i + softmaxLanes <= n; i += softmaxLanes) {
            for (size_t l = 0; l < softmaxLanes; l++) lanes[l] = row[i + l] > lanes[l] ? row[i + l] : lanes[l];
        }
        float m = -INFINITY;
        for (size_t l = 0; l < softmaxLanes; l++) m = lanes[l] > m ? lanes[l] : m;
        for (; i < n; i++) m = row[i] > m ? row[i] : m;
        for (size_t j = 0; j < n; j++) row[j] = exp_nonpositive(row[j] - m);
        float sums[softmaxLanes] = {0};
        i = 0;
        for (; i + softmaxLanes <= n; i += softmaxLanes) {
            for (size_t l = 0; l < softmaxLanes; l++) sums[l] += row[i + l];
        }
        float s = 0.0f;
        for (size_t l = 0; l < softmaxLanes; l++) s += sums[l];
        for (; i < n; i++) s += row[i];
        const float inv = 1.0f / s;
        for (size_t j = 0; j < n; j++) row[j] *= inv;
    }
}

CL_CLONES
void cl_softmax_backward_rows(const float *restrict p, float *restrict g, size_t rows, size_t n) {
    for (size_t r = 0; r < rows; r++) {
        const float *pr = p + r * n;
        float *gr = g + r * n;
        float sums[softmaxLanes] = {0};
        size_t i = 0;
        for (; i + softmaxLanes <= n; i += softmaxLanes) {
            for (size_t l = 0; l < softmaxLanes; l++) sums[l] += pr[i + l] * gr[i + l];
        }
        float dot = 0.0f;
        for (size_t l = 0; l < softmaxLanes; l++) dot += sums[l];
        for (; i < n; i++) dot += pr[i] * gr[i];
        for (size_t j = 0; j < n; j++) gr[j] = pr[j] * (gr[j] - dot);
    }
}
