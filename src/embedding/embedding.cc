#include "embedding/embedding.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <numeric>

#include "embedding/cache_lines.h"
#include "embedding/normal_init.h"
#include "embedding/renorm.h"
#include "kernels/active.h"
#include "kernels/touch.h"
#include "parallel/parallel.h"

namespace emb {

Embedding::~Embedding() { std::free(weight_); }

bool Embedding::allocate(std::size_t rows, std::size_t dim) {
  if (dim != 0 && rows > SIZE_MAX / sizeof(float) / dim) return false;
  auto* w = static_cast<float*>(zeroed_cache_lines(rows * dim, sizeof(float)));
  if (w == nullptr) return false;
  adopt(w, rows, dim);
  return true;
}

void Embedding::adopt(float* weight, std::size_t rows, std::size_t dim) {
  std::free(weight_);
  weight_ = weight;
  rows_ = rows;
  dim_ = dim;
  grad_ = SparseGrad{};  // a new table starts without gradient, row maps or optimizer state
  grad_slot_of_row_.clear();
  grad_map_stale_ = false;
  slot_of_row_.clear();
  optimizer_state_.reset();
  row_norms_.reset();
}

void Embedding::init_normal(std::uint64_t seed) {
  fill_normal(weight_, rows_ * dim_, seed);
  if (padding_idx >= 0) std::fill_n(weight_ + static_cast<std::size_t>(padding_idx) * dim_, dim_, 0.0f);
  all_rows_changed();
}

std::vector<std::int32_t>& Embedding::slot_map() {
  if (slot_of_row_.size() != rows_) slot_of_row_.assign(rows_, -1);  // O(rows) ints, once
  return slot_of_row_;
}

std::vector<std::int32_t>& Embedding::grad_map() {
  if (grad_slot_of_row_.size() != rows_) grad_slot_of_row_.assign(rows_, -1);  // O(rows) ints, once
  if (grad_map_stale_) {  // a hashed call's rows (begin_gradient): entered now that they are wanted
    grad_map_stale_ = false;
    for (std::size_t s = 0; s < grad_.rows.size(); ++s) grad_slot_of_row_[grad_.rows[s]] = static_cast<std::int32_t>(s);
  }
  return grad_slot_of_row_;
}

void Embedding::catch_up(const std::int32_t* idx, std::size_t n) {
  if (optimizer_state_) optimizer_state_->catch_up(*this, idx, n);
}

void Embedding::catch_up_all() {
  if (optimizer_state_) optimizer_state_->catch_up_all(*this);
}

bool Embedding::can_allocate(std::uint64_t bytes) {
  if (bytes > SIZE_MAX - 4096) return false;
  // Through a volatile, or the compiler may drop the malloc/free pair and assume success.
  static void* volatile probe;
  probe = std::malloc(static_cast<std::size_t>(bytes));
  const bool ok = probe != nullptr || bytes == 0;
  std::free(probe);
  probe = nullptr;
  return ok;
}

void Embedding::release_optimizer_state(std::uint32_t owner) {
  if (!optimizer_state_ || optimizer_state_->owner != owner) return;
  catch_up_all();
  optimizer_state_.reset();
}

void Embedding::renorm_looked_up(const std::int32_t* idx, std::size_t n) {
  if (!has_max_norm) return;
  // Each distinct looked-up row once, padding included (torch renormalises it too).
  std::vector<std::int32_t>& seen = slot_map();
  for (std::size_t i = 0; i < n; ++i) {
    if (seen[idx[i]] >= 0) continue;
    seen[idx[i]] = 0;
    if (renorm_row(weight_ + static_cast<std::size_t>(idx[i]) * dim_, dim_, max_norm, norm_type))
      rows_changed(idx + i, 1);
  }
  for (std::size_t i = 0; i < n; ++i) seen[idx[i]] = -1;
}

std::int64_t Embedding::prepare_lookup(const std::int32_t* idx, std::size_t n) {
  const std::size_t bad = first_out_of_range(idx, n, rows_);
  if (bad != n) return static_cast<std::int64_t>(bad);
  catch_up(idx, n);
  renorm_looked_up(idx, n);
  return kOk;
}

std::int64_t Embedding::forward(const std::int32_t* idx, std::size_t n, float* out) {
  const std::int64_t status = prepare_lookup(idx, n);
  if (status == kOk) gather(idx, n, out);
  return status;
}

void Embedding::gather(const std::int32_t* idx, std::size_t n, float* out) const {
  // No per-piece state: 4 pieces a thread (parallel/parallel.h).
  parallel_for(
      n, std::uint64_t{n} * dim_,
      [&](std::size_t, std::size_t begin, std::size_t end) {
        kernels::gather_f32(weight_, rows_, dim_, idx + begin, end - begin, out + begin * dim_);
      },
      4);
}

namespace {
// Numbers the distinct non-padding rows of idx by first appearance: targets[i] = entry i's slot
// (kSkipRow for padding), rows[s] and counts[s] = slot s's row and multiplicity. slot_of(r,
// next, i) gives row r's slot, or `next` for a row not seen before (and remembers it). Returns
// how many slots it made.
template <typename SlotOf>
std::size_t number_rows(const std::int32_t* idx, std::size_t n, std::int32_t padding, SlotOf&& slot_of,
                        std::int32_t* rows, std::int32_t* counts, std::int32_t* targets) {
  std::int32_t k = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::int32_t r = idx[i];
    if (r == padding) {
      targets[i] = kSkipRow;
      continue;
    }
    const std::int32_t s = slot_of(r, k, i);
    if (s == k) {
      rows[k] = r;
      counts[k++] = 0;
    }
    ++counts[s];
    targets[i] = s;
  }
  return static_cast<std::size_t>(k);
}
}  // namespace

std::size_t Embedding::begin_gradient(const std::int32_t* idx, std::size_t n) {
  const std::size_t bad = first_out_of_range(idx, n, rows_);
  if (bad != n) return bad;
  // With no gradient rows yet (the usual zeroGrad-backward-step loop), this call's gradient
  // becomes the whole gradient: slot it straight into the gradient's own row map.
  direct_gradient_ = grad_.rows.empty();
  // Sized for the worst case (every lookup a new row) and trimmed after: the loop then stores
  // through plain pointers (push_back's capacity checks cost ~10% of a step at V = 10k).
  call_rows_.resize(n);
  counts_.resize(n);
  targets_.resize(n);
  // Tables whose row map falls out of L2 slot the call's rows in a hash table sized to the call
  // (row_slots.h), unless the call is so big that the table would outgrow the map; the
  // gradient's own map is then filled only when something reads it (grad_map).
  const std::size_t map_bytes = rows_ * sizeof(std::int32_t), most = n < rows_ ? n : rows_;
  std::size_t k;
  if (map_bytes > kSlotMapBytes && RowSlots::bytes_for(most) <= map_bytes) {
    row_slots_.reset(most);
    k = number_rows(
        idx, n, padding_idx, [&](std::int32_t r, std::int32_t next, std::size_t) { return row_slots_.find_or_add(r, next); },
        call_rows_.data(), counts_.data(), targets_.data());
    if (direct_gradient_) grad_map_stale_ = true;
  } else {
    std::int32_t* map = direct_gradient_ ? grad_map().data() : slot_map().data();
    RowToucher ahead(map, sizeof(std::int32_t), rows_, idx, n);  // a V-sized map: misses in big tables
    k = number_rows(
        idx, n, padding_idx,
        [&](std::int32_t r, std::int32_t next, std::size_t i) {
          ahead.before(i);
          std::int32_t& s = map[r];
          if (s < 0) s = next;
          return s;
        },
        call_rows_.data(), counts_.data(), targets_.data());
    if (!direct_gradient_)
      for (std::size_t s = 0; s < k; ++s) map[call_rows_[s]] = -1;
  }
  call_rows_.resize(k);
  counts_.resize(k);
  return n;
}

void Embedding::end_gradient() {
  grad_.present = true;
  if (one_pass_) {
    one_pass_ = false;
    call_rows_.resize(slots_summed_);
    call_values_.resize(slots_summed_ * dim_);
    if (!direct_gradient_)
      for (std::int32_t r : call_rows_) slot_of_row_[r] = -1;
  }
  if (direct_gradient_) {
    grad_.rows.swap(call_rows_);
    grad_.values.swap(call_values_);
    return;
  }
  // Append rows seen for the first time, then add this call's rows into theirs.
  std::vector<std::int32_t>& map = grad_map();
  targets_.resize(call_rows_.size());
  for (std::size_t s = 0; s < call_rows_.size(); ++s) {
    std::int32_t& g = map[call_rows_[s]];
    if (g < 0) {
      g = static_cast<std::int32_t>(grad_.rows.size());
      grad_.rows.push_back(call_rows_[s]);
    }
    targets_[s] = g;
  }
  grad_.values.resize(grad_.rows.size() * dim_, 0.0f);
  kernels::scatter_add_f32(call_values_.data(), call_rows_.size(), dim_, targets_.data(), 1.0f, nullptr,
                           grad_.values.data(), grad_.rows.size());
}

std::int64_t Embedding::backward(const std::int32_t* idx, std::size_t n, const float* grad_out) {
  const std::int64_t status = begin_backward(idx, n);
  if (status != kOk) return status;
  backward_piece(0, n, grad_out);
  end_gradient();
  return kOk;
}

std::int64_t Embedding::begin_backward(const std::int32_t* idx, std::size_t n) {
  // The usual case (no scale_grad_by_freq, whose factors need every row's count first): the
  // pieces slot the rows as they sum them (kernels::slot_sum_f32), one pass over the lookups
  // instead of two: 13-18% faster training steps at V = 10k. Only while the V-sized slot map
  // fits in L2 (1 MB: 262k rows): beyond, its misses overlap better in a pass of their own
  // (begin_gradient touches them a block ahead; one pass was 15-30% slower at 1M rows). One
  // pass runs on one thread, and beats two passes split over two (bench/threads.mjs, V = 100k:
  // the zero-copy backward 0.93x one thread's time when split, 1.00x in one pass).
  // Its sums are sized before the rows are counted (a slot a lookup, at most one a row): up to
  // 16 MB, so that a huge batch of few distinct rows does not hold memory it never uses.
  constexpr std::size_t kOnePassSumBytes = std::size_t{16} << 20;
  const std::size_t most = n < rows_ ? n : rows_;
  one_pass_ = !scale_grad_by_freq && rows_ * sizeof(std::int32_t) <= kSlotMapBytes &&
              most * dim_ <= kOnePassSumBytes / sizeof(float);
  if (one_pass_) {
    const std::size_t bad = first_out_of_range(idx, n, rows_);
    if (bad != n) {
      one_pass_ = false;
      return static_cast<std::int64_t>(bad);
    }
    direct_gradient_ = grad_.rows.empty();
    direct_gradient_ ? grad_map() : slot_map();  // sized (and current) before the pieces use one
    one_pass_idx_ = idx;
    call_rows_.resize(most);
    call_values_.resize(most * dim_);
    slots_summed_ = 0;
    return kOk;
  }
  const std::size_t bad = begin_gradient(idx, n);
  if (bad != n) return static_cast<std::int64_t>(bad);
  if (scale_grad_by_freq) {
    factor_.resize(n);
    for (std::size_t i = 0; i < n; ++i)
      factor_[i] = targets_[i] == kSkipRow ? 0.0f : static_cast<float>(1.0 / counts_[targets_[i]]);
  }
  call_values_.resize(call_rows_.size() * dim_);
  slots_summed_ = 0;
  return kOk;
}

void Embedding::backward_piece(std::size_t start, std::size_t count, const float* grad_out) {
  if (one_pass_) {
    std::int32_t* map = direct_gradient_ ? grad_slot_of_row_.data() : slot_of_row_.data();
    slots_summed_ = kernels::slot_sum_f32(grad_out, count, dim_, one_pass_idx_ + start, padding_idx, map,
                                          call_rows_.data(), call_values_.data(), slots_summed_);
    return;
  }
  // This call's gradient, coalesced: each row's lookups summed from zero in order, as torch
  // computes it before adding it to .grad.
  const std::int32_t* slots = targets_.data() + start;
  const float* scale = scale_grad_by_freq ? factor_.data() + start : nullptr;
  split_by_slot(slots, count, std::uint64_t{count} * dim_, [&](const std::int32_t* mine, std::size_t lo, std::size_t) {
    kernels::scatter_sum_f32(grad_out, count, dim_, mine, scale, call_values_.data(), call_rows_.size(),
                             lo > slots_summed_ ? lo : slots_summed_);
  });
  for (std::size_t i = 0; i < count; ++i)
    if (slots[i] != kSkipRow && static_cast<std::size_t>(slots[i]) >= slots_summed_) slots_summed_ = slots[i] + 1;
}

const float* Embedding::grad_row(std::size_t r) const {
  if (grad_map_stale_) {  // a hashed call's rows, not in the map: look r up among them
    const auto at = std::find(grad_.rows.begin(), grad_.rows.end(), static_cast<std::int32_t>(r));
    return at == grad_.rows.end() ? nullptr : grad_.values.data() + static_cast<std::size_t>(at - grad_.rows.begin()) * dim_;
  }
  if (grad_slot_of_row_.size() != rows_ || grad_slot_of_row_[r] < 0) return nullptr;
  return grad_.values.data() + static_cast<std::size_t>(grad_slot_of_row_[r]) * dim_;
}

void Embedding::coalesce_grad() {
  const std::size_t k = grad_.rows.size();
  if (std::is_sorted(grad_.rows.begin(), grad_.rows.end())) return;
  std::vector<std::int32_t> order(k);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::int32_t a, std::int32_t b) { return grad_.rows[a] < grad_.rows[b]; });
  std::vector<std::int32_t> rows(k);
  FloatBuffer values(k * dim_);
  std::vector<std::int32_t>& map = grad_map();
  for (std::size_t s = 0; s < k; ++s) {
    rows[s] = grad_.rows[order[s]];
    std::copy_n(grad_.values.begin() + static_cast<std::ptrdiff_t>(order[s] * dim_), dim_,
                values.begin() + static_cast<std::ptrdiff_t>(s * dim_));
    map[rows[s]] = static_cast<std::int32_t>(s);
  }
  grad_.rows.swap(rows);
  grad_.values.swap(values);
}

void Embedding::zero_grad() {
  if (!grad_map_stale_)  // (a stale map holds no entries of these rows)
    for (std::int32_t r : grad_.rows) grad_slot_of_row_[r] = -1;
  grad_map_stale_ = false;
  grad_.rows.clear();
  grad_.values.clear();
}

void Embedding::clear_grad() {
  zero_grad();
  grad_.present = false;
}

}  // namespace emb
