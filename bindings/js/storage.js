// Compressed tables (shared/API.md "Storage"): the storages, their row sizes, and the wasm
// PackedTable (src/storage/) a quantized Embedding or EmbeddingBag holds instead of float32 rows.
import { describe } from './check.js';

// The storage names and their codes in the core (emb::Storage).
export const STORAGES = { float16: 1, int8: 2, int4: 3 };
const F16_MAX = 65504;
// The smallest magnitude float16 rounds to infinity.
const F16_OVERFLOW = 65520;

/** Bytes of one row (kernels/packed_rows.h): FBGEMM's layouts for int8 and int4. */
export function rowBytes(storage, dim) {
  if (storage === 'float16') return 2 * dim;
  if (storage === 'int8') return dim + 8;
  return Math.ceil(dim / 2) + 4;
}

/** Throws unless storage names a compressed storage. */
export function checkStorage(storage, what) {
  if (!(typeof storage === 'string' && Object.hasOwn(STORAGES, storage))) {
    const err = typeof storage === 'string' ? RangeError : TypeError;
    throw new err(`${what}: storage must be 'float16', 'int8' or 'int4', got ${describe(storage)}`);
  }
}

/** A zeroed wasm PackedTable, or a RangeError when memory runs out. */
export function allocatePacked(rt, storage, rows, dim) {
  const packed = new rt.m.PackedTable();
  if (!packed.allocate(STORAGES[storage], rows, dim)) {
    packed.delete();
    throw new RangeError(`wasm-embedding: out of memory for a ${rows} x ${dim} ${storage} table (${rows * rowBytes(storage, dim)} bytes)`);
  }
  return packed;
}

/**
 * Why a float32 row cannot be stored as `storage` (the core found that it cannot: quantize_rows'
 * rule), for the RangeError that names it.
 */
export function whyUnrepresentable(storage, row) {
  const j = row.findIndex((v) => !Number.isFinite(v));
  if (j >= 0) return `it holds ${row[j]} at column ${j}`;
  let min = Infinity;
  let max = -Infinity;
  for (const v of row) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  if (storage === 'float16') {
    const k = row.findIndex((v) => Math.abs(v) >= F16_OVERFLOW);
    return `${row[k]} at column ${k} is past float16's range (±${F16_MAX})`;
  }
  if (storage === 'int8') return `its range ${max} - (${min}) overflows float32`;
  return Math.abs(min) >= F16_OVERFLOW
    ? `its minimum ${min} (the int4 bias) is past float16's range (±${F16_MAX})`
    : `its scale (${max} - (${min})) / 15 is past float16's range (±${F16_MAX})`;
}
