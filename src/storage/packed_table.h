// A compressed table: rows x dim in one of the packed storages of kernels/packed_rows.h
// (float16, FBGEMM int8, FBGEMM int4). It is frozen: it is written once (quantized from float32
// rows, or copied in as PyTorch's bytes) and then only read, each read dequantising to float32.
// A quantized Embedding or EmbeddingBag holds one instead of the float32 emb::Embedding; the
// calls below mirror that class's lookup calls, so the JS layer drives both the same way.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "embedding/embedding.h"  // BagMode, kOk, kBadOffsetsStatus
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
  // dequantised rows, bit for bit. Each bag's rows are gathered dequantised into a scratch block
  // and pooled from there, so the float32 table never exists.
  std::int64_t bag_forward(const std::int32_t* idx, std::size_t n, const std::int32_t* offsets,
                           std::size_t num_bags, BagMode mode, const float* psw, float* out);
  // out[q*count + i] = <query q, dequantised row first + i> for q in [0, m), i in [0, count):
  // dot_packed's scores.
  void dot(const float* queries, std::size_t m, std::size_t first, std::size_t count, float* out) const;

 private:
  const std::uint8_t* row(std::size_t r) const { return data_ + r * row_bytes(); }

  std::uint8_t* data_ = nullptr;
  Storage storage_ = Storage::kInt8;
  std::size_t rows_ = 0, dim_ = 0;
  // Per-call scratch of bag_forward, kept to avoid reallocating: one bag's dequantised rows, its
  // entries renumbered, bag_max's winners (written by the kernel, read by nothing).
  std::vector<float> bag_rows_;
  std::vector<std::int32_t> bag_idx_, bag_arg_;
};

}  // namespace emb
