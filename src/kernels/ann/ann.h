// Scoring compact codes against a query: the inner loop of approximate search (src/ann/).
// A code is `stride` bytes (a multiple of 16): a row quantised to uint8 and zero-padded; the
// query is int16 (quantised by the caller so that 255 * Σ|query| fits an int32). Integer
// arithmetic, so both builds give the same values by construction.
#pragma once
#include <cstddef>
#include <cstdint>

namespace emb {
namespace ref {
// out[i] = Σ_{j < stride} codes[i*stride + j] * query[j]  for i in [0, n). stride % 16 == 0.
// Reads codes[0 : n*stride) and query[0 : stride); writes out[0 : n). No failure.
void code_dot_u8(const std::uint8_t* codes, std::size_t n, std::size_t stride, const std::int16_t* query,
                 std::int32_t* out);
}  // namespace ref
namespace simd128 {
// Same contract as ref::code_dot_u8.
void code_dot_u8(const std::uint8_t* codes, std::size_t n, std::size_t stride, const std::int16_t* query,
                 std::int32_t* out);
}  // namespace simd128
}  // namespace emb
