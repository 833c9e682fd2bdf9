// Approximate nearest neighbours (shared/API.md "Approximate nearest neighbours"; the guide:
// docs/approximate-search.md): an inverted-file index over a table's rows, built in steps
// that yield to the event loop, searched in wasm (src/ann/) with exact re-ranking, saved as
// safetensors. Arguments are checked here, before anything runs.
import { checkOptions, describe } from './check.js';
import { scratch } from './runtime.js';
import { checkK, checkRow, readExclude, readQuery } from './nearest.js';
import { loadSafetensors, saveSafetensors, toBytes } from './io/safetensors.js';
import { kCore } from './table.js'; // a cycle, used only at call time

const METRICS = { cosine: 0, dot: 1, l2: 2 };
const FORMAT = 'wasm-embedding.ivf-pq4';
const FORMAT_VERSION = '1';
// Codewords per subspace and the bytes of a block of 32 rows' codes per subspace (src/ann/ivf_index.h).
const CODEWORDS = 16;
const BLOCK_BYTES = 16;
// Why the core refused a layout (emb::ann::LayoutError).
const LAYOUT_ERRORS = [
  '',
  'its sizes disagree',
  'its list offsets do not rise from 0 to the number of rows',
  'its row ids are not each row exactly once',
  'a centroid holds a NaN or an infinity',
  'a codeword or a row\'s extra term is NaN or infinite',
  'memory ran out checking it',
];

/** Candidates re-ranked exactly per query: enough that the codes' rounding rarely costs a neighbour. */
export const rerankCount = (k) => Math.max(6 * k, k + 32);

/** The default number of lists for a table of `rows` rows: about 2 * sqrt(rows). */
export const defaultLists = (rows) => Math.max(1, Math.min(rows, Math.round(2 * Math.sqrt(rows))));

/** The default number of lists searched: lists / 18, at least 32 (recall@10 0.96 on GloVe and on its 50,000 most frequent words; docs/approximate-search.md). */
export const defaultNprobe = (lists) => Math.max(1, Math.min(lists, Math.max(32, Math.ceil(lists / 18))));

/** The table's checksum (of its stored rows) as 16 hex digits; t is tableRef's { ptr, packed }. */
function tableChecksum(rt, t) {
  const at = scratch(rt, 8);
  rt.m.annChecksum(t.ptr, t.packed, at);
  const [hi, lo] = rt.m.HEAPU32.subarray(at >>> 2, (at >>> 2) + 2);
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

// The table as the exports take it.
function tableRef(table) {
  const { rt, handle } = table[kCore];
  return { rt, t: { ptr: handle.ptr, packed: table.storage !== 'float32' } };
}

/** The table's arguments of the index's calls: its handle's address, whether it is compressed. */
const tableArgs = (table) => {
  const { t } = tableRef(table);
  return [t.ptr, t.packed];
};

// Lets the event loop run (progress callbacks, an abort, a page's input) between build steps.
const yieldToEventLoop = () => new Promise((resolve) => {
  if (typeof setImmediate === 'function') setImmediate(resolve);
  else if (typeof MessageChannel === 'function') {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(0);
  } else setTimeout(resolve, 0);
});

function checkCount(value, name, min, max) {
  if (!(Number.isInteger(value) && value >= min && value <= max)) throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${describe(value)}`);
}

/**
 * An approximate index over one table (table.buildIndex / table.loadIndex make them). Its
 * answers are emb.nearest's for the rows it finds: same scores, same order, same exclusions.
 */
export class AnnIndex {
  #table;
  #handle;
  #info; // { metric, rows, dim, lists, nprobe, seed, checksum, storage }

  /** @internal use table.buildIndex() or table.loadIndex(). */
  constructor(table, handle, info) {
    this.#table = table;
    this.#handle = handle;
    this.#info = info;
    leakGuard.register(this, handle, this);
  }

  #live(what) {
    if (this.#handle === null) throw new Error(`AnnIndex.${what}: this index has been disposed`);
    const ref = tableRef(this.#table); // throws once the table is disposed
    if (this.#handle.stale(ref.t.ptr, ref.t.packed)) {
      throw new Error(`AnnIndex.${what}: the table changed (a training step or setWeight) since this index was built; build a new one with table.buildIndex()`);
    }
    return ref;
  }

  /** The metric the index ranks by: 'cosine', 'dot' or 'l2'. */
  get metric() { return this.#info.metric; }
  /** The number of lists the rows are split into. */
  get lists() { return this.#info.lists; }
  /** The number of lists a search scans by default (nearest's `nprobe` option overrides it). */
  get nprobe() { return this.#info.nprobe; }
  /** The bytes the index holds (besides the table's own rows). */
  get byteLength() {
    if (this.#handle === null) return 0;
    return this.#handle.byteLength();
  }
  /** True once the table changed since the index was built or loaded: searching then throws. */
  get stale() {
    if (this.#handle === null || this.#table.disposed) return true;
    return this.#handle.stale(...tableArgs(this.#table));
  }
  get disposed() { return this.#handle === null; }

  #nprobe(options, what) {
    const { nprobe = this.#info.nprobe } = options;
    checkCount(nprobe, `${what}: nprobe`, 1, 0x7fffffff);
    return Math.min(nprobe, Math.max(1, this.#info.lists));
  }

  /**
   * The k rows nearest each query, approximately, best first; as table.nearest (query forms,
   * exclusions, ties, padding row, -1/NaN fill), with that metric fixed at build time.
   * @param {number | Float32Array | Int32Array} query
   * @param {number} k
   * @param {{ exclude?: number[] | Int32Array, nprobe?: number }} [options] nprobe: lists scanned
   *   (default index.nprobe; more finds more of the true neighbours, more slowly)
   */
  nearest(query, k, options = {}) {
    checkOptions(options, ['exclude', 'nprobe'], 'AnnIndex.nearest options');
    const { rt, t } = this.#live('nearest');
    const table = this.#table;
    checkK(k);
    const rows = table.numEmbeddings;
    const { m, vectors, self } = readQuery(query, rows, table.embeddingDim);
    const excluded = readExclude(options.exclude ?? [], rows);
    const nprobe = this.#nprobe(options, 'AnnIndex.nearest');
    const queryBytes = vectors ? 4 * vectors.length : 4 * m;
    return collect(rt, table, m, k, queryBytes + 4 * excluded.length, (at) => {
      if (vectors) rt.m.HEAPF32.set(vectors, at >>> 2);
      else rt.m.HEAP32.set(self, at >>> 2);
      rt.m.HEAP32.set(excluded, (at + queryBytes) >>> 2);
      return (index, score) => this.#handle.search(t.ptr, t.packed, vectors ? at : 0, m, vectors ? 0 : at, k, at + queryBytes, excluded.length, nprobe, rerankCount(k), index, score);
    });
  }

  /**
   * "a is to b as c is to ?" (gensim's most_similar(positive=[b, c], negative=[a])) through the
   * index; a, b, c left out. Cosine indexes only.
   */
  analogy(a, b, c, k = 10, options = {}) {
    checkOptions(options, ['nprobe'], 'AnnIndex.analogy options');
    const { rt, t } = this.#live('analogy');
    if (this.#info.metric !== 'cosine') throw new TypeError(`AnnIndex.analogy: analogies rank by cosine, and this index was built for '${this.#info.metric}'`);
    const rows = this.#table.numEmbeddings;
    checkRow(a, rows, 'a');
    checkRow(b, rows, 'b');
    checkRow(c, rows, 'c');
    checkK(k);
    const nprobe = this.#nprobe(options, 'AnnIndex.analogy');
    return collect(rt, this.#table, 1, k, 0, () => (index, score) => this.#handle.analogy(t.ptr, t.packed, a, b, c, k, nprobe, rerankCount(k), index, score));
  }

  /**
   * The index as a safetensors file: its lists, ids, codes and centroids, and __metadata__ tying
   * it to its table (rows, dim, metric, a checksum of the rows). table.loadIndex reads it.
   * @returns {Uint8Array}
   */
  save() {
    const { rt } = this.#live('save');
    const h = this.#handle;
    const { rows, dim, lists } = this.#info;
    const subspaces = h.subspaces();
    const blocks = h.blocks();
    const f32 = (at, n) => rt.m.HEAPF32.slice(at >>> 2, (at >>> 2) + n);
    const i32 = (at, n) => rt.m.HEAP32.slice(at >>> 2, (at >>> 2) + n);
    return saveSafetensors({
      centroids: { dtype: 'F32', shape: [lists, dim], data: f32(h.centroidsPtr(), lists * dim) },
      offsets: { dtype: 'I32', shape: [lists + 1], data: i32(h.offsetsPtr(), lists + 1) },
      ids: { dtype: 'I32', shape: [rows], data: i32(h.idsPtr(), rows) },
      codebooks: { dtype: 'F32', shape: [subspaces, CODEWORDS], data: f32(h.codebooksPtr(), subspaces * CODEWORDS) },
      codes: { dtype: 'U8', shape: [blocks, subspaces, BLOCK_BYTES], data: rt.m.HEAPU8.slice(h.codesPtr(), h.codesPtr() + blocks * subspaces * BLOCK_BYTES) },
      extras: { dtype: 'F32', shape: [rows], data: f32(h.extrasPtr(), rows) },
    }, {
      format: FORMAT,
      version: FORMAT_VERSION,
      rows: String(rows),
      dim: String(dim),
      metric: this.#info.metric,
      storage: this.#info.storage,
      checksum: this.#info.checksum,
      nprobe: String(this.#info.nprobe),
      seed: String(this.#info.seed),
    });
  }

  /** Frees the index's wasm memory. Idempotent; any later search throws. The table stays. */
  dispose() {
    if (this.#handle === null) return;
    leakGuard.unregister(this);
    this.#handle.delete();
    this.#handle = null;
  }
}

const leakGuard = new FinalizationRegistry((handle) => handle.delete());
if (typeof Symbol.dispose === 'symbol') AnnIndex.prototype[Symbol.dispose] = function dispose() { this.dispose(); };

// Runs a search whose inputs `write(at)` lays out in the scratch region ahead of the m x k
// results and whose returned function calls the core (false: out of memory).
function collect(rt, table, m, k, inputBytes, write) {
  const slots = m * k;
  const at = scratch(rt, inputBytes + 8 * slots);
  const search = write(at);
  const index = at + inputBytes;
  const score = index + 4 * slots;
  if (!search(index, score)) throw new RangeError(`wasm-embedding: out of memory searching an index over a ${table.numEmbeddings} x ${table.embeddingDim} table`);
  return {
    indices: rt.m.HEAP32.slice(index >>> 2, (index >>> 2) + slots),
    scores: rt.m.HEAPF32.slice(score >>> 2, (score >>> 2) + slots),
  };
}

const BUILD_OPTIONS = ['metric', 'onProgress', 'signal', 'seed', 'lists', 'sample', 'iterations', 'nprobe'];

/**
 * Builds an index over the table's rows (table.buildIndex). Resolves to an AnnIndex; rejects
 * with the signal's reason when aborted.
 */
export async function buildIndex(table, options = {}) {
  checkOptions(options, BUILD_OPTIONS, 'buildIndex options');
  const { rt, t } = tableRef(table);
  const rows = table.numEmbeddings;
  const { metric = 'cosine', onProgress, signal, seed = 0 } = options;
  if (!Object.hasOwn(METRICS, metric)) throw new RangeError(`buildIndex: metric must be 'cosine', 'dot' or 'l2', got ${describe(metric)}`);
  if (onProgress !== undefined && typeof onProgress !== 'function') throw new TypeError(`buildIndex: onProgress must be a function, got ${describe(onProgress)}`);
  if (signal !== undefined && !(signal && typeof signal.aborted === 'boolean' && typeof signal.addEventListener === 'function')) {
    throw new TypeError(`buildIndex: signal must be an AbortSignal, got ${describe(signal)}`);
  }
  if (!(Number.isSafeInteger(seed) && seed >= 0)) throw new RangeError(`buildIndex: seed must be a non-negative safe integer, got ${describe(seed)}`);
  const { lists = defaultLists(rows) } = options;
  checkCount(lists, 'buildIndex: lists', 1, 0x7fffffff);
  const effectiveLists = rows === 0 ? 0 : Math.min(lists, rows);
  const { sample = Math.max(1, 32 * effectiveLists), iterations = 8, nprobe = defaultNprobe(Math.max(1, effectiveLists)) } = options;
  checkCount(sample, 'buildIndex: sample', 1, 0x7fffffff);
  checkCount(iterations, 'buildIndex: iterations', 0, 1000);
  checkCount(nprobe, 'buildIndex: nprobe', 1, 0x7fffffff);
  signal?.throwIfAborted?.();
  if (signal?.aborted) throw signal.reason;

  const handle = new rt.m.AnnIndex(); // an Embind handle (bindings/embind/ann.cc)
  try {
    if (!handle.ptr || !handle.buildBegin(t.ptr, t.packed, METRICS[metric], lists, sample, iterations, Math.floor(seed / 2 ** 32), seed % 2 ** 32)) {
      throw new RangeError(`wasm-embedding: out of memory building an index over a ${rows} x ${table.embeddingDim} table`);
    }
    for (;;) {
      const status = handle.buildStep(...tableArgs(table)); // the table may not be disposed meanwhile
      if (status < 0) throw new RangeError(`wasm-embedding: out of memory building an index over a ${rows} x ${table.embeddingDim} table`);
      onProgress?.(status === 1 ? 1 : handle.buildProgress());
      if (status === 1) break;
      await yieldToEventLoop();
      if (signal?.aborted) throw signal.reason ?? new Error('buildIndex: aborted');
    }
  } catch (err) {
    if (handle.ptr) handle.delete();
    throw err;
  }
  const info = {
    metric, rows, dim: table.embeddingDim, lists: handle.lists(), seed,
    nprobe: Math.min(nprobe, Math.max(1, handle.lists())),
    checksum: tableChecksum(rt, t), storage: table.storage,
  };
  return new AnnIndex(table, handle, info);
}

/**
 * The index a save() wrote, over this table (table.loadIndex). Throws an Error when the file is
 * not an index, was built for another table (rows, dim, metric or the rows' checksum differ),
 * or holds an inconsistent layout.
 */
export function loadIndex(table, bytes) {
  const what = 'loadIndex';
  const file = toBytes(bytes, what);
  const { rt, t } = tableRef(table);
  const { tensors, metadata } = loadSafetensors(file);
  const meta = metadata ?? {};
  if (meta.format !== FORMAT) throw new Error(`${what}: not an index file (its __metadata__ "format" is ${describe(meta.format)}, expected "${FORMAT}")`);
  if (meta.version !== FORMAT_VERSION) throw new Error(`${what}: index format version ${describe(meta.version)} is not supported (this version reads "${FORMAT_VERSION}")`);
  const rows = table.numEmbeddings;
  const dim = table.embeddingDim;
  const wholeNumber = (key) => {
    const text = meta[key];
    if (!/^\d{1,10}$/.test(text ?? '')) throw new Error(`${what}: __metadata__ "${key}" must be a whole number, got ${describe(text)}`);
    return Number(text);
  };
  const fileRows = wholeNumber('rows');
  const fileDim = wholeNumber('dim');
  if (fileRows !== rows || fileDim !== dim) throw new Error(`${what}: the index was built for a ${fileRows} x ${fileDim} table, and this one is ${rows} x ${dim}`);
  if (!Object.hasOwn(METRICS, meta.metric)) throw new Error(`${what}: __metadata__ "metric" must be 'cosine', 'dot' or 'l2', got ${describe(meta.metric)}`);
  const handle = new rt.m.AnnIndex();
  if (!handle.ptr) throw new RangeError('wasm-embedding: out of memory loading an index');
  try {
    const checksum = tableChecksum(rt, t);
    if (meta.checksum !== checksum) {
      throw new Error(`${what}: the index was built for another table: its rows' checksum is ${describe(meta.checksum)}, this table's is "${checksum}"`);
    }
    const nprobe = wholeNumber('nprobe');
    const seed = /^\d{1,16}$/.test(meta.seed ?? '') ? Number(meta.seed) : 0;
    const names = ['centroids', 'codebooks', 'codes', 'extras', 'ids', 'offsets'];
    const extra = Object.keys(tensors).filter((n) => !names.includes(n));
    if (extra.length > 0) throw new Error(`${what}: unexpected tensor ${JSON.stringify(extra[0])} (an index holds ${names.join(', ')})`);
    const tensor = (name, dtype, rank) => {
      const x = tensors[name];
      if (x === undefined) throw new Error(`${what}: the tensor ${JSON.stringify(name)} is missing`);
      if (x.dtype !== dtype || x.shape.length !== rank) throw new Error(`${what}: tensor ${JSON.stringify(name)} is ${x.dtype} [${x.shape.join(', ')}], expected ${dtype} of rank ${rank}`);
      return x;
    };
    const centroids = tensor('centroids', 'F32', 2);
    const lists = centroids.shape[0];
    if (rows > 0 ? !(lists >= 1 && lists <= rows) : lists !== 0) throw new Error(`${what}: the index has ${lists} lists for ${rows} rows`);
    const subspaces = dim;
    const expect = (x, name, shape) => {
      if (x.shape.length !== shape.length || x.shape.some((d, i) => d !== shape[i])) {
        throw new Error(`${what}: tensor ${JSON.stringify(name)} is [${x.shape.join(', ')}], expected [${shape.join(', ')}]`);
      }
    };
    expect(centroids, 'centroids', [lists, dim]);
    const offsets = tensor('offsets', 'I32', 1);
    expect(offsets, 'offsets', [lists + 1]);
    const ids = tensor('ids', 'I32', 1);
    expect(ids, 'ids', [rows]);
    const codebooks = tensor('codebooks', 'F32', 2);
    expect(codebooks, 'codebooks', [subspaces, CODEWORDS]);
    const codes = tensor('codes', 'U8', 3);
    const blocks = codes.shape[0];
    if (!(blocks <= rows)) throw new Error(`${what}: the index has ${blocks} blocks of codes for ${rows} rows`);
    expect(codes, 'codes', [blocks, subspaces, BLOCK_BYTES]);
    const extras = tensor('extras', 'F32', 1);
    expect(extras, 'extras', [rows]);
    if (!handle.allocate(METRICS[meta.metric], lists, rows, dim, blocks)) throw new RangeError(`wasm-embedding: out of memory loading an index over a ${rows} x ${dim} table`);
    rt.m.HEAPF32.set(centroids.data, handle.centroidsPtr() >>> 2);
    rt.m.HEAP32.set(offsets.data, handle.offsetsPtr() >>> 2);
    rt.m.HEAP32.set(ids.data, handle.idsPtr() >>> 2);
    rt.m.HEAPU8.set(codes.data, handle.codesPtr());
    rt.m.HEAPF32.set(codebooks.data, handle.codebooksPtr() >>> 2);
    rt.m.HEAPF32.set(extras.data, handle.extrasPtr() >>> 2);
    const status = handle.validate();
    if (status !== 0) throw new Error(`${what}: the index's layout is inconsistent: ${LAYOUT_ERRORS[status] ?? `status ${status}`}`);
    handle.markCurrent(t.ptr, t.packed);
    const info = { metric: meta.metric, rows, dim, lists, seed, nprobe: Math.max(1, Math.min(nprobe, Math.max(1, lists))), checksum, storage: table.storage };
    return new AnnIndex(table, handle, info);
  } catch (err) {
    handle.delete();
    throw err;
  }
}

