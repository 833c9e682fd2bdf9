// Embind layer for the optimizers: one free function per optimizer, stepping one table.
#include <emscripten/bind.h>

#include <cstdint>

#include "embedding/embedding.h"
#include "optim/adagrad.h"
#include "optim/sgd.h"
#include "optim/sparse_adam.h"

namespace {
using emb::Embedding;

// The steps return false when the optimizer's state cannot be allocated (nothing changed).
bool sgd_step(Embedding& e, std::uint32_t owner, bool state_only, float lr, float momentum, float dampening,
              float weight_decay, bool nesterov, bool maximize) {
  return emb::sgd_step(e, owner, {lr, momentum, dampening, weight_decay, nesterov, maximize}, state_only);
}
bool adagrad_step(Embedding& e, std::uint32_t owner, bool state_only, float lr, double lr_decay, float weight_decay,
                  float initial_accumulator_value, float eps) {
  return emb::adagrad_step(e, owner, {lr, lr_decay, weight_decay, initial_accumulator_value, eps}, state_only);
}
bool sparse_adam_step(Embedding& e, std::uint32_t owner, bool state_only, float lr, double beta1, double beta2,
                      float eps) {
  return emb::sparse_adam_step(e, owner, {lr, beta1, beta2, eps}, state_only);
}
bool rowwise_adagrad_step(Embedding& e, std::uint32_t owner, bool state_only, float lr, float eps,
                          float weight_decay) {
  return emb::rowwise_adagrad_step(e, owner, {lr, eps, weight_decay}, state_only);
}

}  // namespace

EMSCRIPTEN_BINDINGS(optim) {
  using namespace emscripten;
  function("sgdStep", &sgd_step);
  function("adagradStep", &adagrad_step);
  function("sparseAdamStep", &sparse_adam_step);
  function("rowwiseAdagradStep", &rowwise_adagrad_step);
}
