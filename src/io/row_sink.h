// Where a word-vector parser puts the rows it reads, one at a time, in file order. The float32
// table sink writes them straight into the table's memory; another sink (a quantized table)
// can convert each row as it is committed, without the parser knowing.
#pragma once
#include <cstddef>

namespace emb::io {

class RowSink {
 public:
  virtual ~RowSink() = default;
  // Called once, before any row, when the row width is known. expected_rows is a hint: the
  // header's count, or an upper bound from the file's size, or 0 when unknown. False when
  // memory runs out.
  virtual bool begin(std::size_t dim, std::size_t expected_rows) = 0;
  // Where the parser writes the next row's dim values: valid until commit_row() or the next
  // next_row(). nullptr when memory runs out.
  virtual float* next_row() = 0;
  // Keeps the row written at next_row() as row rows() (a row never committed, such as a
  // duplicate word's, is overwritten by the next one). False when memory runs out.
  virtual bool commit_row() = 0;
  // Called once after the last row of a well-formed file: gives back spare room.
  virtual void finish() = 0;
  virtual std::size_t rows() const = 0;
};

// Rows into one row-major float32 table in malloc'd memory, starting on a 64-byte line (what
// emb::Embedding::adopt takes). Room for the expected rows is reserved up front, since pages
// never written cost no memory, and finish() trims it; past it the table doubles (a copy).
class F32TableSink final : public RowSink {
 public:
  ~F32TableSink() override;
  bool begin(std::size_t dim, std::size_t expected_rows) override;
  float* next_row() override;
  bool commit_row() override;
  void finish() override;
  std::size_t rows() const override { return rows_; }
  std::size_t dim() const { return dim_; }
  // Hands the table over (rows() x dim() floats, to be freed with free()); the sink is then empty.
  float* release();

 private:
  bool reserve(std::size_t rows);

  float* table_ = nullptr;
  std::size_t dim_ = 0, rows_ = 0, capacity_ = 0;
};

}  // namespace emb::io
