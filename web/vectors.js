// Word vectors for the explorer: the GloVe table the data script prepared (safetensors, with
// its words in the metadata), or a file the visitor brings, streamed with progress.
import { Embedding, loadWordVectors, Vocab } from 'wasm-embedding';

// Relative to this module, so the page works from any sub-path (npm start's server, the static site).
export const GLOVE = { url: new URL('../data/glove.6B.100d.safetensors', import.meta.url).href, name: 'GloVe 6B 100-d' };

/**
 * A set of word vectors: the table, its vocabulary, and what to say about them.
 * @typedef {{ name: string, table: Embedding, vocab: Vocab, words: string[], bytes: number, named: boolean, tensor?: string }} Vectors
 *   named: false when the file had no words (rows are then called by their number);
 *   tensor: a safetensors file's tensor that holds the table
 */

/**
 * Fetches and opens the prepared GloVe table. The download starts at once; the table is made
 * once `ready` (the package's init()) has resolved.
 * @param {Promise<unknown>} ready
 * @param {(p: { bytesRead: number, totalBytes?: number, rows?: number }) => void} onProgress
 * @returns {Promise<Vectors>}
 */
export async function loadGlove(ready, onProgress) {
  const response = await fetch(GLOVE.url);
  if (!response.ok) {
    throw new Error(`could not fetch ${GLOVE.url}: HTTP ${response.status} (npm start prepares it: node scripts/demo-data.mjs)`);
  }
  const total = Number(response.headers.get('Content-Length')) || undefined;
  const read = await readAll(response.body, total, onProgress);
  await ready;
  return openSafetensors(read, GLOVE.name);
}

/**
 * Opens a file the visitor dropped or picked: safetensors by its name, else any text or binary
 * word-vector format the library sniffs (GloVe, word2vec, fastText .vec).
 * @param {File} file
 * @returns {Promise<Vectors>}
 */
export async function loadFile(file, onProgress) {
  if (/\.safetensors$/i.test(file.name)) {
    return openSafetensors(await readAll(file.stream(), file.size, onProgress), file.name);
  }
  const { vocab, embedding } = await loadWordVectors(file, { onProgress });
  return { name: file.name, table: embedding, vocab, words: vocab.words, bytes: file.size, named: true };
}

// The table of a safetensors file: the tensor named 'weight', else its only 2-D tensor (the
// library reads the file and says what is wrong with it); its words are those the header
// listed (see readHeader), else the rows are named by number.
function openSafetensors({ bytes, header }, name) {
  const tensor = tableName(header?.json);
  const table = Embedding.fromSafetensors(bytes, tensor);
  try {
    const named = header?.words?.length === table.numEmbeddings;
    const words = named ? header.words : Array.from({ length: table.numEmbeddings }, (_, i) => String(i));
    return { name, table, vocab: named ? header.vocab : new Vocab(words), words, bytes: bytes.length, named, tensor };
  } catch (err) {
    table.dispose();
    throw err;
  }
}

function tableName(json) {
  if (!json || 'weight' in json) return 'weight';
  const tables = Object.keys(json).filter((key) => json[key]?.shape?.length === 2);
  if (tables.length !== 1) {
    throw new Error(`expected a tensor named "weight" or a single 2-D tensor, found ${tables.length ? tables.join(', ') : 'none'}`);
  }
  return tables[0];
}

// Reads a byte stream to its end into one buffer, reporting bytes as they arrive and, once a
// safetensors header is in, the table rows they complete. Returns the bytes and the header
// ({ json, start }: the parsed JSON, where the data begins), null when it is not one.
async function readAll(stream, total, onProgress) {
  let buffer = new Uint8Array(total ?? 1 << 20);
  let length = 0;
  let header;
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
    header ??= readHeader(buffer.subarray(0, length));
    onProgress({ bytesRead: length, totalBytes: total, rows: header && rowsIn(header, length) });
  }
  return { bytes: buffer.subarray(0, length), header: header ?? null };
}

// The header of a safetensors file from its first bytes: undefined until they are all in,
// null when they do not parse (the library reports what is wrong). When its metadata lists
// the table's words ('vocab', one a line, one a row), their Vocab is made here, while the
// rows are still arriving: on GloVe that takes the Vocab off the time to the first result.
function readHeader(head) {
  if (head.length < 8) return undefined;
  const size = Number(new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true));
  if (head.length < 8 + size) return undefined;
  let json;
  try {
    json = JSON.parse(new TextDecoder().decode(head.subarray(8, 8 + size)));
  } catch {
    return null;
  }
  const words = json.__metadata__?.vocab?.split('\n');
  const listsEveryRow = words !== undefined && words.length === tableRows(json);
  return { json, start: 8 + size, ...(listsEveryRow ? { words, vocab: new Vocab(words) } : {}) };
}

function tableRows(json) {
  try {
    return json[tableName(json)]?.shape?.[0];
  } catch {
    return undefined; // no table to name: the library will say so
  }
}

// How many rows of the table have arrived once `length` bytes have (progress only).
function rowsIn({ json, start }, length) {
  const rows = tableRows(json);
  if (!(rows > 0)) return undefined;
  const [begin, end] = json[tableName(json)].data_offsets ?? [];
  if (!(end > begin)) return undefined;
  return Math.max(0, Math.min(rows, Math.floor(((length - start - begin) * rows) / (end - begin))));
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
