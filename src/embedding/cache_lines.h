// Table memory: zeroed, starting on a 64-byte cache line, so SIMD rows never straddle one more
// line than they must.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace emb {
// count * size zeroed bytes, or nullptr when that overflows size_t (as it may in 32-bit wasm) or
// memory cannot grow enough (aligned_alloc returns nullptr rather than aborting). std::free it.
inline void* zeroed_cache_lines(std::size_t count, std::size_t size) {
  constexpr std::size_t kLine = 64;
  if (size != 0 && count > (SIZE_MAX - kLine) / size) return nullptr;
  const std::size_t bytes = (count * size + kLine - 1) / kLine * kLine;
  void* p = std::aligned_alloc(kLine, bytes > 0 ? bytes : kLine);
  if (p != nullptr) std::memset(p, 0, bytes);
  return p;
}
}  // namespace emb
