// One table row's SGD step with momentum or weight decay (torch's dense SGD, element by
// element), and the catch-up of the zero-gradient steps a row owes (src/optim/sgd.cc): replayed
// step by step when few, in closed form when many.
#pragma once
#include <cstddef>

namespace emb {
struct SgdRowOptions {
  float lr, momentum, keep;  // keep = 1 - dampening
  float weight_decay;
  bool nesterov, maximize;
};

namespace ref {
// For j in [0, dim), each operation rounded to float in this order (torch's):
//   d = g ? g[j] : 0;  if maximize: d = -d;  if weight_decay != 0: d = d + weight_decay * p[j]
//   if buf: buf[j] = create_buffer ? d : buf[j] * momentum + keep * d;  d = nesterov ? d + momentum * buf[j] : buf[j]
//   p[j] = p[j] + (-lr) * d
void sgd_row_f32(float* p, float* buf, const float* g, std::size_t dim, const SgdRowOptions& o, bool create_buffer);
// (p[j], buf[j]) = (float(a p[j] + b buf[j]), float(c p[j] + d buf[j])) in double; buf == nullptr
// reads as zeros and is not written.
void linear2_row_f32(float* p, float* buf, std::size_t dim, double a, double b, double c, double d);
// `steps` zero-gradient steps: sgd_row_f32(p, buf, nullptr, dim, o, false) that many times.
void sgd_zero_grad_steps_f32(float* p, float* buf, std::size_t dim, const SgdRowOptions& o, std::size_t steps);
}  // namespace ref
namespace simd128 {
// Same contracts as the ref:: versions, bit for bit.
void sgd_row_f32(float* p, float* buf, const float* g, std::size_t dim, const SgdRowOptions& o, bool create_buffer);
void linear2_row_f32(float* p, float* buf, std::size_t dim, double a, double b, double c, double d);
void sgd_zero_grad_steps_f32(float* p, float* buf, std::size_t dim, const SgdRowOptions& o, std::size_t steps);
}  // namespace simd128
}  // namespace emb
