#include "storage/packed_sink.h"

#include <new>

#include "kernels/active.h"

namespace emb {

bool PackedSink::begin(std::size_t dim, std::size_t expected_rows) {
  dim_ = dim;
  row_.reset(new (std::nothrow) float[dim > 0 ? dim : 1]);
  return row_ && block_.begin(row_bytes(storage_, dim), expected_rows);
}

bool PackedSink::commit_row() {
  std::uint8_t* at = block_.next();
  if (at == nullptr) return false;
  rejected_ = kernels::quantize_rows(storage_, row_.get(), 1, dim_, at) != 1;
  if (rejected_) return false;
  block_.commit();
  return true;
}

void PackedSink::move_to(PackedTable& table) {
  const std::size_t rows = block_.rows();
  table.adopt(storage_, block_.release(), rows, dim_);
}

}  // namespace emb
