#include "storage/packed_table.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <new>
#include <utility>

#include "embedding/cache_lines.h"
#include "kernels/active.h"

namespace emb {

PackedTable::~PackedTable() { std::free(data_); }

bool PackedTable::allocate(Storage storage, std::size_t rows, std::size_t dim) {
  auto* data = static_cast<std::uint8_t*>(zeroed_cache_lines(rows, emb::row_bytes(storage, dim)));
  if (data == nullptr) return false;
  adopt(storage, data, rows, dim);
  return true;
}

void PackedTable::adopt(Storage storage, std::uint8_t* data, std::size_t rows, std::size_t dim) {
  std::free(data_);
  data_ = data;
  inverse_norms_.reset();
  storage_ = storage;
  rows_ = rows;
  dim_ = dim;
}

std::int64_t PackedTable::quantize(std::size_t first, const float* src, std::size_t n) {
  inverse_norms_.reset();
  const std::size_t done = kernels::quantize_rows(storage_, src, n, dim_, data_ + first * row_bytes());
  return done == n ? kOk : static_cast<std::int64_t>(done);
}

std::int64_t PackedTable::first_invalid_row() const {
  const std::size_t stride = row_bytes();
  for (std::size_t r = 0; r < rows_; ++r) {
    const std::uint8_t* row = data_ + r * stride;
    bool ok = true;
    if (storage_ == Storage::kInt8) {
      const Int8Row params(row, dim_);
      ok = std::isfinite(params.scale) && std::isfinite(params.bias);
    } else if (storage_ == Storage::kInt4) {
      const std::size_t at = (dim_ + 1) / 2;
      ok = f16_is_finite(load_u16(row + at)) && f16_is_finite(load_u16(row + at + 2));
    } else {
      for (std::size_t j = 0; j < dim_ && ok; ++j) ok = f16_is_finite(load_u16(row + 2 * j));
    }
    if (!ok) return static_cast<std::int64_t>(r);
  }
  return kOk;
}

std::int64_t PackedTable::prepare_lookup(const std::int32_t* idx, std::size_t n) const {
  const std::size_t bad = first_out_of_range(idx, n, rows_);
  return bad == n ? kOk : static_cast<std::int64_t>(bad);
}

std::int64_t PackedTable::gather(const std::int32_t* idx, std::size_t n, float* out) const {
  const std::size_t done = kernels::gather_packed(storage_, data_, rows_, dim_, idx, n, out);
  return done == n ? kOk : static_cast<std::int64_t>(done);
}

std::int64_t PackedTable::bag_forward(const std::int32_t* idx, std::size_t n, const std::int32_t* offsets,
                                      std::size_t num_bags, BagMode mode, const float* psw, float* out) {
  const std::size_t bad = check_bags(idx, n, offsets, num_bags, rows_);
  if (bad == kBadOffsets) return kBadOffsetsStatus;
  if (bad != n) return static_cast<std::int64_t>(bad);
  // Bags a chunk at a time: as many as fit kChunkEntries entries, their rows gathered
  // dequantised into a table of the chunk's own (entry k is row k; padding entries the extra
  // row `count`, never read), pooled by the float32 kernel, which so leaves out exactly what it
  // would have. A larger bag streams through one row of scratch (pool_large_bag).
  constexpr std::size_t kChunkEntries = 256;
  for (std::size_t b = 0, e; b < num_bags; b = e) {
    const std::size_t begin = static_cast<std::size_t>(offsets[b]);
    const float* w = psw ? psw + begin : nullptr;
    float* o = out + b * dim_;
    if (static_cast<std::size_t>(offsets[b + 1]) - begin > kChunkEntries) {
      pool_large_bag(idx + begin, static_cast<std::size_t>(offsets[b + 1]) - begin, mode, w, o);
      e = b + 1;
      continue;
    }
    for (e = b + 1; e < num_bags && static_cast<std::size_t>(offsets[e + 1]) - begin <= kChunkEntries; ++e) {}
    const std::size_t count = static_cast<std::size_t>(offsets[e]) - begin, bags = e - b;
    const std::int32_t skip = static_cast<std::int32_t>(count);
    bag_rows_.resize((count + 1) * dim_);
    bag_idx_.resize(count);
    bag_offsets_.resize(bags + 1);
    gather(idx + begin, count, bag_rows_.data());
    for (std::size_t k = 0; k < count; ++k) bag_idx_[k] = idx[begin + k] == padding_idx ? skip : static_cast<std::int32_t>(k);
    for (std::size_t i = 0; i <= bags; ++i) bag_offsets_[i] = offsets[b + i] - static_cast<std::int32_t>(begin);
    if (mode == BagMode::kMax) {
      bag_arg_.resize(bags * dim_);
      kernels::bag_max_f32(bag_rows_.data(), count + 1, dim_, bag_idx_.data(), count, bag_offsets_.data(), bags, skip,
                           o, bag_arg_.data());
    } else {
      kernels::bag_sum_f32(bag_rows_.data(), count + 1, dim_, bag_idx_.data(), count, bag_offsets_.data(), bags, w,
                           skip, mode == BagMode::kMean, o);
    }
  }
  return kOk;
}

void PackedTable::pool_large_bag(const std::int32_t* idx, std::size_t count, BagMode mode, const float* psw,
                                 float* o) {
  bag_rows_.resize(dim_);
  float* row = bag_rows_.data();
  std::fill_n(o, dim_, 0.0f);
  std::size_t kept = 0;
  for (std::size_t k = 0; k < count; ++k) {
    if (idx[k] == padding_idx) continue;
    gather(idx + k, 1, row);
    for (std::size_t c = 0; c < dim_; ++c) {
      if (mode == BagMode::kMax) {
        if (kept == 0 || row[c] > o[c]) o[c] = row[c];
      } else {
        o[c] = psw ? o[c] + psw[k] * row[c] : o[c] + row[c];
      }
    }
    ++kept;
  }
  if (mode == BagMode::kMean && kept > 0)
    for (std::size_t c = 0; c < dim_; ++c) o[c] /= static_cast<float>(kept);
}

const float* PackedTable::inverse_norms() {
  if (!inverse_norms_) {
    std::unique_ptr<float[]> norms(new (std::nothrow) float[rows_ > 0 ? rows_ : 1]);
    PackedRows rows(*this);
    std::unique_ptr<float[]> block(new (std::nothrow) float[rows.scratch_floats(rows_) + 1]);
    if (!norms || !block) return nullptr;
    rows.for_each_block(0, rows_, block.get(), [&](std::size_t begin, std::size_t n, const float* block) {
      kernels::inverse_norms_f32(block, n, dim_, norms.get() + begin);
    });
    inverse_norms_ = std::move(norms);
  }
  return inverse_norms_.get();
}

void PackedRows::read_row(std::size_t r, float* out) {
  const std::int32_t row = static_cast<std::int32_t>(r);
  table_.gather(&row, 1, out);
}

void PackedRows::score_block(bool l2, const float* queries, std::size_t m, std::size_t begin, std::size_t n,
                             float* out, float* scratch) {
  if (!l2 && m == 1) {  // one query: its dot products straight from the packed rows
    kernels::dot_packed(table_.storage(), table_.data() + begin * table_.row_bytes(), n, dim, queries, out);
    return;
  }
  for_each_block(begin, n, scratch, [&](std::size_t first, std::size_t count, const float* block) {
    // One query at a time: out holds n scores a query, this block's at first - begin.
    for (std::size_t q = 0; q < m; ++q) {
      float* o = out + q * n + (first - begin);
      if (l2) kernels::l2sq_block_f32(block, count, dim, queries + q * dim, 1, o);
      else kernels::dot_block_f32(block, count, dim, queries + q * dim, 1, o);
    }
  });
}

}  // namespace emb
