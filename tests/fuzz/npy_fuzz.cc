// libFuzzer target: any bytes as a whole .npy file. The reader must never crash, leak or trip a
// sanitizer, and a preamble it accepts must describe data that lies inside the file.
#include <cstdint>

#include "io/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  emb::NpyHeader h;
  if (!emb::parse_npy(data, size, size, h)) return 0;
  const auto check = [](bool ok) {
    if (!ok) __builtin_trap();
  };
  check(h.error == emb::NpyError::kNone && h.dtype < emb::Dtype::kCount && h.rank <= emb::kNpyMaxRank);
  check(h.data_offset <= size && h.data_bytes <= size - h.data_offset);
  unsigned __int128 bytes = emb::dtype_bits(h.dtype) / 8;
  for (std::size_t d = 0; d < h.rank; ++d) bytes *= h.shape[d];
  check(bytes == h.data_bytes);
  return 0;
}
