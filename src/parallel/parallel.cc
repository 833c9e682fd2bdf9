#include "parallel/parallel.h"

#if defined(EMB_THREADS)
#include <atomic>
#include <cstdint>

namespace emb {
namespace {

// The job, published like a seqlock: `generation` is odd while the fields change and even
// once they are set. Pieces are claimed, not assigned: whoever comes first (the caller or a
// helper) takes the next piece, so a helper that wakes late (a busy machine, ~100 us) costs
// nothing: the caller runs the pieces left over itself, and the call is never much slower
// than on one thread. A claim is a compare-and-swap on `claims`, which holds the generation
// (high 32 bits) beside the next piece: a helper still holding an older job's fields cannot
// claim a piece of the new one. Each piece runs once, on whichever thread: the same bits.
std::atomic<std::uint32_t> generation{0};
std::atomic<detail::PieceFn> job_fn{nullptr};
std::atomic<void*> job_ctx{nullptr};
std::atomic<std::size_t> job_pieces{0}, job_n{0};
std::atomic<std::uint64_t> claims{0};        // generation << 32 | next piece to take
std::atomic<std::uint32_t> pieces_done{0};  // for the current job, by any thread
std::atomic<std::uint32_t> helpers{0};      // helpers inside emb_helper_loop

std::size_t piece_begin(std::size_t piece, std::size_t pieces, std::size_t n) {
  return static_cast<std::size_t>(std::uint64_t{n} * piece / pieces);
}

// Takes the next piece of job `g` (pieces in all): its number, or `pieces` when none is left
// or the job is no longer g.
std::size_t claim(std::uint32_t g, std::size_t pieces) {
  std::uint64_t c = claims.load(std::memory_order_acquire);
  for (;;) {
    const std::uint64_t next = c & 0xffffffffu;
    if ((c >> 32) != g || next >= pieces) return pieces;
    if (claims.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel, std::memory_order_acquire))
      return static_cast<std::size_t>(next);
  }
}

// Runs pieces of job g until none is left.
void run_claimed(std::uint32_t g, detail::PieceFn fn, void* ctx, std::size_t pieces, std::size_t n) {
  for (std::size_t p = claim(g, pieces); p < pieces; p = claim(g, pieces)) {
    fn(ctx, p, piece_begin(p, pieces, n), piece_begin(p + 1, pieces, n));
    pieces_done.fetch_add(1, std::memory_order_acq_rel);
  }
}

}  // namespace

void detail::run_pieces(std::size_t pieces, std::size_t n, PieceFn fn, void* ctx) {
  const std::uint32_t g = generation.fetch_add(1, std::memory_order_relaxed) + 2;  // odd: publishing
  std::atomic_thread_fence(std::memory_order_release);
  job_fn.store(fn, std::memory_order_relaxed);
  job_ctx.store(ctx, std::memory_order_relaxed);
  job_pieces.store(pieces, std::memory_order_relaxed);
  job_n.store(n, std::memory_order_relaxed);
  pieces_done.store(0, std::memory_order_relaxed);
  claims.store(std::uint64_t{g} << 32, std::memory_order_relaxed);
  generation.fetch_add(1, std::memory_order_release);  // even (g): published
  __builtin_wasm_memory_atomic_notify(reinterpret_cast<int*>(&generation), ~0u);
  run_claimed(g, fn, ctx, pieces, n);
  // The browser's main thread may not block: spin until the pieces helpers took are done.
  while (pieces_done.load(std::memory_order_acquire) < pieces) {
  }
}

void helper_loop(std::uint32_t id) {
  (void)id;
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
    run_claimed(g, fn, ctx, pieces, n);
  }
}

std::size_t helper_count() { return helpers.load(std::memory_order_acquire); }

}  // namespace emb
#endif
