#include "optim/sgd.h"

#include "kernels/active.h"

namespace emb {

void sgd_step(Embedding& table, SgdState& state, const SgdOptions& o) {
  const std::size_t rows = table.rows(), dim = table.dim();
  float* w = table.weight();
  if (o.momentum == 0.0f && o.weight_decay == 0.0f) {
    // p += (-lr) * g, or p += lr * g when maximising: exactly torch's p.add_(±g, alpha=-lr).
    const SparseGrad& g = table.grad();
    kernels::scatter_add_f32(g.values.data(), g.rows.size(), dim, g.rows.data(), o.maximize ? o.lr : -o.lr,
                             nullptr, w, rows);
    return;
  }
  // torch's dense step, element by element, in torch's order of operations.
  const bool first = state.momentum_buffer.empty();
  if (o.momentum != 0.0f && first) state.momentum_buffer.resize(rows * dim);
  const float keep = static_cast<float>(1.0 - static_cast<double>(o.dampening));
  for (std::size_t r = 0; r < rows; ++r) {
    const float* g = table.grad_row(r);
    float* p = w + r * dim;
    float* buf = o.momentum != 0.0f ? state.momentum_buffer.data() + r * dim : nullptr;
    for (std::size_t j = 0; j < dim; ++j) {
      float d = g ? g[j] : 0.0f;
      if (o.maximize) d = -d;
      if (o.weight_decay != 0.0f) d = d + o.weight_decay * p[j];
      if (buf) {
        buf[j] = first ? d : buf[j] * o.momentum + keep * d;
        d = o.nesterov ? d + o.momentum * buf[j] : buf[j];
      }
      p[j] = p[j] + (-o.lr) * d;
    }
  }
}

}  // namespace emb
