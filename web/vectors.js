// Word vectors for the explorer: the GloVe table the data script prepared (safetensors, with
// its words in the metadata), or a file the visitor brings, streamed with progress.
import * as wasmEmbedding from 'wasm-embedding';

// INTERIM (until word-vector loading, issue 8, is on main): a namespace import, so that the
// page still loads and trains with a package that lacks these exports.
const { Embedding, loadSafetensors, loadWordVectors, Vocab } = wasmEmbedding;
const NOT_YET = 'this build of wasm-embedding cannot load word vectors yet (loadSafetensors, issue 8)';

export const GLOVE = { url: '/data/glove.6B.100d.safetensors', name: 'GloVe 6B 100-d' };

/**
 * A set of word vectors: the table, its vocabulary, and what to say about them.
 * @typedef {{ name: string, table: Embedding, vocab: Vocab, words: string[], bytes: number, named: boolean }} Vectors
 *   named: false when the file had no words (rows are then called by their number)
 */

/**
 * Fetches and opens the prepared GloVe table.
 * @param {(p: { bytesRead: number, totalBytes?: number, rows?: number }) => void} onProgress
 * @returns {Promise<Vectors>}
 */
export async function loadGlove(onProgress) {
  if (typeof loadSafetensors !== 'function') throw new Error(NOT_YET);
  const response = await fetch(GLOVE.url);
  if (!response.ok) {
    throw new Error(`could not fetch ${GLOVE.url}: HTTP ${response.status} (npm start prepares it: node scripts/demo-data.mjs)`);
  }
  const total = Number(response.headers.get('Content-Length')) || undefined;
  const bytes = await readAll(response.body, total, onProgress);
  return openSafetensors(bytes, GLOVE.name);
}

/**
 * Opens a file the visitor dropped or picked: safetensors by its name, else any text or binary
 * word-vector format the library sniffs (GloVe, word2vec, fastText .vec).
 * @param {File} file
 * @returns {Promise<Vectors>}
 */
export async function loadFile(file, onProgress) {
  if (typeof loadSafetensors !== 'function') throw new Error(NOT_YET);
  if (/\.safetensors$/i.test(file.name)) {
    return openSafetensors(await readAll(file.stream(), file.size, onProgress), file.name);
  }
  const { vocab, embedding } = await loadWordVectors(file, { onProgress });
  return { name: file.name, table: embedding, vocab, words: vocab.words, bytes: file.size, named: true };
}

// The table of a safetensors file: the tensor named 'weight', else its only 2-D tensor; its
// words come from the metadata's 'vocab' (one word a line) when it has one for every row.
function openSafetensors(bytes, name) {
  const { tensors, metadata } = loadSafetensors(bytes);
  const tables = Object.keys(tensors).filter((key) => tensors[key].shape.length === 2);
  const key = 'weight' in tensors ? 'weight' : tables.length === 1 ? tables[0] : null;
  if (key === null) {
    throw new Error(`${name}: expected a tensor named "weight" or a single 2-D tensor, found ${tables.length ? tables.join(', ') : 'none'}`);
  }
  const rows = tensors[key].shape[0];
  const listed = metadata?.vocab?.split('\n');
  const named = listed?.length === rows;
  const words = named ? listed : Array.from({ length: rows }, (_, i) => String(i));
  const vocab = new Vocab(words);
  const table = Embedding.fromSafetensors(bytes, key);
  return { name, table, vocab, words, bytes: bytes.length, named };
}

// Reads a byte stream to its end into one buffer, reporting bytes as they arrive and, once a
// safetensors header is in, the table rows they complete.
async function readAll(stream, total, onProgress) {
  let buffer = new Uint8Array(total ?? 1 << 20);
  let length = 0;
  let rowsIn = null;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (length + value.length > buffer.length) {
      const grown = new Uint8Array(Math.max(2 * buffer.length, length + value.length));
      grown.set(buffer.subarray(0, length));
      buffer = grown;
    }
    buffer.set(value, length);
    length += value.length;
    rowsIn ??= rowCounter(buffer.subarray(0, length));
    onProgress({ bytesRead: length, totalBytes: total, rows: rowsIn?.(length) });
  }
  return buffer.subarray(0, length);
}

// From the first bytes of a safetensors file: a function giving how many rows of its table
// have arrived after `length` bytes, or null while the header is incomplete (progress only:
// the library reads and checks the file).
function rowCounter(head) {
  if (head.length < 8) return null;
  const size = Number(new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true));
  if (head.length < 8 + size) return null;
  let header;
  try {
    header = JSON.parse(new TextDecoder().decode(head.subarray(8, 8 + size)));
  } catch {
    return () => undefined; // the library will say what is wrong
  }
  const tensor = header.weight ?? Object.values(header).find((t) => t?.shape?.length === 2);
  if (!tensor) return () => undefined;
  const [begin, end] = tensor.data_offsets;
  const rows = tensor.shape[0];
  const start = 8 + size + begin;
  return (length) => Math.max(0, Math.min(rows, Math.floor(((length - start) * rows) / (end - begin))));
}

/**
 * The rows of `vectors` for the given words (zeros for a word it lacks), for initialising
 * another table: { rows: Float32Array(words.length × dim), found }.
 */
export function rowsFor(vectors, words) {
  const dim = vectors.table.embeddingDim;
  const at = [];
  const from = [];
  words.forEach((word, i) => {
    const row = vectors.vocab.indexOf(word);
    if (row >= 0) {
      at.push(i);
      from.push(row);
    }
  });
  const found = vectors.table.forward(Int32Array.from(from));
  const rows = new Float32Array(words.length * dim);
  at.forEach((i, n) => rows.set(found.subarray(n * dim, (n + 1) * dim), i * dim));
  return { rows, found: at.length };
}
