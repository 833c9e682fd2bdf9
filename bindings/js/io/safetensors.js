// safetensors files (shared/API.md "Files: safetensors and .npy"; the layout is
// shared/reference/semantics.md §7.6). The header is parsed and validated in wasm
// (src/io/safetensors.cc); tensor data is converted here.
import { checkOptions, describe } from '../check.js';
import { allocAligned, requireRuntime } from '../runtime.js';
import { Table } from '../table.js'; // a cycle, used only at call time
import { packedFromTensor } from '../storage.js';
import { DTYPES, decode, dtypeNamed, elementCount, encode } from './dtypes.js';

const MAX_HEADER = 100_000_000;
const OUT_OF_MEMORY = 24; // SafetensorsError::kOutOfMemory
const FIELDS = ['dtype', 'shape', 'data_offsets'];
const utf8 = new TextEncoder();

/**
 * How a table describes itself as a tensor: table[kSafetensorsTensor](name) returns
 * { dtype, shape, data, metadata? } (metadata: strings merged into __metadata__). A float32
 * table is F32 [rows, dim]; a compressed table U8 [rows, rowBytes] or F16 [rows, dim], with
 * __metadata__ entries naming its storage, which tableFromSafetensors below reads back.
 */
export const kSafetensorsTensor = Symbol('safetensors tensor');

/**
 * A plain Uint8Array over the bytes of a Uint8Array, an ArrayBuffer or another ArrayBufferView
 * (not a Node Buffer, whose slice() does not copy).
 */
export function toBytes(bytes, what) {
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  if (ArrayBuffer.isView(bytes)) return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  throw new TypeError(`${what} expects the file's bytes (a Uint8Array or an ArrayBuffer), got ${describe(bytes)}`);
}

const quote = (name) => JSON.stringify(name);
const shapeText = (shape) => `[${shape.join(', ')}]`;

// The Error for a header the core rejected: what is wrong, and where.
function headerError(code, f, file) {
  const { fileSize, headerSize, at, tensors } = f;
  const t = tensors[f.tensor];
  const other = tensors[f.other];
  const field = FIELDS[f.field];
  const of = t ? `tensor ${quote(t.name)}: ` : '';
  const sized = t && t.dtype ? `shape ${shapeText(t.shape)} of ${t.dtype.name}` : '';
  const messages = [
    null,
    () => `the file is ${fileSize} bytes, too short for the 8-byte header length`,
    () => `header length ${headerSize} (bytes 0-7) is over the limit of ${MAX_HEADER} bytes`,
    () => `header length ${headerSize} (bytes 0-7) runs past the end of the ${fileSize}-byte file`,
    () => "the header does not start with '{' (byte 8)",
    () => `invalid UTF-8 in the header at byte ${at}`,
    () => `${of}the header's JSON ends early (byte ${at})`,
    () => `${of}malformed JSON in the header at byte ${at}: unexpected ${quote(String.fromCharCode(file[at]))}`,
    () => `${of}bad string in the header at byte ${at} (an invalid escape, a lone surrogate or a raw control character)`,
    () => `the header nests more than 128 levels deep (byte ${at})`,
    () => `unexpected data after the header's JSON object at byte ${at}`,
    () => `${of}expected an integer in [0, 2^64) at byte ${at}`,
    () => (t ? `duplicate tensor name ${quote(t.name)} at byte ${at}` : `duplicate key in the header at byte ${at} (__metadata__ or one of its keys)`),
    () => `__metadata__ must be null or an object of strings (byte ${at})`,
    () => `${of}expected an object with dtype, shape and data_offsets (byte ${at})`,
    () => `${of}"${field}" is missing`,
    () => `${of}"${field}" appears twice (byte ${at})`,
    () => `${of}${['dtype must be a string', 'shape must be an array of integers', 'data_offsets must be two integers [begin, end]'][f.field]} (byte ${at})`,
    () => `${of}unknown dtype ${new TextDecoder().decode(file.subarray(at, at + 24)).split(/[,}]/)[0]} at byte ${at} (known: ${DTYPES.map((d) => d.name).join(', ')})`,
    () => `${of}${sized} overflows 64 bits`,
    () => `${of}${sized} is not a whole number of bytes`,
    () => `${of}${sized} needs ${(t.dtype && t.shape.reduce((a, b) => a * BigInt(b), BigInt(t.dtype.bits)) / 8n)} bytes, but data_offsets [${t.begin}, ${t.end}] hold ${t.end - t.begin}`,
    () => `${of}data_offsets [${t.begin}, ${t.end}] ${t.end < t.begin ? 'end before they begin'
      : other ? `${t.begin < other.end ? 'overlap' : 'leave a gap after'} tensor ${quote(other.name)} (data_offsets [${other.begin}, ${other.end}])`
        : 'must start at 0 (the first tensor in offset order)'}`,
    () => `the tensors cover ${f.covered} bytes of the ${fileSize - 8 - headerSize}-byte data section`,
  ];
  return new Error(`safetensors: ${messages[code]?.() ?? `rejected (code ${code})`}`);
}

/**
 * The header of a safetensors file: { dataStart, tensors: [{ name, dtype, shape, begin, end }],
 * metadata (an object of strings, or null) }. Throws an Error naming what is wrong. fileSize:
 * the whole file's (remote tables pass the header's bytes alone).
 */
export function readHeader(file, fileSize = file.length) {
  const { m } = requireRuntime();
  let headerSize = 0;
  if (file.length >= 8) headerSize = Number(new DataView(file.buffer, file.byteOffset, 8).getBigUint64(0, true));
  const copy = Math.min(file.length, headerSize <= MAX_HEADER ? 8 + headerSize : 8);
  const { raw, at } = allocAligned(m, copy);
  const result = raw && (m.HEAPU8.set(file.subarray(0, copy), at), m.parseSafetensors(at, copy, fileSize));
  if (raw) m._free(raw);
  if (!result) throw new RangeError(`wasm-embedding: out of memory reading a ${copy}-byte safetensors header`);
  try {
    const f = m.HEAPF64.subarray(result >>> 3, (result >>> 3) + 2 + m.HEAPF64[(result >>> 3) + 1]);
    const textAt = result + 8 * f.length;
    // A copy: browsers' TextDecoder refuses views of shared memory (the threads build's).
    const text = (start, size) => new TextDecoder().decode(m.HEAPU8.slice(textAt + start, textAt + start + size));
    const [code, , , hasMetadata, count, entries, errorAt, errorTensor, errorOther, errorField, covered] = f;
    const tensors = [];
    let k = 11;
    for (let i = 0; i < count; ++i, k += 6 + f[k + 3]) {
      const [nameAt, nameSize, dtype, rank, begin, end] = f.subarray(k, k + 6);
      tensors.push({ name: text(nameAt, nameSize), dtype: DTYPES[dtype], shape: Array.from(f.subarray(k + 6, k + 6 + rank)), begin, end });
    }
    if (code === OUT_OF_MEMORY) throw new RangeError(`wasm-embedding: out of memory holding a ${headerSize}-byte safetensors header`);
    if (code !== 0) {
      throw headerError(code, { fileSize, headerSize, at: errorAt, tensors, tensor: errorTensor, other: errorOther, field: errorField, covered }, file);
    }
    let metadata = null;
    if (hasMetadata) {
      metadata = {};
      for (let e = 0; e < entries; ++e, k += 4) define(metadata, text(f[k], f[k + 1]), text(f[k + 2], f[k + 3]));
    }
    for (const t of tensors) {
      if (!t.shape.every(Number.isSafeInteger)) throw new Error(`safetensors: tensor ${quote(t.name)}: shape ${shapeText(t.shape)} has a dimension past 2^53, more than JavaScript can index`);
    }
    return { dataStart: 8 + headerSize, tensors, metadata };
  } finally {
    m._free(result);
  }
}

// obj[key] = value as an own property, even for keys such as "__proto__".
function define(obj, key, value) {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function tensorData(file, dataStart, t) {
  const count = t.shape.reduce((a, b) => a * b, 1);
  return decode(t.dtype, file.subarray(dataStart + t.begin, dataStart + t.end), count);
}

/**
 * Reads a safetensors file: { tensors: { name: { dtype, shape, data } }, metadata }.
 * F32/F16/BF16 data is a Float32Array (F16 and BF16 widened exactly), F64 a Float64Array,
 * I64/U64 a BigInt64Array/BigUint64Array, I32/U32/I16/U16/I8 the typed array of that name,
 * U8/BOOL a Uint8Array, C64 a Float32Array of (real, imaginary) pairs, and the packed 8-, 6-
 * and 4-bit floats their raw bytes. metadata is an object of strings, or null.
 * @param {Uint8Array | ArrayBuffer} bytes
 */
export function loadSafetensors(bytes) {
  const file = toBytes(bytes, 'loadSafetensors');
  const { dataStart, tensors, metadata } = readHeader(file);
  const result = {};
  for (const t of tensors) define(result, t.name, { dtype: t.dtype.name, shape: t.shape, data: tensorData(file, dataStart, t) });
  return { tensors: result, metadata };
}

function tableFromTensor(cls, name, t, data, options) {
  if (!['F32', 'F16', 'BF16'].includes(t.dtype.name) || t.shape.length !== 2) {
    throw new TypeError(`${cls.name}.fromSafetensors: tensor ${quote(name)} is ${t.dtype.name} ${shapeText(t.shape)}; a table needs a 2-D F32, F16 or BF16 tensor (or a compressed table's, with __metadata__ naming its storage)`);
  }
  return cls.fromPretrained(data, { ...options, embeddingDim: t.shape[1] });
}

/**
 * A table (cls: Embedding or EmbeddingBag) holding tensor `name` of a safetensors file.
 * options: those of cls.fromPretrained but embeddingDim (the tensor's shape gives it).
 */
export function tableFromSafetensors(cls, bytes, name, options) {
  const file = toBytes(bytes, `${cls.name}.fromSafetensors`);
  if (typeof name !== 'string') throw new TypeError(`${cls.name}.fromSafetensors: name must be a string, got ${describe(name)}`);
  checkOptions(options, cls.optionNames.filter((k) => k !== 'seed').concat('freeze'), `${cls.name}.fromSafetensors options`);
  const { dataStart, tensors, metadata } = readHeader(file);
  const t = tensors.find((x) => x.name === name);
  if (!t) {
    const names = tensors.map((x) => quote(x.name));
    throw new Error(`${cls.name}.fromSafetensors: no tensor named ${quote(name)} in the file (it holds ${names.length ? names.slice(0, 10).join(', ') + (names.length > 10 ? ', ...' : '') : 'no tensors'})`);
  }
  // A compressed table's rows, as its metadata says (storage.js), go into wasm memory as they are.
  if (metadata && Object.hasOwn(metadata, `${name}.storage`)) {
    return packedFromTensor(cls, name, t, file.subarray(dataStart + t.begin, dataStart + t.end), metadata, options);
  }
  // F32 at an aligned offset goes straight from the file into wasm memory, without a copy between.
  const at = file.byteOffset + dataStart + t.begin;
  const aligned = t.dtype.name === 'F32' && at % 4 === 0;
  const data = aligned ? new Float32Array(file.buffer, at, (t.end - t.begin) / 4) : tensorData(file, dataStart, t);
  return tableFromTensor(cls, name, t, data, options);
}

// One entry of saveSafetensors, checked: { name, dtype, shape, bytes }.
function entryTensor(name, entry, meta) {
  const what = `saveSafetensors: ${quote(name)}`;
  if (name === '__metadata__') throw new TypeError('saveSafetensors: "__metadata__" is reserved for the metadata; name the tensor otherwise');
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(name)) throw new TypeError(`${what}: the name holds a lone surrogate, which UTF-8 cannot encode`);
  let spec = entry;
  if (entry instanceof Table) {
    spec = entry[kSafetensorsTensor](name);
    for (const [key, value] of Object.entries(spec.metadata ?? {})) {
      if (Object.hasOwn(meta, key) && meta[key] !== value) throw new Error(`${what}: its metadata key ${quote(key)} is already set to another value`);
      define(meta, key, value);
    }
  } else if (entry === null || typeof entry !== 'object' || ArrayBuffer.isView(entry)) {
    throw new TypeError(`${what} must be an Embedding, an EmbeddingBag or { dtype, shape, data }, got ${describe(entry)}`);
  }
  const { dtype, shape, data } = spec;
  const d = dtypeNamed.get(dtype);
  if (d === undefined) throw new TypeError(`${what}: unknown dtype ${describe(dtype)} (known: ${DTYPES.map((x) => x.name).join(', ')})`);
  const count = elementCount(shape, what);
  if ((count * d.bits) % 8 !== 0) throw new TypeError(`${what}: ${count} elements of ${dtype} are not a whole number of bytes`);
  return { name, d, shape, bytes: encode(d, data, count, what) };
}

/**
 * Writes a safetensors file: tables become F32 [numEmbeddings, embeddingDim] tensors (compressed
 * ones their rows as stored, U8 [numEmbeddings, rowBytes] or F16, named in __metadata__); raw
 * tensors are { dtype, shape, data } (data as loadSafetensors returns it; F16/BF16 also as a
 * Uint16Array of bits). As the reference writer: tensors ordered by dtype alignment, then name;
 * the JSON header padded with spaces to a multiple of 8 bytes.
 * @param {Record<string, Table | { dtype: string, shape: number[], data: ArrayBufferView }>} entries
 * @param {Record<string, string>} [metadata] written as __metadata__
 * @returns {Uint8Array}
 */
export function saveSafetensors(entries, metadata = undefined) {
  if (entries === null || typeof entries !== 'object' || Array.isArray(entries)) {
    throw new TypeError(`saveSafetensors: entries must be an object of name -> tensor, got ${describe(entries)}`);
  }
  const meta = {};
  if (metadata !== undefined && metadata !== null) {
    if (typeof metadata !== 'object' || Array.isArray(metadata)) throw new TypeError(`saveSafetensors: metadata must be an object of strings, got ${describe(metadata)}`);
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== 'string') throw new TypeError(`saveSafetensors: metadata ${quote(key)} must be a string, got ${describe(value)}`);
      define(meta, key, value);
    }
  }
  const tensors = Object.entries(entries).map(([name, entry]) => entryTensor(name, entry, meta));
  const nameBytes = new Map(tensors.map((t) => [t, utf8.encode(t.name)]));
  const byName = (a, b) => {
    const x = nameBytes.get(a);
    const y = nameBytes.get(b);
    for (let i = 0; i < Math.min(x.length, y.length); ++i) if (x[i] !== y[i]) return x[i] - y[i];
    return x.length - y.length;
  };
  tensors.sort((a, b) => b.d.rank - a.d.rank || byName(a, b));
  const parts = [];
  if (metadata !== undefined && metadata !== null || Object.keys(meta).length > 0) {
    parts.push(`"__metadata__":{${Object.entries(meta).map(([k, v]) => `${quote(k)}:${quote(v)}`).join(',')}}`);
  }
  let offset = 0;
  for (const t of tensors) {
    parts.push(`${quote(t.name)}:{"dtype":"${t.d.name}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${offset + t.bytes.length}]}`);
    offset += t.bytes.length;
  }
  const json = utf8.encode(`{${parts.join(',')}}`);
  const headerSize = Math.ceil(json.length / 8) * 8;
  if (headerSize > MAX_HEADER) throw new RangeError(`saveSafetensors: the header would be ${headerSize} bytes, over the format's limit of ${MAX_HEADER}`);
  const out = new Uint8Array(8 + headerSize + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerSize), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerSize);
  let at = 8 + headerSize;
  for (const t of tensors) {
    out.set(t.bytes, at);
    at += t.bytes.length;
  }
  return out;
}
