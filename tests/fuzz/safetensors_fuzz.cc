// libFuzzer target: any bytes as a whole safetensors file. The reader must never crash, leak or
// trip a sanitizer, and a header it accepts must satisfy the reference's rules, checked here
// independently: names unique, tensors tiling the data section exactly, each as long as its
// shape and dtype say.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  emb::SafetensorsHeader h;
  if (!emb::parse_safetensors(data, size, size, h)) return 0;
  const auto check = [](bool ok) {
    if (!ok) __builtin_trap();
  };
  check(h.error == emb::SafetensorsError::kNone && 8 + h.header_size <= size);
  std::vector<std::string> names;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> spans;
  for (std::size_t i = 0; i < h.tensors.size(); ++i) {
    const emb::SafetensorsTensor& t = h.tensors[i];
    check(std::uint64_t{t.name_at} + t.name_size <= h.text.size());
    check(std::uint64_t{t.shape_at} + t.rank <= h.dims.size());
    check(t.dtype < emb::Dtype::kCount && t.key_at < h.header_size);
    names.emplace_back(h.text.data() + t.name_at, t.name_size);
    unsigned __int128 bits = emb::dtype_bits(t.dtype);
    for (std::uint32_t d = 0; d < t.rank; ++d) bits *= h.dims[t.shape_at + d];
    check(bits % 8 == 0 && t.end >= t.begin && bits / 8 == t.end - t.begin);
    spans.emplace_back(t.begin, t.end);
  }
  std::sort(names.begin(), names.end());
  check(std::adjacent_find(names.begin(), names.end()) == names.end());
  std::sort(spans.begin(), spans.end());
  std::uint64_t end = 0;
  for (const auto& [b, e] : spans) {
    check(b == end);
    end = e;
  }
  check(end == size - 8 - h.header_size);
  for (std::size_t e = 0; e < h.metadata.size(); e += 5) {
    check(h.metadata[e] < h.header_size);
    check(std::uint64_t{h.metadata[e + 1]} + h.metadata[e + 2] <= h.text.size());
    check(std::uint64_t{h.metadata[e + 3]} + h.metadata[e + 4] <= h.text.size());
  }
  return 0;
}
