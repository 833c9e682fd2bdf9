#include "optim/sparse_adam.h"

#include <cmath>
#include <memory>
#include <vector>

#include "kernels/touch.h"

namespace emb {
namespace {

class SparseAdamState final : public OptimizerState {
 public:
  SparseAdamState(std::uint32_t owner, const Embedding& t)
      : OptimizerState(owner), exp_avg_(t.rows() * t.dim(), 0.0f), exp_avg_sq_(t.rows() * t.dim(), 0.0f) {}

  std::size_t fields(StateField* out) override {
    return put_fields(out, {field("step", step_), field("exp_avg", exp_avg_, StateField::kPerRowElement),
                            field("exp_avg_sq", exp_avg_sq_, StateField::kPerRowElement)});
  }

  // torch 1.13's sparse_adam, operation for operation, on the gradient's rows.
  void step(Embedding& t, const SparseAdamOptions& o) {
    ++step_;
    const double bias_correction1 = 1.0 - std::pow(o.beta1, static_cast<double>(step_));
    const double bias_correction2 = 1.0 - std::pow(o.beta2, static_cast<double>(step_));
    const float minus_step_size = static_cast<float>(-(o.lr * std::sqrt(bias_correction2) / bias_correction1));
    const float one_minus_beta1 = static_cast<float>(1.0 - o.beta1);
    const float one_minus_beta2 = static_cast<float>(1.0 - o.beta2);
    const SparseGrad& g = t.grad();
    const std::size_t dim = t.dim();
    // The rows each step reads, a block ahead (kernels/touch.h).
    RowToucher weight_ahead(t.weight(), dim * sizeof(float), t.rows(), g.rows.data(), g.rows.size());
    RowToucher m_ahead(exp_avg_.data(), dim * sizeof(float), t.rows(), g.rows.data(), g.rows.size());
    RowToucher v_ahead(exp_avg_sq_.data(), dim * sizeof(float), t.rows(), g.rows.data(), g.rows.size());
    for (std::size_t k = 0; k < g.rows.size(); ++k) {
      weight_ahead.before(k);
      m_ahead.before(k);
      v_ahead.before(k);
      const std::size_t r = static_cast<std::size_t>(g.rows[k]);
      float* p = t.weight() + r * dim;
      float* m = exp_avg_.data() + r * dim;
      float* v = exp_avg_sq_.data() + r * dim;
      const float* gr = g.values.data() + k * dim;
      for (std::size_t j = 0; j < dim; ++j) {
        const float m_update = (gr[j] - m[j]) * one_minus_beta1;
        const float v_update = (gr[j] * gr[j] - v[j]) * one_minus_beta2;
        m[j] = m[j] + m_update;
        v[j] = v[j] + v_update;
        const float denom = std::sqrt(v[j]) + o.eps;
        p[j] = p[j] + minus_step_size * (m[j] / denom);
      }
    }
  }

 private:
  std::int64_t step_ = 0;
  std::vector<float> exp_avg_, exp_avg_sq_;  // rows x dim first and second moments
};

}  // namespace

bool sparse_adam_step(Embedding& table, std::uint32_t owner, const SparseAdamOptions& options, StepAction action) {
  // torch skips a parameter whose grad is None
  if (action != StepAction::kRestore && !table.grad().present) return true;
  SparseAdamState* state = table.optimizer_state<SparseAdamState>(
      owner, 2 * std::uint64_t{table.rows()} * table.dim() * sizeof(float),
      [&] { return std::make_unique<SparseAdamState>(owner, table); });
  if (state == nullptr) return false;
  if (action == StepAction::kStep) {
    state->step(table, options);
    table.grad_rows_changed();
  }
  return true;
}

}  // namespace emb
