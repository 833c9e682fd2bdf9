// wasm-embedding: the public API (shared/API.md). This layer owns validation, error messages
// and memory; the wasm core (bindings/embind.cc) stays thin and trusts what it is given.
export const version = '0.1.0';

// A module using one SIMD128 instruction (i8x16.splat): valid only where wasm SIMD is supported.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 9, 1, 7, 0, 65, 0, 253, 15, 26, 11,
]);
// The two builds share one JS glue (scripts/build.sh checks that their glue is the same).
const WASM_FILES = { simd: 'embedding.wasm', scalar: 'embedding-scalar.wasm' };
const isNode = typeof process !== 'undefined' && process.versions != null && process.versions.node != null;

let active = null; // the Runtime that new objects use
const loaded = new Map(); // build name -> Promise<Runtime>, for the default .wasm of each build

/** True where this engine validates wasm SIMD128. */
export function simdSupported() {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

/**
 * Loads the wasm module. Idempotent; call it again with other options to switch builds
 * (objects keep the build they were created with).
 * @param {{ simd?: boolean, wasm?: string | URL | ArrayBuffer | ArrayBufferView }} [options]
 */
export async function init(options = {}) {
  checkOptions(options, ['simd', 'wasm'], 'init options');
  const { simd = simdSupported(), wasm } = options;
  if (typeof simd !== 'boolean') throw new TypeError(`init: simd must be a boolean, got ${describe(simd)}`);
  if (simd && !simdSupported()) throw new Error('init: this engine does not support WebAssembly SIMD; use init({ simd: false })');
  const build = simd ? 'simd' : 'scalar';
  let runtime;
  if (wasm === undefined) {
    if (!loaded.has(build)) loaded.set(build, loadRuntime(build, undefined));
    try {
      runtime = await loaded.get(build);
    } catch (err) {
      loaded.delete(build); // let a later init() try again
      throw err;
    }
  } else {
    runtime = await loadRuntime(build, wasm);
  }
  active = runtime;
  return { simd: runtime.simd, version };
}

/** Bytes of wasm memory: its current size, and how much of it malloc has handed out. */
export function memoryUsage() {
  const rt = requireRuntime();
  return { wasmMemoryBytes: rt.m.HEAPU8.length, heapInUseBytes: rt.m.heapInUse() };
}

async function loadRuntime(build, wasm) {
  const { default: createModule } = await import('./embedding.js');
  const moduleArgs = {};
  if (wasm === undefined) {
    const url = new URL(WASM_FILES[build], import.meta.url);
    if (isNode) moduleArgs.wasmBinary = await readFileURL(url);
    else moduleArgs.locateFile = () => url.href;
  } else if (wasm instanceof ArrayBuffer || ArrayBuffer.isView(wasm)) {
    moduleArgs.wasmBinary = wasm instanceof ArrayBuffer ? new Uint8Array(wasm) : new Uint8Array(wasm.buffer, wasm.byteOffset, wasm.byteLength);
  } else if (typeof wasm === 'string' || wasm instanceof URL) {
    const url = new URL(String(wasm), isNode ? `file://${process.cwd()}/` : globalThis.location?.href);
    if (url.protocol === 'file:') moduleArgs.wasmBinary = await readFileURL(url);
    else moduleArgs.locateFile = () => url.href;
  } else {
    throw new TypeError(`init: wasm must be a URL, a path or the module's bytes, got ${describe(wasm)}`);
  }
  const m = await createModule(moduleArgs);
  return { m, simd: build === 'simd', scratchRaw: 0, scratchPtr: 0, scratchBytes: 0 };
}

async function readFileURL(url) {
  const fsName = 'node:fs/promises'; // not a literal, so bundlers leave it alone
  const fs = await import(/* @vite-ignore */ /* webpackIgnore: true */ fsName);
  return new Uint8Array(await fs.readFile(url));
}

function requireRuntime() {
  if (active === null) throw new Error('wasm-embedding: call await init() first');
  return active;
}

// Allocates wasm memory starting on a 64-byte cache line (SIMD rows then never straddle one
// line more than they must). Returns { raw, at }: free raw, use at; at is 0 when out of memory.
function allocAligned(m, bytes) {
  const raw = bytes <= 2 ** 32 - 4096 - 64 ? m._malloc(bytes + 64) >>> 0 : 0; // beyond: _malloc's size would wrap
  return { raw, at: raw && alignUp(raw) };
}
const alignUp = (bytes) => Math.ceil(bytes / 64) * 64;

// One reusable region of wasm memory for inputs and outputs, grown when a call needs more; it
// starts on a cache line. It may move and memory may grow: callers read rt.m.HEAP* only after
// this returns.
function scratch(rt, bytes) {
  if (bytes > rt.scratchBytes) {
    const size = Math.max(bytes, 2 * rt.scratchBytes, 4096);
    if (rt.scratchRaw) rt.m._free(rt.scratchRaw);
    const { raw, at } = allocAligned(rt.m, size);
    Object.assign(rt, { scratchRaw: raw, scratchPtr: at, scratchBytes: raw ? size : 0 });
    if (!raw) throw new RangeError(`wasm-embedding: out of memory allocating ${bytes} bytes`);
  }
  return rt.scratchPtr;
}

// ---- validation helpers -------------------------------------------------------------------

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object') return `a ${value.constructor?.name ?? 'object'}`;
  if (typeof value === 'bigint') return `${value}n`;
  return String(value);
}

function checkOptions(options, allowed, what) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${what} must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) throw new TypeError(`${what}: unknown option '${key}' (allowed: ${allowed.join(', ')})`);
  }
}

function checkSize(value, name) {
  if (!Number.isInteger(value) || value < 0 || value > 0x7fffffff) {
    throw new RangeError(`${name} must be an integer in [0, 2147483647], got ${describe(value)}`);
  }
}

function checkBoolean(value, name) {
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${describe(value)}`);
}

// Position i of a (possibly nested) array of indices, written as [a][b] for nested input.
function positionOf(indices, i) {
  if (!Array.isArray(indices) || !indices.some(Array.isArray)) return `position ${i}`;
  const path = [];
  let remaining = i;
  const walk = (a) => {
    for (let k = 0; k < a.length; ++k) {
      if (Array.isArray(a[k])) {
        path.push(k);
        if (walk(a[k])) return true;
        path.pop();
      } else if (remaining-- === 0) {
        path.push(k);
        return true;
      }
    }
    return false;
  };
  walk(indices);
  return `position [${path.join('][')}] (flat ${i})`;
}

function outOfRange(indices, value, i, rows) {
  const valid = rows > 0 ? `[0, ${rows - 1}]` : 'none: the table has no rows';
  return new RangeError(`index ${value} at ${positionOf(indices, i)} is out of range (valid indices: ${valid})`);
}

// Converts user indices into { n, int32 (to write to wasm memory), values (the user's values,
// flattened, for messages) }.
// Plain numbers are range-checked here (an int32 write would wrap them); typed arrays are
// range-checked by the core, which reports the first bad position.
function readIndices(indices, rows, original = indices) {
  if (indices instanceof Int32Array) return { n: indices.length, int32: indices, values: indices };
  if (indices instanceof Uint32Array) {
    const view = new Int32Array(indices.buffer, indices.byteOffset, indices.length); // >= 2^31 turn negative: out of range
    return { n: indices.length, int32: view, values: indices };
  }
  if (typeof BigInt64Array !== 'undefined' && indices instanceof BigInt64Array) {
    const int32 = new Int32Array(indices.length);
    const limit = BigInt(rows);
    for (let i = 0; i < indices.length; ++i) {
      const v = indices[i];
      if (v < 0n || v >= limit) throw outOfRange(indices, v, i, rows);
      int32[i] = Number(v);
    }
    return { n: int32.length, int32, values: indices };
  }
  if (Array.isArray(indices)) {
    // Flat arrays are the common case: flatten only once a nested array shows up.
    const int32 = new Int32Array(indices.length);
    for (let i = 0; i < indices.length; ++i) {
      const v = indices[i];
      if (Array.isArray(v)) return readIndices(indices.flat(Infinity), rows, original);
      if (!Number.isInteger(v)) {
        throw new TypeError(`index ${describe(v)} at ${positionOf(original, i)} is not an integer`);
      }
      if (v < 0 || v >= rows) throw outOfRange(original, v, i, rows);
      int32[i] = v;
    }
    return { n: int32.length, int32, values: indices };
  }
  throw new TypeError(
    `indices must be an array of integers (nested arrays allowed), an Int32Array, a Uint32Array or a BigInt64Array, got ${describe(indices)}`,
  );
}

function readFloats(values, expected, name) {
  let data = values;
  if (Array.isArray(values)) data = values.some(Array.isArray) ? values.flat(Infinity) : values;
  else if (!(values instanceof Float32Array || values instanceof Float64Array)) {
    throw new TypeError(`${name} must be a Float32Array or an array of numbers, got ${describe(values)}`);
  }
  if (data.length !== expected) throw new TypeError(`${name} must have ${expected} values, got ${data.length}`);
  if (Array.isArray(data)) {
    const i = data.findIndex((v) => typeof v !== 'number');
    if (i >= 0) throw new TypeError(`${name} value ${describe(data[i])} at position ${i} is not a number`);
  }
  return data;
}

// ---- Tables: Embedding and EmbeddingBag ---------------------------------------------------

const kCore = Symbol('wasm-embedding core'); // { rt, handle } of a live table, for subclasses and optimizers
const kPretrained = Symbol('pretrained weights');
const kCopyRows = Symbol('copy rows in JS');
const kStepped = Symbol('stepped by an optimizer');
const leakGuard = new FinalizationRegistry((handle) => handle.delete());
const TABLE_OPTIONS = ['paddingIdx', 'maxNorm', 'normType', 'scaleGradByFreq', 'seed'];
const GATHER_PIECE_BYTES = 64 * 1024; // forward's copy-out piece: stays in L2 between gather and copy

function randomSeed() {
  if (globalThis.crypto?.getRandomValues) {
    const [hi, lo] = globalThis.crypto.getRandomValues(new Uint32Array(2));
    return (hi & 0x1fffff) * 2 ** 32 + lo;
  }
  return Math.floor(Math.random() * Number.MAX_SAFE_INTEGER);
}

// What Embedding and EmbeddingBag share: the wasm table, its options, its gradient, ownership.
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

    const handle = new rt.m.Embedding();
    if (!handle.allocate(numEmbeddings, embeddingDim)) {
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
    if (isPretrained) rt.m.HEAPF32.set(pretrained[kPretrained], this.#weightAt);
    else handle.initNormal(seed ?? randomSeed());
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

  /** The live wasm table and its runtime; throws once disposed. */
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

  /** Called by optimizers as they step the table. */
  [kStepped]() {
    this.#stepped = true;
  }

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
  }

  /** Frees the table's wasm memory (and its optimizer state). Idempotent; any later use throws. */
  dispose() {
    if (this.#core === null) return;
    leakGuard.unregister(this);
    this.#core.handle.delete();
    this.#core = null;
  }
}

export class Embedding extends Table {
  static optionNames = TABLE_OPTIONS;

  /**
   * A numEmbeddings x embeddingDim table, initialised from N(0, 1) (torch.nn.Embedding).
   * @param {number} numEmbeddings
   * @param {number} embeddingDim
   * @param {{ paddingIdx?: number|null, maxNorm?: number|null, normType?: number, scaleGradByFreq?: boolean, seed?: number }} [options]
   */
  constructor(numEmbeddings, embeddingDim, options = {}, pretrained = undefined) {
    super(numEmbeddings, embeddingDim, options, TABLE_OPTIONS, pretrained);
  }

  /**
   * Looks rows up: row i of the result is the table row indices[i] (after max-norm renormalisation).
   * @param {number[] | number[][] | Int32Array | Uint32Array | BigInt64Array} indices
   * @param {Float32Array} [out] receives the result (length indices.length * embeddingDim)
   * @returns {Float32Array}
   */
  forward(indices, out) {
    const { rt, handle } = this[kCore];
    const idx = readIndices(indices, this.numEmbeddings);
    const size = idx.n * this.embeddingDim;
    if (out !== undefined && !(out instanceof Float32Array && out.length === size)) {
      throw new TypeError(`out must be a Float32Array of length ${size}, got ${describe(out)}${out?.length !== undefined ? ` of length ${out.length}` : ''}`);
    }
    const dim = this.embeddingDim;
    const result = out ?? new Float32Array(size);
    // A few rows, or wide rows in moderate numbers: one copy per row in JS beats a call into
    // wasm plus a second copy (measured with bench/forward.mjs).
    if ((idx.n <= 2 || (dim >= 256 && idx.n <= 1024)) && this[kCopyRows](idx.int32, idx.n, result)) return result;
    // Gather in pieces of about 64 KB, each copied out while it is still in cache.
    const piece = Math.min(idx.n, Math.max(1, Math.floor(GATHER_PIECE_BYTES / (4 * dim))));
    const outPtr = scratch(rt, 4 * (piece * dim + idx.n));
    const idxPtr = outPtr + 4 * piece * dim;
    rt.m.HEAP32.set(idx.int32, idxPtr >>> 2);
    const bad = handle.prepareLookup(idxPtr, idx.n);
    if (bad >= 0) throw outOfRange(indices, idx.values[bad], bad, this.numEmbeddings);
    for (let start = 0; start < idx.n; start += piece) {
      const count = Math.min(piece, idx.n - start);
      handle.gather(idxPtr + 4 * start, count, outPtr);
      result.set(rt.m.HEAPF32.subarray(outPtr >>> 2, (outPtr >>> 2) + count * dim), start * dim);
    }
    return result;
  }

  /** A Batch of up to `capacity` indices: the zero-copy path for hot loops. */
  batch(capacity) {
    return new Batch(this, capacity);
  }

  /** One row (a copy), looked up as forward([index]) is. */
  lookup(index) {
    if (!Number.isInteger(index)) throw new TypeError(`index ${describe(index)} is not an integer`);
    return this.forward([index]);
  }

  /**
   * Accumulates d(loss)/d(weight) for the lookups `indices`, given d(loss)/d(output).
   * @param {number[] | number[][] | Int32Array | Uint32Array | BigInt64Array} indices
   * @param {Float32Array | number[]} gradOutput length indices.length * embeddingDim
   */
  backward(indices, gradOutput) {
    const { rt, handle } = this[kCore];
    if (!this.requiresGrad) throw new Error('backward: this Embedding is frozen (requiresGrad is false)');
    const idx = readIndices(indices, this.numEmbeddings);
    const size = idx.n * this.embeddingDim;
    const grad = readFloats(gradOutput, size, 'gradOutput');
    const gradPtr = scratch(rt, 4 * (size + idx.n));
    const idxPtr = gradPtr + 4 * size;
    rt.m.HEAP32.set(idx.int32, idxPtr >>> 2);
    rt.m.HEAPF32.set(grad, gradPtr >>> 2);
    const bad = handle.backward(idxPtr, idx.n, gradPtr);
    if (bad >= 0) throw outOfRange(indices, idx.values[bad], bad, this.numEmbeddings);
  }
}

/**
 * The zero-copy path for hot loops: indices in and rows out through wasm memory, no copies.
 * Write up to `capacity` indices into batch.indices, call forward(n), read batch.output; write
 * batch.gradOutput, call backward(n). The getters return fresh views whenever wasm memory has
 * grown (which detaches older views): read them again after any call rather than keeping them.
 */
export class Batch {
  #table;
  #rt;
  #raw; // what malloc returned (0 once disposed)
  #at; // where the output, gradOutput and indices regions start
  #capacity;
  #buffer = null; // the wasm memory buffer the views below were made on
  #views;

  /** @param {Embedding} table  @param {number} capacity the most indices one call takes */
  constructor(table, capacity) {
    if (!(table instanceof Embedding)) throw new TypeError(`Batch: table must be an Embedding, got ${describe(table)}`);
    checkSize(capacity, 'capacity');
    const { rt } = table[kCore];
    // output, gradOutput, indices: each on a cache line.
    const rowsBytes = alignUp(4 * capacity * table.embeddingDim);
    const bytes = 2 * rowsBytes + 4 * capacity;
    const { raw, at } = allocAligned(rt.m, bytes);
    if (!raw) throw new RangeError(`wasm-embedding: out of memory allocating a batch of ${bytes} bytes`);
    this.#table = table;
    this.#rt = rt;
    this.#raw = raw;
    this.#at = { output: at, gradOutput: at + rowsBytes, indices: at + 2 * rowsBytes };
    this.#capacity = capacity;
    leakGuard.register(this, { delete: () => rt.m._free(raw) }, this);
  }

  #current() {
    if (this.#raw === 0) throw new Error('Batch has been disposed');
    const buffer = this.#rt.m.HEAPU8.buffer;
    if (buffer !== this.#buffer) {
      const n = this.#capacity;
      const size = n * this.#table.embeddingDim;
      this.#buffer = buffer;
      this.#views = {
        indices: new Int32Array(buffer, this.#at.indices, n),
        output: new Float32Array(buffer, this.#at.output, size),
        gradOutput: new Float32Array(buffer, this.#at.gradOutput, size),
      };
    }
    return this.#views;
  }

  get capacity() { return this.#capacity; }
  /** Int32Array (capacity) in wasm memory: the indices forward/backward read. */
  get indices() { return this.#current().indices; }
  /** Float32Array (capacity * embeddingDim) in wasm memory: rows written by forward. */
  get output() { return this.#current().output; }
  /** Float32Array (capacity * embeddingDim) in wasm memory: the output gradient backward reads. */
  get gradOutput() { return this.#current().gradOutput; }

  #count(n) {
    if (!(Number.isInteger(n) && n >= 0 && n <= this.#capacity)) {
      throw new RangeError(`n must be an integer in [0, ${this.#capacity}] (the batch's capacity), got ${describe(n)}`);
    }
    this.#current();
    return n;
  }

  #check(status) {
    if (status >= 0) throw outOfRange(this.indices, this.indices[status], status, this.#table.numEmbeddings);
  }

  /** Looks up indices[0 : n); returns a view of output[0 : n * embeddingDim). */
  forward(n = this.#capacity) {
    const { handle } = this.#table[kCore];
    const count = this.#count(n);
    this.#check(handle.forward(this.#at.indices, count, this.#at.output));
    return this.output.subarray(0, count * this.#table.embeddingDim);
  }

  /** Accumulates the gradient of lookups indices[0 : n) given gradOutput[0 : n * embeddingDim). */
  backward(n = this.#capacity) {
    const { handle } = this.#table[kCore];
    if (!this.#table.requiresGrad) throw new Error('backward: this Embedding is frozen (requiresGrad is false)');
    const count = this.#count(n);
    this.#check(handle.backward(this.#at.indices, count, this.#at.gradOutput));
  }

  /** Frees the batch's wasm memory. Idempotent; later use throws. */
  dispose() {
    if (this.#raw === 0) return;
    leakGuard.unregister(this);
    this.#rt.m._free(this.#raw);
    this.#raw = 0;
    this.#buffer = null;
    this.#views = null;
  }
}

const BAG_MODES = { sum: 0, mean: 1, max: 2 };
const BAG_OPTIONS = ['mode', 'includeLastOffset', ...TABLE_OPTIONS];

export class EmbeddingBag extends Table {
  static optionNames = BAG_OPTIONS;
  #mode;
  #includeLastOffset;

  /**
   * A table whose forward pools bags of rows (torch.nn.EmbeddingBag).
   * @param {number} numEmbeddings
   * @param {number} embeddingDim
   * @param {{ mode?: 'sum'|'mean'|'max', includeLastOffset?: boolean, paddingIdx?: number|null, maxNorm?: number|null, normType?: number, scaleGradByFreq?: boolean, seed?: number }} [options]
   */
  constructor(numEmbeddings, embeddingDim, options = {}, pretrained = undefined) {
    checkOptions(options, pretrained?.[kPretrained] ? BAG_OPTIONS.filter((k) => k !== 'seed') : BAG_OPTIONS, 'EmbeddingBag options');
    const { mode = 'mean', includeLastOffset = false, ...tableOptions } = options;
    if (typeof mode !== 'string') throw new TypeError(`mode must be a string ('sum', 'mean' or 'max'), got ${describe(mode)}`);
    if (!Object.hasOwn(BAG_MODES, mode)) throw new RangeError(`mode must be 'sum', 'mean' or 'max', got ${describe(mode)}`);
    checkBoolean(includeLastOffset, 'includeLastOffset');
    if (mode === 'max' && tableOptions.scaleGradByFreq === true) {
      throw new TypeError("mode 'max' does not support scaleGradByFreq (as in PyTorch)");
    }
    super(numEmbeddings, embeddingDim, tableOptions, TABLE_OPTIONS, pretrained);
    this.#mode = mode;
    this.#includeLastOffset = includeLastOffset;
  }

  get mode() { return this.#mode; }
  get includeLastOffset() { return this.#includeLastOffset; }

  // Validates a call's input and gives what the core needs: indices, CSR offsets (numBags + 1
  // entries rising from 0 to n) and per-sample weights. Throws before anything is written.
  #readBags(indices, offsets, perSampleWeights) {
    const twoD = Array.isArray(indices) && indices.length > 0 && indices.some(Array.isArray);
    let idx;
    let csr;
    if (twoD) {
      if (offsets !== undefined && offsets !== null) {
        throw new TypeError('offsets must be null or undefined when indices is 2-D (each inner array is a bag)');
      }
      const width = Array.isArray(indices[0]) ? indices[0].length : -1;
      indices.forEach((bag, b) => {
        if (!Array.isArray(bag) || bag.length !== width || bag.some(Array.isArray)) {
          throw new TypeError(`2-D indices must be an array of equal-length arrays of integers: bag ${b} is ${Array.isArray(bag) ? `of length ${bag.length}, bag 0 of ${width}` : describe(bag)}`);
        }
      });
      idx = readIndices(indices, this.numEmbeddings);
      csr = Int32Array.from({ length: indices.length + 1 }, (_, b) => b * width);
    } else {
      idx = readIndices(indices, this.numEmbeddings);
      if (offsets === undefined || offsets === null) throw new TypeError('offsets is required with 1-D indices');
      csr = this.#readOffsets(offsets, idx.n);
    }
    let weights = null;
    if (perSampleWeights !== undefined && perSampleWeights !== null) {
      if (this.#mode !== 'sum') {
        throw new TypeError(`perSampleWeights is only supported with mode 'sum' (this bag's mode is '${this.#mode}')`);
      }
      weights = readFloats(perSampleWeights, idx.n, 'perSampleWeights');
    }
    return { idx, csr, numBags: csr.length - 1, weights };
  }

  #readOffsets(offsets, n) {
    let values;
    if (offsets instanceof Int32Array || offsets instanceof Uint32Array || Array.isArray(offsets)) values = offsets;
    else if (typeof BigInt64Array !== 'undefined' && offsets instanceof BigInt64Array) values = Array.from(offsets, Number);
    else throw new TypeError(`offsets must be an array of integers, an Int32Array, a Uint32Array or a BigInt64Array, got ${describe(offsets)}`);
    const csr = new Int32Array(values.length + (this.#includeLastOffset ? 0 : 1));
    for (let b = 0; b < values.length; ++b) {
      const v = values[b];
      if (!Number.isInteger(v)) throw new TypeError(`offset ${describe(v)} at position ${b} is not an integer`);
      if (b === 0 && v !== 0) throw new RangeError(`offsets[0] must be 0 (the first bag starts at the first index), got ${v}`);
      if (b > 0 && v < values[b - 1]) throw new RangeError(`offsets must not decrease: offsets[${b}] = ${v} < offsets[${b - 1}] = ${values[b - 1]}`);
      if (v > n) throw new RangeError(`offset ${v} at position ${b} is past the end of the ${n} indices`);
      csr[b] = v;
    }
    if (this.#includeLastOffset) {
      if (values.length === 0 || values[values.length - 1] !== n) {
        throw new RangeError(`with includeLastOffset, the last offset must equal the number of indices (${n}), got ${values.length ? values[values.length - 1] : 'no offsets'}`);
      }
    } else {
      if (values.length === 0 && n > 0) throw new RangeError(`offsets is empty but there are ${n} indices`);
      csr[values.length] = n;
    }
    return csr;
  }

  /**
   * Pools bags of rows: output row b = sum, mean or max of the rows of bag b (zeros for an empty bag).
   * @param {number[] | number[][] | Int32Array | Uint32Array | BigInt64Array} indices 1-D with offsets, or 2-D (equal-length bags)
   * @param {number[] | Int32Array | Uint32Array | BigInt64Array | null} [offsets] start of each bag in indices
   * @param {Float32Array | number[]} [perSampleWeights] one weight per index (mode 'sum' only)
   * @returns {Float32Array} numBags * embeddingDim values
   */
  forward(indices, offsets, perSampleWeights) {
    const { rt, handle } = this[kCore];
    const { idx, csr, numBags, weights } = this.#readBags(indices, offsets, perSampleWeights);
    const size = numBags * this.embeddingDim;
    const idxPtr = scratch(rt, 4 * (idx.n + csr.length + (weights ? idx.n : 0) + size));
    const csrPtr = idxPtr + 4 * idx.n;
    const weightsPtr = weights ? csrPtr + 4 * csr.length : 0;
    const outPtr = csrPtr + 4 * csr.length + (weights ? 4 * idx.n : 0);
    rt.m.HEAP32.set(idx.int32, idxPtr >>> 2);
    rt.m.HEAP32.set(csr, csrPtr >>> 2);
    if (weights) rt.m.HEAPF32.set(weights, weightsPtr >>> 2);
    const bad = handle.bagForward(idxPtr, idx.n, csrPtr, numBags, BAG_MODES[this.#mode], weightsPtr, outPtr);
    if (bad >= 0) throw outOfRange(indices, idx.values[bad], bad, this.numEmbeddings);
    return rt.m.HEAPF32.slice(outPtr >>> 2, (outPtr >>> 2) + size);
  }

  /**
   * Accumulates d(loss)/d(weight) for forward(indices, offsets, perSampleWeights), given
   * d(loss)/d(output). In mode 'max' each element's gradient goes to the row that wins it in
   * the current weights, as forward saw them: call backward before changing the weights.
   * @returns {Float32Array | undefined} d(loss)/d(perSampleWeights) when perSampleWeights is given
   */
  backward(indices, offsets, gradOutput, perSampleWeights) {
    const { rt, handle } = this[kCore];
    if (!this.requiresGrad) throw new Error('backward: this EmbeddingBag is frozen (requiresGrad is false)');
    const { idx, csr, numBags, weights } = this.#readBags(indices, offsets, perSampleWeights);
    const size = numBags * this.embeddingDim;
    const grad = readFloats(gradOutput, size, 'gradOutput');
    const extra = weights ? 2 * idx.n : 0; // the weights in, their gradient out
    const idxPtr = scratch(rt, 4 * (idx.n + csr.length + size + extra));
    const csrPtr = idxPtr + 4 * idx.n;
    const gradPtr = csrPtr + 4 * csr.length;
    const weightsPtr = weights ? gradPtr + 4 * size : 0;
    const weightsGradPtr = weights ? weightsPtr + 4 * idx.n : 0;
    rt.m.HEAP32.set(idx.int32, idxPtr >>> 2);
    rt.m.HEAP32.set(csr, csrPtr >>> 2);
    rt.m.HEAPF32.set(grad, gradPtr >>> 2);
    if (weights) rt.m.HEAPF32.set(weights, weightsPtr >>> 2);
    const bad = handle.bagBackward(idxPtr, idx.n, csrPtr, numBags, BAG_MODES[this.#mode], weightsPtr, gradPtr, weightsGradPtr);
    if (bad >= 0) throw outOfRange(indices, idx.values[bad], bad, this.numEmbeddings);
    return weights ? rt.m.HEAPF32.slice(weightsGradPtr >>> 2, (weightsGradPtr >>> 2) + idx.n) : undefined;
  }
}

// ---- Optimizers -----------------------------------------------------------------------------

function checkNonNegative(value, name) {
  if (!(typeof value === 'number' && value >= 0 && Number.isFinite(value))) {
    throw new RangeError(`${name} must be a finite number >= 0, got ${describe(value)}`);
  }
}

let nextOptimizerId = 1;

// What the optimizers share: parameters, lr, step/zeroGrad/dispose. Each optimizer's state for
// a table lives in that table's wasm memory (freed with the table or by dispose()).
export class Optimizer {
  #params;
  #id = nextOptimizerId++;
  #disposed = false;
  #lr;

  constructor(params, options, allowed) {
    requireRuntime();
    const name = new.target.name;
    if (new.target === Optimizer) throw new TypeError('Optimizer is the shared base class: create an SGD, Adagrad, SparseAdam or RowwiseAdagrad');
    if (!Array.isArray(params) || params.length === 0) {
      throw new TypeError(`${name}: params must be a non-empty array of Embedding or EmbeddingBag, got ${describe(params)}`);
    }
    params.forEach((p, i) => {
      if (!(p instanceof Table)) throw new TypeError(`${name}: params[${i}] is ${describe(p)}, not an Embedding or EmbeddingBag`);
      p[kCore]; // throws if disposed
      if (params.indexOf(p) !== i) throw new TypeError(`${name}: params[${i}] appears more than once`);
    });
    checkOptions(options, allowed, `${name} options`);
    this.#params = [...params];
  }

  get lr() { return this.#lr; }
  set lr(value) {
    checkNonNegative(value, 'lr');
    this.#lr = value;
  }

  /**
   * Updates every parameter that requires grad and has a gradient. Throws RangeError, having
   * changed nothing, when the optimizer's state for a table does not fit in wasm memory.
   */
  step() {
    if (this.#disposed) throw new Error(`${this.constructor.name} has been disposed`);
    const live = this.#params.map((p) => [p, p[kCore]]).filter(([p]) => p.requiresGrad); // all live, or throw first
    // Every table's optimizer state first, so that running out of memory changes nothing.
    for (const [p, { rt, handle }] of live) {
      if (!this.stepTable(rt.m, handle, this.#id, true)) {
        throw new RangeError(`${this.constructor.name}: out of memory for the optimizer state of a ${p.numEmbeddings} x ${p.embeddingDim} table`);
      }
    }
    for (const [p, { rt, handle }] of live) {
      p[kStepped]();
      this.stepTable(rt.m, handle, this.#id, false);
    }
  }

  /** Zeroes the gradient of every parameter. */
  zeroGrad() {
    this.#params.forEach((p) => p.zeroGrad());
  }

  /** Applies the updates still owed to untouched rows and frees the optimizer's state. Idempotent. */
  dispose() {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const p of this.#params) if (!p.disposed) p[kCore].handle.releaseOptimizerState(this.#id);
  }
}

/**
 * torch.optim.SGD, with the results of a dense-gradient nn.Embedding, at O(rows touched x dim)
 * a step: with momentum or weight decay, rows without gradient catch up when next read.
 */
export class SGD extends Optimizer {
  #options;

  /**
   * @param {(Embedding | EmbeddingBag)[]} params
   * @param {{ lr: number, momentum?: number, dampening?: number, weightDecay?: number, nesterov?: boolean, maximize?: boolean }} options
   */
  constructor(params, options) {
    super(params, options, ['lr', 'momentum', 'dampening', 'weightDecay', 'nesterov', 'maximize']);
    const { lr, momentum = 0, dampening = 0, weightDecay = 0, nesterov = false, maximize = false } = options;
    if (lr === undefined) throw new TypeError('SGD: lr is required');
    this.lr = lr;
    checkNonNegative(momentum, 'momentum');
    checkNonNegative(weightDecay, 'weightDecay');
    if (!(typeof dampening === 'number' && Number.isFinite(dampening))) {
      throw new RangeError(`dampening must be a finite number, got ${describe(dampening)}`);
    }
    checkBoolean(nesterov, 'nesterov');
    checkBoolean(maximize, 'maximize');
    if (nesterov && (momentum <= 0 || dampening !== 0)) {
      throw new RangeError('SGD: nesterov momentum requires a momentum > 0 and zero dampening');
    }
    this.#options = { momentum, dampening, weightDecay, nesterov, maximize };
  }

  stepTable(m, handle, id, stateOnly) {
    const { momentum, dampening, weightDecay, nesterov, maximize } = this.#options;
    return m.sgdStep(handle, id, stateOnly, this.lr, momentum, dampening, weightDecay, nesterov, maximize);
  }
}

/** torch.optim.Adagrad, with the results of a dense-gradient nn.Embedding. */
export class Adagrad extends Optimizer {
  #options;

  /**
   * @param {(Embedding | EmbeddingBag)[]} params
   * @param {{ lr?: number, lrDecay?: number, weightDecay?: number, initialAccumulatorValue?: number, eps?: number }} [options]
   */
  constructor(params, options = {}) {
    super(params, options, ['lr', 'lrDecay', 'weightDecay', 'initialAccumulatorValue', 'eps']);
    const { lr = 0.01, lrDecay = 0, weightDecay = 0, initialAccumulatorValue = 0, eps = 1e-10 } = options;
    this.lr = lr;
    checkNonNegative(lrDecay, 'lrDecay');
    checkNonNegative(weightDecay, 'weightDecay');
    checkNonNegative(initialAccumulatorValue, 'initialAccumulatorValue');
    checkNonNegative(eps, 'eps');
    this.#options = { lrDecay, weightDecay, initialAccumulatorValue, eps };
  }

  stepTable(m, handle, id, stateOnly) {
    const { lrDecay, weightDecay, initialAccumulatorValue, eps } = this.#options;
    return m.adagradStep(handle, id, stateOnly, this.lr, lrDecay, weightDecay, initialAccumulatorValue, eps);
  }
}

/** torch.optim.SparseAdam: only the rows in the gradient move (lazy by design). */
export class SparseAdam extends Optimizer {
  #options;

  /**
   * @param {(Embedding | EmbeddingBag)[]} params
   * @param {{ lr?: number, betas?: [number, number], eps?: number }} [options]
   */
  constructor(params, options = {}) {
    super(params, options, ['lr', 'betas', 'eps']);
    const { lr = 0.001, betas = [0.9, 0.999], eps = 1e-8 } = options;
    this.lr = lr;
    if (!(Array.isArray(betas) && betas.length === 2 && betas.every((b) => typeof b === 'number' && b >= 0 && b < 1))) {
      throw new RangeError(`betas must be two numbers in [0, 1), got ${describe(betas)}${Array.isArray(betas) ? ` [${betas}]` : ''}`);
    }
    if (!(typeof eps === 'number' && eps > 0 && Number.isFinite(eps))) throw new RangeError(`eps must be a finite number > 0, got ${describe(eps)}`);
    this.#options = { betas: [...betas], eps };
  }

  stepTable(m, handle, id, stateOnly) {
    const { betas, eps } = this.#options;
    return m.sparseAdamStep(handle, id, stateOnly, this.lr, betas[0], betas[1], eps);
  }
}

/**
 * FBGEMM's row-wise Adagrad: one accumulator per row (G += mean(g'^2) with g' = g + weightDecay w;
 * w -= lr g' / (sqrt(G) + eps)), so its state is embeddingDim times smaller than Adagrad's.
 */
export class RowwiseAdagrad extends Optimizer {
  #options;

  /**
   * @param {(Embedding | EmbeddingBag)[]} params
   * @param {{ lr?: number, eps?: number, weightDecay?: number }} [options]
   */
  constructor(params, options = {}) {
    super(params, options, ['lr', 'eps', 'weightDecay']);
    const { lr = 0.01, eps = 1e-10, weightDecay = 0 } = options;
    this.lr = lr;
    checkNonNegative(eps, 'eps');
    checkNonNegative(weightDecay, 'weightDecay');
    this.#options = { eps, weightDecay };
  }

  stepTable(m, handle, id, stateOnly) {
    return m.rowwiseAdagradStep(handle, id, stateOnly, this.lr, this.#options.eps, this.#options.weightDecay);
  }
}

for (const cls of [Table, Optimizer, Batch]) {
  if (typeof Symbol.dispose === 'symbol') {
    cls.prototype[Symbol.dispose] = function dispose() {
      this.dispose();
    };
  }
}
