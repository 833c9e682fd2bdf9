// An embedding table: a rows x dim float32 matrix, looked up by row index (Embedding) or pooled
// over bags of indices (EmbeddingBag), with a row-sparse gradient. torch.nn.Embedding and
// torch.nn.EmbeddingBag semantics (shared/reference/semantics.md §1, §2).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "embedding/optimizer_state.h"
#include "embedding/row_norms.h"
#include "embedding/row_slots.h"
#include "kernels/scatter_add/scatter_add.h"  // kSkipRow
#include "parallel/parallel.h"

namespace emb {

// A std::vector whose resize() leaves new elements uninitialised (for buffers that are written
// before they are read: a gradient's values, resized every step, are not zeroed first).
template <typename T>
struct UninitializedAllocator : std::allocator<T> {
  template <typename U>
  struct rebind {
    using other = UninitializedAllocator<U>;
  };
  template <typename U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};
using FloatBuffer = std::vector<float, UninitializedAllocator<float>>;

// The accumulated gradient of a table: one value row per touched table row.
struct SparseGrad {
  std::vector<std::int32_t> rows;  // touched table rows; sorted only after coalesce()
  FloatBuffer values;              // rows.size() x dim, row-major
  bool present = false;            // false: no gradient at all (torch's grad is None)
};

enum class BagMode : int { kSum = 0, kMean = 1, kMax = 2 };

// Status codes of the calls below, besides -1 (success) and a non-negative position (the first
// out-of-range index, nothing changed).
inline constexpr std::int64_t kOk = -1;
inline constexpr std::int64_t kBadOffsetsStatus = -2;

class Embedding {
 public:
  Embedding() = default;
  ~Embedding();
  Embedding(const Embedding&) = delete;
  Embedding& operator=(const Embedding&) = delete;

  // Allocates a zero table, without gradient or optimizer state. Returns false (and keeps
  // what it had) if memory runs out.
  bool allocate(std::size_t rows, std::size_t dim);
  // Takes over `weight` (rows x dim floats from malloc, freed with free()) as the table, as
  // allocate() does but keeping its values (a table a file parser wrote in place).
  void adopt(float* weight, std::size_t rows, std::size_t dim);
  // Fills the table with N(0, 1) from `seed`, then zeroes the padding row.
  void init_normal(std::uint64_t seed);

  std::size_t rows() const { return rows_; }
  std::size_t dim() const { return dim_; }
  // The raw table. Rows may owe lazy optimizer updates: catch_up() before reading them.
  float* weight() { return weight_; }

  // Options, as in torch (the JS layer validates them): padding_idx -1 means none.
  std::int32_t padding_idx = -1;
  bool has_max_norm = false;
  double max_norm = 0.0;
  double norm_type = 2.0;
  bool scale_grad_by_freq = false;

  // prepare_lookup(idx, n), then out[i*dim : (i+1)*dim] = weight[idx[i]] for i in [0, n).
  // Returns kOk or the first out-of-range position (nothing changed then).
  std::int64_t forward(const std::int32_t* idx, std::size_t n, float* out);
  // What a lookup of idx[0 : n) does before reading rows: checks every index, brings the rows
  // up to date with their optimizer, renormalises them (if max_norm is set). Returns kOk or
  // the first out-of-range position (nothing changed then). Lets a caller gather in pieces.
  std::int64_t prepare_lookup(const std::int32_t* idx, std::size_t n);
  // out[i*dim : (i+1)*dim] = weight[idx[i]] for rows already checked and prepared (split across
  // threads in the threads build).
  void gather(const std::int32_t* idx, std::size_t n, float* out) const;

  // Accumulates d(loss)/d(weight) for the lookups idx[0 : n) with output gradient
  // grad_out[0 : n*dim). Padding lookups contribute nothing. Returns as forward.
  std::int64_t backward(const std::int32_t* idx, std::size_t n, const float* grad_out);
  // The same in pieces, for a caller that copies grad_out in a piece at a time (each piece then
  // read while still in cache): begin_backward (returns as backward; nothing changes on an
  // error), then backward_piece for consecutive pieces covering [0, n), then end_gradient().
  std::int64_t begin_backward(const std::int32_t* idx, std::size_t n);
  void backward_piece(std::size_t start, std::size_t count, const float* grad_out);
  // Adds this call's gradient (call_values_) into the accumulated gradient.
  void end_gradient();

  // EmbeddingBag: bag b pools rows idx[offsets[b] : offsets[b+1]) (offsets: num_bags + 1
  // entries rising from 0 to n), leaving padding out; psw are per-sample weights (kSum only)
  // or nullptr. out: num_bags x dim. Returns kOk, kBadOffsetsStatus, or a bad position.
  std::int64_t bag_forward(const std::int32_t* idx, std::size_t n, const std::int32_t* offsets,
                           std::size_t num_bags, BagMode mode, const float* psw, float* out);
  // Accumulates the gradient of bag_forward given grad_out (num_bags x dim). kMax sends each
  // element's gradient to the row that won it in the current weights (as forward saw them).
  // scale_grad_by_freq divides by the row's count over all of idx (not supported for kMax).
  // psw_grad, if not nullptr, receives d(loss)/d(psw[j]) = <weight[idx[j]], grad_out[bag of j]>.
  std::int64_t bag_backward(const std::int32_t* idx, std::size_t n, const std::int32_t* offsets,
                            std::size_t num_bags, BagMode mode, const float* psw, const float* grad_out,
                            float* psw_grad);

  // Sorts the gradient rows ascending (values follow), as torch's coalesce() does.
  void coalesce_grad();
  void zero_grad();   // an empty but present gradient (torch 1.13 zero_grad())
  void clear_grad();  // no gradient at all (grad = None)
  const SparseGrad& grad() const { return grad_; }
  // The gradient row of table row r, or nullptr when r has none.
  const float* grad_row(std::size_t r) const;

  // The state of optimizer `owner` for this table, made by make() when the table holds none,
  // or another optimizer's (whose owed updates are applied first, then dropped). A new state
  // needs `bytes`: when wasm memory cannot provide them, returns nullptr and changes nothing
  // (rather than letting a std::vector abort the module).
  template <typename State, typename Make>
  State* optimizer_state(std::uint32_t owner, std::uint64_t bytes, Make make) {
    if (!optimizer_state_ || optimizer_state_->owner != owner) {
      if (!can_allocate(bytes)) return nullptr;
      catch_up_all();
      optimizer_state_ = make();
    }
    return static_cast<State*>(optimizer_state_.get());
  }
  // The optimizer whose state this table holds (its id), or 0.
  std::uint32_t optimizer_owner() const { return optimizer_state_ ? optimizer_state_->owner : 0; }
  // The state optimizer `owner` keeps for this table, or nullptr.
  OptimizerState* optimizer_state_of(std::uint32_t owner) {
    return optimizer_state_ && optimizer_state_->owner == owner ? optimizer_state_.get() : nullptr;
  }
  // Whether malloc can hand out `bytes` now (it grows wasm memory if it must).
  static bool can_allocate(std::uint64_t bytes);
  // Applies what optimizer `owner` owes and drops its state (when the optimizer is disposed).
  void release_optimizer_state(std::uint32_t owner);
  // Applies every update an optimizer owes rows idx[0 : n) (all rows), so they can be read.
  void catch_up(const std::int32_t* idx, std::size_t n);
  void catch_up_all();

  // The invalidation hook of the row-norm cache that cosine search reads: whatever writes
  // rows of weight() calls rows_changed with those rows (or all_rows_changed()) afterwards.
  // This class, the optimizers (src/optim) and lazy catch-up already do; new code that writes
  // rows in place (a training loop, a loader filling an existing table) must too. Cheap: nothing
  // until the first cosine search fills the cache, then a few stores per row.
  void rows_changed(const std::int32_t* rows, std::size_t n) {
    ++changes_;
    row_norms_.changed(rows, n);
  }
  void all_rows_changed() {
    ++changes_;
    row_norms_.changed_all();
  }
  // How many times the two calls above ran: an approximate index (src/ann) over the rows is
  // stale once this moves.
  std::uint64_t changes() const { return changes_; }
  // rows_changed for the gradient's rows: what an optimizer step calls after moving them.
  void grad_rows_changed() { rows_changed(grad_.rows.data(), grad_.rows.size()); }
  // 1 / ||row||_2 for every row (0 for a zero row), recomputing only the rows changed since the
  // last call; read after catch_up_all(). nullptr when memory runs out.
  const float* inverse_norms() { return row_norms_.current(weight_, rows_, dim_); }

 private:
  // Validates idx (returns the first bad position or n), then maps each distinct non-padding
  // index to a slot into call_rows_ in order of first appearance: targets_[i] = its slot
  // (kSkipRow for padding), counts_[slot] = its multiplicity. This call's gradient then goes
  // to call_values_ (call_rows_.size() x dim).
  std::size_t begin_gradient(const std::int32_t* idx, std::size_t n);
  // Runs fn(slots, lo, hi) over this call's gradient slots [0, call_rows_.size()) split into one
  // range per thread (src/parallel): slots is `slots` itself when there is one range, else a
  // copy of it with the entries outside [lo, hi) set to kSkipRow. Each slot's sum then runs on
  // one thread, in order: the same bits as one thread. floats: the work of the whole call.
  template <typename Fn>
  void split_by_slot(const std::int32_t* slots, std::size_t count, std::uint64_t floats, Fn fn);
  std::vector<std::vector<std::int32_t>> slots_of_piece_;  // split_by_slot's copies, one a thread
  bool direct_gradient_ = false;  // this call's slots are the gradient's own (it had no rows)
  std::size_t slots_summed_ = 0;  // backward pieces: the slots their sums have reached
  bool one_pass_ = false;         // backward pieces slot their rows as they sum them
  const std::int32_t* one_pass_idx_ = nullptr;  // ... the lookups of those pieces
  // The bag kernels over bags [0, num_bags), one range of bags a thread (src/parallel). arg:
  // max's winning positions (mode kMax only).
  void pool_bags(const std::int32_t* idx, std::size_t n, const std::int32_t* offsets, std::size_t num_bags,
                 BagMode mode, const float* psw, float* out, std::int32_t* arg);
  std::vector<std::vector<std::int32_t>> offsets_of_piece_;  // pool_bags' rebased offsets, one a thread
  // Renormalises each distinct row of idx[0 : n) once, if max_norm is set.
  void renorm_looked_up(const std::int32_t* idx, std::size_t n);
  std::vector<std::int32_t>& slot_map();
  // Row maps up to this size stay in L2 (1 MB: 262k rows): beyond, calls slot their rows in a
  // hash table sized to the call (row_slots_), and backward takes two passes.
  static constexpr std::size_t kSlotMapBytes = std::size_t{1} << 20;
  RowSlots row_slots_;  // begin_gradient's slots in big tables
  // grad_slot_of_row_, sized to the table and holding every gradient row (entered now if a
  // hashed call left them out).
  std::vector<std::int32_t>& grad_map();
  bool grad_map_stale_ = false;  // grad_slot_of_row_ lacks the gradient's rows (hashed slots)

  float* weight_ = nullptr;
  std::size_t rows_ = 0, dim_ = 0;
  SparseGrad grad_;
  std::vector<std::int32_t> grad_slot_of_row_;  // row -> index into grad_.rows, or -1
  std::unique_ptr<OptimizerState> optimizer_state_;
  RowNorms row_norms_;
  std::uint64_t changes_ = 0;
  // Per-call scratch, kept to avoid reallocating on every call.
  std::vector<std::int32_t> slot_of_row_, call_rows_, targets_, counts_, bag_arg_;
  FloatBuffer call_values_;
  std::vector<float> factor_, bag_out_;
};

template <typename Fn>
void Embedding::split_by_slot(const std::int32_t* slots, std::size_t count, std::uint64_t floats, Fn fn) {
  const std::size_t k = call_rows_.size();
  if (thread_count() > 1) {  // the copies are made here: a helper thread must not allocate
    slots_of_piece_.resize(thread_count());
    for (std::vector<std::int32_t>& piece : slots_of_piece_) piece.resize(count);
  }
  parallel_for(k, floats, [&](std::size_t piece, std::size_t lo, std::size_t hi) {
    if (lo == 0 && hi == k) return fn(slots, lo, hi);
    std::int32_t* mine = slots_of_piece_[piece].data();
    for (std::size_t i = 0; i < count; ++i) {
      const auto s = static_cast<std::size_t>(slots[i]);  // kSkipRow wraps to the largest value
      mine[i] = s >= lo && s < hi ? slots[i] : kSkipRow;
    }
    fn(mine, lo, hi);
  });
}

}  // namespace emb
