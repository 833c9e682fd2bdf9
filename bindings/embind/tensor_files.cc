// Embind bindings for tensor-file headers (src/io/safetensors.h, src/io/npy.h): each parse hands
// the JS side (bindings/js/io/) its result as doubles in wasm memory. Offsets and sizes are
// below 2^53 in any file that validates; larger dimensions lose precision, and the JS side
// rejects them.
#include <emscripten/bind.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

#include "address.h"
#include "io/npy.h"
#include "io/safetensors.h"

namespace {
// Parses a safetensors header. Returns a block from malloc that the caller frees (0 when memory
// runs out), of doubles:
//   [0] error, [1] count of what follows up to the text, [2] header size N, [3] has __metadata__,
//   [4] tensors, [5] metadata entries, [6] error_at, [7] error_tensor, [8] error_other,
//   [9] error_field, [10] covered,
//   then per tensor: name_at, name_size, dtype, rank, begin, end, then its rank dims;
//   then per metadata entry: key_at, key_size, value_at, value_size;
// then the text (names, keys and values, UTF-8) the *_at offsets point into.
std::uintptr_t parse_safetensors(std::uintptr_t bytes, std::size_t size, double file_size) {
  emb::SafetensorsHeader h;
  emb::parse_safetensors(ptr<const std::uint8_t>(bytes), size, static_cast<std::uint64_t>(file_size), h);
  const std::size_t entries = h.metadata.size() / 5;
  const std::size_t count = 9 + 6 * h.tensors.size() + h.dims.size() + 4 * entries;
  double* out = static_cast<double*>(std::malloc(8 * (2 + count) + h.text.size()));
  if (out == nullptr) return 0;
  double* o = out;
  for (double v : {double(h.error), double(count), double(h.header_size), double(h.has_metadata),
                   double(h.tensors.size()), double(entries), double(h.error_at), double(h.error_tensor),
                   double(h.error_other), double(h.error_field), double(h.covered)})
    *o++ = v;
  for (std::size_t i = 0; i < h.tensors.size(); ++i) {
    const emb::SafetensorsTensor& t = h.tensors[i];
    for (double v :
         {double(t.name_at), double(t.name_size), double(t.dtype), double(t.rank), double(t.begin), double(t.end)})
      *o++ = v;
    for (std::uint32_t d = 0; d < t.rank; ++d) *o++ = static_cast<double>(h.dims[t.shape_at + d]);
  }
  for (std::size_t e = 0; e < 5 * entries; e += 5)
    for (int k = 1; k < 5; ++k) *o++ = h.metadata[e + k];
  if (h.text.size() > 0) std::memcpy(o, h.text.data(), h.text.size());
  return reinterpret_cast<std::uintptr_t>(out);
}

// Parses a .npy preamble; out receives 9 + rank doubles: error, error_at, dtype, big_endian,
// fortran_order, data_offset, data_bytes, missing key, rank, then the dims.
int parse_npy(std::uintptr_t bytes, std::size_t size, double file_size, std::uintptr_t out) {
  emb::NpyHeader h;
  emb::parse_npy(ptr<const std::uint8_t>(bytes), size, static_cast<std::uint64_t>(file_size), h);
  double* o = ptr<double>(out);
  for (double v : {double(h.error), double(h.error_at), double(h.dtype), double(h.big_endian), double(h.fortran_order),
                   double(h.data_offset), double(h.data_bytes), double(h.missing), double(h.rank)})
    *o++ = v;
  for (std::size_t d = 0; d < h.rank; ++d) *o++ = static_cast<double>(h.shape[d]);
  return static_cast<int>(h.error);
}
}  // namespace

EMSCRIPTEN_BINDINGS(tensor_files) {
  emscripten::function("parseSafetensors", &parse_safetensors);
  emscripten::function("parseNpy", &parse_npy);
}
