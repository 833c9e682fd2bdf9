// A compressed table: rows x dim in one of the packed storages of kernels/packed_rows.h
// (float16, FBGEMM int8, FBGEMM int4). It is frozen: it is written once (quantized from float32
// rows, or copied in as PyTorch's bytes) and then only read, each read dequantising to float32.
// A quantized Embedding or EmbeddingBag holds one instead of the float32 emb::Embedding; the
// calls below mirror that class's lookup calls, so the JS layer drives both the same way.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "embedding/embedding.h"  // BagMode, kOk, kBadOffsetsStatus
#include "embedding/nearest.h"    // RowSource
#include "kernels/packed_rows.h"

namespace emb {

class PackedTable {
 public:
  PackedTable() = default;
  ~PackedTable();
  PackedTable(const PackedTable&) = delete;
  PackedTable& operator=(const PackedTable&) = delete;

  // Allocates rows x row_bytes(storage, dim) zero bytes, rows starting at data() (on a cache
  // line). Returns false (and keeps what it had) if memory runs out.
  bool allocate(Storage storage, std::size_t rows, std::size_t dim);

  // Takes `data` (rows x row_bytes(storage, dim) bytes from malloc, on a 64-byte line; freed
  // with the table) in place of what the table held.
  void adopt(Storage storage, std::uint8_t* data, std::size_t rows, std::size_t dim);

  Storage storage() const { return storage_; }
  std::size_t rows() const { return rows_; }
  std::size_t dim() const { return dim_; }
  std::size_t row_bytes() const { return emb::row_bytes(storage_, dim_); }
  std::size_t byte_length() const { return rows_ * row_bytes(); }
  std::uint8_t* data() { return data_; }

  std::int32_t padding_idx = -1;  // left out of bags; -1 for none

  // Quantizes the float32 rows src[0 : n*dim) into rows [first, first + n) (the caller keeps
  // first + n <= rows). Returns kOk, or the first row of src that cannot be represented
  // (quantize_rows' rule); the rows before it are written.
  std::int64_t quantize(std::size_t first, const float* src, std::size_t n);
  // The first row whose bytes do not read back as finite numbers (a NaN or infinite int8/int4
  // scale or bias, a float16 NaN or infinity), or kOk. For bytes that came from outside.
  std::int64_t first_invalid_row() const;

  // As Embedding's: checks every index (kOk or the first out-of-range position, nothing
  // written), then writes the dequantised rows idx[0 : n) to out[0 : n*dim).
  std::int64_t prepare_lookup(const std::int32_t* idx, std::size_t n) const;
  std::int64_t gather(const std::int32_t* idx, std::size_t n, float* out) const;
  // As Embedding::bag_forward: the float32 bag kernels (bag_sum_f32, bag_max_f32) on the
  // dequantised rows, bit for bit. A chunk of bags' rows at a time (256 entries) is gathered
  // dequantised into a scratch block and pooled from there, so the float32 table never exists.
  std::int64_t bag_forward(const std::int32_t* idx, std::size_t n, const std::int32_t* offsets,
                           std::size_t num_bags, BagMode mode, const float* psw, float* out);
  // 1 / ||row||_2 of every dequantised row (0 for a zero row), computed at the first call and
  // kept (the rows do not change but by quantize()); nullptr when memory runs out.
  const float* inverse_norms();

 private:
  // One bag of `count` entries, pooled a row at a time with the float32 bag kernels' operations
  // on each element, in their order (o = 0, then o += w * row or o += row, / kept for the mean;
  // the first row, then any strictly greater value, for the max): the same bits, in dim floats
  // of scratch.
  void pool_large_bag(const std::int32_t* idx, std::size_t count, BagMode mode, const float* psw, float* o);

  std::uint8_t* data_ = nullptr;
  Storage storage_ = Storage::kInt8;
  std::size_t rows_ = 0, dim_ = 0;
  // Per-call scratch of bag_forward, kept to avoid reallocating: a chunk of bags' dequantised
  // rows, its entries and offsets renumbered, bag_max's winners (written, read by nothing).
  std::vector<float> bag_rows_;
  std::vector<std::int32_t> bag_idx_, bag_offsets_, bag_arg_;
  std::unique_ptr<float[]> inverse_norms_;  // nullptr until the first cosine search
};

// A compressed table as nearest-neighbour search reads it (embedding/nearest.h): a single
// query's dot products come straight from the packed rows (dot_packed); otherwise rows are
// dequantised a block at a time and scored by the float32 kernels. Either way a search finds
// what it would in a float32 table of the dequantised rows, with the same scores, bit for bit.
class PackedRows final : public RowSource {
 public:
  explicit PackedRows(PackedTable& table) : RowSource(table.rows(), table.dim()), table_(table) {}
  void read_row(std::size_t r, float* out) override;
  void score_block(bool l2, const float* queries, std::size_t m, std::size_t begin, std::size_t n,
                   float* out, float* scratch) override;
  std::size_t scratch_floats(std::size_t n) const override { return std::min(n, kBlockRows) * dim; }
  const float* inverse_norms() override { return table_.inverse_norms(); }

  // Calls fn(first, count, block) for rows [begin, begin + n), at most kBlockRows at a time,
  // block (scratch_floats(n) floats of scratch) holding them dequantised.
  template <typename Fn>
  void for_each_block(std::size_t begin, std::size_t n, float* block, Fn fn) {
    std::int32_t idx[kBlockRows];
    for (std::size_t first = begin; first < begin + n; first += kBlockRows) {
      const std::size_t count = std::min(kBlockRows, begin + n - first);
      for (std::size_t i = 0; i < count; ++i) idx[i] = static_cast<std::int32_t>(first + i);
      table_.gather(idx, count, block);
      fn(first, count, static_cast<const float*>(block));
    }
  }

 private:
  static constexpr std::size_t kBlockRows = 256;  // a block of 100-d rows is 100 KB: it stays in L2
  PackedTable& table_;
};

}  // namespace emb
