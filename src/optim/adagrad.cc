#include "optim/adagrad.h"

#include <cmath>
#include <memory>
#include <vector>

#include "kernels/touch.h"
#include "optim/lazy_state.h"

namespace emb {
namespace {

class AdagradState final : public LazyState {
 public:
  AdagradState(std::uint32_t owner, const Embedding& t, const AdagradOptions& o)
      : LazyState(owner), o_(o), sum_(t.rows() * t.dim(), o.initial_accumulator_value) {}

  std::size_t fields(StateField* out) override {
    return put_fields(out, {field("step", step_), field("lr", o_.lr), field("lr_decay", o_.lr_decay),
                            field("weight_decay", o_.weight_decay),
                            field("initial_accumulator_value", o_.initial_accumulator_value), field("eps", o_.eps),
                            field("row_step", row_step_), field("sum", sum_, StateField::kPerRowElement)});
  }

  void step(Embedding& t, const AdagradOptions& o) {
    if (!(o == o_)) {
      catch_up_all(t);  // owed steps keep the options they were taken with
      o_ = o;
    }
    track_rows(t, o_.weight_decay != 0.0f);  // without weight decay, untouched rows do not move
    ++step_;
    const SparseGrad& g = t.grad();
    // The rows each step reads, a block ahead (kernels/touch.h).
    RowToucher weight_ahead(t.weight(), t.dim() * sizeof(float), t.rows(), g.rows.data(), g.rows.size());
    RowToucher sum_ahead(sum_.data(), t.dim() * sizeof(float), t.rows(), g.rows.data(), g.rows.size());
    for (std::size_t k = 0; k < g.rows.size(); ++k) {
      weight_ahead.before(k);
      sum_ahead.before(k);
      const std::size_t r = static_cast<std::size_t>(g.rows[k]);
      if (!row_step_.empty()) {
        settle(t, r, step_ - 1);
        row_step_[r] = step_;
      }
      apply(t, r, g.values.data() + k * t.dim(), step_);
    }
  }

 private:
  // Step `step` of torch's dense Adagrad on row r, in torch's order; g == nullptr is zero.
  void apply(Embedding& t, std::size_t r, const float* g, std::int64_t step) {
    const std::size_t dim = t.dim();
    float* p = t.weight() + r * dim;
    float* s = sum_.data() + r * dim;
    const double clr = o_.lr / (1.0 + static_cast<double>(step - 1) * o_.lr_decay);
    const float minus_clr = static_cast<float>(-clr);
    for (std::size_t j = 0; j < dim; ++j) {
      float gj = g ? g[j] : 0.0f;
      if (o_.weight_decay != 0.0f) gj = gj + o_.weight_decay * p[j];
      s[j] = s[j] + gj * gj;
      const float std_dev = std::sqrt(s[j]) + o_.eps;
      p[j] = p[j] + minus_clr * (gj / std_dev);
    }
  }

  // No closed form: the owed steps are replayed.
  void settle(Embedding& t, std::size_t r, std::int64_t target) override {
    for (std::int64_t step = row_step_[r] + 1; step <= target; ++step) apply(t, r, nullptr, step);
    row_step_[r] = target;
  }

  AdagradOptions o_;
  std::vector<float> sum_;  // rows x dim accumulators
};

class RowwiseAdagradState final : public OptimizerState {
 public:
  RowwiseAdagradState(std::uint32_t owner, const Embedding& t) : OptimizerState(owner), sum_(t.rows(), 0.0f) {}

  std::size_t fields(StateField* out) override {
    return put_fields(out, {field("sum", sum_, StateField::kPerRow)});  // FBGEMM's momentum1
  }

  void step(Embedding& t, const RowwiseAdagradOptions& o) {
    const SparseGrad& g = t.grad();
    const std::size_t dim = t.dim();
    RowToucher weight_ahead(t.weight(), dim * sizeof(float), t.rows(), g.rows.data(), g.rows.size());
    RowToucher sum_ahead(sum_.data(), sizeof(float), t.rows(), g.rows.data(), g.rows.size());
    for (std::size_t k = 0; k < g.rows.size(); ++k) {
      weight_ahead.before(k);
      sum_ahead.before(k);
      const std::size_t r = static_cast<std::size_t>(g.rows[k]);
      float* w = t.weight() + r * dim;
      const float* gr = g.values.data() + k * dim;
      double square_sum = 0.0;
      for (std::size_t j = 0; j < dim; ++j) {
        const double gj = static_cast<double>(gr[j]) + static_cast<double>(o.weight_decay) * w[j];
        square_sum += gj * gj;
      }
      if (dim > 0) sum_[r] += static_cast<float>(square_sum / static_cast<double>(dim));
      const float multiplier = o.lr / (std::sqrt(sum_[r]) + o.eps);
      const float correction = 1.0f - multiplier * o.weight_decay;
      for (std::size_t j = 0; j < dim; ++j) w[j] = correction * w[j] - multiplier * gr[j];
    }
  }

 private:
  std::vector<float> sum_;  // per row, G
};

}  // namespace

bool adagrad_step(Embedding& table, std::uint32_t owner, const AdagradOptions& options, StepAction action) {
  // torch skips a parameter whose grad is None
  if (action != StepAction::kRestore && !table.grad().present) return true;
  const std::uint64_t rows = table.rows(), dim = table.dim();
  const std::uint64_t bytes = rows * dim * sizeof(float) + (options.weight_decay != 0.0f ? rows * 8 : 0);
  AdagradState* state = table.optimizer_state<AdagradState>(
      owner, bytes, [&] { return std::make_unique<AdagradState>(owner, table, options); });
  if (state == nullptr) return false;
  if (action == StepAction::kStep) {
    state->step(table, options);
    table.grad_rows_changed();
  }
  return true;
}

bool rowwise_adagrad_step(Embedding& table, std::uint32_t owner, const RowwiseAdagradOptions& options,
                          StepAction action) {
  // torch skips a parameter whose grad is None
  if (action != StepAction::kRestore && !table.grad().present) return true;
  RowwiseAdagradState* state = table.optimizer_state<RowwiseAdagradState>(
      owner, std::uint64_t{table.rows()} * sizeof(float),
      [&] { return std::make_unique<RowwiseAdagradState>(owner, table); });
  if (state == nullptr) return false;
  if (action == StepAction::kStep) {
    state->step(table, options);
    table.grad_rows_changed();
  }
  return true;
}

}  // namespace emb
