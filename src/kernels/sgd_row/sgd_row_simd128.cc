#include "kernels/sgd_row/sgd_row.h"
#include "kernels/simd128.h"

namespace emb::simd128 {
namespace {
// The usual momentum step (no nesterov, no maximize, an existing buffer) with a gradient, its
// options fixed at compile time: the general loop below tests them per vector (momentum steps
// at V = 10k 3-10% faster this way, A/B).
template <bool kDecay>
void momentum_row(float* p, float* buf, const float* g, std::size_t dim, const SgdRowOptions& o) {
  const v128_t wd = wasm_f32x4_splat(o.weight_decay), mu = wasm_f32x4_splat(o.momentum);
  const v128_t keep = wasm_f32x4_splat(o.keep), neg_lr = wasm_f32x4_splat(-o.lr);
  std::size_t j = 0;
  for (; j + 4 <= dim; j += 4) {
    const v128_t pj = wasm_v128_load(p + j);
    v128_t d = wasm_v128_load(g + j);
    if (kDecay) d = wasm_f32x4_add(d, wasm_f32x4_mul(wd, pj));
    const v128_t b = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(buf + j), mu), wasm_f32x4_mul(keep, d));
    wasm_v128_store(buf + j, b);
    wasm_v128_store(p + j, wasm_f32x4_add(pj, wasm_f32x4_mul(neg_lr, b)));
  }
  if (j < dim) ref::sgd_row_f32(p + j, buf + j, g + j, dim - j, o, false);
}

// The same step without a gradient, `steps` times, each vector of the row kept in registers
// across the steps: one load and one store per vector instead of one per step.
template <bool kDecay>
void momentum_zero_grad_steps(float* p, float* buf, std::size_t dim, const SgdRowOptions& o, std::size_t steps) {
  const v128_t zero = wasm_f32x4_splat(0.0f), wd = wasm_f32x4_splat(o.weight_decay), mu = wasm_f32x4_splat(o.momentum);
  const v128_t keep = wasm_f32x4_splat(o.keep), neg_lr = wasm_f32x4_splat(-o.lr);
  const v128_t keep_zero = wasm_f32x4_mul(keep, zero);
  std::size_t j = 0;
  for (; j + 4 <= dim; j += 4) {
    v128_t pj = wasm_v128_load(p + j), b = wasm_v128_load(buf + j);
    for (std::size_t s = 0; s < steps; ++s) {
      const v128_t kd = kDecay ? wasm_f32x4_mul(keep, wasm_f32x4_add(zero, wasm_f32x4_mul(wd, pj))) : keep_zero;
      b = wasm_f32x4_add(wasm_f32x4_mul(b, mu), kd);
      pj = wasm_f32x4_add(pj, wasm_f32x4_mul(neg_lr, b));
    }
    wasm_v128_store(buf + j, b);
    wasm_v128_store(p + j, pj);
  }
  if (j < dim) ref::sgd_zero_grad_steps_f32(p + j, buf + j, dim - j, o, steps);
}
}  // namespace

void sgd_row_f32(float* p, float* buf, const float* g, std::size_t dim, const SgdRowOptions& o, bool create_buffer) {
  if (buf && !create_buffer && !o.nesterov && !o.maximize) {
    const bool decay = o.weight_decay != 0.0f;
    if (g) decay ? momentum_row<true>(p, buf, g, dim, o) : momentum_row<false>(p, buf, g, dim, o);
    else decay ? momentum_zero_grad_steps<true>(p, buf, dim, o, 1) : momentum_zero_grad_steps<false>(p, buf, dim, o, 1);
    return;
  }
  const v128_t zero = wasm_f32x4_splat(0.0f), wd = wasm_f32x4_splat(o.weight_decay), mu = wasm_f32x4_splat(o.momentum);
  const v128_t keep = wasm_f32x4_splat(o.keep), neg_lr = wasm_f32x4_splat(-o.lr);
  const bool decay = o.weight_decay != 0.0f;
  std::size_t j = 0;
  // The options are the same for every element: the branches below go the same way each time.
  for (; j + 4 <= dim; j += 4) {
    const v128_t pj = wasm_v128_load(p + j);
    v128_t d = g ? wasm_v128_load(g + j) : zero;
    if (o.maximize) d = wasm_f32x4_neg(d);
    if (decay) d = wasm_f32x4_add(d, wasm_f32x4_mul(wd, pj));
    if (buf) {
      const v128_t b = create_buffer ? d : wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(buf + j), mu), wasm_f32x4_mul(keep, d));
      wasm_v128_store(buf + j, b);
      d = o.nesterov ? wasm_f32x4_add(d, wasm_f32x4_mul(mu, b)) : b;
    }
    wasm_v128_store(p + j, wasm_f32x4_add(pj, wasm_f32x4_mul(neg_lr, d)));
  }
  if (j < dim) ref::sgd_row_f32(p + j, buf ? buf + j : nullptr, g ? g + j : nullptr, dim - j, o, create_buffer);
}

void sgd_zero_grad_steps_f32(float* p, float* buf, std::size_t dim, const SgdRowOptions& o, std::size_t steps) {
  if (buf && !o.nesterov && !o.maximize) {
    o.weight_decay != 0.0f ? momentum_zero_grad_steps<true>(p, buf, dim, o, steps)
                           : momentum_zero_grad_steps<false>(p, buf, dim, o, steps);
    return;
  }
  for (std::size_t s = 0; s < steps; ++s) sgd_row_f32(p, buf, nullptr, dim, o, false);
}

void linear2_row_f32(float* p, float* buf, std::size_t dim, double a, double b, double c, double d) {
  const v128_t va = wasm_f64x2_splat(a), vb = wasm_f64x2_splat(b), vc = wasm_f64x2_splat(c), vd = wasm_f64x2_splat(d);
  const v128_t zero = wasm_f64x2_splat(0.0);
  std::size_t j = 0;
  for (; j + 4 <= dim; j += 4) {
    const v128_t pf = wasm_v128_load(p + j);
    const v128_t p_lo = wasm_f64x2_promote_low_f32x4(pf), p_hi = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(pf, pf, 2, 3, 0, 1));
    v128_t b_lo = zero, b_hi = zero;
    if (buf) {
      const v128_t bf = wasm_v128_load(buf + j);
      b_lo = wasm_f64x2_promote_low_f32x4(bf);
      b_hi = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(bf, bf, 2, 3, 0, 1));
    }
    const v128_t np_lo = wasm_f64x2_add(wasm_f64x2_mul(va, p_lo), wasm_f64x2_mul(vb, b_lo));
    const v128_t np_hi = wasm_f64x2_add(wasm_f64x2_mul(va, p_hi), wasm_f64x2_mul(vb, b_hi));
    // demote gives (x, y, 0, 0): the two halves joined back into four floats.
    wasm_v128_store(p + j, wasm_i32x4_shuffle(wasm_f32x4_demote_f64x2_zero(np_lo), wasm_f32x4_demote_f64x2_zero(np_hi), 0, 1, 4, 5));
    if (buf) {
      const v128_t nb_lo = wasm_f64x2_add(wasm_f64x2_mul(vc, p_lo), wasm_f64x2_mul(vd, b_lo));
      const v128_t nb_hi = wasm_f64x2_add(wasm_f64x2_mul(vc, p_hi), wasm_f64x2_mul(vd, b_hi));
      wasm_v128_store(buf + j, wasm_i32x4_shuffle(wasm_f32x4_demote_f64x2_zero(nb_lo), wasm_f32x4_demote_f64x2_zero(nb_hi), 0, 1, 4, 5));
    }
  }
  if (j < dim) ref::linear2_row_f32(p + j, buf ? buf + j : nullptr, dim - j, a, b, c, d);
}
}  // namespace emb::simd128
