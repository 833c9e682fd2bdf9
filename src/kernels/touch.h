// Touching rows before using them: one load from each 64-byte line of the next block of rows,
// so that their cache and TLB misses overlap. A loop that copies or updates random rows of a
// big table keeps few misses in flight (its stores fill the store queue behind the oldest
// row's load); touching a block first puts tens of lines in flight, and the loop then finds
// them in cache. Worth ~1.6x on a 100k x 64 table and ~2-3x at 1M, neutral when the table is
// in cache (bench/train-rotating.mjs). Blocks of 128 lines gather 4-7% faster than 64 at 100k
// and 1M rows, 256 no faster (the zero-copy forward, two builds A/B in one process). wasm has no prefetch instruction: these are plain
// loads, their bits folded into a value that goes to a volatile so the compiler keeps them.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace emb {

// Touches rows of a row-major array (array_rows rows of row_bytes bytes from base) at idx[j],
// ahead of a loop that visits positions j = 0, 1, 2, ... in order (whatever its loop
// structure): call before(j) ahead of using position j. Negative indices (skipped entries) are
// not touched; nor is anything in an array small enough to stay in cache.
class RowToucher {
 public:
  // from_bytes: the least array size touched (a loop with work of its own between rows gains
  // from touching arrays that fit in L3 too: 0).
  RowToucher(const void* base, std::size_t row_bytes, std::size_t array_rows, const std::int32_t* idx, std::size_t n,
             std::size_t from_bytes = kFromBytes)
      : base_(static_cast<const unsigned char*>(base)), row_bytes_(row_bytes), idx_(idx), n_(n),
        block_(block_rows(row_bytes)), until_(row_bytes * array_rows < from_bytes ? n : 0),
        // Rows that start on a line and fill whole lines: the loop's loads already cover the last line.
        last_word_(row_bytes >= 4 && (row_bytes % 64 != 0 || reinterpret_cast<std::uintptr_t>(base) % 64 != 0)) {}

  // Arrays of fewer bytes stay in L2/L3 between uses: touching them only costs (4 MB: a
  // 10k x 64 table gains nothing, a 100k x 64 one 1.6x, bench/train-rotating.mjs).
  static constexpr std::size_t kFromBytes = std::size_t{4} << 20;
  RowToucher(const RowToucher&) = delete;
  RowToucher& operator=(const RowToucher&) = delete;
  ~RowToucher() {
    volatile std::uint32_t sink = acc_;
    (void)sink;
  }

  void before(std::size_t j) {
    if (j >= until_) touch_block(j);
  }

  // Rows per block: about kBlockLines lines in flight (32 rows of 64 floats), at least one row.
  static constexpr std::size_t kBlockLines = 128;
  static std::size_t block_rows(std::size_t row_bytes) {
    const std::size_t lines = row_bytes / 64 + 1;
    return lines >= kBlockLines ? 1 : kBlockLines / lines;
  }

 private:
  // Out of line: one copy of the loop for all callers (wasm size), called once a block. The
  // loaded bits gather in a local: acc_ is in memory, which the row's bytes may alias, so
  // folding into acc_ directly stores it after every load.
  __attribute__((noinline)) void touch_block(std::size_t j) {
    until_ = j + block_ < n_ ? j + block_ : n_;
    std::uint32_t acc = acc_;
    for (std::size_t i = j; i < until_; ++i)
      if (idx_[i] >= 0) acc |= touch(base_ + static_cast<std::size_t>(idx_[i]) * row_bytes_);
    acc_ = acc;
  }

  // One word from every 64-byte line of the row (rows of at least 4 bytes), OR-ed together.
  std::uint32_t touch(const unsigned char* row) const {
    std::uint32_t word, acc = 0;
    for (std::size_t at = 0; at + sizeof word <= row_bytes_; at += 64) {
      std::memcpy(&word, row + at, sizeof word);
      acc |= word;
    }
    if (last_word_) {  // the last line of a row that starts mid-line
      std::memcpy(&word, row + row_bytes_ - sizeof word, sizeof word);
      acc |= word;
    }
    return acc;
  }

  const unsigned char* base_;
  std::size_t row_bytes_;
  const std::int32_t* idx_;
  std::size_t n_, block_, until_;
  bool last_word_;
  std::uint32_t acc_ = 0;
};

}  // namespace emb
