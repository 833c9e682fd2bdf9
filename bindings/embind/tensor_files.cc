// Embind layer for tensor-file headers (src/io/safetensors.h, src/io/npy.h): the parsed header
// flattened into doubles the JS side (bindings/js/io/) reads out of wasm memory. Offsets and
// sizes are below 2^53 in any file that validates; larger dimensions lose precision, and the
// JS side rejects them.
#include <emscripten/bind.h>

#include <cstdint>
#include <vector>

#include "address.h"
#include "io/npy.h"
#include "io/safetensors.h"

namespace {

// One parsed safetensors header. fields():
//   [0] header size N, [1] has __metadata__, [2] tensors, [3] metadata entries,
//   [4] error_at, [5] error_tensor, [6] error_other, [7] error_field, [8] covered,
//   then per tensor: name_at, name_size, dtype, rank, begin, end, then its rank dims;
//   then per metadata entry: key_at, key_size, value_at, value_size (into text()).
class SafetensorsReader {
 public:
  int parse(std::uintptr_t bytes, std::size_t size, double file_size) {
    emb::parse_safetensors(ptr<const std::uint8_t>(bytes), size, static_cast<std::uint64_t>(file_size), header_);
    const emb::SafetensorsHeader& h = header_;
    fields_ = {static_cast<double>(h.header_size), h.has_metadata ? 1.0 : 0.0, static_cast<double>(h.tensors.size()),
               static_cast<double>(h.metadata.size() / 4), static_cast<double>(h.error_at),
               static_cast<double>(h.error_tensor), static_cast<double>(h.error_other),
               static_cast<double>(h.error_field), static_cast<double>(h.covered)};
    for (const emb::SafetensorsTensor& t : h.tensors) {
      fields_.insert(fields_.end(), {static_cast<double>(t.name_at), static_cast<double>(t.name_size),
                                     static_cast<double>(t.dtype), static_cast<double>(t.rank),
                                     static_cast<double>(t.begin), static_cast<double>(t.end)});
      for (std::uint32_t d = 0; d < t.rank; ++d) fields_.push_back(static_cast<double>(h.dims[t.shape_at + d]));
    }
    fields_.insert(fields_.end(), h.metadata.begin(), h.metadata.end());
    return static_cast<int>(h.error);
  }
  std::uintptr_t fields() const { return reinterpret_cast<std::uintptr_t>(fields_.data()); }
  std::size_t field_count() const { return fields_.size(); }
  std::uintptr_t text() const { return reinterpret_cast<std::uintptr_t>(header_.text.data()); }
  std::size_t text_size() const { return header_.text.size(); }

 private:
  emb::SafetensorsHeader header_;
  std::vector<double> fields_;
};

// Parses a .npy preamble; out receives 9 + rank doubles: error, error_at, dtype, big_endian,
// fortran_order, data_offset, data_bytes, missing key, rank, then the dims.
int parse_npy(std::uintptr_t bytes, std::size_t size, double file_size, std::uintptr_t out) {
  emb::NpyHeader h;
  emb::parse_npy(ptr<const std::uint8_t>(bytes), size, static_cast<std::uint64_t>(file_size), h);
  double* o = ptr<double>(out);
  const double head[] = {static_cast<double>(h.error), static_cast<double>(h.error_at), static_cast<double>(h.dtype),
                         h.big_endian ? 1.0 : 0.0, h.fortran_order ? 1.0 : 0.0, static_cast<double>(h.data_offset),
                         static_cast<double>(h.data_bytes), static_cast<double>(h.missing),
                         static_cast<double>(h.rank)};
  for (std::size_t k = 0; k < 9; ++k) o[k] = head[k];
  for (std::size_t d = 0; d < h.rank; ++d) o[9 + d] = static_cast<double>(h.shape[d]);
  return static_cast<int>(h.error);
}

}  // namespace

EMSCRIPTEN_BINDINGS(tensor_files) {
  using namespace emscripten;
  class_<SafetensorsReader>("SafetensorsReader")
      .constructor<>()
      .function("parse", &SafetensorsReader::parse)
      .function("fields", &SafetensorsReader::fields)
      .function("fieldCount", &SafetensorsReader::field_count)
      .function("text", &SafetensorsReader::text)
      .function("textSize", &SafetensorsReader::text_size);
  function("parseNpy", &parse_npy);
  constant("npyMaxRank", static_cast<int>(emb::kNpyMaxRank));
}
