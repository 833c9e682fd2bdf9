// Remote tables (shared/API.md "Remote tables"): Embedding.open / EmbeddingBag.open. The header
// is read by range, rows are fetched as byte ranges into a RowCache (cache.js) and looked up by
// the in-memory table of cached rows, so results are those of the whole table, bit for bit.
import { checkBoolean, checkOptions, describe, outOfRange, readIndices } from '../check.js';
import { decode, dtypeNamed } from '../io/dtypes.js';
import { host } from './host.js';
import { openRowStore as openBrowserRowStore } from './persist-browser.js';
import { RowCache } from './cache.js';
import { RowFetcher } from './fetcher.js';
import { HEADER_PROBE, describeTensor, headerLength } from './format.js';
import { RangeClient } from './requests.js';

const COMMON_OPTIONS = ['name', 'cacheBytes', 'persist', 'fetch', 'headers', 'retries', 'timeout', 'signal',
  'allowFullDownload', 'paddingIdx', 'mergeGap', 'retryDelay'];
const BAG_OPTIONS = ['mode', 'includeLastOffset'];
const MAX_HEADER = 100_000_000;

/** Embedding.open / EmbeddingBag.open: cls is the class asked. */
export async function openRemote(cls, url, options = {}) {
  host.requireRuntime();
  const isBag = cls.optionNames.includes('mode');
  checkOptions(options, isBag ? [...COMMON_OPTIONS, ...BAG_OPTIONS] : COMMON_OPTIONS, `${cls.name}.open options`);
  const {
    name = 'weight', cacheBytes = 64 * 2 ** 20, persist = false, fetch: fetchFn = globalThis.fetch,
    headers, retries = 3, timeout = 30_000, signal, allowFullDownload = false, paddingIdx = null,
    mergeGap, retryDelay = 100, mode = 'mean', includeLastOffset = false,
  } = options;
  if (!(typeof url === 'string' || typeof url?.href === 'string')) throw new TypeError(`${cls.name}.open: url must be a string or a URL, got ${describe(url)}`);
  if (typeof name !== 'string') throw new TypeError(`name must be a string, got ${describe(name)}`);
  if (!(Number.isSafeInteger(cacheBytes) && cacheBytes >= 0)) throw new RangeError(`cacheBytes must be a non-negative integer, got ${describe(cacheBytes)}`);
  if (!(typeof persist === 'boolean' || (typeof persist === 'string' && persist.length > 0))) {
    throw new TypeError(`persist must be a boolean (or, in Node, a directory), got ${describe(persist)}`);
  }
  if (typeof fetchFn !== 'function') throw new TypeError(`fetch must be a function, got ${describe(fetchFn)}`);
  if (!(Number.isInteger(retries) && retries >= 0)) throw new RangeError(`retries must be an integer >= 0, got ${describe(retries)}`);
  if (!(typeof timeout === 'number' && timeout > 0)) throw new RangeError(`timeout must be a number of milliseconds > 0 (Infinity: none), got ${describe(timeout)}`);
  if (!(typeof retryDelay === 'number' && retryDelay >= 0 && Number.isFinite(retryDelay))) throw new RangeError(`retryDelay must be a finite number >= 0, got ${describe(retryDelay)}`);
  if (mergeGap !== undefined && !(Number.isSafeInteger(mergeGap) && mergeGap >= 0)) throw new RangeError(`mergeGap must be a non-negative integer, got ${describe(mergeGap)}`);
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError(`signal must be an AbortSignal, got ${describe(signal)}`);
  checkBoolean(allowFullDownload, 'allowFullDownload');
  if (signal?.aborted) throw signal.reason;
  const href = new URL(typeof url === 'string' ? url : url.href, globalThis.location?.href).href;

  // One signal for everything: the caller's, or dispose().
  const lifetime = new AbortController();
  const onAbort = () => lifetime.abort(signal.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const stats = { requests: 0, bytesFetched: 0, rowsFetched: 0, cacheHits: 0, cacheMisses: 0, persistHits: 0 };
  const client = new RangeClient(href, { fetch: fetchFn, headers, retries, timeout, retryDelay, signal: lifetime.signal, allowFullDownload }, stats);
  try {
    // The header: its first 64 KB (usually all of it), then the rest if it is longer.
    const first = await client.get([[0, HEADER_PROBE]], { header: true });
    const res = first.res;
    const size = first.full ? first.body.length : first.total;
    client.version = { etag: res.headers.get('ETag'), lastModified: res.headers.get('Last-Modified'), size };
    let head = first.body;
    const length = headerLength(head, href);
    if (!first.full && length <= MAX_HEADER && 8 + length <= size && head.length < 8 + length) {
      const rest = await client.get([[head.length, 8 + length]]);
      const whole = new Uint8Array(8 + length);
      whole.set(head);
      whole.set(rest.ranges[0], head.length);
      head = whole;
    }
    const info = describeTensor(cls, head, size, name, href);
    if (paddingIdx !== null && !(Number.isInteger(paddingIdx) && paddingIdx >= -info.rows && paddingIdx < info.rows)) {
      throw new RangeError(`paddingIdx must be null or an integer in [${-info.rows}, ${info.rows - 1}], got ${describe(paddingIdx)}`);
    }
    const pad = paddingIdx === null ? null : paddingIdx < 0 ? paddingIdx + info.rows : paddingIdx;
    const memoryRowBytes = info.storage === 'float32' ? 4 * info.dim : info.rowBytes;
    const padSlots = pad === null ? 0 : 1;
    const capacity = Math.min(info.rows, Math.max(1, Math.floor(cacheBytes / Math.max(1, memoryRowBytes)) - padSlots)) + padSlots;
    const cache = new RowCache(cls, info, Math.min(capacity, 0x7fffffff), isBag ? { mode, includeLastOffset } : {}, pad);
    let store = null;
    if (persist !== false && !first.full) {
      try {
        store = await (host.openRowStore ?? openBrowserRowStore)({ url: href, version: client.version, info, dir: typeof persist === 'string' ? persist : undefined });
      } catch (err) {
        cache.dispose();
        throw err;
      }
    }
    const fetcher = new RowFetcher({ client, info, cache, store, stats, mergeGap, full: first.full ? first.body : null });
    const core = { cls, href, client, info, cache, fetcher, store, stats, lifetime, signal, onAbort, full: first.full ? first.body : null, pad, isBag, mode, includeLastOffset };
    return isBag ? new RemoteEmbeddingBag(core) : new RemoteEmbedding(core);
  } catch (err) {
    signal?.removeEventListener('abort', onAbort);
    if (signal?.aborted) throw signal.reason;
    throw err;
  }
}

class RemoteTable {
  #core;
  #info; // what the header said: kept after dispose(), as a table's shape is
  #pad;
  #href;
  #version;

  constructor(core) {
    this.#core = core;
    this.#info = core.info;
    this.#pad = core.pad;
    this.#href = core.href;
    this.#version = { ...core.client.version };
  }

  get core() {
    if (this.#core === null) throw new Error(`${this.constructor.name} has been disposed`);
    const { client, signal } = this.#core;
    if (signal?.aborted) throw signal.reason;
    if (client.changed) throw client.changed;
    return this.#core;
  }

  get url() { return this.#href; }
  get numEmbeddings() { return this.#info.rows; }
  get embeddingDim() { return this.#info.dim; }
  /** 'float32' (for F32, F16 and BF16 files: their rows widen exactly) or the compressed storage. */
  get storage() { return this.#info.storage; }
  get paddingIdx() { return this.#pad; }
  get disposed() { return this.#core === null; }
  /** The file's __metadata__ (an object of strings), or null. */
  get metadata() { return this.#info.metadata; }
  /** The file's version: { etag, lastModified, size }. */
  get version() { return { ...this.#version }; }
  get stats() {
    if (this.#core === null) throw new Error(`${this.constructor.name} has been disposed`);
    const { stats, cache } = this.#core;
    return { ...stats, cachedBytes: cache.cachedBytes, cachedRows: cache.size };
  }

  /** Fetches the rows of `indices` into the cache (as many as it holds). */
  async prefetch(indices) {
    const core = this.core;
    const idx = checkedIndices(indices, core.info.rows);
    const missing = missingRows(core.cache, idx.int32, idx.n);
    const limit = core.cache.capacity - (core.pad === null ? 0 : 1);
    await Promise.all(core.fetcher.want(missing.slice(0, Math.max(limit, 0))));
    this.core; // rethrows a change seen meanwhile
  }

  /**
   * Puts the slots of rows idx[from : to) into slots (from 0), fetching rows not cached, then
   * returns lookup(slots), called synchronously as soon as every row is in its slot: nothing
   * (another caller's rows arriving) can evict them in between.
   */
  async withSlots(idx, from, to, got, lookup) {
    const core = this.core;
    const { cache, stats, fetcher } = core;
    const slots = new Int32Array(to - from);
    cache.begin();
    let misses = cache.find(idx, from, to, slots);
    stats.cacheHits += to - from - misses;
    stats.cacheMisses += misses;
    while (misses > 0) {
      // Rows this call fetched go in from its own bytes (another caller's rows may have
      // evicted them meanwhile); the others are fetched (again).
      let wanted = null;
      for (let i = from; i < to; ++i) {
        if (slots[i - from] >= 0) continue;
        const bytes = got.get(idx[i]);
        if (bytes !== undefined) slots[i - from] = cache.install(idx[i], bytes);
        else (wanted ??= new Set()).add(idx[i]);
      }
      if (wanted === null) break;
      const rows = [...wanted];
      const bytes = await Promise.all(fetcher.want(rows));
      this.core; // rethrows a change seen meanwhile
      rows.forEach((row, k) => got.set(row, bytes[k]));
      cache.begin();
      misses = cache.find(idx, from, to, slots);
    }
    return lookup(slots);
  }

  /**
   * The whole table as an ordinary Embedding or EmbeddingBag (its tensor's bytes in one
   * request, of this version); onProgress(loadedBytes, totalBytes) as they arrive.
   */
  async load({ onProgress } = {}) {
    const core = this.core;
    const { info, client, cls, full } = core;
    if (onProgress !== undefined && typeof onProgress !== 'function') throw new TypeError(`onProgress must be a function, got ${describe(onProgress)}`);
    const total = info.dataEnd - info.dataBegin;
    let bytes;
    if (full) bytes = full.subarray(info.dataBegin, info.dataEnd);
    else if (total === 0) bytes = new Uint8Array(0);
    else bytes = (await client.get([[info.dataBegin, info.dataEnd]], { onProgress: onProgress && ((n) => onProgress(n, total)) })).ranges[0];
    this.core;
    const options = {
      ...(core.pad !== null && { paddingIdx: core.pad }),
      ...(core.isBag && { mode: core.mode, includeLastOffset: core.includeLastOffset }),
    };
    if (info.storage !== 'float32') return cls.fromQuantized(bytes, { ...options, storage: info.storage, numEmbeddings: info.rows, embeddingDim: info.dim });
    const data = info.dtype === 'F32' && bytes.byteOffset % 4 === 0
      ? new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4)
      : decode(dtypeNamed.get(info.dtype), bytes, info.rows * info.dim);
    const table = cls.fromPretrained(data, { ...options, embeddingDim: info.dim });
    onProgress?.(total, total);
    return table;
  }

  /** Frees the cache; requests on their way are aborted and their lookups reject. Idempotent. */
  dispose() {
    const core = this.#core;
    if (core === null) return;
    this.#core = null;
    const err = new Error(`${this.constructor.name} has been disposed`);
    core.signal?.removeEventListener('abort', core.onAbort);
    core.lifetime.abort(err);
    core.fetcher.failAll(err);
    core.cache.dispose();
    core.store?.close().catch(() => {});
  }
}

/** indices as readIndices reads them, every one checked against rows (typed arrays too). */
function checkedIndices(indices, rows) {
  return checkRange(readIndices(indices, rows), indices, rows);
}

// Throws Embedding.forward's RangeError for the first index of idx outside [0, rows).
function checkRange(idx, indices, rows) {
  const v = idx.int32;
  for (let i = 0; i < idx.n; ++i) if (!(v[i] >= 0 && v[i] < rows)) throw outOfRange(indices, idx.values[i], i, rows);
  return idx;
}

// Distinct rows of int32[0 : n) that are not cached.
function missingRows(cache, int32, n) {
  const seen = new Set();
  for (let i = 0; i < n; ++i) if (cache.slotOf(int32[i]) < 0) seen.add(int32[i]);
  return [...seen];
}

// Pieces of a lookup that each need at most `limit` distinct rows (the cache's slots): units
// [u0, u1) of rows [start(u0), start(u1)) (a unit is one index, or one bag). Null when one unit
// alone needs more. A lookup of at most `limit` indices is one piece.
function pieces(int32, units, start, limit) {
  if (start(units) <= limit) return [[0, units]];
  const out = [];
  let from = 0;
  let seen = new Set();
  for (let u = 0; u < units; ++u) {
    const unit = new Set();
    for (let i = start(u); i < start(u + 1); ++i) unit.add(int32[i]);
    if (unit.size > limit) return null;
    let added = 0;
    for (const row of unit) if (!seen.has(row)) ++added;
    if (seen.size + added > limit) {
      out.push([from, u]);
      from = u;
      seen = unit;
    } else {
      for (const row of unit) seen.add(row);
    }
  }
  out.push([from, units]);
  return out;
}

export class RemoteEmbedding extends RemoteTable {
  #slots = new Int32Array(0);

  /**
   * The rows of indices, as Embedding.forward gives them for the whole table.
   * @returns {Promise<Float32Array>}
   */
  forward(indices, out) {
    // Not async: when every row is cached the lookup runs now and costs one settled promise.
    try {
      const core = this.core;
      const { info, cache, stats } = core;
      const idx = readIndices(indices, info.rows); // typed arrays' ranges: checked by find (or below)
      const dim = info.dim;
      const size = idx.n * dim;
      if (out !== undefined && !(out instanceof Float32Array && out.length === size)) {
        throw new TypeError(`out must be a Float32Array of length ${size}, got ${describe(out)}${out?.length !== undefined ? ` of length ${out.length}` : ''}`);
      }
      const limit = Math.max(cache.capacity - (core.pad === null ? 0 : 1), 1);
      if (idx.n <= limit) {
        // The slot indices of the last lookup of this size are reused: the lookup is synchronous.
        if (this.#slots.length !== idx.n) this.#slots = new Int32Array(idx.n);
        const slots = this.#slots;
        cache.begin();
        const misses = cache.find(idx.int32, 0, idx.n, slots);
        if (misses < 0) throw outOfRange(indices, idx.values[-1 - misses], -1 - misses, info.rows);
        if (misses === 0) {
          stats.cacheHits += idx.n;
          return Promise.resolve(cache.table.forward(slots, out));
        }
      } else {
        checkRange(idx, indices, info.rows);
      }
      return this.#forwardFetching(idx, out, size, limit);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async #forwardFetching(idx, out, size, limit) {
    const { info, cache } = this.core;
    const dim = info.dim;
    const parts = pieces(idx.int32, idx.n, (u) => u, limit);
    const got = new Map();
    let result = out;
    for (const [from, to] of parts) {
      if (parts.length === 1) return this.withSlots(idx.int32, from, to, got, (slots) => cache.table.forward(slots, out));
      result ??= new Float32Array(size);
      await this.withSlots(idx.int32, from, to, got, (slots) => cache.table.forward(slots, result.subarray(from * dim, to * dim)));
    }
    return result ?? new Float32Array(0);
  }

  /** One row, as forward([index]). */
  async lookup(index) {
    if (!Number.isInteger(index)) throw new TypeError(`index ${describe(index)} is not an integer`);
    return this.forward([index]);
  }
}

export class RemoteEmbeddingBag extends RemoteTable {
  #mode = null;
  #includeLastOffset = null;
  constructor(core) {
    super(core);
    this.#mode = core.mode;
    this.#includeLastOffset = core.includeLastOffset;
  }

  get mode() { return this.#mode; }
  get includeLastOffset() { return this.#includeLastOffset; }

  /**
   * Pools bags of rows as EmbeddingBag.forward does for the whole table.
   * @returns {Promise<Float32Array>} numBags * embeddingDim values
   */
  async forward(indices, offsets, perSampleWeights) {
    const core = this.core;
    const { info, cache } = core;
    const { idx, csr, numBags, weights } = readBags(core, indices, offsets, perSampleWeights);
    const dim = info.dim;
    const limit = Math.max(cache.capacity - (core.pad === null ? 0 : 1), 1);
    const parts = pieces(idx.int32, numBags, (b) => csr[b], limit);
    if (parts === null) {
      throw new RangeError(`a bag holds more distinct rows than the cache (cacheBytes) has room for (${limit} rows): open the table with a larger cacheBytes`);
    }
    const got = new Map();
    let result = null;
    for (const [b0, b1] of parts) {
      const from = csr[b0];
      const to = csr[b1];
      // The piece's bags, offsets as the slot table (of the same includeLastOffset) reads them.
      const local = Array.from(csr.subarray(b0, core.includeLastOffset ? b1 + 1 : b1), (o) => o - from);
      const w = weights ? weights.slice(from, to) : undefined;
      const values = await this.withSlots(idx.int32, from, to, got, (slots) => cache.table.forward(slots, local, w));
      if (parts.length === 1) return values;
      result ??= new Float32Array(numBags * dim);
      result.set(values, b0 * dim);
    }
    return result ?? new Float32Array(0);
  }
}

// EmbeddingBag.forward's checks, with its messages: the cache's bag table reads the bags (its
// mode and offsets are this table's), the indices checked against the remote rows.
function readBags(core, indices, offsets, perSampleWeights) {
  return core.cache.table[host.kReadBags](indices, offsets, perSampleWeights, (values) => checkedIndices(values, core.info.rows));
}
