#include "normalization.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "thread_pool.h"

namespace topofr {
namespace {

// Rows per task: about 32 K values, so a task is long enough to amortise scheduling and the
// per-chunk partial sums stay small. Depends on the shape only (thread-count independence).
int64_t chunk_rows(int64_t channels) { return std::max<int64_t>(1, (int64_t(1) << 15) / std::max<int64_t>(channels, 1)); }

// Per-channel double sums of `terms` quantities, computed chunk by chunk in parallel and combined in
// chunk order. accumulate(first_row, end_row, partial) adds into partial[term·channels + c].
template <class Accumulate>
std::vector<double> channel_sums(int64_t rows, int64_t channels, int terms, const Accumulate& accumulate) {
  const int64_t step = chunk_rows(channels);
  const int64_t chunks = (rows + step - 1) / step;
  const int64_t width = int64_t(terms) * channels;
  std::vector<double> partial(size_t(chunks * width), 0.0);
  parallel_for(chunks, [&](int64_t k) {
    accumulate(k * step, std::min(rows, (k + 1) * step), partial.data() + k * width);
  });
  std::vector<double> total(size_t(width), 0.0);
  for (int64_t k = 0; k < chunks; k++)
    for (int64_t i = 0; i < width; i++) total[size_t(i)] += partial[size_t(k * width + i)];
  return total;
}

// Runs row_op(first_row, end_row) over all rows in parallel chunks.
template <class RowOp>
void for_row_chunks(int64_t rows, int64_t channels, const RowOp& row_op) {
  const int64_t step = chunk_rows(channels);
  parallel_for((rows + step - 1) / step, [&](int64_t k) { row_op(k * step, std::min(rows, (k + 1) * step)); });
}

// PReLU is written as arithmetic (max/min, a 0/1 mask), not `x > 0 ? … : …`: GCC turns the
// conditional into a branch, activations are positive at random, and the mispredictions made the
// kernels ~8× slower than memory speed. Results are the same values (x·1, x·α, +0 terms).
inline float prelu(float x, float alpha) { return std::max(x, 0.0f) + alpha * std::min(x, 0.0f); }
inline float positive_mask(float x) { return float(x > 0.0f); }

}  // namespace

void batch_norm_statistics(int64_t rows, int64_t channels, const float* x, const float* gamma, const float* beta,
                           float eps, float* mean, float* variance, float* scale, float* shift) {
  if (channels <= 0) return;
  if (rows <= 0) {  // tf.moments of an empty tensor: NaN
    std::fill(mean, mean + channels, NAN);
    std::fill(variance, variance + channels, NAN);
    std::fill(scale, scale + channels, NAN);
    std::fill(shift, shift + channels, NAN);
    return;
  }
  // Shifted sums (shift = the first row) keep Σ(x−s)² − (Σ(x−s))²/n accurate when |mean| ≫ std.
  const std::vector<double> sums = channel_sums(rows, channels, 2, [&](int64_t r0, int64_t r1, double* acc) {
    double* s = acc;
    double* q = acc + channels;
    for (int64_t r = r0; r < r1; r++) {
      const float* row = x + r * channels;
      for (int64_t c = 0; c < channels; c++) {
        const double d = double(row[c]) - double(x[c]);
        s[c] += d;
        q[c] += d * d;
      }
    }
  });
  const double n = double(rows);
  for (int64_t c = 0; c < channels; c++) {
    const double s = sums[size_t(c)], q = sums[size_t(channels + c)];
    const double m = double(x[c]) + s / n;
    const double v = std::max(0.0, (q - s * s / n) / n);
    mean[c] = float(m);
    variance[c] = float(v);
    const double a = (gamma ? double(gamma[c]) : 1.0) / std::sqrt(v + double(eps));
    scale[c] = float(a);
    shift[c] = float((beta ? double(beta[c]) : 0.0) - m * a);
  }
}

void channel_affine(int64_t rows, int64_t channels, const float* x, const float* scale, const float* shift, float* y) {
  for_row_chunks(rows, channels, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* src = x + r * channels;
      float* dst = y + r * channels;
      for (int64_t c = 0; c < channels; c++) dst[c] = scale[c] * src[c] + shift[c];
    }
  });
}

void channel_affine_prelu(int64_t rows, int64_t channels, const float* x, const float* scale, const float* shift,
                          const float* alpha, float* y) {
  for_row_chunks(rows, channels, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* src = x + r * channels;
      float* dst = y + r * channels;
      for (int64_t c = 0; c < channels; c++) dst[c] = prelu(scale[c] * src[c] + shift[c], alpha[c]);
    }
  });
}

void channel_affine_add(int64_t rows, int64_t channels, const float* x, const float* scale, const float* shift,
                        float* y) {
  for_row_chunks(rows, channels, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* src = x + r * channels;
      float* dst = y + r * channels;
      for (int64_t c = 0; c < channels; c++) {
        const float t = scale[c] * src[c] + shift[c];  // rounded to float first, as a stored activation is
        dst[c] += t;
      }
    }
  });
}

void batch_norm_training_forward(int64_t rows, int64_t channels, const float* x, const float* gamma,
                                 const float* beta, float eps, float* y, float* mean, float* variance) {
  if (channels <= 0) return;
  std::vector<float> scale(static_cast<size_t>(channels)), shift(static_cast<size_t>(channels));
  batch_norm_statistics(rows, channels, x, gamma, beta, eps, mean, variance, scale.data(), shift.data());
  if (rows > 0) channel_affine(rows, channels, x, scale.data(), shift.data(), y);
}

void batch_norm_training_backward(int64_t rows, int64_t channels, const float* x, const float* mean,
                                  const float* variance, const float* gamma, float eps, const float* dy,
                                  float* dx, float* dgamma, float* dbeta) {
  if (channels <= 0) return;
  // Σ dy and Σ dy·(x − mean) per channel.
  const std::vector<double> sums = channel_sums(rows, channels, 2, [&](int64_t r0, int64_t r1, double* acc) {
    double* sdy = acc;
    double* sdyx = acc + channels;
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + r * channels;
      const float* gr = dy + r * channels;
      for (int64_t c = 0; c < channels; c++) {
        sdy[c] += double(gr[c]);
        sdyx[c] += double(gr[c]) * (double(xr[c]) - double(mean[c]));
      }
    }
  });
  // dx = γ·σ⁻¹·(dy − Σdy/n − (x − μ)·σ⁻²·Σdy(x − μ)/n), written as a·dy + b·x + c per channel
  // (one fused pass; the coefficients are formed in double).
  std::vector<float> a(static_cast<size_t>(channels)), bx(static_cast<size_t>(channels)), c0(static_cast<size_t>(channels));
  const double n = double(std::max<int64_t>(rows, 1));
  for (int64_t c = 0; c < channels; c++) {
    const double inv = 1.0 / std::sqrt(double(variance[c]) + double(eps));
    const double g = gamma ? double(gamma[c]) : 1.0;
    const double sdy = sums[size_t(c)], sdyx = sums[size_t(channels + c)];
    dbeta[c] = float(sdy);
    dgamma[c] = float(sdyx * inv);
    const double k = g * inv;
    const double xc = -k * inv * inv * sdyx / n;  // coefficient of (x − μ)
    a[size_t(c)] = float(k);
    bx[size_t(c)] = float(xc);
    c0[size_t(c)] = float(-k * sdy / n - xc * double(mean[c]));
  }
  for_row_chunks(rows, channels, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + r * channels;
      const float* gr = dy + r * channels;
      float* out = dx + r * channels;
      for (int64_t c = 0; c < channels; c++) out[c] = a[size_t(c)] * gr[c] + bx[size_t(c)] * xr[c] + c0[size_t(c)];
    }
  });
}

void batch_norm_prelu_forward(int64_t rows, int64_t channels, const float* x, const float* gamma, const float* beta,
                              float eps, const float* alpha, float* y, float* stats) {
  if (channels <= 0) return;
  float *mean = stats, *variance = stats + channels, *scale = stats + 2 * channels, *shift = stats + 3 * channels;
  batch_norm_statistics(rows, channels, x, gamma, beta, eps, mean, variance, scale, shift);
  if (rows > 0) channel_affine_prelu(rows, channels, x, scale, shift, alpha, y);
}

void batch_norm_prelu_backward(int64_t rows, int64_t channels, const float* x, const float* stats, const float* gamma,
                               float eps, const float* alpha, const float* dy, float* dx, float* dgamma, float* dbeta,
                               float* dalpha) {
  if (channels <= 0) return;
  const float *mean = stats, *variance = stats + channels, *scale = stats + 2 * channels, *shift = stats + 3 * channels;
  std::unique_ptr<float[]> t(new float[size_t(std::max<int64_t>(rows, 0) * channels)]);  // BN's output, recomputed
  channel_affine(rows, channels, x, scale, shift, t.get());
  prelu_backward(rows, channels, t.get(), alpha, dy, dx, dalpha);
  batch_norm_training_backward(rows, channels, x, mean, variance, gamma, eps, dx, dx, dgamma, dbeta);
}

void prelu_forward(int64_t rows, int64_t channels, const float* x, const float* alpha, float* y) {
  const int64_t step = chunk_rows(channels);
  parallel_for((rows + step - 1) / step, [&](int64_t k) {
    const int64_t end = std::min(rows, (k + 1) * step);
    for (int64_t r = k * step; r < end; r++) {
      const float* __restrict xr = x + r * channels;
      float* __restrict out = y + r * channels;
      for (int64_t c = 0; c < channels; c++) out[c] = prelu(xr[c], alpha[c]);
    }
  });
}

void prelu_backward(int64_t rows, int64_t channels, const float* x, const float* alpha, const float* dy, float* dx,
                    float* dalpha) {
  const std::vector<double> sums = channel_sums(rows, channels, 1, [&](int64_t r0, int64_t r1, double* acc) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + r * channels;
      const float* gr = dy + r * channels;  // dx may be dy: each element is read before it is written
      float* out = dx + r * channels;
      for (int64_t c = 0; c < channels; c++) {
        const float p = positive_mask(xr[c]), g = gr[c];
        out[c] = g * (p + (1.0f - p) * alpha[c]);
        acc[c] += double((1.0f - p) * g) * double(xr[c]);
      }
    }
  });
  for (int64_t c = 0; c < channels; c++) dalpha[c] = float(sums[size_t(c)]);
}

}  // namespace topofr
