// The floor for a forward pass: a bare row-copy loop over indices that are already in wasm
// memory, written straight into an output buffer in wasm memory (no bindings, no checks, no
// copies in or out). Built by bench/lib/bare.mjs with
//   emcc -O3 -msimd128 -mbulk-memory --no-entry -sSTANDALONE_WASM ...
// into bench/results/build/bare.wasm. Exports:
//   gather_simd(table, indices, n, d, out)    v128 loads/stores, 4 vectors per iteration
//   gather_memcpy(table, indices, n, d, out)  one memory.copy per row
//   copy_bytes(dst, src, bytes)               one memory.copy of everything (bandwidth bound)
//   gather_ahead(table, indices, n, d, out, k) gather_simd, touching row indices[i+k] (one load a
//                                             64-byte line) before copying row i: k rows in flight
//   sgd_scatter(table, indices, n, d, grad, lr) table[indices[i]] -= lr * grad[i], i in order
//                                             (the update's floor: no coalescing)
//   bench_alloc(bytes)                        16-byte aligned bump allocator (never frees)
#include <stddef.h>
#include <stdint.h>
#include <wasm_simd128.h>

extern unsigned char __heap_base;
static uintptr_t top = 0;

__attribute__((export_name("bench_alloc"))) void *bench_alloc(size_t bytes) {
  if (top == 0) top = ((uintptr_t)&__heap_base + 15) & ~(uintptr_t)15;
  uintptr_t p = top, end = (p + bytes + 15) & ~(uintptr_t)15;
  size_t have = __builtin_wasm_memory_size(0) * 65536;
  if (end > have) {
    size_t pages = (end - have + 65535) / 65536;
    if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1) return 0;
  }
  top = end;
  return (void *)p;
}

__attribute__((export_name("bench_reset"))) void bench_reset(void) { top = 0; }

// One row of d floats: v128 loads/stores, 4 vectors per iteration, then the tail.
static inline void copy_row(const float *src, float *dst, int d) {
  int j = 0;
  for (; j + 16 <= d; j += 16) {
    v128_t a = wasm_v128_load(src + j), b = wasm_v128_load(src + j + 4);
    v128_t c = wasm_v128_load(src + j + 8), e = wasm_v128_load(src + j + 12);
    wasm_v128_store(dst + j, a); wasm_v128_store(dst + j + 4, b);
    wasm_v128_store(dst + j + 8, c); wasm_v128_store(dst + j + 12, e);
  }
  for (; j + 4 <= d; j += 4) wasm_v128_store(dst + j, wasm_v128_load(src + j));
  for (; j < d; ++j) dst[j] = src[j];
}

__attribute__((export_name("gather_simd")))
void gather_simd(const float *table, const int32_t *indices, int n, int d, float *out) {
  for (int i = 0; i < n; ++i) {
    copy_row(table + (size_t)indices[i] * d, out + (size_t)i * d, d);
  }
}

__attribute__((export_name("gather_memcpy")))
void gather_memcpy(const float *table, const int32_t *indices, int n, int d, float *out) {
  size_t row = (size_t)d * sizeof(float);
  for (int i = 0; i < n; ++i) __builtin_memcpy(out + (size_t)i * d, table + (size_t)indices[i] * d, row);
}

__attribute__((export_name("copy_bytes"))) void copy_bytes(void *dst, const void *src, size_t bytes) {
  __builtin_memcpy(dst, src, bytes);
}

__attribute__((export_name("gather_ahead")))
void gather_ahead(const float *table, const int32_t *indices, int n, int d, float *out, int k) {
  const int lines = (d * 4 + 63) / 64;
  uint32_t acc = 0;
  for (int i = 0; i < n; ++i) {
    if (i + k < n) {
      const unsigned char *ahead = (const unsigned char *)(table + (size_t)indices[i + k] * d);
      for (int l = 0; l < lines; ++l) acc |= *(const volatile uint32_t *)(ahead + l * 64);
    }
    copy_row(table + (size_t)indices[i] * d, out + (size_t)i * d, d);
  }
  if (acc == 0x12345678u) out[0] = 0;  // keeps the touches
}

__attribute__((export_name("sgd_scatter")))
void sgd_scatter(float *table, const int32_t *indices, int n, int d, const float *grad, float lr) {
  const v128_t neg = wasm_f32x4_splat(-lr);
  for (int i = 0; i < n; ++i) {
    float *row = table + (size_t)indices[i] * d;
    const float *g = grad + (size_t)i * d;
    int j = 0;
    for (; j + 4 <= d; j += 4)
      wasm_v128_store(row + j, wasm_f32x4_add(wasm_v128_load(row + j), wasm_f32x4_mul(neg, wasm_v128_load(g + j))));
    for (; j < d; ++j) row[j] -= lr * g[j];
  }
}

// gather_simd in blocks of `block` rows: first one load from every `stride`-th byte of each
// row of the block (stride 64: every line; 128: every other line, leaving the adjacent-line
// prefetcher the rest), then the block's copies. What kernels/touch.h does, with its knobs.
__attribute__((export_name("gather_blocks")))
void gather_blocks(const float *table, const int32_t *indices, int n, int d, float *out, int block, int stride) {
  uint32_t acc = 0;
  const int bytes = d * 4;
  for (int b = 0; b < n; b += block) {
    const int end = b + block < n ? b + block : n;
    for (int i = b; i < end; ++i) {
      const unsigned char *row = (const unsigned char *)(table + (size_t)indices[i] * d);
      for (int at = 0; at < bytes; at += stride) acc |= *(const volatile uint32_t *)(row + at);
    }
    for (int i = b; i < end; ++i) {
      copy_row(table + (size_t)indices[i] * d, out + (size_t)i * d, d);
    }
  }
  if (acc == 0x12345678u) out[0] = 0;
}
