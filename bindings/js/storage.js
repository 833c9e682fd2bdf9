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
  const packed = new rt.m.PackedTable(); // an Embind handle (bindings/embind/storage.cc), ptr 0 when out of memory
  if (!packed.ptr || !packed.allocate(STORAGES[storage], rows, dim)) {
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

/**
 * A compressed table as a safetensors tensor (io/safetensors.js): its rows as stored, U8
 * [rows, rowBytes] (int8, int4: FBGEMM's layouts) or F16 [rows, dim], and the __metadata__
 * entries "<name>.storage" and "<name>.embedding_dim" that tell a reader how to take them.
 */
export function packedTensor(storage, rows, dim, bytes, name) {
  const metadata = { [`${name}.storage`]: storage, [`${name}.embedding_dim`]: String(dim) };
  if (storage === 'float16') return { dtype: 'F16', shape: [rows, dim], data: new Uint16Array(bytes.buffer, bytes.byteOffset, rows * dim), metadata };
  return { dtype: 'U8', shape: [rows, rowBytes(storage, dim)], data: bytes, metadata };
}

/**
 * The compressed table (class cls) that packedTensor's tensor `name` describes: t is its header
 * entry ({ dtype, shape }), bytes its data, metadata the file's. Throws an Error when the tensor
 * does not match what its metadata says.
 */
export function packedFromTensor(cls, name, t, bytes, metadata, options) {
  const what = `${cls.name}.fromSafetensors: tensor ${JSON.stringify(name)}`;
  const storage = metadata[`${name}.storage`];
  const dimText = metadata[`${name}.embedding_dim`];
  const dim = Number(dimText);
  if (!Object.hasOwn(STORAGES, storage)) throw new Error(`${what}: its metadata names storage ${describe(storage)} (known: 'float16', 'int8', 'int4')`);
  if (!(/^\d+$/.test(dimText ?? '') && Number.isSafeInteger(dim))) {
    throw new Error(`${what}: its metadata's ${JSON.stringify(`${name}.embedding_dim`)} must be a whole number, got ${describe(dimText)}`);
  }
  const dtype = storage === 'float16' ? 'F16' : 'U8';
  const width = storage === 'float16' ? dim : rowBytes(storage, dim);
  if (t.dtype.name !== dtype || t.shape.length !== 2 || t.shape[1] !== width) {
    throw new Error(`${what} is ${t.dtype.name} [${t.shape.join(', ')}], but ${storage} rows of dim ${dim} are ${dtype} [rows, ${width}]`);
  }
  const { freeze = true, ...rest } = options;
  if (freeze !== true) throw new TypeError(`${what} is stored as ${storage}, and compressed tables are frozen: freeze must be true`);
  return cls.fromQuantized(bytes, { ...rest, storage, numEmbeddings: t.shape[0], embeddingDim: dim });
}
