// What an optimizer keeps for one table. The table owns it, so neither can outlive the other,
// and the table asks it for the updates it still owes a row before the row is read.
#pragma once
#include <cstddef>
#include <cstdint>

namespace emb {
class Embedding;

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
};
}  // namespace emb
