// An IvfIndex's layout: allocation, the checks a layout from outside must pass, its size.
#include <algorithm>
#include <cmath>
#include <limits>

#include "ann/ivf_index.h"

namespace emb::ann {

bool IvfIndex::allocate(Metric m, std::size_t num_lists, std::size_t num_rows, std::size_t d) {
  ready_ = false;
  metric = m;
  lists = num_lists;
  rows = num_rows;
  dim = d;
  stride = padded_stride(d);
  const std::size_t limit = static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max());
  if (rows > limit || lists > limit || (stride != 0 && rows > static_cast<std::size_t>(-1) / stride) ||
      (dim != 0 && lists > static_cast<std::size_t>(-1) / dim))
    return false;
  return centroids.allocate(lists * dim) && offsets.allocate(lists + 1) && ids.allocate(rows) &&
         codes.allocate(rows * stride) && factors.allocate(rows * kFactors) && centroid_bias.allocate(lists);
}

LayoutError IvfIndex::validate() {
  ready_ = false;
  if ((rows > 0 && lists == 0) || stride != padded_stride(dim) || centroids.size() != lists * dim ||
      offsets.size() != lists + 1 || ids.size() != rows || codes.size() != rows * stride ||
      factors.size() != rows * kFactors || centroid_bias.size() != lists)
    return LayoutError::kBadShape;
  if (offsets[0] != 0 || static_cast<std::size_t>(offsets[lists]) != rows) return LayoutError::kBadOffsets;
  longest_list_ = 0;
  for (std::size_t l = 0; l < lists; ++l) {
    if (offsets[l + 1] < offsets[l]) return LayoutError::kBadOffsets;
    longest_list_ = std::max<std::size_t>(longest_list_, offsets[l + 1] - offsets[l]);
  }
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
  const float* scale = factors.data();
  const float* bias = scale + rows;
  const float* extra = bias + rows;
  for (std::size_t p = 0; p < rows; ++p) {
    if (!std::isfinite(scale[p]) || !std::isfinite(bias[p]) || std::isnan(extra[p]) ||
        extra[p] == std::numeric_limits<float>::infinity())
      return LayoutError::kBadFactors;
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
  return centroids.size() * sizeof(float) + offsets.size() * sizeof(std::int32_t) + ids.size() * sizeof(std::int32_t) +
         codes.size() + factors.size() * sizeof(float);
}

}  // namespace emb::ann
