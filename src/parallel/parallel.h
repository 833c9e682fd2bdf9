// Work split across threads, in the threads build (EMB_THREADS): the calling thread and the
// helper threads each run one piece of a loop. Helpers are wasm instances on Web Workers or
// worker_threads over the same shared memory, started by bindings/js/threads.js, each inside
// emb_helper_loop. A piece is what one thread would do on that part of the loop, and no two
// pieces write the same bytes, so the result is the same bits as on one thread. Pieces must
// not allocate (a helper has no way to grow wasm memory) nor call parallel_for.
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace emb {

#if defined(EMB_THREADS)
// Helper `id` (1, 2, ...) takes what pieces of each job it can claim first, forever, waiting with
// memory.atomic.wait32 in between (allowed in workers, not on a browser's main thread). Its
// thread must have its own stack and thread-local storage (bindings/exports/threads.cc).
void helper_loop(std::uint32_t id);
// How many helpers have entered helper_loop.
std::size_t helper_count();
// Threads that take pieces: the caller and the helpers that have started.
inline std::size_t thread_count() { return 1 + helper_count(); }

namespace detail {
using PieceFn = void (*)(void* ctx, std::size_t piece, std::size_t begin, std::size_t end);
// Runs fn over [0, n) in `pieces` contiguous pieces (any number), each on whichever
// thread claims it first, the caller included (it runs every piece no helper has taken).
void run_pieces(std::size_t pieces, std::size_t n, PieceFn fn, void* ctx);
}  // namespace detail
#else
inline std::size_t thread_count() { return 1; }
#endif

// The least work (in floats read or written) worth a piece of its own on another thread:
// waking a helper costs ~100 us on a busy VM (measured), a piece of 1 MB of rows some 300 us.
inline constexpr std::uint64_t kPieceWork = 256 * 1024;

// How many pieces parallel_for(n, work, ...) makes: per_thread a thread (thread_count()), but
// no more than one per kPieceWork of work, nor than n; at least 1. More pieces than threads
// (for loops whose pieces keep no per-piece state) bound what a helper that the OS stops
// mid-piece makes the caller wait for: the caller takes the pieces left meanwhile.
inline std::size_t piece_count(std::size_t n, std::uint64_t work, std::size_t per_thread = 1) {
  std::size_t pieces = thread_count() == 1 ? 1 : thread_count() * per_thread;
  if (work / kPieceWork < pieces) pieces = static_cast<std::size_t>(work / kPieceWork);
  if (n < pieces) pieces = n;
  return pieces > 1 ? pieces : 1;
}

// Runs fn(piece, begin, end) over [0, n), a loop doing `work` floats of work, split into
// piece_count(n, work, per_thread) contiguous pieces; one call fn(0, 0, n) when that is a single piece.
template <typename Fn>
void parallel_for(std::size_t n, std::uint64_t work, Fn&& fn, std::size_t per_thread = 1) {
#if defined(EMB_THREADS)
  const std::size_t pieces = piece_count(n, work, per_thread);
  if (pieces > 1) {
    using F = std::remove_reference_t<Fn>;
    detail::run_pieces(
        pieces, n, [](void* ctx, std::size_t p, std::size_t b, std::size_t e) { (*static_cast<F*>(ctx))(p, b, e); },
        const_cast<void*>(static_cast<const void*>(&fn)));
    return;
  }
#else
  (void)work;
  (void)per_thread;
#endif
  fn(std::size_t{0}, std::size_t{0}, n);
}

}  // namespace emb
