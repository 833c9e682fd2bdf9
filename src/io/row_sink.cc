#include "io/row_sink.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace emb::io {
namespace {

constexpr std::size_t kAlign = 64;
constexpr std::size_t kFirstBytes = 1 << 16;  // the first room when no rows are expected

// Bytes of `rows` rows rounded up to whole cache lines, or 0 when that overflows.
std::size_t block_bytes(std::size_t rows, std::size_t row_bytes) {
  if (row_bytes != 0 && rows > (SIZE_MAX - kAlign) / row_bytes) return 0;
  const std::size_t bytes = (rows * row_bytes + kAlign - 1) / kAlign * kAlign;
  return bytes > 0 ? bytes : kAlign;
}

}  // namespace

RowBlock::~RowBlock() { std::free(data_); }

bool RowBlock::reserve(std::size_t rows) {
  const std::size_t bytes = block_bytes(rows, row_bytes_);
  auto* data = bytes != 0 ? static_cast<std::uint8_t*>(std::aligned_alloc(kAlign, bytes)) : nullptr;
  if (data == nullptr) return false;
  if (rows_ != 0) std::memcpy(data, data_, rows_ * row_bytes_);
  std::free(data_);
  data_ = data;
  capacity_ = rows;
  return true;
}

bool RowBlock::begin(std::size_t row_bytes, std::size_t expected_rows) {
  row_bytes_ = row_bytes;
  std::size_t rows = expected_rows;
  if (rows == 0) rows = kFirstBytes / (row_bytes > 0 ? row_bytes : 1) + 1;
  for (; !reserve(rows); rows /= 2)
    if (rows == 1) return false;
  return true;
}

std::uint8_t* RowBlock::next() {
  if (rows_ == capacity_ && !reserve(capacity_ > SIZE_MAX / 2 ? SIZE_MAX : 2 * capacity_)) return nullptr;
  return data_ + rows_ * row_bytes_;
}

void RowBlock::trim() {
  // Shrinking keeps the block in place with emmalloc (and glibc), so its alignment too.
  if (rows_ == capacity_) return;
  if (auto* data = static_cast<std::uint8_t*>(std::realloc(data_, block_bytes(rows_, row_bytes_)))) {
    data_ = data;
    capacity_ = rows_;
  }
}

std::uint8_t* RowBlock::release() {
  std::uint8_t* data = data_;
  data_ = nullptr;
  rows_ = capacity_ = 0;
  return data;
}

}  // namespace emb::io
