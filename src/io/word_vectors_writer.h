// Writes word-vector files (semantics.md §7.1-7.4) piece by piece: word2vec text as gensim
// writes it, GloVe text (the same rows, no header), word2vec binary in the C tool's layout.
#pragma once
#include <cstddef>

#include "io/growable.h"
#include "io/word_vectors.h"

namespace emb::io {

class WordVectorWriter {
 public:
  // table: rows x dim floats, kept by the caller until the last piece is written.
  WordVectorWriter(WordVectorFormat format, const float* table, std::size_t rows, std::size_t dim);

  // Room for the words, which the caller fills: each word's bytes, then '\n', in row order.
  // nullptr when memory runs out.
  char* words(std::size_t bytes);
  // Writes the next piece of the file (the header, then whole rows, about a megabyte) to
  // piece(). Returns its size: 0 once everything is written; SIZE_MAX when memory runs out.
  std::size_t write_piece();
  const char* piece() const { return piece_.data(); }

 private:
  const WordVectorFormat format_;
  const float* const table_;
  const std::size_t rows_, dim_;
  Growable<char> words_, piece_;
  std::size_t row_ = 0, word_at_ = 0;
  bool header_written_ = false;
};

}  // namespace emb::io
