#include "optim/sgd.h"

#include <memory>
#include <vector>

#include "kernels/active.h"
#include "kernels/touch.h"
#include "optim/lazy_state.h"

namespace emb {
namespace {

// A 2x2 matrix acting on (weight, momentum buffer) element pairs.
struct Mat2 {
  double a, b, c, d;
  Mat2 operator*(const Mat2& o) const {
    return {a * o.a + b * o.c, a * o.b + b * o.d, c * o.a + d * o.c, c * o.b + d * o.d};
  }
};

Mat2 power(Mat2 m, std::int64_t k) {
  Mat2 result{1, 0, 0, 1};
  for (; k > 0; k >>= 1, m = m * m)
    if (k & 1) result = result * m;
  return result;
}

class SgdState final : public LazyState {
 public:
  SgdState(std::uint32_t owner, const SgdOptions& o) : LazyState(owner), o_(o) {}

  std::size_t fields(StateField* out) override {
    return put_fields(out, {field("step", step_), field("buffer_step", buffer_step_), field("lr", o_.lr),
                            field("momentum", o_.momentum), field("dampening", o_.dampening),
                            field("weight_decay", o_.weight_decay), field("nesterov", o_.nesterov),
                            field("maximize", o_.maximize), field("row_step", row_step_),
                            field("momentum_buffer", buffer_, StateField::kPerRowElement)});
  }

  void step(Embedding& t, const SgdOptions& o) {
    if (!(o == o_)) {
      catch_up_all(t);  // owed steps keep the options they were taken with
      o_ = o;
    }
    const std::size_t rows = t.rows(), dim = t.dim();
    const bool lazy = o_.momentum != 0.0f || o_.weight_decay != 0.0f;
    track_rows(t, lazy);
    if (o_.momentum != 0.0f && buffer_step_ == 0) {
      buffer_step_ = step_ + 1;  // torch creates the buffer (buf = d_p) on its first momentum step
      buffer_.assign(rows * dim, 0.0f);
    }
    ++step_;
    const SparseGrad& g = t.grad();
    if (!lazy) {
      // p += (-lr) * g (or lr * g when maximising): torch's p.add_(±g, alpha=-lr), on the gradient's rows.
      kernels::scatter_add_f32(g.values.data(), g.rows.size(), dim, g.rows.data(), o_.maximize ? o_.lr : -o_.lr,
                               nullptr, t.weight(), rows);
      return;
    }
    // The rows each step reads, a block ahead (kernels/touch.h).
    RowToucher weight_ahead(t.weight(), dim * sizeof(float), rows, g.rows.data(), g.rows.size());
    RowToucher buffer_ahead(buffer_.data(), buffer_.empty() ? 0 : dim * sizeof(float), rows, g.rows.data(),
                            g.rows.size());
    for (std::size_t k = 0; k < g.rows.size(); ++k) {
      weight_ahead.before(k);
      buffer_ahead.before(k);
      const std::size_t r = static_cast<std::size_t>(g.rows[k]);
      settle(t, r, step_ - 1);
      apply(t, r, g.values.data() + k * dim, step_ == buffer_step_);
      row_step_[r] = step_;
    }
  }

 private:
  // One step of torch's dense SGD on row r, element by element in torch's order; g == nullptr
  // is a zero gradient.
  void apply(Embedding& t, std::size_t r, const float* g, bool create_buffer) {
    const std::size_t dim = t.dim();
    float* buf = o_.momentum != 0.0f ? buffer_.data() + r * dim : nullptr;
    kernels::sgd_row_f32(t.weight() + r * dim, buf, g, dim, row_options(), create_buffer);
  }

  SgdRowOptions row_options() const {
    return {o_.lr, o_.momentum, static_cast<float>(1.0 - static_cast<double>(o_.dampening)), o_.weight_decay,
            o_.nesterov, o_.maximize};
  }

  const float* state_rows() const override { return buffer_.empty() ? nullptr : buffer_.data(); }

  // The owed steps form a linear recurrence: taken in closed form.
  void settle(Embedding& t, std::size_t r, std::int64_t target) override {
    std::int64_t done = row_step_[r];
    if (done >= target) return;
    if (o_.momentum != 0.0f && done + 1 == buffer_step_) {
      apply(t, r, nullptr, true);
      ++done;
    }
    row_step_[r] = target;
    // A few owed steps are replayed as torch takes them, the row in registers across them: bit
    // for bit, and cheaper than the closed form's double arithmetic up to kReplaySteps (8: a
    // momentum step at V = 10k 22% faster than with the closed form only, 10% faster than 16).
    const std::size_t dim = t.dim();
    if (target - done <= kReplaySteps) {
      kernels::sgd_zero_grad_steps_f32(t.weight() + r * dim, o_.momentum != 0.0f ? buffer_.data() + r * dim : nullptr,
                                       dim, row_options(), static_cast<std::size_t>(target - done));
      return;
    }
    // With g = 0, one step maps (p, buf) linearly: d = wd p, then momentum, then p -= lr d.
    const double lr = o_.lr, mu = o_.momentum, wd = o_.weight_decay, keep = 1.0 - static_cast<double>(o_.dampening);
    Mat2 m;
    if (mu == 0.0) m = {1 - lr * wd, 0, 0, 1};
    else if (o_.nesterov) m = {1 - lr * wd * (1 + mu), -lr * mu * mu, wd, mu};
    else m = {1 - lr * keep * wd, -lr * mu, keep * wd, mu};
    const Mat2 mk = power(m, target - done);
    kernels::linear2_row_f32(t.weight() + r * dim, mu != 0.0 ? buffer_.data() + r * dim : nullptr, dim, mk.a, mk.b,
                             mk.c, mk.d);
  }

  static constexpr std::int64_t kReplaySteps = 8;
  SgdOptions o_;
  std::int64_t buffer_step_ = 0;  // the step that created the momentum buffer (0: none yet)
  std::vector<float> buffer_;     // rows x dim momentum buffer
};

}  // namespace

bool sgd_step(Embedding& table, std::uint32_t owner, const SgdOptions& options, StepAction action) {
  // torch skips a parameter whose grad is None
  if (action != StepAction::kRestore && !table.grad().present) return true;
  const std::uint64_t rows = table.rows(), dim = table.dim();
  const bool lazy = options.momentum != 0.0f || options.weight_decay != 0.0f;
  const std::uint64_t bytes = (options.momentum != 0.0f ? rows * dim * sizeof(float) : 0) + (lazy ? rows * 8 : 0);
  SgdState* state = table.optimizer_state<SgdState>(owner, bytes, [&] { return std::make_unique<SgdState>(owner, options); });
  if (state == nullptr) return false;
  if (action == StepAction::kStep) {
    state->step(table, options);
    table.grad_rows_changed();
  }
  return true;
}

}  // namespace emb
