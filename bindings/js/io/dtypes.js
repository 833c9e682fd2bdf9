// Element types of tensor files, named as safetensors names them, and the conversions between
// their little-endian bytes and JS typed arrays. Shared by safetensors.js and npy.js.
import { describe } from '../check.js';

// In the order of src/io/dtype.h (the reference's increasing alignment): the C++ side reports a
// dtype as its position here. `array`: the typed array data is read into; `write`: the typed
// arrays saveSafetensors takes for it.
export const DTYPES = [
  ['BOOL', 8, Uint8Array], ['F4', 4, Uint8Array], ['F6_E2M3', 6, Uint8Array], ['F6_E3M2', 6, Uint8Array],
  ['U8', 8, Uint8Array], ['I8', 8, Int8Array], ['F8_E5M2', 8, Uint8Array], ['F8_E4M3', 8, Uint8Array],
  ['F8_E8M0', 8, Uint8Array], ['F8_E4M3FNUZ', 8, Uint8Array], ['F8_E5M2FNUZ', 8, Uint8Array],
  ['I16', 16, Int16Array], ['U16', 16, Uint16Array], ['F16', 16, Float32Array], ['BF16', 16, Float32Array],
  ['I32', 32, Int32Array], ['U32', 32, Uint32Array], ['F32', 32, Float32Array], ['C64', 64, Float32Array],
  ['F64', 64, Float64Array], ['I64', 64, BigInt64Array], ['U64', 64, BigUint64Array],
].map(([name, bits, array], rank) => ({ name, bits, array, rank }));

export const dtypeNamed = new Map(DTYPES.map((d) => [d.name, d]));

// Packed dtypes (FP8, FP4, FP6) have no JS number type: their bytes come back as they are.
const RAW = new Set(['F4', 'F6_E2M3', 'F6_E3M2', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F8_E4M3FNUZ', 'F8_E5M2FNUZ']);

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

let halfTable = null; // float16 bits -> float32, all 65536 of them, made on first use

function halves() {
  if (halfTable === null) {
    halfTable = new Float32Array(65536);
    const bits = new Uint32Array(halfTable.buffer);
    for (let h = 0; h < 65536; ++h) {
      const sign = (h & 0x8000) << 16;
      const exp = (h >> 10) & 0x1f;
      const mant = h & 0x3ff;
      if (exp === 0) halfTable[h] = (sign ? -mant : mant) * 2 ** -24; // zero and subnormals: exact
      else if (exp === 31) bits[h] = (sign | 0x7f800000 | (mant << 13)) >>> 0; // inf, NaN (payload kept)
      else bits[h] = (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
    }
  }
  return halfTable;
}

/** float32 -> float16 bits, round to nearest even (NaN -> 0x7e00 with its sign, overflow -> inf). */
export function toHalf(value) {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const abs = x & 0x7fffffff;
  if (abs >= 0x47800000) return sign | (abs > 0x7f800000 ? 0x7e00 : 0x7c00); // >= 65536, inf, NaN
  if (abs < 0x38800000) { // below 2^-14: a subnormal or zero, rounded by one float32 addition
    f32[0] = Math.fround(Math.abs(f32[0]) + 0.5); // exact in double, so rounded once
    return sign | (u32[0] - 0x3f000000);
  }
  return sign | ((abs + 0xc8000fff + ((abs >>> 13) & 1)) >>> 13) & 0x7fff;
}

/** float32 -> bfloat16 bits, round to nearest even (NaN stays a quiet NaN). */
export function toBfloat16(value) {
  f32[0] = value;
  const x = u32[0];
  if ((x & 0x7fffffff) > 0x7f800000) return (x >>> 16) | 0x40;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/**
 * The count elements of dtype `d` whose little-endian (or big-endian) bytes are bytes: a new typed
 * array (F16/BF16 widened exactly to float32; packed FP8/FP4/FP6 as raw bytes).
 */
export function decode(d, bytes, count, bigEndian = false) {
  const width = d.bits / 8;
  const copy = new Uint8Array(bytes); // aligned, and never a view of the caller's buffer
  if (bigEndian && width > 1) {
    for (let i = 0; i < copy.length; i += width) copy.subarray(i, i + width).reverse();
  }
  if (RAW.has(d.name)) return copy;
  if (d.name === 'F16') {
    const table = halves();
    const bits = new Uint16Array(copy.buffer, 0, count);
    const out = new Float32Array(count);
    for (let i = 0; i < count; ++i) out[i] = table[bits[i]];
    return out;
  }
  if (d.name === 'BF16') {
    const bits = new Uint16Array(copy.buffer, 0, count);
    const out = new Uint32Array(count);
    for (let i = 0; i < count; ++i) out[i] = bits[i] << 16;
    return new Float32Array(out.buffer);
  }
  return new d.array(copy.buffer, 0, d.name === 'C64' ? 2 * count : count);
}

/**
 * The little-endian bytes of `data` as dtype `d` holds them: data must be the typed array
 * loading gives for d (Float32Array for F16/BF16 is rounded to nearest even; a Uint16Array
 * holds their bits; packed dtypes take their raw bytes as a Uint8Array). `count` elements.
 */
export function encode(d, data, count, what) {
  const raw = RAW.has(d.name);
  const half = d.name === 'F16' || d.name === 'BF16';
  const ok = raw ? data instanceof Uint8Array : data instanceof d.array || (half && data instanceof Uint16Array);
  const length = d.name === 'C64' ? 2 * count : raw ? Math.ceil((count * d.bits) / 8) : count;
  if (!ok) {
    const wanted = raw ? 'Uint8Array' : half ? 'Float32Array or Uint16Array (bits)' : d.array.name;
    throw new TypeError(`${what}: data for dtype ${d.name} must be a ${wanted}, got ${describe(data)}`);
  }
  if (data.length !== length) throw new TypeError(`${what}: its shape holds ${length} values, data has ${data.length}`);
  if (d.name === 'BOOL') {
    const bad = data.findIndex((v) => v > 1);
    if (bad >= 0) throw new TypeError(`${what}: BOOL data must be 0 or 1, got ${data[bad]} at position ${bad}`);
  }
  if (half && data instanceof Float32Array) {
    const round = d.name === 'F16' ? toHalf : toBfloat16;
    data = Uint16Array.from(data, round);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** The number of elements of a shape, checking it: an array of non-negative safe integers. */
export function elementCount(shape, what) {
  if (!Array.isArray(shape) || !shape.every((n) => Number.isSafeInteger(n) && n >= 0)) {
    throw new TypeError(`${what}: shape must be an array of non-negative integers, got ${Array.isArray(shape) ? `[${shape.map(describe)}]` : describe(shape)}`);
  }
  return shape.reduce((a, b) => a * b, 1);
}
