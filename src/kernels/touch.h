// Touching rows before using them: one load from each 64-byte line of a block of rows, so that
// their cache and TLB misses overlap. A loop that copies or updates random rows of a big table
// keeps few misses in flight (its stores fill the store queue behind the oldest row's load);
// touching a block first puts tens of lines in flight, and the loop then finds them in cache.
// Worth ~1.6x on a 100k x 64 table and ~2-3x at 1M, neutral when the table is in cache
// (bench/train-rotating.mjs). wasm has no prefetch instruction: these are plain loads, their
// bits folded into a value that goes to a volatile so that the compiler keeps them.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace emb {

// Rows per block: about 64 lines in flight (16 rows of 64 floats), at least one row.
inline std::size_t touch_block_rows(std::size_t dim) {
  const std::size_t lines = dim / 16 + 1;
  return lines >= 64 ? 1 : 64 / lines;
}

// One word from every 64-byte line of row[0 : dim), folded into acc.
inline std::uint32_t touch_row(const float* row, std::size_t dim, std::uint32_t acc) {
  std::uint32_t word;
  for (std::size_t j = 0; j < dim; j += 16) {
    std::memcpy(&word, row + j, sizeof word);
    acc |= word;
  }
  if (dim > 0) {
    std::memcpy(&word, row + dim - 1, sizeof word);  // the last line of a row that starts mid-line
    acc |= word;
  }
  return acc;
}

// Keeps the touching loads that produced acc.
inline void keep_touches(std::uint32_t acc) {
  volatile std::uint32_t sink = acc;
  (void)sink;
}

}  // namespace emb
