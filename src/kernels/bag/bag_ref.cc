#include "kernels/bag/bag.h"


namespace emb::ref {
std::size_t bag_sum_f32(const float* table, std::size_t rows, std::size_t dim, const std::int32_t* idx,
                        std::size_t n, const std::int32_t* offsets, std::size_t num_bags, const float* scale,
                        std::int32_t skip_row, bool mean, float* out) {
  const std::size_t bad = check_bags(idx, n, offsets, num_bags, rows);
  if (bad != n) return bad;
  for (std::size_t b = 0; b < num_bags; ++b) {
    float* o = out + b * dim;
    for (std::size_t c = 0; c < dim; ++c) o[c] = 0.0f;
    std::size_t kept = 0;
    for (std::int32_t j = offsets[b]; j < offsets[b + 1]; ++j) {
      if (idx[j] == skip_row) continue;
      ++kept;
      const float* row = table + static_cast<std::size_t>(idx[j]) * dim;
      if (scale) {
        for (std::size_t c = 0; c < dim; ++c) o[c] += scale[j] * row[c];
      } else {
        for (std::size_t c = 0; c < dim; ++c) o[c] += row[c];
      }
    }
    if (mean && kept > 0) {
      const float count = static_cast<float>(kept);
      for (std::size_t c = 0; c < dim; ++c) o[c] /= count;
    }
  }
  return n;
}

std::size_t bag_max_f32(const float* table, std::size_t rows, std::size_t dim, const std::int32_t* idx,
                        std::size_t n, const std::int32_t* offsets, std::size_t num_bags, std::int32_t skip_row,
                        float* out, std::int32_t* arg) {
  const std::size_t bad = check_bags(idx, n, offsets, num_bags, rows);
  if (bad != n) return bad;
  for (std::size_t b = 0; b < num_bags; ++b) {
    float* o = out + b * dim;
    std::int32_t* a = arg + b * dim;
    for (std::size_t c = 0; c < dim; ++c) {
      o[c] = 0.0f;
      a[c] = -1;
    }
    bool first = true;
    for (std::int32_t j = offsets[b]; j < offsets[b + 1]; ++j) {
      if (idx[j] == skip_row) continue;
      const float* row = table + static_cast<std::size_t>(idx[j]) * dim;
      for (std::size_t c = 0; c < dim; ++c) {
        if (first || row[c] > o[c]) {
          o[c] = row[c];
          a[c] = j;
        }
      }
      first = false;
    }
  }
  return n;
}

std::size_t bag_sum_backward_f32(const float* grad, std::size_t dim, const std::int32_t* offsets,
                                 std::size_t num_bags, const std::int32_t* slots, std::size_t n,
                                 const float* factor, float* dst, std::size_t dst_rows) {
  if (!offsets_valid(offsets, num_bags, n)) return kBadOffsets;
  const std::size_t bad = first_bad_target(slots, n, dst_rows);
  if (bad != n) return bad;
  for (std::size_t b = 0; b < num_bags; ++b) {
    const float* g = grad + b * dim;
    for (std::int32_t j = offsets[b]; j < offsets[b + 1]; ++j) {
      if (slots[j] == kSkipRow) continue;
      float* d = dst + static_cast<std::size_t>(slots[j]) * dim;
      const float f = factor ? factor[j] : 1.0f;
      for (std::size_t c = 0; c < dim; ++c) d[c] += f * g[c];
    }
  }
  return n;
}
}  // namespace emb::ref
