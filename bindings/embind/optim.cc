// Embind bindings for the optimizers: one function per optimizer, stepping one table or
// preparing its state (`action` is a StepAction), and their states' fields, for checkpoints.
// Free functions taking the table (a Table handle) first.
#include <emscripten/bind.h>

#include <cstdint>

#include "address.h"
#include "embedding/embedding.h"
#include "optim/adagrad.h"
#include "optim/sgd.h"
#include "optim/sparse_adam.h"

using emb::Embedding;
using std::uint32_t;

namespace {
// The steps return false when the optimizer's state cannot be allocated (nothing changed).
emb::StepAction act(int action) { return static_cast<emb::StepAction>(action); }

bool sgd_step(Embedding* e, uint32_t owner, int action, float lr, float momentum, float dampening, float weight_decay,
              bool nesterov, bool maximize) {
  return emb::sgd_step(*e, owner, {lr, momentum, dampening, weight_decay, nesterov, maximize}, act(action));
}
bool adagrad_step(Embedding* e, uint32_t owner, int action, float lr, double lr_decay, float weight_decay,
                  float initial_accumulator_value, float eps) {
  return emb::adagrad_step(*e, owner, {lr, lr_decay, weight_decay, initial_accumulator_value, eps}, act(action));
}
bool sparse_adam_step(Embedding* e, uint32_t owner, int action, float lr, double beta1, double beta2, float eps) {
  return emb::sparse_adam_step(*e, owner, {lr, beta1, beta2, eps}, act(action));
}
bool rowwise_adagrad_step(Embedding* e, uint32_t owner, int action, float lr, float eps, float weight_decay) {
  return emb::rowwise_adagrad_step(*e, owner, {lr, eps, weight_decay}, act(action));
}

// The fields of the state optimizer `owner` keeps in table e, packed in wasm memory as uint32s:
// the count, then per field its name (a C string's address), type, shape, data address and
// length (StateField). 0 when the table holds no state of that optimizer.
std::uintptr_t state_fields(Embedding* e, uint32_t owner) {
  static uint32_t packed[1 + 5 * emb::StateField::kMax];
  emb::OptimizerState* state = e->optimizer_state_of(owner);
  if (state == nullptr) return 0;
  emb::StateField fields[emb::StateField::kMax];
  const std::size_t n = state->fields(fields);
  packed[0] = static_cast<uint32_t>(n);
  for (std::size_t i = 0; i < n; ++i) {
    const emb::StateField& f = fields[i];
    uint32_t* out = packed + 1 + 5 * i;
    out[0] = static_cast<uint32_t>(address(f.name));
    out[1] = f.type;
    out[2] = f.shape;
    out[3] = static_cast<uint32_t>(address(f.data));
    out[4] = static_cast<uint32_t>(f.length);
  }
  return address(packed);
}

// Makes array field i of that state hold `length` elements; false when memory runs out.
bool resize_state_field(Embedding* e, uint32_t owner, std::size_t i, std::size_t length) {
  emb::OptimizerState* state = e->optimizer_state_of(owner);
  emb::StateField fields[emb::StateField::kMax];
  if (state == nullptr || i >= state->fields(fields) || fields[i].vector == nullptr) return false;
  const std::uint64_t bytes = std::uint64_t{length} * (fields[i].type == emb::StateField::kF32 ? 4 : 8);
  if (length > fields[i].length && !Embedding::can_allocate(bytes)) return false;
  emb::resize_field(fields[i], length);
  return true;
}
}  // namespace

EMSCRIPTEN_BINDINGS(optim) {
  using emscripten::allow_raw_pointers;
  emscripten::function("sgdStep", &sgd_step, allow_raw_pointers());
  emscripten::function("adagradStep", &adagrad_step, allow_raw_pointers());
  emscripten::function("sparseAdamStep", &sparse_adam_step, allow_raw_pointers());
  emscripten::function("rowwiseAdagradStep", &rowwise_adagrad_step, allow_raw_pointers());
  emscripten::function("optimStateFields", &state_fields, allow_raw_pointers());
  emscripten::function("optimResizeStateField", &resize_state_field, allow_raw_pointers());
}
