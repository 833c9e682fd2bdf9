#include "embedding/normal_init.h"

#include <cmath>

namespace emb {
namespace {
struct SplitMix64 {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [-1, 1): 53 random bits.
  double symmetric() { return static_cast<double>(next() >> 11) * 0x1.0p-52 - 1.0; }
};
}  // namespace

void fill_normal(float* values, std::size_t count, std::uint64_t seed) {
  SplitMix64 rng{seed};
  // Marsaglia's polar method: two normals per accepted point of the unit disc, with no
  // sin/cos (whose argument reduction alone would add kilobytes to the wasm).
  for (std::size_t i = 0; i < count; i += 2) {
    double u, v, s;
    do {
      u = rng.symmetric();
      v = rng.symmetric();
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double factor = std::sqrt(-2.0 * std::log(s) / s);
    values[i] = static_cast<float>(u * factor);
    if (i + 1 < count) values[i + 1] = static_cast<float>(v * factor);
  }
}
}  // namespace emb
