// What Embedding and EmbeddingBag share: the wasm table, its options, its gradient, ownership.
// The symbols below are the package's internal protocol between tables, optimizers and batches.
// A table holds float32 rows (emb::Embedding), or is compressed (emb::PackedTable, storage.js):
// frozen, its lookups dequantising; both handles answer the lookup calls by the same names.
import { checkBoolean, checkOptions, checkSize, describe } from './check.js';
import { disposable, requireRuntime, scratch } from './runtime.js';
import { analogy, nearest } from './nearest.js';
import { buildIndex, loadIndex } from './ann.js';
import { kSafetensorsTensor, tableFromSafetensors } from './io/safetensors.js';
import { allocatePacked, checkStorage, packedTensor, rowBytes, whyUnrepresentable } from './storage.js';

export const kCore = Symbol('wasm-embedding core'); // { rt, handle } of a live table, for subclasses and optimizers
export const kPretrained = Symbol('pretrained weights');
export const kCopyRows = Symbol('copy rows in JS');
export const kStepped = Symbol('stepped by an optimizer');
export const kRawWeights = Symbol('weights as stored'); // checkpoints: rows that owe lazy updates stay as they are
export const kTrainable = Symbol('check the table can be trained');
const kPacked = Symbol('compressed rows'); // { handle: a filled PackedTable, storage }
export const leakGuard = new FinalizationRegistry((handle) => handle.delete());
export const TABLE_OPTIONS = ['paddingIdx', 'maxNorm', 'normType', 'scaleGradByFreq', 'seed'];
// The options a compressed table keeps (the rest concern training or renormalisation).
const PACKED_OPTIONS = ['paddingIdx', 'mode', 'includeLastOffset'];
const DEQUANTIZE_PIECE_ROWS = 4096;

function randomSeed() {
  if (globalThis.crypto?.getRandomValues) {
    const [hi, lo] = globalThis.crypto.getRandomValues(new Uint32Array(2));
    return (hi & 0x1fffff) * 2 ** 32 + lo;
  }
  return Math.floor(Math.random() * Number.MAX_SAFE_INTEGER);
}

/**
 * A compressed table of class cls (Embedding or EmbeddingBag) around a filled PackedTable, which
 * it then owns (freed if the table cannot be made: options are checked as the constructor does).
 */
export function adoptPacked(cls, rows, dim, options, handle, storage) {
  try {
    return new cls(rows, dim, options, { [kPacked]: { handle, storage } });
  } catch (err) {
    handle.delete();
    throw err;
  }
}

export class Table {
  #rows;
  #dim;
  #paddingIdx;
  #maxNorm;
  #normType;
  #scaleGradByFreq;
  #requiresGrad = true;
  #weightAt; // HEAPF32 index of the table (fixed: the table is never reallocated)
  #stepped = false; // an optimizer stepped it since its last full catch-up: rows may owe updates
  #storage = 'float32';
  #core = null; // { rt, handle }: the runtime and the wasm table, while live

  constructor(numEmbeddings, embeddingDim, options, allowed, pretrained) {
    const rt = requireRuntime();
    const name = new.target.name;
    if (new.target === Table) throw new TypeError('Table is the shared base class: create an Embedding or an EmbeddingBag');
    checkSize(numEmbeddings, 'numEmbeddings');
    checkSize(embeddingDim, 'embeddingDim');
    const isPretrained = pretrained?.[kPretrained] !== undefined;
    const packed = pretrained?.[kPacked];
    const names = packed ? allowed.filter((k) => PACKED_OPTIONS.includes(k)) : isPretrained ? allowed.filter((k) => k !== 'seed') : allowed;
    checkOptions(options, names, `${name} options`);
    const { paddingIdx = null, maxNorm = null, normType = 2, scaleGradByFreq = false, seed } = options;
    if (paddingIdx !== null && !(Number.isInteger(paddingIdx) && paddingIdx >= -numEmbeddings && paddingIdx < numEmbeddings)) {
      throw new RangeError(`paddingIdx must be null or an integer in [${-numEmbeddings}, ${numEmbeddings - 1}], got ${describe(paddingIdx)}`);
    }
    if (maxNorm !== null && !(typeof maxNorm === 'number' && maxNorm >= 0 && Number.isFinite(maxNorm))) {
      throw new RangeError(`maxNorm must be null or a finite number >= 0, got ${describe(maxNorm)}`);
    }
    if (!(typeof normType === 'number' && normType >= 0)) {
      throw new RangeError(`normType must be a number >= 0 (Infinity allowed), got ${describe(normType)}`);
    }
    checkBoolean(scaleGradByFreq, 'scaleGradByFreq');
    if (seed !== undefined && !(Number.isSafeInteger(seed) && seed >= 0)) {
      throw new RangeError(`seed must be a non-negative safe integer, got ${describe(seed)}`);
    }

    this.#rows = numEmbeddings;
    this.#dim = embeddingDim;
    this.#paddingIdx = paddingIdx === null ? null : paddingIdx < 0 ? paddingIdx + numEmbeddings : paddingIdx;
    this.#maxNorm = maxNorm;
    this.#normType = normType;
    this.#scaleGradByFreq = scaleGradByFreq;
    if (packed) {
      this.#core = { rt, handle: packed.handle };
      this.#storage = packed.storage;
      this.#requiresGrad = false;
      packed.handle.setPaddingIdx(this.#paddingIdx ?? -1);
      leakGuard.register(this, packed.handle, this);
      return;
    }
    // Pretrained weights: a Float32Array to copy in, or a function that gives the fresh handle
    // its table (a parser's, written in place) and returns true.
    const source = pretrained?.[kPretrained];
    // The wasm emb::Embedding: an Embind handle (bindings/embind/table.cc; ptr 0 when memory ran out).
    const handle = new rt.m.Table();
    if (!handle.ptr || !(typeof source === 'function' ? source(handle) : handle.allocate(numEmbeddings, embeddingDim))) {
      handle.delete();
      throw new RangeError(`wasm-embedding: out of memory for a ${numEmbeddings} x ${embeddingDim} table (${numEmbeddings * embeddingDim * 4} bytes)`);
    }
    this.#core = { rt, handle };
    this.#weightAt = handle.weightPtr() >>> 2;
    handle.setOptions(this.#paddingIdx ?? -1, maxNorm !== null, maxNorm ?? 0, normType, scaleGradByFreq);
    leakGuard.register(this, handle, this);
    if (source instanceof Float32Array) rt.m.HEAPF32.set(source, this.#weightAt);
    else if (!isPretrained) handle.initNormal(seed ?? randomSeed());
  }

  /**
   * A frozen copy of this table in a compressed storage (FBGEMM's row-wise int8 / int4, or
   * float16), keeping paddingIdx (and a bag's mode). Lookups dequantise to float32.
   * @param {'float16' | 'int8' | 'int4'} storage
   */
  quantize(storage) {
    const { rt, handle } = this[kCore];
    const name = this.constructor.name;
    checkStorage(storage, 'quantize');
    if (this.#storage !== 'float32') throw new TypeError(`quantize: this ${name} is already stored as ${this.#storage}; quantize a float32 table`);
    if (this.#maxNorm !== null) {
      throw new TypeError(`quantize: this ${name} has maxNorm ${this.#maxNorm}, and renormalising looked-up rows needs a float32 table`);
    }
    handle.catchUpAll(); // rows owing lazy optimizer updates are quantized as updated
    this.#stepped = false;
    const rows = this.#rows;
    const dim = this.#dim;
    const packed = allocatePacked(rt, storage, rows, dim);
    const bad = packed.quantize(0, handle.weightPtr(), rows);
    if (bad >= 0) {
      packed.delete();
      const at = this.#weightAt + bad * dim;
      const why = whyUnrepresentable(storage, Array.from(rt.m.HEAPF32.subarray(at, at + dim)));
      throw new RangeError(`quantize('${storage}'): row ${bad} cannot be stored as ${storage}: ${why}`);
    }
    const options = Object.fromEntries(PACKED_OPTIONS.filter((k) => this.constructor.optionNames.includes(k)).map((k) => [k, this[k]]));
    return adoptPacked(this.constructor, rows, dim, options, packed, storage);
  }

  /**
   * A frozen table from packed rows as PyTorch writes them: embedding_bag_byte_prepack (int8),
   * embedding_bag_4bit_prepack (int4) or a float16 tensor's bytes (float16), row-major.
   * @param {Uint8Array | ArrayBuffer | ArrayBufferView} bytes numEmbeddings rows of the storage's row size
   * @param {object} options storage, numEmbeddings, embeddingDim; paddingIdx (and a bag's mode, includeLastOffset)
   */
  static fromQuantized(bytes, options) {
    const rt = requireRuntime();
    if (this === Table) throw new TypeError('Table is the shared base class: use Embedding.fromQuantized or EmbeddingBag.fromQuantized');
    const tableOptions = this.optionNames.filter((k) => PACKED_OPTIONS.includes(k));
    checkOptions(options, ['storage', 'numEmbeddings', 'embeddingDim', ...tableOptions], 'fromQuantized options');
    const { storage, numEmbeddings, embeddingDim, ...rest } = options;
    checkStorage(storage, 'fromQuantized');
    checkSize(numEmbeddings, 'numEmbeddings');
    checkSize(embeddingDim, 'embeddingDim');
    let data;
    if (bytes instanceof ArrayBuffer) data = new Uint8Array(bytes);
    else if (ArrayBuffer.isView(bytes)) data = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    else throw new TypeError(`fromQuantized: bytes must be a Uint8Array or an ArrayBuffer, got ${describe(bytes)}`);
    const perRow = rowBytes(storage, embeddingDim);
    if (data.length !== numEmbeddings * perRow) {
      throw new RangeError(`fromQuantized: ${numEmbeddings} ${storage} rows of dim ${embeddingDim} take ${numEmbeddings * perRow} bytes (${perRow} a row), got ${data.length}`);
    }
    const packed = allocatePacked(rt, storage, numEmbeddings, embeddingDim);
    rt.m.HEAPU8.set(data, packed.dataPtr());
    const bad = packed.firstInvalidRow();
    if (bad >= 0) {
      packed.delete();
      const what = storage === 'float16' ? 'an infinity or a NaN' : `a scale or bias that is not a finite number`;
      throw new RangeError(`fromQuantized: row ${bad} (bytes ${bad * perRow} to ${(bad + 1) * perRow - 1}) holds ${what}`);
    }
    return adoptPacked(this, numEmbeddings, embeddingDim, rest, packed, storage);
  }

  /** 'float32', or the compressed storage ('float16', 'int8', 'int4'). */
  get storage() { return this.#storage; }
  /** Bytes of the stored rows: what is saved and shipped. */
  get byteLength() {
    return this.#storage === 'float32' ? this.#rows * this.#dim * 4 : this[kCore].handle.byteLength();
  }

  /** This table as saveSafetensors writes it: F32 [rows, dim], or a compressed table's rows as stored. */
  [kSafetensorsTensor](name) {
    if (this.#storage === 'float32') return { dtype: 'F32', shape: [this.#rows, this.#dim], data: this.weight };
    const { rt, handle } = this[kCore];
    const at = handle.dataPtr();
    return packedTensor(this.#storage, this.#rows, this.#dim, rt.m.HEAPU8.slice(at, at + handle.byteLength()), name);
  }

  /** Throws unless backward() (`what`) may run: compressed and frozen tables refuse it. */
  [kTrainable](what) {
    const name = this.constructor.name;
    if (this.#storage !== 'float32') {
      throw new TypeError(`${what}: this ${name} is stored as ${this.#storage}, and compressed tables are frozen (train the float32 table, then quantize it)`);
    }
    if (!this.#requiresGrad) throw new Error(`${what}: this ${name} is frozen (requiresGrad is false)`);
  }

  /**
   * A table holding the given weights (not re-initialised; the padding row is kept as given).
   * @param {Float32Array | number[][]} weights row-major Float32Array (then embeddingDim is required) or rows
   * @param {object} [options] embeddingDim, freeze (default true), and the constructor's options but seed
   */
  static fromPretrained(weights, options = {}) {
    requireRuntime();
    if (this === Table) throw new TypeError('Table is the shared base class: use Embedding.fromPretrained or EmbeddingBag.fromPretrained');
    checkOptions(options, ['embeddingDim', 'freeze', ...this.optionNames.filter((k) => k !== 'seed')], 'fromPretrained options');
    const { embeddingDim, freeze = true, ...rest } = options;
    checkBoolean(freeze, 'freeze');
    let rows;
    let dim;
    let data;
    if (weights instanceof Float32Array) {
      checkSize(embeddingDim, 'embeddingDim');
      if (embeddingDim === 0 ? weights.length !== 0 : weights.length % embeddingDim !== 0) {
        throw new TypeError(`weights has ${weights.length} values, not a multiple of embeddingDim ${embeddingDim}`);
      }
      dim = embeddingDim;
      rows = dim === 0 ? 0 : weights.length / dim;
      data = weights;
    } else if (Array.isArray(weights) && weights.length > 0 && weights.every(Array.isArray)) {
      rows = weights.length;
      dim = weights[0].length;
      if (embeddingDim !== undefined && embeddingDim !== dim) {
        throw new TypeError(`embeddingDim ${describe(embeddingDim)} does not match the rows' length ${dim}`);
      }
      data = new Float32Array(rows * dim);
      weights.forEach((row, r) => {
        if (row.length !== dim) throw new TypeError(`weights row ${r} has ${row.length} values, expected ${dim} like row 0`);
        row.forEach((v, j) => {
          if (typeof v !== 'number') throw new TypeError(`weights[${r}][${j}] is ${describe(v)}, not a number`);
        });
        data.set(row, r * dim);
      });
    } else {
      throw new TypeError(`weights must be a Float32Array (with embeddingDim) or a non-empty array of rows, got ${describe(weights)}`);
    }
    const table = new this(rows, dim, rest, { [kPretrained]: data });
    table.requiresGrad = !freeze;
    return table;
  }

  /**
   * A table holding tensor `name` of a safetensors file (F32, F16 or BF16, 2-D: [numEmbeddings,
   * embeddingDim]; F16 and BF16 widened exactly), or the compressed table its __metadata__
   * names ("<name>.storage", "<name>.embedding_dim": what saveSafetensors writes for one).
   * @param {Uint8Array | ArrayBuffer} bytes the file
   * @param {string} [name] default 'weight'
   * @param {object} [options] those of fromPretrained but embeddingDim
   */
  static fromSafetensors(bytes, name = 'weight', options = {}) {
    requireRuntime();
    if (this === Table) throw new TypeError('Table is the shared base class: use Embedding.fromSafetensors or EmbeddingBag.fromSafetensors');
    return tableFromSafetensors(this, bytes, name, options);
  }

  /**
   * Copies rows int32[0 : n) into result straight from the table, without calling into wasm,
   * when nothing has to happen first (no maxNorm renormalisation, no optimizer updates owed).
   * Checks every index before copying. Returns false (doing nothing) when it cannot.
   */
  [kCopyRows](int32, n, result) {
    if (this.#maxNorm !== null || this.#stepped || this.#storage !== 'float32') return false;
    const rows = this.#rows;
    for (let i = 0; i < n; ++i) if (!(int32[i] >= 0 && int32[i] < rows)) return false;
    const heap = this.#core.rt.m.HEAPF32;
    const dim = this.#dim;
    for (let i = 0; i < n; ++i) {
      const at = this.#weightAt + int32[i] * dim;
      result.set(heap.subarray(at, at + dim), i * dim);
    }
    return true;
  }

  /** A copy of the table as it is stored, without the updates lazy optimizers still owe its rows. */
  [kRawWeights]() {
    const { rt } = this[kCore];
    return rt.m.HEAPF32.slice(this.#weightAt, this.#weightAt + this.#rows * this.#dim);
  }

  /** Called by optimizers as they step the table. */
  [kStepped]() {
    this.#stepped = true;
  }

  /** The live wasm table and its runtime; throws once disposed. */
  get [kCore]() {
    if (this.#core === null) throw new Error(`${this.constructor.name} has been disposed`);
    return this.#core;
  }

  get numEmbeddings() { return this.#rows; }
  get embeddingDim() { return this.#dim; }
  /** The padding index, normalised to >= 0, or null. */
  get paddingIdx() { return this.#paddingIdx; }
  get maxNorm() { return this.#maxNorm; }
  get normType() { return this.#normType; }
  get scaleGradByFreq() { return this.#scaleGradByFreq; }
  get requiresGrad() { return this.#requiresGrad; }
  set requiresGrad(value) {
    checkBoolean(value, 'requiresGrad');
    if (value && this.#storage !== 'float32') this[kTrainable]('requiresGrad = true');
    this.#requiresGrad = value;
  }
  /** True once dispose() has run. */
  get disposed() { return this.#core === null; }

  /** The accumulated gradient: sorted unique rows and their values, or null before any backward(). */
  get grad() {
    const { rt, handle } = this[kCore];
    if (this.#storage !== 'float32' || !handle.gradPresent()) return null;
    handle.coalesceGrad();
    const count = handle.gradCount();
    const rowsAt = handle.gradRowsPtr() >>> 2;
    const valuesAt = handle.gradValuesPtr() >>> 2;
    return {
      indices: rt.m.HEAP32.slice(rowsAt, rowsAt + count),
      values: rt.m.HEAPF32.slice(valuesAt, valuesAt + count * this.#dim),
    };
  }

  /** The gradient as a dense numEmbeddings x embeddingDim array (zeros where none). */
  denseGrad() {
    const dense = new Float32Array(this.#rows * this.#dim);
    const grad = this.grad;
    if (grad !== null) {
      grad.indices.forEach((row, k) => dense.set(grad.values.subarray(k * this.#dim, (k + 1) * this.#dim), row * this.#dim));
    }
    return dense;
  }

  /** Zeroes the gradient (as torch 1.13's zero_grad(): a gradient that was there stays, as zeros). */
  zeroGrad() {
    const { handle } = this[kCore];
    if (this.#storage === 'float32') handle.zeroGrad(); // a compressed table never has one
  }

  /**
   * A copy of the whole table, row-major (after any update a lazy optimizer still owes it; a
   * compressed table's rows dequantised).
   */
  get weight() {
    const { rt, handle } = this[kCore];
    if (this.#storage !== 'float32') return this.#dequantized(rt, handle);
    handle.catchUpAll();
    this.#stepped = false;
    return rt.m.HEAPF32.slice(this.#weightAt, this.#weightAt + this.#rows * this.#dim);
  }

  // A compressed table's rows as float32, gathered in pieces through the scratch region.
  #dequantized(rt, handle) {
    const dim = this.#dim;
    const out = new Float32Array(this.#rows * dim);
    const piece = Math.min(this.#rows, DEQUANTIZE_PIECE_ROWS);
    const rowsPtr = scratch(rt, 4 * piece * (dim + 1));
    const idxPtr = rowsPtr + 4 * piece * dim;
    for (let start = 0; start < this.#rows; start += piece) {
      const count = Math.min(piece, this.#rows - start);
      const idx = rt.m.HEAP32.subarray(idxPtr >>> 2, (idxPtr >>> 2) + count);
      for (let i = 0; i < count; ++i) idx[i] = start + i;
      handle.gather(idxPtr, count, rowsPtr);
      out.set(rt.m.HEAPF32.subarray(rowsPtr >>> 2, (rowsPtr >>> 2) + count * dim), start * dim);
    }
    return out;
  }

  /** Replaces the whole table. @param {Float32Array} weights row-major, numEmbeddings * embeddingDim values */
  setWeight(weights) {
    const { rt, handle } = this[kCore];
    if (this.#storage !== 'float32') {
      throw new TypeError(`setWeight: this ${this.constructor.name} is stored as ${this.#storage}, and compressed tables are frozen (quantize a float32 table instead)`);
    }
    if (!(weights instanceof Float32Array)) throw new TypeError(`setWeight expects a Float32Array, got ${describe(weights)}`);
    if (weights.length !== this.#rows * this.#dim) {
      throw new TypeError(`setWeight expects ${this.#rows * this.#dim} values (${this.#rows} x ${this.#dim}), got ${weights.length}`);
    }
    handle.catchUpAll(); // settle optimizer state (momentum buffers) as of the old weights
    this.#stepped = false;
    rt.m.HEAPF32.set(weights, this.#weightAt);
    handle.allRowsChanged(); // the row norms cosine search caches
  }

  /**
   * The k rows nearest to the query, best first; equal scores go to the lower row; the padding
   * row is never returned; slots no row qualifies for hold index -1 and score NaN.
   * @param {number | Float32Array | Int32Array} query a row (left out of its own results), m vectors
   *   (m * embeddingDim values), or m rows (each left out of its own results)
   * @param {number} k
   * @param {{ metric?: 'cosine' | 'dot' | 'l2', exclude?: number[] | Int32Array }} [options] l2 scores are distances, smallest first
   * @returns {{ indices: Int32Array, scores: Float32Array }} m * k entries
   */
  nearest(query, k, options) {
    return nearest(this, query, k, options);
  }

  /** "a is to b as c is to ?": gensim's most_similar(positive=[b, c], negative=[a]); a, b, c left out. */
  analogy(a, b, c, k = 10) {
    return analogy(this, a, b, c, k);
  }

  /**
   * An approximate nearest-neighbour index over the rows (docs/approximate-search.md), built in
   * steps that yield to the event loop. Searching it throws once the table changes.
   * @param {{ metric?: 'cosine' | 'dot' | 'l2', onProgress?: (fraction: number) => void, signal?: AbortSignal,
   *   seed?: number, lists?: number, sample?: number, iterations?: number, nprobe?: number }} [options]
   * @returns {Promise<import('./ann.js').AnnIndex>}
   */
  buildIndex(options) {
    return buildIndex(this, options);
  }

  /** The index that index.save() wrote for this table; an Error for another table's or a bad file. */
  loadIndex(bytes) {
    return loadIndex(this, bytes);
  }

  /** Frees the table's wasm memory (and its optimizer state). Idempotent; any later use throws. */
  dispose() {
    if (this.#core === null) return;
    leakGuard.unregister(this);
    this.#core.handle.delete();
    this.#core = null;
  }
}

disposable(Table);
