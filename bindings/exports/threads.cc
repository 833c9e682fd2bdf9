// The entry points of the threads build's helper threads (bindings/js/threads-worker.js calls
// them on its own instance of the module, over the shared memory). Only in that build.
#if defined(EMB_THREADS)
#include <emscripten/emscripten.h>

#include <cstdint>

#include "parallel/parallel.h"

extern "C" {
void* emscripten_tls_init(void);  // Emscripten's pthread runtime (no public header in 3.1.6)

// Never returns for id >= 1: sets up the thread's thread-local storage, then takes its piece of
// every parallel loop. id 0 returns at once (the JS side calls it so to find the export).
EMSCRIPTEN_KEEPALIVE void emb_threads_helper_main(std::uint32_t id) {
  if (id == 0) return;
  emscripten_tls_init();
  emb::helper_loop(id);
}
EMSCRIPTEN_KEEPALIVE std::uint32_t emb_threads_helper_count() {
  return static_cast<std::uint32_t>(emb::helper_count());
}
}
#endif
