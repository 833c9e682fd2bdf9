#include "kernels/ann/ann.h"

namespace emb::ref {
void pq4_scan(const std::uint8_t* blocks, std::size_t num_blocks, std::size_t subspaces, const std::uint8_t* lut,
              std::uint16_t* out) {
  for (std::size_t b = 0; b < num_blocks; ++b) {
    const std::uint8_t* block = blocks + b * subspaces * 16;
    for (std::size_t i = 0; i < 32; ++i) {
      unsigned total = 0;
      for (std::size_t s = 0; s < subspaces; ++s) {
        const std::uint8_t byte = block[s * 16 + i % 16];
        total += lut[s * 16 + (i < 16 ? byte & 15 : byte >> 4)];
      }
      out[b * 32 + i] = static_cast<std::uint16_t>(total);
    }
  }
}
}  // namespace emb::ref
