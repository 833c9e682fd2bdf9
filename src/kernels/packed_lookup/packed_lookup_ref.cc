#include "kernels/packed_lookup/packed_lookup.h"

namespace emb::ref {
namespace {
template <typename Row>
Row row_at(const std::uint8_t* table, std::size_t dim, std::int32_t r) {
  return Row(table + static_cast<std::size_t>(r) * row_bytes(Row::kStorage, dim), dim);
}

template <typename Row>
void gather(const std::uint8_t* table, std::size_t dim, const std::int32_t* idx, std::size_t n, float* out) {
  for (std::size_t i = 0; i < n; ++i) {
    const Row row = row_at<Row>(table, dim, idx[i]);
    for (std::size_t j = 0; j < dim; ++j) out[i * dim + j] = row.at(j);
  }
}

template <typename Row>
void bag_sum(const std::uint8_t* table, std::size_t dim, const std::int32_t* idx, const std::int32_t* offsets,
             std::size_t num_bags, const float* scale, std::int32_t skip_row, bool mean, float* out) {
  for (std::size_t b = 0; b < num_bags; ++b) {
    float* o = out + b * dim;
    for (std::size_t c = 0; c < dim; ++c) o[c] = 0.0f;
    std::size_t kept = 0;
    for (std::int32_t j = offsets[b]; j < offsets[b + 1]; ++j) {
      if (idx[j] == skip_row) continue;
      ++kept;
      const Row row = row_at<Row>(table, dim, idx[j]);
      if (scale) {
        for (std::size_t c = 0; c < dim; ++c) o[c] += scale[j] * row.at(c);
      } else {
        for (std::size_t c = 0; c < dim; ++c) o[c] += row.at(c);
      }
    }
    if (mean && kept > 0) {
      const float count = static_cast<float>(kept);
      for (std::size_t c = 0; c < dim; ++c) o[c] /= count;
    }
  }
}

template <typename Row>
void bag_max(const std::uint8_t* table, std::size_t dim, const std::int32_t* idx, const std::int32_t* offsets,
             std::size_t num_bags, std::int32_t skip_row, float* out, std::int32_t* arg) {
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
      const Row row = row_at<Row>(table, dim, idx[j]);
      for (std::size_t c = 0; c < dim; ++c) {
        const float v = row.at(c);
        if (first || v > o[c]) {
          o[c] = v;
          a[c] = j;
        }
      }
      first = false;
    }
  }
}
}  // namespace

std::size_t gather_packed(Storage storage, const std::uint8_t* table, std::size_t rows, std::size_t dim,
                          const std::int32_t* idx, std::size_t n, float* out) {
  const std::size_t bad = first_out_of_range(idx, n, rows);
  if (bad != n) return bad;
  with_row_type(storage, [&](auto tag) { gather<typename decltype(tag)::Row>(table, dim, idx, n, out); });
  return n;
}

std::size_t bag_sum_packed(Storage storage, const std::uint8_t* table, std::size_t rows, std::size_t dim,
                           const std::int32_t* idx, std::size_t n, const std::int32_t* offsets,
                           std::size_t num_bags, const float* scale, std::int32_t skip_row, bool mean, float* out) {
  const std::size_t bad = check_bags(idx, n, offsets, num_bags, rows);
  if (bad != n) return bad;
  with_row_type(storage, [&](auto tag) {
    bag_sum<typename decltype(tag)::Row>(table, dim, idx, offsets, num_bags, scale, skip_row, mean, out);
  });
  return n;
}

std::size_t bag_max_packed(Storage storage, const std::uint8_t* table, std::size_t rows, std::size_t dim,
                           const std::int32_t* idx, std::size_t n, const std::int32_t* offsets,
                           std::size_t num_bags, std::int32_t skip_row, float* out, std::int32_t* arg) {
  const std::size_t bad = check_bags(idx, n, offsets, num_bags, rows);
  if (bad != n) return bad;
  with_row_type(storage, [&](auto tag) {
    bag_max<typename decltype(tag)::Row>(table, dim, idx, offsets, num_bags, skip_row, out, arg);
  });
  return n;
}
}  // namespace emb::ref
