// Plain C exports for tables (emb::Embedding; Embedding and EmbeddingBag share it): thin, one
// call each. The table travels as an opaque pointer, other pointers as integers into wasm
// memory, failures as status codes; the JS side (bindings/js/table.js) owns validation,
// messages and memory.
#include <emscripten/emscripten.h>

#include <cstdint>
#include <new>

#include "address.h"
#include "embedding/embedding.h"

using emb::Embedding;

extern "C" {
// 0 when memory runs out.
EMSCRIPTEN_KEEPALIVE Embedding* emb_table_new() { return new (std::nothrow) Embedding(); }
EMSCRIPTEN_KEEPALIVE void emb_table_delete(Embedding* e) { delete e; }
EMSCRIPTEN_KEEPALIVE bool emb_table_allocate(Embedding* e, std::size_t rows, std::size_t dim) {
  return e->allocate(rows, dim);
}
// The seed arrives as a double holding an integer in [0, 2^53).
EMSCRIPTEN_KEEPALIVE void emb_table_init_normal(Embedding* e, double seed) {
  e->init_normal(static_cast<std::uint64_t>(seed));
}
EMSCRIPTEN_KEEPALIVE void emb_table_set_options(Embedding* e, int padding_idx, bool has_max_norm, double max_norm,
                                                double norm_type, bool scale_grad_by_freq) {
  e->padding_idx = padding_idx;
  e->has_max_norm = has_max_norm;
  e->max_norm = max_norm;
  e->norm_type = norm_type;
  e->scale_grad_by_freq = scale_grad_by_freq;
}
EMSCRIPTEN_KEEPALIVE float* emb_table_weight(Embedding* e) { return e->weight(); }

// Statuses: -1 success, -2 bad offsets, else the position of the first out-of-range index.
EMSCRIPTEN_KEEPALIVE int emb_table_forward(Embedding* e, std::uintptr_t idx, std::size_t n, std::uintptr_t out) {
  return static_cast<int>(e->forward(ptr<const std::int32_t>(idx), n, ptr<float>(out)));
}
EMSCRIPTEN_KEEPALIVE int emb_table_prepare_lookup(Embedding* e, std::uintptr_t idx, std::size_t n) {
  return static_cast<int>(e->prepare_lookup(ptr<const std::int32_t>(idx), n));
}
// Gathers rows already prepared by emb_table_prepare_lookup.
EMSCRIPTEN_KEEPALIVE void emb_table_gather(Embedding* e, std::uintptr_t idx, std::size_t n, std::uintptr_t out) {
  e->gather(ptr<const std::int32_t>(idx), n, ptr<float>(out));
}
EMSCRIPTEN_KEEPALIVE int emb_table_backward(Embedding* e, std::uintptr_t idx, std::size_t n, std::uintptr_t grad_out) {
  return static_cast<int>(e->backward(ptr<const std::int32_t>(idx), n, ptr<const float>(grad_out)));
}
EMSCRIPTEN_KEEPALIVE int emb_table_begin_backward(Embedding* e, std::uintptr_t idx, std::size_t n) {
  return static_cast<int>(e->begin_backward(ptr<const std::int32_t>(idx), n));
}
EMSCRIPTEN_KEEPALIVE void emb_table_backward_piece(Embedding* e, std::size_t start, std::size_t count,
                                                   std::uintptr_t grad_out) {
  e->backward_piece(start, count, ptr<const float>(grad_out));
}
EMSCRIPTEN_KEEPALIVE void emb_table_end_gradient(Embedding* e) { e->end_gradient(); }
EMSCRIPTEN_KEEPALIVE int emb_table_bag_forward(Embedding* e, std::uintptr_t idx, std::size_t n, std::uintptr_t offsets,
                                               std::size_t num_bags, int mode, std::uintptr_t psw, std::uintptr_t out) {
  return static_cast<int>(e->bag_forward(ptr<const std::int32_t>(idx), n, ptr<const std::int32_t>(offsets), num_bags,
                                         static_cast<emb::BagMode>(mode), ptr<const float>(psw), ptr<float>(out)));
}
EMSCRIPTEN_KEEPALIVE int emb_table_bag_backward(Embedding* e, std::uintptr_t idx, std::size_t n, std::uintptr_t offsets,
                                                std::size_t num_bags, int mode, std::uintptr_t psw,
                                                std::uintptr_t grad_out, std::uintptr_t psw_grad) {
  return static_cast<int>(e->bag_backward(ptr<const std::int32_t>(idx), n, ptr<const std::int32_t>(offsets), num_bags,
                                          static_cast<emb::BagMode>(mode), ptr<const float>(psw),
                                          ptr<const float>(grad_out), ptr<float>(psw_grad)));
}

EMSCRIPTEN_KEEPALIVE bool emb_table_grad_present(Embedding* e) { return e->grad().present; }
EMSCRIPTEN_KEEPALIVE std::size_t emb_table_grad_count(Embedding* e) { return e->grad().rows.size(); }
EMSCRIPTEN_KEEPALIVE const std::int32_t* emb_table_grad_rows(Embedding* e) { return e->grad().rows.data(); }
EMSCRIPTEN_KEEPALIVE const float* emb_table_grad_values(Embedding* e) { return e->grad().values.data(); }
EMSCRIPTEN_KEEPALIVE void emb_table_coalesce_grad(Embedding* e) { e->coalesce_grad(); }
EMSCRIPTEN_KEEPALIVE void emb_table_zero_grad(Embedding* e) { e->zero_grad(); }
// The optimizer whose state the table holds (its id), or 0.
EMSCRIPTEN_KEEPALIVE std::uint32_t emb_table_optimizer_owner(Embedding* e) { return e->optimizer_owner(); }
EMSCRIPTEN_KEEPALIVE void emb_table_release_optimizer_state(Embedding* e, std::uint32_t owner) {
  e->release_optimizer_state(owner);
}
EMSCRIPTEN_KEEPALIVE void emb_table_catch_up_all(Embedding* e) { e->catch_up_all(); }
// The row norms cosine search caches are stale after JS wrote the weights.
EMSCRIPTEN_KEEPALIVE void emb_table_all_rows_changed(Embedding* e) { e->all_rows_changed(); }
}
