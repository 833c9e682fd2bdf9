// What Embedding and EmbeddingBag share: the wasm table, its options, its gradient, ownership.
// The symbols below are the package's internal protocol between tables, optimizers and batches.
import { checkBoolean, checkOptions, checkSize, describe } from './check.js';
import { disposable, requireRuntime } from './runtime.js';
import { analogy, nearest } from './nearest.js';
import { tableFromSafetensors } from './io/safetensors.js';

export const kCore = Symbol('wasm-embedding core'); // { rt, handle } of a live table, for subclasses and optimizers
export const kPretrained = Symbol('pretrained weights');
export const kCopyRows = Symbol('copy rows in JS');
export const kStepped = Symbol('stepped by an optimizer');
export const kRawWeights = Symbol('weights as stored'); // checkpoints: rows that owe lazy updates stay as they are
export const leakGuard = new FinalizationRegistry((handle) => handle.delete());
export const TABLE_OPTIONS = ['paddingIdx', 'maxNorm', 'normType', 'scaleGradByFreq', 'seed'];

function randomSeed() {
  if (globalThis.crypto?.getRandomValues) {
    const [hi, lo] = globalThis.crypto.getRandomValues(new Uint32Array(2));
    return (hi & 0x1fffff) * 2 ** 32 + lo;
  }
  return Math.floor(Math.random() * Number.MAX_SAFE_INTEGER);
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
  #core = null; // { rt, handle }: the runtime and the wasm table, while live

  constructor(numEmbeddings, embeddingDim, options, allowed, pretrained) {
    const rt = requireRuntime();
    const name = new.target.name;
    if (new.target === Table) throw new TypeError('Table is the shared base class: create an Embedding or an EmbeddingBag');
    checkSize(numEmbeddings, 'numEmbeddings');
    checkSize(embeddingDim, 'embeddingDim');
    const isPretrained = pretrained?.[kPretrained] !== undefined;
    checkOptions(options, isPretrained ? allowed.filter((k) => k !== 'seed') : allowed, `${name} options`);
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

    // Pretrained weights: a Float32Array to copy in, or a function that gives the fresh handle
    // its table (a parser's, written in place) and returns true.
    const source = pretrained?.[kPretrained];
    const handle = new rt.m.Embedding();
    if (!(typeof source === 'function' ? source(handle) : handle.allocate(numEmbeddings, embeddingDim))) {
      handle.delete();
      throw new RangeError(`wasm-embedding: out of memory for a ${numEmbeddings} x ${embeddingDim} table (${numEmbeddings * embeddingDim * 4} bytes)`);
    }
    this.#core = { rt, handle };
    this.#rows = numEmbeddings;
    this.#dim = embeddingDim;
    this.#paddingIdx = paddingIdx === null ? null : paddingIdx < 0 ? paddingIdx + numEmbeddings : paddingIdx;
    this.#maxNorm = maxNorm;
    this.#normType = normType;
    this.#scaleGradByFreq = scaleGradByFreq;
    this.#weightAt = handle.weightPtr() >>> 2;
    handle.setOptions(this.#paddingIdx ?? -1, maxNorm !== null, maxNorm ?? 0, normType, scaleGradByFreq);
    leakGuard.register(this, handle, this);
    if (source instanceof Float32Array) rt.m.HEAPF32.set(source, this.#weightAt);
    else if (!isPretrained) handle.initNormal(seed ?? randomSeed());
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
   * embeddingDim]; F16 and BF16 widened exactly).
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
    if (this.#maxNorm !== null || this.#stepped) return false;
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
    this.#requiresGrad = value;
  }
  /** True once dispose() has run. */
  get disposed() { return this.#core === null; }

  /** The accumulated gradient: sorted unique rows and their values, or null before any backward(). */
  get grad() {
    const { rt, handle } = this[kCore];
    if (!handle.gradPresent()) return null;
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
    this[kCore].handle.zeroGrad();
  }

  /** A copy of the whole table, row-major (after any update a lazy optimizer still owes it). */
  get weight() {
    const { rt, handle } = this[kCore];
    handle.catchUpAll();
    this.#stepped = false;
    return rt.m.HEAPF32.slice(this.#weightAt, this.#weightAt + this.#rows * this.#dim);
  }

  /** Replaces the whole table. @param {Float32Array} weights row-major, numEmbeddings * embeddingDim values */
  setWeight(weights) {
    const { rt, handle } = this[kCore];
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

  /** Frees the table's wasm memory (and its optimizer state). Idempotent; any later use throws. */
  dispose() {
    if (this.#core === null) return;
    leakGuard.unregister(this);
    this.#core.handle.delete();
    this.#core = null;
  }
}

disposable(Table);
