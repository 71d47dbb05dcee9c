// The IResNet residual block (insightface's IBasicBlock) in training mode as one forward and one
// backward pass, for the fused tfjs kernel behind src/tf/kernels/residual-block.ts:
//
//   x ─► BN1 ─► conv1 3×3 ─► BN2 ─► PReLU ─► conv2 3×3 (stride s) ─► BN3 ─► (+) ─► y
//   └──────────── identity, or conv 1×1 (stride s) ─► BN_d (the downsample) ───┘
//
// NHWC float32, tfjs layouts (filters [kH, kW, in, out]); every conv has pad 1 (3×3) or 0 (1×1),
// PyTorch's sampling grid, so a stride-2 conv2 needs no padded copy of its input. Batch norms use
// the batch statistics (training mode), as batch_norm_training_forward.
//
// Same arithmetic as the unfused native kernels, op by op (the same conv, BN and PReLU functions on
// the same values), so results are bitwise those of the layer-by-layer path. What differs is memory:
// the forward keeps only what the backward cannot cheaply redo — the two conv outputs c1, c2 (and the
// downsample conv's d) plus per-channel statistics — and the backward recomputes BN1's and
// BN2+PReLU's outputs from x and c1 (one pass each) in scratch that lives for the call only.
#pragma once
#include <cstdint>

namespace topofr {

struct ResidualBlockShape {
  int64_t batch, height, width, in_c, out_c;
  int64_t stride;        // of conv2 and the downsample conv: 1 or 2
  int64_t out_h, out_w;  // (height − 1) / stride + 1, likewise the width
  bool downsample;       // the 1×1 conv + BN shortcut (else identity: in_c == out_c, stride 1)
  float eps;             // every BN's epsilon
};

// Parameters: BN γ/β, conv filters, PReLU α (out_c values). The downsample ones are null without it.
struct ResidualBlockParams {
  const float *gamma1, *beta1, *filter1, *gamma2, *beta2, *alpha, *filter2, *gamma3, *beta3;
  const float *filter_d, *gamma_d, *beta_d;
};

// What the forward keeps for the backward. stats_k is [4, C]: mean, variance (biased), scale, shift
// of BN k (batch_norm_statistics); C = in_c for BN1, out_c for the others.
struct ResidualBlockSaved {
  float *c1, *c2, *d;  // conv1 output [batch, height, width, out_c]; conv2's and the downsample's [batch, out_h, out_w, out_c]
  float *stats1, *stats2, *stats3, *stats_d;
};

struct ResidualBlockGrads {
  float *dx, *dgamma1, *dbeta1, *dfilter1, *dgamma2, *dbeta2, *dalpha, *dfilter2, *dgamma3, *dbeta3;
  float *dfilter_d, *dgamma_d, *dbeta_d;
};

// y [batch, out_h, out_w, out_c] and the saved tensors (all overwritten).
void residual_block_forward(const ResidualBlockShape& s, const float* x, const ResidualBlockParams& p, float* y,
                            const ResidualBlockSaved& saved);

// Every gradient from dy (overwritten), given the forward's x, parameters and saved tensors.
void residual_block_backward(const ResidualBlockShape& s, const float* x, const ResidualBlockParams& p,
                             const ResidualBlockSaved& saved, const float* dy, const ResidualBlockGrads& g);

}  // namespace topofr
