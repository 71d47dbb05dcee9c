// Channel-last batch normalisation (training mode) and PReLU, forward and backward, for the fused
// tfjs kernels (src/tf/kernels/normalization.ts). A tensor is viewed as rows × channels (NHWC:
// rows = batch·height·width), statistics are per channel over all rows.
//
// Why fused: tfjs builds training-mode BN from moments + batchNorm and differentiates it op by op
// (≈ 25 passes over the activation, each with a fresh allocation); here the forward is 2 passes and
// the backward 2. Per-channel sums are accumulated in double over fixed row chunks and combined in
// chunk order, so results do not depend on the thread count.
#pragma once
#include <cstdint>

namespace topofr {

// mean[c], variance[c] (biased, as tf.moments) of x over rows, then
// y = (x − mean)·gamma/√(variance + eps) + beta. gamma/beta may be null (1 and 0).
void batch_norm_training_forward(int64_t rows, int64_t channels, const float* x, const float* gamma,
                                 const float* beta, float eps, float* y, float* mean, float* variance);

// The pieces of the forward above, for fused kernels that normalise on the fly: the statistics
// (mean, variance as above; scale = gamma/√(variance + eps), shift = beta − mean·scale, each formed in
// double and rounded to float once) and the map y = scale[c]·x + shift[c] they define. The forward
// is exactly batch_norm_statistics then channel_affine.
void batch_norm_statistics(int64_t rows, int64_t channels, const float* x, const float* gamma, const float* beta,
                           float eps, float* mean, float* variance, float* scale, float* shift);
void channel_affine(int64_t rows, int64_t channels, const float* x, const float* scale, const float* shift, float* y);
// y = prelu(scale[c]·x + shift[c], alpha[c]): channel_affine then prelu_forward in one pass, bitwise.
void channel_affine_prelu(int64_t rows, int64_t channels, const float* x, const float* scale, const float* shift,
                          const float* alpha, float* y);
// y += scale[c]·x + shift[c], the affine value rounded to float before the sum (as when it is stored).
void channel_affine_add(int64_t rows, int64_t channels, const float* x, const float* scale, const float* shift,
                        float* y);

// The gradient of the forward above through the batch statistics: dx (rows × channels), and
// dgamma[c] = Σ dy·x̂, dbeta[c] = Σ dy. mean/variance are the forward's outputs; gamma may be null;
// dx may be dy (in place).
void batch_norm_training_backward(int64_t rows, int64_t channels, const float* x, const float* mean,
                                  const float* variance, const float* gamma, float eps, const float* dy,
                                  float* dx, float* dgamma, float* dbeta);

// BN (training mode) then PReLU in one pass after the statistics: y = prelu(bn(x), alpha), bitwise
// batch_norm_training_forward then prelu_forward. stats is [4, channels]: mean, variance, scale, shift.
void batch_norm_prelu_forward(int64_t rows, int64_t channels, const float* x, const float* gamma, const float* beta,
                              float eps, const float* alpha, float* y, float* stats);

// Its gradient: BN's output recomputed from x and stats, PReLU's gradient, then BN's through the
// batch statistics (prelu_backward then batch_norm_training_backward). dx is also the scratch of
// PReLU's gradient.
void batch_norm_prelu_backward(int64_t rows, int64_t channels, const float* x, const float* stats, const float* gamma,
                               float eps, const float* alpha, const float* dy, float* dx, float* dgamma, float* dbeta,
                               float* dalpha);

// y = x > 0 ? x : alpha[c]·x.
void prelu_forward(int64_t rows, int64_t channels, const float* x, const float* alpha, float* y);

// dx = x > 0 ? dy : alpha[c]·dy;  dalpha[c] = Σ over x ≤ 0 of dy·x. dx may be dy (in place).
void prelu_backward(int64_t rows, int64_t channels, const float* x, const float* alpha, const float* dy, float* dx,
                    float* dalpha);

}  // namespace topofr
