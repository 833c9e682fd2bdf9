// What a remote table's safetensors header says about tensor `name`: where its rows are and how
// to read one, checked as Table.fromSafetensors checks the whole file.
import { describe } from '../check.js';
import { host } from './host.js';
import { rowBytes, STORAGES } from '../storage.js';

export const HEADER_PROBE = 64 * 1024; // the first request: the 8-byte length and, mostly, the JSON header

/** The header length (bytes 0-7) of a file starting with `bytes`, as a Number. */
export function headerLength(bytes, url) {
  if (bytes.length < 8) throw new Error(`wasm-embedding: ${url} is ${bytes.length} bytes, too short for a safetensors file`);
  return Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
}

/**
 * { rows, dim, storage ('float32' for F32/F16/BF16, else the compressed one), dtype ('F32',
 * 'F16', 'BF16', 'U8'), rowBytes (in the file), dataBegin (the tensor's first byte in the file) }.
 * head: the file's first 8 + header-length bytes; size: the file's size.
 */
export function describeTensor(cls, head, size, name, url) {
  const { dataStart, tensors, metadata } = host.readHeader(head, size);
  const what = `${cls.name}.open(${JSON.stringify(url)})`;
  const t = tensors.find((x) => x.name === name);
  if (!t) {
    const names = tensors.map((x) => JSON.stringify(x.name));
    throw new Error(`${what}: no tensor named ${JSON.stringify(name)} in the file (it holds ${names.length ? names.slice(0, 10).join(', ') + (names.length > 10 ? ', ...' : '') : 'no tensors'})`);
  }
  const dataBegin = dataStart + t.begin;
  if (metadata && Object.hasOwn(metadata, `${name}.storage`)) {
    const storage = metadata[`${name}.storage`];
    const dimText = metadata[`${name}.embedding_dim`];
    const dim = Number(dimText);
    if (!Object.hasOwn(STORAGES, storage)) throw new Error(`${what}: tensor ${JSON.stringify(name)}: its metadata names storage ${describe(storage)} (known: 'float16', 'int8', 'int4')`);
    if (!(/^\d+$/.test(dimText ?? '') && Number.isSafeInteger(dim))) {
      throw new Error(`${what}: tensor ${JSON.stringify(name)}: its metadata's ${JSON.stringify(`${name}.embedding_dim`)} must be a whole number, got ${describe(dimText)}`);
    }
    const dtype = storage === 'float16' ? 'F16' : 'U8';
    const width = storage === 'float16' ? dim : rowBytes(storage, dim);
    if (t.dtype.name !== dtype || t.shape.length !== 2 || t.shape[1] !== width) {
      throw new Error(`${what}: tensor ${JSON.stringify(name)} is ${t.dtype.name} [${t.shape.join(', ')}], but ${storage} rows of dim ${dim} are ${dtype} [rows, ${width}]`);
    }
    return { rows: t.shape[0], dim, storage, dtype, rowBytes: rowBytes(storage, dim), dataBegin, dataEnd: dataStart + t.end, metadata };
  }
  if (!['F32', 'F16', 'BF16'].includes(t.dtype.name) || t.shape.length !== 2) {
    throw new TypeError(`${what}: tensor ${JSON.stringify(name)} is ${t.dtype.name} [${t.shape.join(', ')}]; a table needs a 2-D F32, F16 or BF16 tensor (or a compressed table's, with __metadata__ naming its storage)`);
  }
  const [rows, dim] = t.shape;
  return { rows, dim, storage: 'float32', dtype: t.dtype.name, rowBytes: (dim * t.dtype.bits) / 8, dataBegin, dataEnd: dataStart + t.end, metadata };
}
