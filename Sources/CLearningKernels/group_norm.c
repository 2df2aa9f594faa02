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
                           float *restrict y, float *restrict mean, float *restrict rstd,
                           double *restrict workspace,
                           size_t rows, size_t positions, size_t channels, size_t groups, float eps) {
    const size_t perGroup = channels / groups, sampleSize = positions * channels;
    const double count = (double)(positions * perGroup);
    double *restrict sum = workspace;                      // per channel
    double *restrict channelMean = workspace + channels;   // the mean of the channel's group
    float *restrict shift = (float *)(workspace + 2 * channels);  // float μ of the channel's group
    float *restrict scale = shift + channels;                     // γ_c·r of the channel's group
    for (size_t row = 0; row < rows; row++) {
        const float *restrict xs = x + row * sampleSize;
        float *restrict ys = y + row * sampleSize;
        float *restrict rowMean = mean + row * groups, *restrict rowRstd = rstd + row * groups;

        for (size_t c = 0; c < channels; c++) sum[c] = 0;
        for (size_t p = 0; p < positions; p++) {
            const float *restrict xp = xs + p * channels;
            for (size_t c = 0; c < channels; c++) sum[c] += (double)xp[c];
        }
        for (size_t g = 0; g < groups; g++) {
            double s = 0;
            for (size_t c = g * perGroup; c < (g + 1) * perGroup; c++) s += sum[c];
            const double mu = s / count;
            for (size_t c = g * perGroup; c < (g + 1) * perGroup; c++) channelMean[c] = mu;
        }

        // Second pass over (x − μ)²: no cancellation, unlike E[x²] − μ².
        for (size_t c = 0; c < channels; c++) sum[c] = 0;
        for (size_t p = 0; p < positions; p++) {
            const float *restrict xp = xs + p * channels;
            for (size_t c = 0; c < channels; c++) {
                const double d = (double)xp[c] - channelMean[c];
                sum[c] += d * d;
            }
        }
        for (size_t g = 0; g < groups; g++) {
            double s = 0;
            for (size_t c = g * perGroup; c < (g + 1) * perGroup; c++) s += sum[c];
            const double r = 1.0 / sqrt(s / count + (double)eps);
            const float mu = (float)channelMean[g * perGroup], rf = (float)r;
            rowMean[g] = mu;
            rowRstd[g] = rf;
            for (size_t c = g * perGroup; c < (g + 1) * perGroup; c++) {
                shift[c] = mu;
                scale[c] = gamma[c] * rf;
            }
        }

        for (size_t p = 0; p < positions; p++) {
            const float *restrict xp = xs + p * channels;
            float *restrict yp = ys + p * channels;
            for (size_t c = 0; c < channels; c++) yp[c] = (xp[c] - shift[c]) * scale[c] + beta[c];
        }
    }
}

CL_CLONES
void cl_group_norm_backward(const float *restrict x, const float *restrict dy, const float *restrict gamma,
                            const float *restrict mean, const float *restrict rstd,
                            float *restrict dx, float *restrict dgamma, float *restrict dbeta,
                            double *restrict workspace,
                            size_t rows, size_t positions, size_t channels, size_t groups) {
    const size_t perGroup = channels / groups, sampleSize = positions * channels;
    const double count = (double)(positions * perGroup);
    double *restrict sumDy = workspace;                 // Σ_p dy, per channel
    double *restrict sumDyCentered = workspace + channels;  // Σ_p dy·(x − μ), per channel
    float *restrict shift = (float *)(workspace + 2 * channels);  // μ of the channel's group
    float *restrict dyFactor = shift + channels;                  // r·γ_c
    float *restrict centeredFactor = shift + 2 * channels;        // −r²·B/m of the channel's group
    float *restrict offset = shift + 3 * channels;                // −r·A/m of the channel's group
    for (size_t row = 0; row < rows; row++) {
        const float *restrict xs = x + row * sampleSize;
        const float *restrict dys = dy + row * sampleSize;
        const float *restrict rowMean = mean + row * groups, *restrict rowRstd = rstd + row * groups;
        for (size_t g = 0; g < groups; g++)
            for (size_t c = g * perGroup; c < (g + 1) * perGroup; c++) shift[c] = rowMean[g];

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
            // A = Σ γ·dy and B = Σ γ·dy·x̂ over the group; dx = r·γ·dy − r·A/m − (x − μ)·r²·B/m.
            double a = 0, b = 0;
            for (size_t c = g * perGroup; c < (g + 1) * perGroup; c++) {
                a += (double)gamma[c] * sumDy[c];
                b += (double)gamma[c] * sumDyCentered[c] * r;
                dgamma[c] += (float)(sumDyCentered[c] * r);
                dbeta[c] += (float)sumDy[c];
            }
            const float cf = (float)(-r * r * b / count), of = (float)(-r * a / count);
            for (size_t c = g * perGroup; c < (g + 1) * perGroup; c++) {
                dyFactor[c] = (float)(r * (double)gamma[c]);
                centeredFactor[c] = cf;
                offset[c] = of;
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
