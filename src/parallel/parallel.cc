#include "parallel/parallel.h"

#if defined(EMB_THREADS)
#include <atomic>
#include <cstdint>

namespace emb {
namespace {

// The job, published like a seqlock: `generation` is odd while the fields change and even
// once they are set; a helper runs its piece once per even generation it reads intact.
std::atomic<std::uint32_t> generation{0};
std::atomic<detail::PieceFn> job_fn{nullptr};
std::atomic<void*> job_ctx{nullptr};
std::atomic<std::size_t> job_pieces{0}, job_n{0};
std::atomic<std::uint32_t> pieces_done{0};  // by helpers, for the current job
std::atomic<std::uint32_t> helpers{0};      // helpers inside emb_helper_loop

std::size_t piece_begin(std::size_t piece, std::size_t pieces, std::size_t n) {
  return static_cast<std::size_t>(std::uint64_t{n} * piece / pieces);
}

}  // namespace

void detail::run_pieces(std::size_t pieces, std::size_t n, PieceFn fn, void* ctx) {
  generation.fetch_add(1, std::memory_order_relaxed);  // odd: publishing
  std::atomic_thread_fence(std::memory_order_release);
  job_fn.store(fn, std::memory_order_relaxed);
  job_ctx.store(ctx, std::memory_order_relaxed);
  job_pieces.store(pieces, std::memory_order_relaxed);
  job_n.store(n, std::memory_order_relaxed);
  pieces_done.store(0, std::memory_order_relaxed);
  generation.fetch_add(1, std::memory_order_release);  // even: published
  __builtin_wasm_memory_atomic_notify(reinterpret_cast<int*>(&generation), ~0u);
  fn(ctx, 0, 0, piece_begin(1, pieces, n));
  // The browser's main thread may not block: spin until the helpers' pieces are done.
  while (pieces_done.load(std::memory_order_acquire) < pieces - 1) {
  }
}


void helper_loop(std::uint32_t id) {
  helpers.fetch_add(1, std::memory_order_acq_rel);
  std::uint32_t seen = 0;
  for (;;) {
    const std::uint32_t g = generation.load(std::memory_order_acquire);
    if (g == seen || (g & 1) != 0) {
      __builtin_wasm_memory_atomic_wait32(reinterpret_cast<int*>(&generation), static_cast<int>(g), -1);
      continue;
    }
    const detail::PieceFn fn = job_fn.load(std::memory_order_relaxed);
    void* const ctx = job_ctx.load(std::memory_order_relaxed);
    const std::size_t pieces = job_pieces.load(std::memory_order_relaxed);
    const std::size_t n = job_n.load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (generation.load(std::memory_order_relaxed) != g) continue;  // changed while read: again
    seen = g;
    if (id >= pieces) continue;
    fn(ctx, id, piece_begin(id, pieces, n), piece_begin(id + 1, pieces, n));
    pieces_done.fetch_add(1, std::memory_order_release);
  }
}

std::size_t helper_count() { return helpers.load(std::memory_order_acquire); }

}  // namespace emb
#endif
