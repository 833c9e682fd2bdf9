#include "io/word_vectors_writer.h"

#include <cstdint>
#include <cstring>

#include "io/decimal.h"

namespace emb::io {
namespace {

constexpr std::size_t kPieceBytes = 1 << 20;

}  // namespace

WordVectorWriter::WordVectorWriter(WordVectorFormat format, const float* table, std::size_t rows, std::size_t dim)
    : format_(format), table_(table), rows_(rows), dim_(dim) {}

char* WordVectorWriter::words(std::size_t bytes) {
  return words_.reserve(bytes + 1) && words_.resize(bytes) ? words_.data() : nullptr;
}

std::size_t WordVectorWriter::write_piece() {
  piece_.clear();
  const bool binary = format_ == WordVectorFormat::kWord2vecBinary;
  if (!header_written_ && format_ != WordVectorFormat::kGlove) {
    if (!piece_.reserve(48)) return SIZE_MAX;
    char* end = write_uint(rows_, piece_.data());
    *end++ = ' ';
    end = write_uint(dim_, end);
    *end++ = '\n';
    piece_.resize(static_cast<std::size_t>(end - piece_.data()));
  }
  header_written_ = true;
  for (; row_ < rows_ && piece_.size() < kPieceBytes; ++row_) {
    // The caller gives one word a row; should it give fewer, the rest are empty.
    const std::size_t left = word_at_ < words_.size() ? words_.size() - word_at_ : 0;
    const char* word = words_.data() + (words_.size() - left);
    const char* word_end = left != 0 ? static_cast<const char*>(std::memchr(word, '\n', left)) : nullptr;
    const std::size_t word_bytes = word_end != nullptr ? static_cast<std::size_t>(word_end - word) : left;
    const std::size_t most = word_bytes + 2 + dim_ * (binary ? sizeof(float) : kMaxFloat32Chars + 1);
    if (!piece_.reserve(piece_.size() + most)) return SIZE_MAX;
    char* out = piece_.data() + piece_.size();
    std::memcpy(out, word, word_bytes);
    out += word_bytes;
    const float* values = table_ + row_ * dim_;
    if (binary) {
      *out++ = ' ';
      std::memcpy(out, values, dim_ * sizeof(float));
      out += dim_ * sizeof(float);
    } else {
      for (std::size_t j = 0; j < dim_; ++j) {
        *out++ = ' ';
        out += format_float32(values[j], out);
      }
    }
    *out++ = '\n';
    piece_.resize(static_cast<std::size_t>(out - piece_.data()));
    word_at_ += word_bytes + 1;
  }
  return piece_.size();
}

}  // namespace emb::io
