// An IvfIndex's layout: allocation, the checks a layout from outside must pass, its size.
#include <algorithm>
#include <cmath>
#include <limits>

#include "ann/ivf_index.h"

namespace emb::ann {

bool IvfIndex::allocate(Metric m, std::size_t num_lists, std::size_t num_rows, std::size_t d, std::size_t num_blocks) {
  ready_ = false;
  metric = m;
  lists = num_lists;
  rows = num_rows;
  dim = d;
  subspaces = subspaces_for(d);
  blocks = num_blocks;
  const std::size_t limit = static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max());
  if (rows > limit || lists > limit || blocks > limit / 16 || (dim != 0 && lists > limit / dim) || dim > limit / 16)
    return false;
  return centroids.allocate(lists * dim) && codebooks.allocate(subspaces * kCodewords) &&
         offsets.allocate(lists + 1) && ids.allocate(rows) && codes.allocate(blocks * subspaces * 16) &&
         extras.allocate(rows) && centroid_bias.allocate(lists) && block_offsets.allocate(lists + 1) &&
         max_extra.allocate(lists);
}

LayoutError IvfIndex::validate() {
  ready_ = false;
  if ((rows > 0 && lists == 0) || subspaces != subspaces_for(dim) || centroids.size() != lists * dim ||
      codebooks.size() != subspaces * kCodewords || offsets.size() != lists + 1 || ids.size() != rows ||
      codes.size() != blocks * subspaces * 16 || extras.size() != rows || centroid_bias.size() != lists ||
      block_offsets.size() != lists + 1 || max_extra.size() != lists)
    return LayoutError::kBadShape;
  if (offsets[0] != 0 || static_cast<std::size_t>(offsets[lists]) != rows) return LayoutError::kBadOffsets;
  longest_list_ = 0;
  block_offsets[0] = 0;
  for (std::size_t l = 0; l < lists; ++l) {
    if (offsets[l + 1] < offsets[l]) return LayoutError::kBadOffsets;
    const std::size_t n = static_cast<std::size_t>(offsets[l + 1] - offsets[l]);
    longest_list_ = std::max(longest_list_, blocks_for(n) * kBlockRows);
    block_offsets[l + 1] = block_offsets[l] + static_cast<std::int32_t>(blocks_for(n));  // <= rows: no overflow
  }
  if (static_cast<std::size_t>(block_offsets[lists]) != blocks) return LayoutError::kBadShape;
  {
    Buffer<std::uint8_t> seen;
    if (!seen.allocate(rows)) return LayoutError::kOutOfMemory;
    std::fill(seen.data(), seen.data() + rows, std::uint8_t{0});
    for (std::size_t p = 0; p < rows; ++p) {
      const std::int32_t r = ids[p];
      if (r < 0 || static_cast<std::size_t>(r) >= rows || seen[r]) return LayoutError::kBadIds;
      seen[r] = 1;
    }
  }
  for (std::size_t i = 0; i < lists * dim; ++i)
    if (!std::isfinite(centroids[i])) return LayoutError::kBadCentroid;
  for (std::size_t i = 0; i < codebooks.size(); ++i)
    if (!std::isfinite(codebooks[i])) return LayoutError::kBadFactors;
  for (std::size_t l = 0; l < lists; ++l) {
    float top = -std::numeric_limits<float>::infinity();
    for (std::int32_t p = offsets[l]; p < offsets[l + 1]; ++p) {
      const float e = extras[p];
      if (std::isnan(e) || e == std::numeric_limits<float>::infinity()) return LayoutError::kBadFactors;
      top = std::max(top, e);
    }
    max_extra[l] = top;
  }
  for (std::size_t c = 0; c < lists; ++c) {
    float norm = 0;
    for (std::size_t j = 0; j < dim; ++j) norm += centroids[c * dim + j] * centroids[c * dim + j];
    centroid_bias[c] = metric == Metric::kL2 ? -0.5f * norm : 0.0f;
  }
  ready_ = true;
  return LayoutError::kNone;
}

std::size_t IvfIndex::byte_length() const {
  return (centroids.size() + codebooks.size() + extras.size()) * sizeof(float) +
         (offsets.size() + ids.size()) * sizeof(std::int32_t) + codes.size();
}

}  // namespace emb::ann
