// GroupNorm forward and backward; see include/CLearningKernels.h for the formulas.
//
// Samples are positions × channels with channels fastest, so every sum is first taken per
// channel over the positions (an inner loop across channels: vectorises, and each channel's sum
// keeps its own fixed order) and then over a group's channels in channel order.
#include "CLearningKernels.h"
#include "kernel_attributes.h"

#pragma STDC FP_CONTRACT OFF

size_t cl_group_norm_workspace(size_t channels) { return 4 * channels; }

CL_CLONES
void cl_group_norm_forward(const float *restrict x, const float *restrict gamma, const float *restrict beta,
                           float *restrict y, double *restrict mean, float *restrict rstd,
                           double *restrict workspace,
                           size_t rows, size_t positions, size_t channels, size_t groups, float eps) {
    const size_t perGroup = channels / groups, sampleSize = positions * channels;
    const double count = (double)(positions * perGroup);
    // One pass of shifted sums per channel: S1 = Σ (x − K), S2 = Σ (x − K)² with K the channel's
    // value at the first position, which sits inside the data, so S2 does not cancel even when
    // |μ| ≫ σ; the group's Σ (x − μ)² = Σ_c S2 − 2·(μ − K)·S1 + n·(μ − K)² then has no
    // cancellation either (μ − K is of the order of σ).
    double *restrict sum = workspace;                      // S1, per channel
    double *restrict sumSquares = workspace + channels;    // S2, per channel
    float *restrict shift = (float *)(workspace + 2 * channels);  // float(μ) of the channel's group
    float *restrict scale = shift + channels;                     // γ_c·r
    float *restrict offset = shift + 2 * channels;                // β_c − (μ − float(μ))·γ_c·r
    const double n = (double)positions;
    for (size_t row = 0; row < rows; row++) {
        const float *restrict xs = x + row * sampleSize;
        float *restrict ys = y + row * sampleSize;
        double *restrict rowMean = mean + row * groups;
        float *restrict rowRstd = rstd + row * groups;

        for (size_t c = 0; c < channels; c++) {
            sum[c] = 0;
            sumSquares[c] = 0;
        }
        for (size_t p = 0; p < positions; p++) {
            const float *restrict xp = xs + p * channels;
            for (size_t c = 0; c < channels; c++) {
                const double d = (double)xp[c] - (double)xs[c];
                sum[c] += d;
                sumSquares[c] += d * d;
            }
        }
        for (size_t g = 0; g < groups; g++) {
            double total = 0;
            for (size_t c = g * perGroup; c < (g + 1) * perGroup; c++) total += sum[c] + n * (double)xs[c];
            const double mu = total / count;
            double squares = 0;
            for (size_t c = g * perGroup; c < (g + 1) * perGroup; c++) {
                const double d = mu - (double)xs[c];
                squares += sumSquares[c] - 2 * d * sum[c] + n * d * d;
            }
            const double variance = squares < 0 ? 0 : squares / count;  // round-off only; NaN passes
            const double r = 1.0 / sqrt(variance + (double)eps);
            // x − float(μ) is exact in float32 when |μ| ≫ σ (Sterbenz); the rest of μ goes into
            // the per-channel offset, so y keeps float32 accuracy whatever the mean.
            const float muf = (float)mu, rf = (float)r;
            const double residual = mu - (double)muf;
            rowMean[g] = mu;
            rowRstd[g] = rf;
            for (size_t c = g * perGroup; c < (g + 1) * perGroup; c++) {
                shift[c] = muf;
                scale[c] = gamma[c] * rf;
                offset[c] = (float)((double)beta[c] - residual * (double)gamma[c] * (double)rf);
            }
        }

        for (size_t p = 0; p < positions; p++) {
            const float *restrict xp = xs + p * channels;
            float *restrict yp = ys + p * channels;
            for (size_t c = 0; c < channels; c++) yp[c] = (xp[c] - shift[c]) * scale[c] + offset[c];
        }
    }
}

CL_CLONES
void cl_group_norm_backward(const float *restrict x, const float *restrict dy, const float *restrict gamma,
                            const double *restrict mean, const float *restrict rstd,
                            float *restrict dx, float *restrict dgamma, float *restrict dbeta,
                            double *restrict workspace,
                            size_t rows, size_t positions, size_t channels, size_t groups) {
    const size_t perGroup = channels / groups, sampleSize = positions * channels;
    const double count = (double)(positions * perGroup);
    double *restrict sumDy = workspace;                 // Σ_p dy, per channel
    double *restrict sumDyCentered = workspace + channels;  // Σ_p dy·(x − μ), per channel
    float *restrict shift = (float *)(workspace + 2 * channels);  // float(μ) of the channel's group
    float *restrict dyFactor = shift + channels;                  // r·γ_c
    float *restrict centeredFactor = shift + 2 * channels;        // −r²·B/m of the channel's group
    float *restrict offset = shift + 3 * channels;                // −r·A/m − (μ − float(μ))·(−r²·B/m)
    for (size_t row = 0; row < rows; row++) {
        const float *restrict xs = x + row * sampleSize;
        const float *restrict dys = dy + row * sampleSize;
        const double *restrict rowMean = mean + row * groups;
        const float *restrict rowRstd = rstd + row * groups;
        for (size_t g = 0; g < groups; g++)
            for (size_t c = g * perGroup; c < (g + 1) * perGroup; c++) shift[c] = (float)rowMean[g];

        for (size_t c = 0; c < channels; c++) {
            sumDy[c] = 0;
            sumDyCentered[c] = 0;
        }
        for (size_t p = 0; p < positions; p++) {
            const float *restrict xp = xs + p * channels, *restrict dyp = dys + p * channels;
            for (size_t c = 0; c < channels; c++) {
                const double d = (double)dyp[c];
                sumDy[c] += d;
                sumDyCentered[c] += d * (double)(xp[c] - shift[c]);
            }
        }

        for (size_t g = 0; g < groups; g++) {
            const double r = (double)rowRstd[g];
            // x − float(μ) was summed; x − μ = (x − float(μ)) − residual.
            const double residual = rowMean[g] - (double)(float)rowMean[g];
            // A = Σ γ·dy and B = Σ γ·dy·x̂ over the group; dx = r·γ·dy − r·A/m − (x − μ)·r²·B/m.
            double a = 0, b = 0;
            for (size_t c = g * perGroup; c < (g + 1) * perGroup; c++) {
                const double centered = sumDyCentered[c] - residual * sumDy[c];
                a += (double)gamma[c] * sumDy[c];
                b += (double)gamma[c] * centered * r;
                dgamma[c] += (float)(centered * r);
                dbeta[c] += (float)sumDy[c];
            }
            const double cf = -r * r * b / count, of = -r * a / count;
            for (size_t c = g * perGroup; c < (g + 1) * perGroup; c++) {
                dyFactor[c] = (float)(r * (double)gamma[c]);
                centeredFactor[c] = (float)cf;
                offset[c] = (float)(of - residual * cf);
            }
        }

        if (dx == NULL) continue;
        float *restrict dxs = dx + row * sampleSize;
        for (size_t p = 0; p < positions; p++) {
            const float *restrict xp = xs + p * channels, *restrict dyp = dys + p * channels;
            float *restrict dxp = dxs + p * channels;
            for (size_t c = 0; c < channels; c++)
                dxp[c] = dyp[c] * dyFactor[c] + (xp[c] - shift[c]) * centeredFactor[c] + offset[c];
        }
    }
}
