// Seeded N(0, 1) initialisation, the same table for the same seed in every build.
#pragma once
#include <cstddef>
#include <cstdint>

namespace emb {
// Fills values[0 : count) with independent N(0, 1) draws from a generator seeded by `seed`
// (SplitMix64 bits, Marsaglia's polar method in double precision, rounded to float once).
void fill_normal(float* values, std::size_t count, std::uint64_t seed);
}  // namespace emb
