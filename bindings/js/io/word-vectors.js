// loadWordVectors, parseWordVectors, saveWordVectors (shared/API.md "Word vectors and
// vocabularies"). Files stream through the C++ parser (src/io/word_vectors.h) a piece at a
// time, and its rows land straight in the table's wasm memory (quantized row by row with the
// storage option: src/storage/packed_sink.h).
import { checkBoolean, checkOptions, describe } from '../check.js';
import { allocAligned, requireRuntime } from '../runtime.js';
import { Embedding } from '../embedding.js';
import { STORAGES, checkStorage, whyUnrepresentable } from '../storage.js';
import { Table, adoptPacked, kCore, kPretrained } from '../table.js';
import { Vocab, kFromWordSet, kText } from './vocab.js';
import { asyncSource, chunkBytes, syncSource } from './sources.js';

const FORMATS = ['auto', 'glove', 'word2vec', 'word2vec-binary']; // index: the C++ WordVectorFormat
const INPUT_BYTES = 1 << 20; // the piece of the file copied into wasm memory at a time
const MAX_ROWS = 0x7fffffff;
const YIELD_MS = 50; // a long load gives the event loop a turn this often (progress bars, abort)
const SIZE_MAX = 0xffffffff; // what the writer returns when memory runs out

function checkFormat(format, allowed, fn) {
  const list = allowed.map((f) => `'${f}'`).join(', ');
  if (typeof format !== 'string') throw new TypeError(`${fn}: format must be a string (${list}), got ${describe(format)}`);
  if (!allowed.includes(format)) throw new RangeError(`${fn}: format must be one of ${list}, got ${describe(format)}`);
}

function readOptions(options, allowed, fn) {
  checkOptions(options, allowed, `${fn} options`);
  const { format = 'auto', limit, freeze = true, storage = 'float32' } = options;
  checkFormat(format, FORMATS, fn);
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) {
    throw new RangeError(`${fn}: limit must be a positive integer, got ${describe(limit)}`);
  }
  checkBoolean(freeze, 'freeze');
  if (storage !== 'float32') {
    checkStorage(storage, fn);
    if (!freeze) throw new TypeError(`${fn}: a table stored as ${storage} is frozen: freeze must be true`);
  }
  return { format, limit: Math.min(limit ?? MAX_ROWS, MAX_ROWS), freeze, storage };
}

function outOfMemory(fn) {
  return new RangeError(`${fn}: out of memory: the vectors do not fit in WebAssembly memory (4 GiB at most)`);
}

// The parser's outcome (reportPtr in bindings/embind/word_vectors.cc).
function report(parser, m) {
  const at = parser.reportPtr() >>> 3;
  const [error, line, offset, row, got, expected, snippetAt, snippetLength, format, dim, duplicates, textAt, textBytes, startsAt, slotsAt, slotCount] =
    m.HEAPF64.subarray(at, at + 16);
  return { error, line, offset, row, got, expected, snippetAt, snippetLength, format, dim, duplicates, textAt, textBytes, startsAt, slotsAt, slotCount };
}

const plural = (n, noun) => `${n} ${noun}${n === 1 ? '' : 's'}`;

// The Error for a malformed file, naming where: the line (text formats) or the byte offset.
function parseError(fn, parser, m) {
  const { error, line, offset, row, got, expected, snippetAt, snippetLength } = report(parser, m);
  if (error === 1) return outOfMemory(fn);
  const snippet = new TextDecoder().decode(m.HEAPU8.subarray(snippetAt, snippetAt + snippetLength));
  const quoted = JSON.stringify(snippet);
  const where = line > 0 ? `line ${line}` : `byte ${offset} (row ${row})`;
  const messages = {
    2: () => 'the file is empty: no header and no rows',
    3: () => `${where}: the header ${quoted} is not "<count> <dim>" (GloVe files have no header: use format 'glove' or 'auto')`,
    4: () => `${where}: the header's ${expected} rows x ${got} values ${got === 0 ? 'have no width' : got > 2 ** 26 ? 'are too wide (2^26 values at most)' : expected * got > 2 ** 30 ? 'do not fit in 4 GiB' : 'do not fit in the file'}`,
    5: () => `${where}: the first row ${quoted} has no values`,
    6: () => `${where}: a blank line between rows`,
    7: () => `${where}: ${plural(got, 'value')}, expected ${expected}`,
    8: () => `${where}: ${plural(got, 'value')}, more than ${expected}`,
    9: () => `${where}: ${snippet === '' ? 'an empty value (two spaces in a row)' : `${quoted} is not a number`} (value ${got + 1} of ${expected})`,
    10: () => `${where}: the word is not valid UTF-8 (byte 0x${got.toString(16).padStart(2, '0')} at byte ${offset})`,
    11: () => `${where}: a newline inside a word (is this a word2vec binary file?)`,
    12: () => `${where}: the file ends inside a row (${got} of its ${expected} bytes of values)`,
    13: () => `${where}: the file ends after ${plural(got, 'row')}; its header says ${expected}`,
    14: () => `${where}: more rows than the header's ${expected}`,
  };
  return new Error(`${fn}: ${messages[error]()}`);
}

// One parse in progress: the C++ parser and the sink it writes rows into (a float32 table, or
// a compressed one quantizing each row as it comes; pointers into wasm memory, until
// dispose()). Each feed() takes at most INPUT_BYTES.
class Reader {
  constructor(fn, format, limit, sizeBound, storage) {
    const m = requireRuntime().m;
    this.fn = fn;
    this.m = m;
    this.bytesRead = 0;
    this.storage = storage;
    // Embind handles (bindings/embind/word_vectors.cc, storage.cc): ptr 0 when memory ran out.
    this.sink = storage === 'float32' ? new m.F32Sink() : new m.PackedSink(STORAGES[storage]);
    this.parser = this.sink.ptr ? new m.WordVectorParser(FORMATS.indexOf(format), limit, sizeBound ?? 0, this.sink.rowSink()) : null;
    if (!this.parser?.ptr) {
      this.dispose();
      throw outOfMemory(fn);
    }
  }

  // The error for a parse that failed: a row the storage cannot hold (a RangeError naming its
  // line or offset and why), else what the parser says.
  failure() {
    const { m, sink, storage } = this;
    if (storage === 'float32' || !sink.rejected()) return parseError(this.fn, this.parser, m);
    const { line, offset, row, dim } = report(this.parser, m);
    const at = sink.rejectedRowPtr() >>> 2;
    const why = whyUnrepresentable(storage, Array.from(m.HEAPF32.subarray(at, at + dim)));
    return new RangeError(`${this.fn}: ${line > 0 ? `line ${line}` : `byte ${offset}`} (row ${row}) cannot be stored as ${storage}: ${why}`);
  }

  get full() {
    return this.parser.full();
  }

  get rows() {
    return this.sink.rows();
  }

  feed(piece) {
    const at = this.parser.input(piece.length);
    if (at === 0) throw outOfMemory(this.fn);
    this.m.HEAPU8.set(piece, at);
    if (!this.parser.feed(piece.length)) throw this.failure();
  }

  end() {
    if (!this.parser.finish()) throw this.failure();
  }

  // The Vocab, copies of the parser's WordSet (UTF-8 checked, each word once), and the table,
  // moved from the sink into a new Embedding.
  result(freeze) {
    const { m, sink } = this;
    const { dim, duplicates, textAt, textBytes, startsAt, slotsAt, slotCount } = report(this.parser, m);
    const rows = this.rows;
    const starts = new Uint32Array(rows + 1);
    starts.set(m.HEAPU32.subarray(startsAt >>> 2, (startsAt >>> 2) + rows));
    starts[rows] = textBytes;
    const slots = slotCount > 0 ? m.HEAPU32.slice(slotsAt >>> 2, (slotsAt >>> 2) + slotCount) : new Uint32Array(16);
    const vocab = Vocab[kFromWordSet](m.HEAPU8.slice(textAt, textAt + textBytes), starts, slots);
    if (this.storage !== 'float32') {
      const packed = new m.PackedTable();
      if (!packed.ptr) throw outOfMemory(this.fn);
      sink.moveTo(packed);
      return { vocab, embedding: adoptPacked(Embedding, rows, dim, {}, packed, this.storage), duplicates };
    }
    const move = (handle) => {
      sink.moveTo(handle);
      return true;
    };
    const embedding = new Embedding(rows, dim, {}, { [kPretrained]: move });
    embedding.requiresGrad = !freeze;
    return { vocab, embedding, duplicates };
  }

  dispose() {
    this.parser?.delete(); // before its sink
    this.sink.delete();
  }
}

function* piecesOf(chunk) {
  for (let at = 0; at < chunk.length; at += INPUT_BYTES) yield chunk.subarray(at, at + INPUT_BYTES);
}

function abortReason(signal) {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

// The promise, or its rejection with the signal's reason should the signal abort first. A new
// listener each time, removed once settled: racing one long-lived promise instead would keep
// every chunk reachable from its reactions.
function unlessAborted(promise, signal) {
  if (signal === undefined) return promise;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    Promise.resolve(promise).then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

// Calls onProgress every 1% of the file (or every MiB when its size is unknown), then at the end.
class Progress {
  constructor(onProgress, totalBytes) {
    this.onProgress = onProgress;
    this.totalBytes = totalBytes;
    this.every = totalBytes > 0 ? Math.min(1 << 20, Math.ceil(totalBytes / 100)) : 1 << 20;
    this.reported = 0;
  }

  update(reader, force = false) {
    if (this.onProgress === undefined || (!force && reader.bytesRead - this.reported < this.every)) return;
    this.reported = reader.bytesRead;
    this.onProgress({ bytesRead: reader.bytesRead, totalBytes: this.totalBytes, rows: reader.rows });
  }
}

/**
 * Reads word vectors, streamed: see index.d.ts.
 * @returns {Promise<{ vocab: Vocab, embedding: Embedding, duplicates: number }>}
 */
export async function loadWordVectors(source, options = {}) {
  const fn = 'loadWordVectors';
  requireRuntime();
  const { format, limit, freeze, storage } = readOptions(options, ['format', 'limit', 'freeze', 'storage', 'onProgress', 'signal'], fn);
  const { onProgress, signal } = options;
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw new TypeError(`${fn}: onProgress must be a function, got ${describe(onProgress)}`);
  }
  if (signal !== undefined && !(typeof signal?.aborted === 'boolean' && typeof signal.addEventListener === 'function')) {
    throw new TypeError(`${fn}: signal must be an AbortSignal, got ${describe(signal)}`);
  }
  if (signal?.aborted) throw abortReason(signal);
  const input = await asyncSource(source, fn);
  let reader = null;
  let done = false;
  try {
    if (signal?.aborted) throw abortReason(signal);
    reader = new Reader(fn, format, limit, input.sizeBound, storage);
    const progress = new Progress(onProgress, input.totalBytes);
    let lastYield = Date.now();
    while (!reader.full) {
      const next = await unlessAborted(input.next(), signal);
      if (next.done) {
        done = true;
        break;
      }
      const chunk = chunkBytes(next.value, fn);
      for (const piece of piecesOf(chunk)) {
        reader.feed(piece);
        if (reader.full) break;
        if (Date.now() - lastYield >= YIELD_MS) {
          await unlessAborted(new Promise((resolve) => setTimeout(resolve, 0)), signal);
          lastYield = Date.now();
        }
      }
      reader.bytesRead += chunk.length;
      progress.update(reader);
    }
    reader.end();
    progress.update(reader, true);
    return reader.result(freeze);
  } finally {
    reader?.dispose();
    if (!done) input.cancel(signal?.aborted ? abortReason(signal) : undefined);
  }
}

/**
 * Reads word vectors from a string or bytes, synchronously: see index.d.ts.
 * @returns {{ vocab: Vocab, embedding: Embedding, duplicates: number }}
 */
export function parseWordVectors(source, options = {}) {
  const fn = 'parseWordVectors';
  requireRuntime();
  const { format, limit, freeze, storage } = readOptions(options, ['format', 'limit', 'freeze', 'storage'], fn);
  const input = syncSource(source, fn);
  const reader = new Reader(fn, format, limit, input.sizeBound, storage);
  try {
    for (let next = input.next(); !next.done && !reader.full; next = input.next()) {
      for (const piece of piecesOf(next.value)) {
        reader.feed(piece);
        if (reader.full) break;
      }
    }
    reader.end();
    return reader.result(freeze);
  } finally {
    reader.dispose();
  }
}

/**
 * Writes a Vocab and its table as a word-vector file: see index.d.ts.
 * @returns {Uint8Array}
 */
export function saveWordVectors(vocab, embedding, options = {}) {
  const fn = 'saveWordVectors';
  checkOptions(options, ['format'], `${fn} options`);
  const { format = 'word2vec' } = options;
  checkFormat(format, FORMATS.slice(1), fn);
  if (!(vocab instanceof Vocab)) throw new TypeError(`${fn}: vocab must be a Vocab, got ${describe(vocab)}`);
  if (!(embedding instanceof Table)) throw new TypeError(`${fn}: embedding must be an Embedding or an EmbeddingBag, got ${describe(embedding)}`);
  const { rt, handle } = embedding[kCore];
  const rows = embedding.numEmbeddings;
  if (vocab.size !== rows) throw new TypeError(`${fn}: the vocab has ${plural(vocab.size, 'word')} but the table ${plural(rows, 'row')}`);
  // Words are separated by newlines, and by spaces but in GloVe (its values are the last fields
  // of a line), and written as UTF-8 (a Vocab's words are valid Unicode).
  const text = vocab[kText];
  const space = format === 'glove' ? -1 : text?.indexOf(0x20) ?? -1;
  if (text === null || space >= 0) {
    const i = vocab.words.findIndex((w) => w.includes('\n') || (space >= 0 && w.includes(' ')));
    throw new TypeError(`${fn}: word ${i} ${JSON.stringify(vocab.wordAt(i))} holds a ${format === 'glove' ? 'newline' : 'space or a newline'}, which the format cannot`);
  }
  // The values as the table's weight shows them: a float32 table's own memory, or a compressed
  // table's rows dequantised into a copy.
  let copy = { raw: 0, at: 0 };
  if (embedding.storage === 'float32') {
    handle.catchUpAll();
  } else {
    const weight = embedding.weight;
    copy = allocAligned(rt.m, weight.byteLength);
    if (copy.raw === 0) throw outOfMemory(fn);
    rt.m.HEAPF32.set(weight, copy.at >>> 2);
  }
  const table = copy.raw ? copy.at : handle.weightPtr();
  let writer = null;
  try {
    writer = new rt.m.WordVectorWriter(FORMATS.indexOf(format), table, rows, embedding.embeddingDim); // bindings/embind/word_vectors.cc
    if (writer.ptr === 0) throw outOfMemory(fn);
    const at = writer.words(text.length);
    if (at === 0) throw outOfMemory(fn);
    rt.m.HEAPU8.set(text, at);
    const pieces = [];
    let total = 0;
    for (let n; (n = writer.writePiece()) !== 0; total += n) {
      if (n === SIZE_MAX) throw outOfMemory(fn);
      const piece = writer.piecePtr();
      pieces.push(rt.m.HEAPU8.slice(piece, piece + n));
    }
    const file = new Uint8Array(total);
    pieces.reduce((offset, piece) => (file.set(piece, offset), offset + piece.length), 0);
    return file;
  } finally {
    writer?.delete();
    if (copy.raw) rt.m._free(copy.raw);
  }
}
