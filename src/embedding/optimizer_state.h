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
};

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

  // Checkpoints: every field of the state, counters and the options its steps used included,
  // in a fixed order. resize_field(i, n) makes array field i hold n elements (to be written).
  virtual std::size_t field_count() = 0;
  virtual StateField field(std::size_t i) = 0;
  virtual void resize_field(std::size_t i, std::size_t length) = 0;
};

// field_count, field and resize_field over Self::each_field(fn), which calls
// fn(name, member, shape) for every member that makes up the state.
template <typename Self, typename Base>
class ListedFields : public Base {
 public:
  using Base::Base;

  std::size_t field_count() final {
    std::size_t n = 0;
    self().each_field([&](const char*, auto&, StateField::Shape) { ++n; });
    return n;
  }
  StateField field(std::size_t i) final {
    StateField out{};
    std::size_t k = 0;
    self().each_field([&](const char* name, auto& member, StateField::Shape shape) {
      if (k++ == i) out = describe(name, member, shape);
    });
    return out;
  }
  void resize_field(std::size_t i, std::size_t length) final {
    std::size_t k = 0;
    self().each_field([&](const char*, auto& member, StateField::Shape) {
      if (k++ == i) resize(member, length);
    });
  }

 private:
  Self& self() { return static_cast<Self&>(*this); }
  static StateField describe(const char* n, float& x, StateField::Shape s) { return {n, StateField::kF32, s, &x, 1}; }
  static StateField describe(const char* n, double& x, StateField::Shape s) { return {n, StateField::kF64, s, &x, 1}; }
  static StateField describe(const char* n, std::int64_t& x, StateField::Shape s) { return {n, StateField::kI64, s, &x, 1}; }
  static StateField describe(const char* n, bool& x, StateField::Shape s) { return {n, StateField::kBool, s, &x, 1}; }
  static StateField describe(const char* n, std::vector<float>& v, StateField::Shape s) {
    return {n, StateField::kF32, s, v.data(), v.size()};
  }
  static StateField describe(const char* n, std::vector<std::int64_t>& v, StateField::Shape s) {
    return {n, StateField::kI64, s, v.data(), v.size()};
  }
  template <typename T>
  static void resize(std::vector<T>& v, std::size_t length) {
    v.resize(length);
  }
  template <typename T>
  static void resize(T&, std::size_t) {}
};

}  // namespace emb
