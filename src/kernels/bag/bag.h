// Pool bags of table rows (EmbeddingBag's forward). Bag b holds the positions
// [offsets[b], offsets[b+1]) of idx, so offsets has num_bags + 1 entries; entries equal to
// skip_row (the padding index, or -1 for none) are left out of the bag.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/gather/gather.h"            // first_out_of_range
#include "kernels/scatter_add/scatter_add.h"  // kSkipRow, first_bad_target

namespace emb {
// Returned for offsets that do not rise from 0 to n.
inline constexpr std::size_t kBadOffsets = static_cast<std::size_t>(-1);

namespace ref {
// out[b*dim + c] = Σ_j (scale ? scale[j] : 1) * table[idx[j]*dim + c] over the bag's kept
// entries, in position order; divided by their number when `mean`. A bag with none is zeros.
// Checks first: returns n, else kBadOffsets or the first j with idx[j] outside [0, rows);
// writes out[0 : num_bags*dim) only on success.
std::size_t bag_sum_f32(const float* table, std::size_t rows, std::size_t dim, const std::int32_t* idx,
                        std::size_t n, const std::int32_t* offsets, std::size_t num_bags, const float* scale,
                        std::int32_t skip_row, bool mean, float* out);

// out[b*dim + c] = max over the bag's kept entries j of table[idx[j]*dim + c], as PyTorch:
// the first entry, then any strictly greater one (ties go to the first position).
// arg[b*dim + c] = the winning position j, or -1 (and out = 0) for a bag with none.
// Checks and returns as bag_sum_f32.
std::size_t bag_max_f32(const float* table, std::size_t rows, std::size_t dim, const std::int32_t* idx,
                        std::size_t n, const std::int32_t* offsets, std::size_t num_bags, std::int32_t skip_row,
                        float* out, std::int32_t* arg);
// The backward of bag_sum_f32: for each bag b and each position j in it, in order, unless
// slots[j] == kSkipRow: dst[slots[j]*dim + c] += (factor ? factor[j] : 1) * grad[b*dim + c].
// Checks first: returns n, else kBadOffsets or the first j whose slots[j] is outside
// {kSkipRow} ∪ [0, dst_rows); writes nothing then.
std::size_t bag_sum_backward_f32(const float* grad, std::size_t dim, const std::int32_t* offsets,
                                 std::size_t num_bags, const std::int32_t* slots, std::size_t n,
                                 const float* factor, float* dst, std::size_t dst_rows);
}  // namespace ref
namespace simd128 {
// Same contracts as the ref:: versions, bit for bit.
std::size_t bag_sum_f32(const float* table, std::size_t rows, std::size_t dim, const std::int32_t* idx,
                        std::size_t n, const std::int32_t* offsets, std::size_t num_bags, const float* scale,
                        std::int32_t skip_row, bool mean, float* out);
std::size_t bag_max_f32(const float* table, std::size_t rows, std::size_t dim, const std::int32_t* idx,
                        std::size_t n, const std::int32_t* offsets, std::size_t num_bags, std::int32_t skip_row,
                        float* out, std::int32_t* arg);
std::size_t bag_sum_backward_f32(const float* grad, std::size_t dim, const std::int32_t* offsets,
                                 std::size_t num_bags, const std::int32_t* slots, std::size_t n,
                                 const float* factor, float* dst, std::size_t dst_rows);
}  // namespace simd128

// Whether offsets[0 : num_bags + 1) rises from 0 to n (equal neighbours are empty bags).
inline bool offsets_valid(const std::int32_t* offsets, std::size_t num_bags, std::size_t n) {
  if (offsets[0] != 0 || static_cast<std::size_t>(offsets[num_bags]) != n) return false;
  for (std::size_t b = 0; b < num_bags; ++b)
    if (offsets[b + 1] < offsets[b]) return false;
  return true;
}

// The forward kernels' checks: n when offsets and every index are valid, else kBadOffsets or
// the first position whose index is outside [0, rows).
inline std::size_t check_bags(const std::int32_t* idx, std::size_t n, const std::int32_t* offsets,
                              std::size_t num_bags, std::size_t rows) {
  if (!offsets_valid(offsets, num_bags, n)) return kBadOffsets;
  return first_out_of_range(idx, n, rows);
}
}  // namespace emb
