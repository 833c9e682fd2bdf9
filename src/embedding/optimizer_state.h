// What an optimizer keeps for one table. The table owns it, so neither can outlive the other,
// and the table asks it for the updates it still owes a row before the row is read.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace emb {
class Embedding;

// One number or array of an optimizer's state, as a checkpoint saves it (bindings/js/checkpoint.js).
struct StateField {
  enum Type : std::uint32_t { kF32 = 0, kF64 = 1, kI64 = 2, kBool = 3 };
  enum Shape : std::uint32_t { kNumber = 0, kPerRow = 1, kPerRowElement = 2 };  // [], [rows], [rows, dim]
  const char* name;  // torch's name where torch has the field (momentum_buffer, sum, exp_avg, step, ...)
  Type type;
  Shape shape;
  void* data;
  std::size_t length;  // elements
  void* vector;        // an array's std::vector (of float, or of int64 for kI64), or nullptr

  // The most fields a state has.
  static constexpr std::size_t kMax = 12;
};

inline StateField field(const char* name, float& x) {
  return {name, StateField::kF32, StateField::kNumber, &x, 1, nullptr};
}
inline StateField field(const char* name, double& x) {
  return {name, StateField::kF64, StateField::kNumber, &x, 1, nullptr};
}
inline StateField field(const char* name, std::int64_t& x) {
  return {name, StateField::kI64, StateField::kNumber, &x, 1, nullptr};
}
inline StateField field(const char* name, bool& x) {
  return {name, StateField::kBool, StateField::kNumber, &x, 1, nullptr};
}
inline StateField field(const char* name, std::vector<float>& v, StateField::Shape shape) {
  return {name, StateField::kF32, shape, v.data(), v.size(), &v};
}
inline StateField field(const char* name, std::vector<std::int64_t>& v) {
  return {name, StateField::kI64, StateField::kPerRow, v.data(), v.size(), &v};
}
// Makes array field f hold `length` elements (their values then unspecified until written).
inline void resize_field(const StateField& f, std::size_t length) {
  if (f.type == StateField::kF32) static_cast<std::vector<float>*>(f.vector)->resize(length);
  else static_cast<std::vector<std::int64_t>*>(f.vector)->resize(length);
}
// Copies the fields into out and returns their number (for OptimizerState::fields).
template <std::size_t N>
std::size_t put_fields(StateField* out, const StateField (&list)[N]) {
  static_assert(N <= StateField::kMax, "StateField::kMax is too small");
  for (std::size_t i = 0; i < N; ++i) out[i] = list[i];
  return N;
}

// What a call of an optimizer's step function (src/optim) does with one table. kStep: one step
// (nothing when the table has no gradient). kPrepare: only make sure the state exists when
// there is a gradient, so a caller can check every table's memory before stepping any.
// kRestore: make sure the state exists, gradient or not (a checkpoint then fills it in).
enum class StepAction : int { kStep = 0, kPrepare = 1, kRestore = 2 };

class OptimizerState {
 public:
  explicit OptimizerState(std::uint32_t owner) : owner(owner) {}
  virtual ~OptimizerState() = default;
  // The optimizer (an id handed out by the JS layer) this state belongs to.
  const std::uint32_t owner;
  // Lazy optimizers apply a step to the rows it touches and owe it to the others; these bring
  // rows[0 : n) (or every row) up to date with all steps taken. Eager optimizers owe nothing.
  virtual void catch_up(Embedding&, const std::int32_t* /*rows*/, std::size_t /*n*/) {}
  virtual void catch_up_all(Embedding&) {}

  // Checkpoints: writes every field of the state, counters and the options its steps used
  // included, to out[0 : n) in a fixed order; returns n (at most StateField::kMax).
  virtual std::size_t fields(StateField* out) = 0;
};

}  // namespace emb
