#include "kernels/sgd_row/sgd_row.h"

namespace emb::ref {
void sgd_row_f32(float* p, float* buf, const float* g, std::size_t dim, const SgdRowOptions& o, bool create_buffer) {
  for (std::size_t j = 0; j < dim; ++j) {
    float d = g ? g[j] : 0.0f;
    if (o.maximize) d = -d;
    if (o.weight_decay != 0.0f) d = d + o.weight_decay * p[j];
    if (buf) {
      buf[j] = create_buffer ? d : buf[j] * o.momentum + o.keep * d;
      d = o.nesterov ? d + o.momentum * buf[j] : buf[j];
    }
    p[j] = p[j] + (-o.lr) * d;
  }
}

void linear2_row_f32(float* p, float* buf, std::size_t dim, double a, double b, double c, double d) {
  for (std::size_t j = 0; j < dim; ++j) {
    const double pj = p[j], bj = buf ? buf[j] : 0.0;
    p[j] = static_cast<float>(a * pj + b * bj);
    if (buf) buf[j] = static_cast<float>(c * pj + d * bj);
  }
}

void sgd_zero_grad_steps_f32(float* p, float* buf, std::size_t dim, const SgdRowOptions& o, std::size_t steps) {
  for (std::size_t s = 0; s < steps; ++s) sgd_row_f32(p, buf, nullptr, dim, o, false);
}
}  // namespace emb::ref
