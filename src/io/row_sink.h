// Where a word-vector parser puts the rows it reads, one at a time, in file order. The float32
// table sink writes them straight into the table's memory; another sink (a quantized table)
// can convert each row as it is committed, without the parser knowing.
#pragma once
#include <cstddef>
#include <cstdint>

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

// Rows of a fixed number of bytes in one malloc'd block starting on a 64-byte line. Room for the
// expected rows is reserved up front, since pages never written cost no memory, and trim()
// gives back what was not used; past it the block doubles (a copy). What the sinks keep rows in.
class RowBlock {
 public:
  RowBlock() = default;
  ~RowBlock();
  RowBlock(const RowBlock&) = delete;
  RowBlock& operator=(const RowBlock&) = delete;

  // Room for the expected rows (0: 64 KB worth) if memory allows, else as many as it does.
  // False when not even one row fits.
  bool begin(std::size_t row_bytes, std::size_t expected_rows);
  // Where row rows() goes (the block grown first if full); nullptr when memory runs out.
  std::uint8_t* next();
  void commit() { ++rows_; }
  void trim();
  std::size_t rows() const { return rows_; }
  // Hands the block over (rows() rows, to be freed with free()); the block is then empty.
  std::uint8_t* release();

 private:
  bool reserve(std::size_t rows);

  std::uint8_t* data_ = nullptr;
  std::size_t row_bytes_ = 0, rows_ = 0, capacity_ = 0;
};

// Rows into one row-major float32 table (what emb::Embedding::adopt takes), written in place.
class F32TableSink final : public RowSink {
 public:
  bool begin(std::size_t dim, std::size_t expected_rows) override {
    dim_ = dim;
    return block_.begin(dim * sizeof(float), expected_rows);
  }
  float* next_row() override { return reinterpret_cast<float*>(block_.next()); }
  bool commit_row() override {
    block_.commit();
    return true;
  }
  void finish() override { block_.trim(); }
  std::size_t rows() const override { return block_.rows(); }
  std::size_t dim() const { return dim_; }
  // Hands the table over (rows() x dim() floats, to be freed with free()); the sink is then empty.
  float* release() { return reinterpret_cast<float*>(block_.release()); }

 private:
  RowBlock block_;
  std::size_t dim_ = 0;
};

}  // namespace emb::io
