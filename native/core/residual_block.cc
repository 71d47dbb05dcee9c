#include "residual_block.h"

#include <algorithm>
#include <memory>

#include "conv.h"
#include "normalization.h"
#include "thread_pool.h"

namespace topofr {
namespace {

// A float buffer for the length of one call (uninitialised: every use overwrites it).
std::unique_ptr<float[]> scratch(int64_t n) { return std::unique_ptr<float[]>(new float[size_t(n)]); }

// The rows of stats [4, C]: mean, variance, scale, shift.
struct Stats {
  float *mean, *variance, *scale, *shift;
  Stats(float* s, int64_t c) : mean(s), variance(s + c), scale(s + 2 * c), shift(s + 3 * c) {}
};

ConvGeometry conv_geometry(const ResidualBlockShape& s, int64_t in_c, int64_t out_h, int64_t out_w, int64_t k,
                           int64_t stride) {
  const int64_t pad = k / 2;
  return {s.batch, s.height, s.width, in_c, out_h, out_w, s.out_c, k, k, stride, stride, 1, 1, pad, pad};
}
ConvGeometry conv1_geometry(const ResidualBlockShape& s) { return conv_geometry(s, s.in_c, s.height, s.width, 3, 1); }
ConvGeometry conv2_geometry(const ResidualBlockShape& s) { return conv_geometry(s, s.out_c, s.out_h, s.out_w, 3, s.stride); }
ConvGeometry downsample_geometry(const ResidualBlockShape& s) { return conv_geometry(s, s.in_c, s.out_h, s.out_w, 1, s.stride); }

// dst += src over n values, in parallel.
void add_into(int64_t n, const float* src, float* dst) {
  constexpr int64_t kTask = int64_t(1) << 16;
  parallel_for((n + kTask - 1) / kTask, [&](int64_t t) {
    const int64_t end = std::min(n, (t + 1) * kTask);
    for (int64_t i = t * kTask; i < end; i++) dst[i] += src[i];
  });
}

}  // namespace

void residual_block_forward(const ResidualBlockShape& s, const float* x, const ResidualBlockParams& p, float* y,
                            const ResidualBlockSaved& saved) {
  const int64_t rows = s.batch * s.height * s.width, out_rows = s.batch * s.out_h * s.out_w;
  const Stats st1(saved.stats1, s.in_c), st2(saved.stats2, s.out_c), st3(saved.stats3, s.out_c);
  {  // BN1 → conv1
    batch_norm_statistics(rows, s.in_c, x, p.gamma1, p.beta1, s.eps, st1.mean, st1.variance, st1.scale, st1.shift);
    auto t1 = scratch(rows * s.in_c);
    channel_affine(rows, s.in_c, x, st1.scale, st1.shift, t1.get());
    conv2d_forward(conv1_geometry(s), t1.get(), p.filter1, saved.c1);
  }
  {  // BN2 + PReLU → conv2
    batch_norm_statistics(rows, s.out_c, saved.c1, p.gamma2, p.beta2, s.eps, st2.mean, st2.variance, st2.scale, st2.shift);
    auto a = scratch(rows * s.out_c);
    channel_affine_prelu(rows, s.out_c, saved.c1, st2.scale, st2.shift, p.alpha, a.get());
    conv2d_forward(conv2_geometry(s), a.get(), p.filter2, saved.c2);
  }
  // BN3, then the shortcut added.
  batch_norm_statistics(out_rows, s.out_c, saved.c2, p.gamma3, p.beta3, s.eps, st3.mean, st3.variance, st3.scale, st3.shift);
  channel_affine(out_rows, s.out_c, saved.c2, st3.scale, st3.shift, y);
  if (s.downsample) {
    const Stats sd(saved.stats_d, s.out_c);
    conv2d_forward(downsample_geometry(s), x, p.filter_d, saved.d);
    batch_norm_statistics(out_rows, s.out_c, saved.d, p.gamma_d, p.beta_d, s.eps, sd.mean, sd.variance, sd.scale, sd.shift);
    channel_affine_add(out_rows, s.out_c, saved.d, sd.scale, sd.shift, y);
  } else {
    add_into(out_rows * s.out_c, x, y);
  }
}

void residual_block_backward(const ResidualBlockShape& s, const float* x, const ResidualBlockParams& p,
                             const ResidualBlockSaved& saved, const float* dy, const ResidualBlockGrads& g) {
  const int64_t rows = s.batch * s.height * s.width, out_rows = s.batch * s.out_h * s.out_w;
  const Stats st1(saved.stats1, s.in_c), st2(saved.stats2, s.out_c), st3(saved.stats3, s.out_c);
  // BN3 ← dy; conv2 (PReLU's output recomputed); PReLU; BN2. Two buffers of conv1's output size:
  // t2 (BN2's output, recomputed; then dc1) and a (PReLU's output; then its gradient, then dt2).
  auto t2 = scratch(rows * s.out_c), a = scratch(rows * s.out_c);
  channel_affine(rows, s.out_c, saved.c1, st2.scale, st2.shift, t2.get());
  prelu_forward(rows, s.out_c, t2.get(), p.alpha, a.get());
  {
    auto dc2 = scratch(out_rows * s.out_c);
    batch_norm_training_backward(out_rows, s.out_c, saved.c2, st3.mean, st3.variance, p.gamma3, s.eps, dy, dc2.get(),
                                 g.dgamma3, g.dbeta3);
    const ConvGeometry g2 = conv2_geometry(s);
    conv2d_backprop_filter(g2, a.get(), dc2.get(), g.dfilter2);
    conv2d_backprop_input(g2, dc2.get(), p.filter2, a.get());
  }
  prelu_backward(rows, s.out_c, t2.get(), p.alpha, a.get(), a.get(), g.dalpha);
  batch_norm_training_backward(rows, s.out_c, saved.c1, st2.mean, st2.variance, p.gamma2, s.eps, a.get(), t2.get(),
                               g.dgamma2, g.dbeta2);
  a.reset();
  const float* dc1 = t2.get();
  {  // conv1 (BN1's output recomputed), BN1
    auto t1 = scratch(rows * s.in_c);
    channel_affine(rows, s.in_c, x, st1.scale, st1.shift, t1.get());
    const ConvGeometry g1 = conv1_geometry(s);
    conv2d_backprop_filter(g1, t1.get(), dc1, g.dfilter1);
    float* dt1 = t1.get();  // BN1's output is spent: its gradient takes the buffer
    conv2d_backprop_input(g1, dc1, p.filter1, dt1);
    t2.reset();
    batch_norm_training_backward(rows, s.in_c, x, st1.mean, st1.variance, p.gamma1, s.eps, dt1, g.dx, g.dgamma1, g.dbeta1);
  }
  if (s.downsample) {  // BN_d ← dy, the 1×1 conv, added to dx
    const Stats sd(saved.stats_d, s.out_c);
    auto dd = scratch(out_rows * s.out_c);
    batch_norm_training_backward(out_rows, s.out_c, saved.d, sd.mean, sd.variance, p.gamma_d, s.eps, dy, dd.get(),
                                 g.dgamma_d, g.dbeta_d);
    const ConvGeometry gd = downsample_geometry(s);
    conv2d_backprop_filter(gd, x, dd.get(), g.dfilter_d);
    auto dxs = scratch(rows * s.in_c);
    conv2d_backprop_input(gd, dd.get(), p.filter_d, dxs.get());
    add_into(rows * s.in_c, dxs.get(), g.dx);
  } else {
    add_into(rows * s.in_c, dy, g.dx);
  }
}

}  // namespace topofr
