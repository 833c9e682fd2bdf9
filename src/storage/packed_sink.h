// A word-vector file's rows quantized as they arrive (io::RowSink): each committed row goes
// through quantize_rows into the compressed table's bytes, so the float32 table never exists
// (loadWordVectors(..., { storage })). The parser writes a row into one float32 row of room.
#pragma once
#include <cstddef>
#include <memory>

#include "io/row_sink.h"
#include "kernels/packed_rows.h"
#include "storage/packed_table.h"

namespace emb {

class PackedSink final : public io::RowSink {
 public:
  explicit PackedSink(Storage storage) : storage_(storage) {}
  bool begin(std::size_t dim, std::size_t expected_rows) override;
  float* next_row() override { return row_.get(); }
  // Quantizes the row in; false when memory runs out or the row cannot be stored (rejected()).
  bool commit_row() override;
  void finish() override { block_.trim(); }
  std::size_t rows() const override { return block_.rows(); }

  // Whether the last commit_row() failed because the row cannot be stored in this storage (it
  // is still at row(), for the error message).
  bool rejected() const { return rejected_; }
  const float* row() const { return row_.get(); }
  // Hands the rows over to `table`; the sink is then empty.
  void move_to(PackedTable& table);

 private:
  const Storage storage_;
  io::RowBlock block_;
  std::unique_ptr<float[]> row_;
  std::size_t dim_ = 0;
  bool rejected_ = false;
};

}  // namespace emb
