// Scanning 4-bit product-quantisation codes with lookup tables ("fast scan"): the inner loop of
// approximate search (src/ann/). Rows come in blocks of 32; a block holds, for each subspace s,
// 16 bytes: byte i = code of row i (low nibble) | code of row i + 16 (high nibble). A row's
// estimate is the sum over subspaces of lut[s * 16 + code]. Integer arithmetic, so both builds
// give the same values by construction.
#pragma once
#include <cstddef>
#include <cstdint>

namespace emb {
namespace ref {
// out[b*32 + i] = Σ_{s < subspaces} lut[s*16 + code(block b, row i, subspace s)] for b in
// [0, blocks), i in [0, 32). Every lut value must be <= 127 and their sum over subspaces must
// fit a uint16 (the SIMD kernel adds two subspaces' values in 8 bits). Reads
// blocks[0 : blocks*subspaces*16) and lut[0 : subspaces*16); writes out[0 : 32*blocks).
void pq4_scan(const std::uint8_t* blocks, std::size_t num_blocks, std::size_t subspaces, const std::uint8_t* lut,
              std::uint16_t* out);
}  // namespace ref
namespace simd128 {
// Same contract as ref::pq4_scan.
void pq4_scan(const std::uint8_t* blocks, std::size_t num_blocks, std::size_t subspaces, const std::uint8_t* lut,
              std::uint16_t* out);
}  // namespace simd128
}  // namespace emb
