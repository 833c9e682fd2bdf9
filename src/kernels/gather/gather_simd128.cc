#include <cstring>

#include "kernels/gather/gather.h"
#include "kernels/simd128.h"
#include "kernels/touch.h"

namespace emb::simd128 {
namespace {
// Copies one row with 16-byte loads/stores; the tail (dim % 4) goes element by element.
inline void copy_row(const float* src, float* dst, std::size_t dim) {
  std::size_t j = 0;
  for (; j + 16 <= dim; j += 16) {
    const v128_t a = wasm_v128_load(src + j), b = wasm_v128_load(src + j + 4);
    const v128_t c = wasm_v128_load(src + j + 8), d = wasm_v128_load(src + j + 12);
    wasm_v128_store(dst + j, a);
    wasm_v128_store(dst + j + 4, b);
    wasm_v128_store(dst + j + 8, c);
    wasm_v128_store(dst + j + 12, d);
  }
  for (; j + 4 <= dim; j += 4) wasm_v128_store(dst + j, wasm_v128_load(src + j));
  for (; j < dim; ++j) dst[j] = src[j];
}
}  // namespace

std::size_t gather_f32(const float* table, std::size_t rows, std::size_t dim,
                       const std::int32_t* idx, std::size_t n, float* out) {
  const std::size_t bad = first_out_of_range(idx, n, rows);
  if (bad != n) return bad;
  // Rows are touched a block ahead (kernels/touch.h). Wide rows: memory.copy (bulk memory)
  // beats a v128 loop from about 128 floats on.
  RowToucher ahead(table, dim * sizeof(float), rows, idx, n);
  if (dim >= 128) {
    for (std::size_t i = 0; i < n; ++i) {
      ahead.before(i);
      std::memcpy(out + i * dim, table + static_cast<std::size_t>(idx[i]) * dim, dim * sizeof(float));
    }
    return n;
  }
  for (std::size_t i = 0; i < n; ++i) {
    ahead.before(i);
    copy_row(table + static_cast<std::size_t>(idx[i]) * dim, out + i * dim, dim);
  }
  return n;
}
}  // namespace emb::simd128
