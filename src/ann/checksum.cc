#include "ann/checksum.h"

#include <cstring>

namespace emb::ann {
namespace {
constexpr std::uint64_t kPrime1 = 0x9E3779B185EBCA87ull, kPrime2 = 0xC2B2AE3D27D4EB4Full;

std::uint64_t mix(std::uint64_t h) {
  h ^= h >> 33;
  h *= kPrime2;
  h ^= h >> 29;
  h *= kPrime1;
  return h ^ (h >> 32);
}

std::uint64_t round(std::uint64_t acc, std::uint64_t word) {
  acc += word * kPrime2;
  acc = (acc << 31) | (acc >> 33);
  return acc * kPrime1;
}
}  // namespace

// Four independent lanes over 32-byte blocks (the multiplies overlap), then the tail, then
// the length: xxHash64's structure.
std::uint64_t checksum(const std::uint8_t* bytes, std::size_t n) {
  std::uint64_t lane[4] = {kPrime1 + kPrime2, kPrime2, 0, 0 - kPrime1};
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    for (int l = 0; l < 4; ++l) {
      std::uint64_t w;
      std::memcpy(&w, bytes + i + 8 * l, 8);
      lane[l] = round(lane[l], w);
    }
  }
  std::uint64_t h = mix(lane[0]) ^ (mix(lane[1]) * 3) ^ (mix(lane[2]) * 5) ^ (mix(lane[3]) * 7);
  for (; i < n; ++i) h = round(h, bytes[i]);
  return mix(h ^ n);
}
}  // namespace emb::ann
