// The slots of one call's distinct rows, numbered by first appearance, in a hash table sized to
// the call rather than a map as long as the table: a 1M-row table's map is 4 MB, and each of
// its lookups misses cache; this table holds 2-4 cells a lookup (64 KB for 4096) and stays in L2.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace emb {

class RowSlots {
 public:
  // The bytes reset(n) takes: a power of two cells, at least 2n, 8 bytes each.
  static std::size_t bytes_for(std::size_t n) {
    std::size_t cells = 16;
    while (cells < 2 * n) cells *= 2;
    return cells * sizeof(std::uint64_t);
  }

  // Empties the table, with room for n distinct rows.
  void reset(std::size_t n) {
    cells_.assign(bytes_for(n) / sizeof(std::uint64_t), kEmpty);
    mask_ = cells_.size() - 1;
  }

  // Row r's slot; a row not seen before gets `next` (and the caller moves next on).
  std::int32_t find_or_add(std::int32_t r, std::int32_t next) {
    // Fibonacci hashing: consecutive rows land far apart; linear probing from there.
    std::size_t at = (static_cast<std::uint32_t>(r) * 2654435769u) & mask_;
    for (;; at = (at + 1) & mask_) {
      const std::uint64_t cell = cells_[at];
      if (cell == kEmpty) {
        cells_[at] = (std::uint64_t{static_cast<std::uint32_t>(r)} << 32) | static_cast<std::uint32_t>(next);
        return next;
      }
      if (static_cast<std::int32_t>(cell >> 32) == r) return static_cast<std::int32_t>(cell & 0xffffffffu);
    }
  }

 private:
  static constexpr std::uint64_t kEmpty = ~std::uint64_t{0};  // row -1: never a row
  std::vector<std::uint64_t> cells_;
  std::size_t mask_ = 0;
};

}  // namespace emb
