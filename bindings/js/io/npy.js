// NumPy .npy files (shared/API.md "Files: safetensors and .npy"; the layout is
// shared/reference/semantics.md §7.5 and numpy/lib/format.py). The preamble is parsed and
// validated in wasm (src/io/npy.cc); the data is converted here.
import { describe } from '../check.js';
import { requireRuntime, scratch } from '../runtime.js';
import { DTYPES, decode, elementCount } from './dtypes.js';
import { toBytes } from './safetensors.js';

const MAX_HEADER = 10000; // numpy's _MAX_HEADER_SIZE
const MAX_RANK = 64; // kNpyMaxRank in src/io/npy.h
const KEYS = ['descr', 'fortran_order', 'shape'];

function npyError(code, at, missing, file, dtype, shape, dataOffset) {
  const messages = [
    null,
    () => 'not a .npy file (it does not start with the magic string \\x93NUMPY)',
    () => `unsupported format version ${file[6]}.${file[7]} (byte 6; 1.0, 2.0 and 3.0 exist)`,
    () => 'the header length (byte 8) runs past the end of the file',
    () => `the header is over ${MAX_HEADER} bytes, numpy's limit`,
    () => `the header dict ends early (byte ${at})`,
    () => `malformed header dict at byte ${at}: unexpected ${JSON.stringify(String.fromCharCode(file[at]))}`,
    () => `unknown key in the header dict at byte ${at} (the keys are ${KEYS.join(', ')})`,
    () => `duplicate key in the header dict at byte ${at}`,
    () => `the header dict has no '${KEYS[missing]}'`,
    () => `unsupported descr at byte ${at} (supported: [<>|]f2, f4, f8, i1, i2, i4, i8, u1, u2, u4, u8, b1)`,
    () => `more than 64 dimensions (byte ${at})`,
    () => `shape at byte ${at} must hold integers in [0, 2^64)`,
    () => 'the shape and dtype size overflow 64 bits',
    () => `the data (${dtype.name} ${JSON.stringify(shape)}) runs past the end of the ${file.length}-byte file (it starts at byte ${dataOffset})`,
  ];
  return new Error(`npy: ${messages[code]?.() ?? `rejected (code ${code})`}`);
}

// Fortran order (first index fastest) -> C order (last index fastest).
function toCOrder(data, shape) {
  if (shape.length < 2) return data;
  const out = new data.constructor(data.length);
  const rank = shape.length;
  const strides = new Array(rank); // of the Fortran layout
  for (let d = 0, s = 1; d < rank; s *= shape[d], ++d) strides[d] = s;
  const index = new Array(rank).fill(0);
  let from = 0;
  for (let i = 0; i < out.length; ++i) {
    out[i] = data[from];
    for (let d = rank - 1; d >= 0; --d) { // the next C-order index, odometer-style
      from += strides[d];
      if (++index[d] < shape[d]) break;
      from -= strides[d] * shape[d];
      index[d] = 0;
    }
  }
  return out;
}

/**
 * Reads a .npy file (format 1.0, 2.0 or 3.0): { dtype, shape, data }, data in C order (a
 * Fortran-order file is transposed) and native byte order. dtype is named as safetensors names
 * it: F16 (widened to a Float32Array), F32, F64, I8, I16, I32, I64, U8, U16, U32, U64, BOOL.
 * @param {Uint8Array | ArrayBuffer} bytes
 */
export function loadNpy(bytes) {
  const file = toBytes(bytes, 'loadNpy');
  const rt = requireRuntime();
  const copy = Math.min(file.length, 12 + MAX_HEADER);
  const out = scratch(rt, 8 * (9 + MAX_RANK) + copy); // the doubles first: 8-byte aligned
  const at = out + 8 * (9 + MAX_RANK);
  rt.m.HEAPU8.set(file.subarray(0, copy), at);
  const code = rt.m.parseNpy(at, copy, file.length, out);
  const f = rt.m.HEAPF64.slice(out >>> 3, (out >>> 3) + 9 + MAX_RANK);
  const dtype = DTYPES[f[2]];
  const shape = Array.from(f.subarray(9, 9 + f[8]));
  if (code !== 0) throw npyError(code, f[1], f[7], file, dtype, shape, f[5]);
  if (!shape.every(Number.isSafeInteger)) throw new Error(`npy: shape ${JSON.stringify(shape)} has a dimension past 2^53, more than JavaScript can index`);
  const count = shape.reduce((a, b) => a * b, 1);
  const data = decode(dtype, file.subarray(f[5], f[5] + f[6]), count, f[3] === 1);
  return { dtype: dtype.name, shape, data: f[4] === 1 ? toCOrder(data, shape) : data };
}

const DESCR = new Map([
  [Float32Array, '<f4'], [Float64Array, '<f8'], [Int8Array, '|i1'], [Uint8Array, '|u1'], [Int16Array, '<i2'],
  [Uint16Array, '<u2'], [Int32Array, '<i4'], [Uint32Array, '<u4'], [BigInt64Array, '<i8'], [BigUint64Array, '<u8'],
]);

/**
 * Writes a .npy file (format 1.0, or 2.0 when the header needs it, as numpy does), byte for byte
 * what numpy.save writes for the same array: C order, 64-byte aligned data.
 * @param {Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array} data
 * @param {number[]} [shape] default [data.length]
 * @returns {Uint8Array}
 */
export function saveNpy(data, shape = [data?.length]) {
  const descr = DESCR.get(data?.constructor);
  if (descr === undefined) throw new TypeError(`saveNpy: data must be a typed array (${[...DESCR.keys()].map((c) => c.name).join(', ')}), got ${describe(data)}`);
  const count = elementCount(shape, 'saveNpy');
  if (count !== data.length) throw new TypeError(`saveNpy: shape [${shape.join(', ')}] holds ${count} values, data has ${data.length}`);
  // numpy's _write_array_header: the dict's repr, room for the first axis to grow to 21 digits,
  // then spaces and '\n' up to a multiple of 64 bytes (a whole 64 more when already aligned).
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${tuple}, }`;
  if (shape.length > 0) header += ' '.repeat(21 - String(shape[0]).length);
  let lengthBytes = 2;
  let pad = 64 - ((6 + 2 + lengthBytes + header.length + 1) % 64);
  if (header.length + 1 + pad > 0xffff) {
    lengthBytes = 4;
    pad = 64 - ((6 + 2 + lengthBytes + header.length + 1) % 64);
  }
  const preamble = 8 + lengthBytes + header.length + pad + 1;
  const out = new Uint8Array(preamble + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, lengthBytes === 2 ? 1 : 2, 0]);
  const view = new DataView(out.buffer);
  if (lengthBytes === 2) view.setUint16(8, header.length + pad + 1, true);
  else view.setUint32(8, header.length + pad + 1, true);
  for (let i = 0; i < header.length; ++i) out[8 + lengthBytes + i] = header.charCodeAt(i);
  out.fill(0x20, 8 + lengthBytes + header.length, preamble - 1);
  out[preamble - 1] = 0x0a;
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), preamble);
  return out;
}
