#include "storage/packed_table.h"

#include <cmath>
#include <cstdlib>

#include "embedding/cache_lines.h"
#include "kernels/active.h"

namespace emb {

PackedTable::~PackedTable() { std::free(data_); }

bool PackedTable::allocate(Storage storage, std::size_t rows, std::size_t dim) {
  auto* data = static_cast<std::uint8_t*>(zeroed_cache_lines(rows, emb::row_bytes(storage, dim)));
  if (data == nullptr) return false;
  std::free(data_);
  data_ = data;
  storage_ = storage;
  rows_ = rows;
  dim_ = dim;
  return true;
}

std::int64_t PackedTable::quantize(std::size_t first, const float* src, std::size_t n) {
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
  if (mode == BagMode::kMax) bag_arg_.resize(dim_);
  for (std::size_t b = 0; b < num_bags; ++b) {
    // The bag as a table of its own: entry k is row k of bag_rows_, padding entries the extra
    // row `count` (never read), so the float32 kernel leaves out exactly what it would have.
    const std::size_t begin = static_cast<std::size_t>(offsets[b]);
    const std::size_t count = static_cast<std::size_t>(offsets[b + 1]) - begin;
    const std::int32_t skip = static_cast<std::int32_t>(count), local_offsets[2] = {0, skip};
    bag_rows_.resize((count + 1) * dim_);
    bag_idx_.resize(count);
    kernels::gather_packed(storage_, data_, rows_, dim_, idx + begin, count, bag_rows_.data());
    for (std::size_t k = 0; k < count; ++k) bag_idx_[k] = idx[begin + k] == padding_idx ? skip : static_cast<std::int32_t>(k);
    float* o = out + b * dim_;
    if (mode == BagMode::kMax) {
      kernels::bag_max_f32(bag_rows_.data(), count + 1, dim_, bag_idx_.data(), count, local_offsets, 1, skip, o,
                           bag_arg_.data());
    } else {
      kernels::bag_sum_f32(bag_rows_.data(), count + 1, dim_, bag_idx_.data(), count, local_offsets, 1,
                           psw ? psw + begin : nullptr, skip, mode == BagMode::kMean, o);
    }
  }
  return kOk;
}

void PackedTable::dot(const float* queries, std::size_t m, std::size_t first, std::size_t count, float* out) const {
  kernels::dot_packed(storage_, row(first), count, dim_, queries, m, out);
}

}  // namespace emb
