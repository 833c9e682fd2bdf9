#include "kernels/scatter_add/scatter_add.h"

namespace emb::ref {
std::size_t scatter_add_f32(const float* src, std::size_t n, std::size_t dim, const std::int32_t* rows,
                            float alpha, const float* scale, float* dst, std::size_t dst_rows) {
  const std::size_t bad = first_bad_target(rows, n, dst_rows);
  if (bad != n) return bad;
  for (std::size_t i = 0; i < n; ++i) {
    if (rows[i] == kSkipRow) continue;
    const float factor = scale ? alpha * scale[i] : alpha;
    float* out = dst + static_cast<std::size_t>(rows[i]) * dim;
    for (std::size_t j = 0; j < dim; ++j) out[j] += factor * src[i * dim + j];
  }
  return n;
}

std::size_t scatter_sum_f32(const float* src, std::size_t n, std::size_t dim, const std::int32_t* slots,
                            const float* scale, float* dst, std::size_t dst_rows, std::size_t first_new) {
  const std::size_t bad = first_bad_slot(slots, n, dst_rows, first_new);
  if (bad != n) return bad;
  std::size_t next = first_new;
  for (std::size_t i = 0; i < n; ++i)
    if (slots[i] != kSkipRow && static_cast<std::size_t>(slots[i]) == next) ++next;
  for (std::size_t j = first_new * dim; j < next * dim; ++j) dst[j] = 0.0f;
  for (std::size_t i = 0; i < n; ++i) {
    if (slots[i] == kSkipRow) continue;
    const float factor = scale ? scale[i] : 1.0f;
    float* out = dst + static_cast<std::size_t>(slots[i]) * dim;
    for (std::size_t j = 0; j < dim; ++j) out[j] += factor * src[i * dim + j];
  }
  return n;
}

std::size_t slot_sum_f32(const float* src, std::size_t n, std::size_t dim, const std::int32_t* idx, std::int32_t skip,
                         std::int32_t* slot_of_row, std::int32_t* rows, float* dst, std::size_t k) {
  for (std::size_t i = 0; i < n; ++i) {
    if (idx[i] == skip) continue;
    std::int32_t& s = slot_of_row[idx[i]];
    const bool first = s < 0;
    if (first) {
      s = static_cast<std::int32_t>(k);
      rows[k++] = idx[i];
    }
    float* out = dst + static_cast<std::size_t>(s) * dim;
    for (std::size_t j = 0; j < dim; ++j) out[j] = (first ? 0.0f : out[j]) + src[i * dim + j];
  }
  return k;
}
}  // namespace emb::ref
