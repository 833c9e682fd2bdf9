#include "io/row_sink.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace emb::io {
namespace {

constexpr std::size_t kAlign = 64;
constexpr std::size_t kFirstBytes = 1 << 16;  // the first room when no rows are expected

// Bytes of a rows x dim float table rounded up to whole cache lines, or 0 when that overflows.
std::size_t table_bytes(std::size_t rows, std::size_t dim) {
  if (dim != 0 && rows > (SIZE_MAX - kAlign) / sizeof(float) / dim) return 0;
  const std::size_t bytes = (rows * dim * sizeof(float) + kAlign - 1) / kAlign * kAlign;
  return bytes > 0 ? bytes : kAlign;
}

}  // namespace

F32TableSink::~F32TableSink() { std::free(table_); }

bool F32TableSink::reserve(std::size_t rows) {
  const std::size_t bytes = table_bytes(rows, dim_);
  auto* table = bytes != 0 ? static_cast<float*>(std::aligned_alloc(kAlign, bytes)) : nullptr;
  if (table == nullptr) return false;
  if (rows_ != 0) std::memcpy(table, table_, rows_ * dim_ * sizeof(float));
  std::free(table_);
  table_ = table;
  capacity_ = rows;
  return true;
}

bool F32TableSink::begin(std::size_t dim, std::size_t expected_rows) {
  dim_ = dim;
  // The expected rows if memory allows, else as many as it does (the table grows later).
  std::size_t rows = expected_rows;
  if (rows == 0) rows = kFirstBytes / sizeof(float) / dim + 1;
  for (; !reserve(rows); rows /= 2)
    if (rows == 1) return false;
  return true;
}

float* F32TableSink::next_row() {
  if (rows_ == capacity_ && !reserve(capacity_ > SIZE_MAX / 2 ? SIZE_MAX : 2 * capacity_)) return nullptr;
  return table_ + rows_ * dim_;
}

bool F32TableSink::commit_row() {
  ++rows_;
  return true;
}

void F32TableSink::finish() {
  // Shrinking keeps the block in place with emmalloc (and glibc), so its alignment too.
  if (rows_ == capacity_) return;
  if (auto* table = static_cast<float*>(std::realloc(table_, table_bytes(rows_, dim_)))) {
    table_ = table;
    capacity_ = rows_;
  }
}

float* F32TableSink::release() {
  float* table = table_;
  table_ = nullptr;
  rows_ = capacity_ = 0;
  return table;
}

}  // namespace emb::io
