#include <type_traits>

#include "kernels/dequantize/dequantize.h"
#include "kernels/gather/gather.h"  // first_out_of_range
#include "kernels/packed_rows_simd128.h"

namespace emb::simd128 {
std::size_t gather_packed(Storage storage, const std::uint8_t* table, std::size_t rows, std::size_t dim,
                          const std::int32_t* idx, std::size_t n, float* out) {
  const std::size_t bad = first_out_of_range(idx, n, rows);
  if (bad != n) return bad;
  const std::size_t stride = row_bytes(storage, dim);
  with_simd_rows(storage, [&](auto type) {
    using Rows = std::remove_const_t<std::remove_pointer_t<decltype(type)>>;
    for (std::size_t i = 0; i < n; ++i) {
      const Rows row(table + static_cast<std::size_t>(idx[i]) * stride, dim);
      float* o = out + i * dim;
      for_each_code(
          row, dim, [&](std::size_t j, v128_t codes) { wasm_v128_store(o + j, row.dequantize(codes)); },
          [&](std::size_t j, float) { o[j] = row.at(j); });
    }
  });
  return n;
}
}  // namespace emb::simd128
