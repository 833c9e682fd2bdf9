// wasm-embedding: the public API (shared/API.md). This layer owns validation, error messages
// and memory; the wasm core (bindings/embind.cc) stays thin and trusts what it is given.
export const version = '0.1.0';

// A module using one SIMD128 instruction (i8x16.splat): valid only where wasm SIMD is supported.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 9, 1, 7, 0, 65, 0, 253, 15, 26, 11,
]);
const BUILDS = {
  simd: { glue: './embedding.js', wasm: 'embedding.wasm' },
  scalar: { glue: './embedding-scalar.js', wasm: 'embedding-scalar.wasm' },
};
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
  const { default: createModule } = await import(BUILDS[build].glue);
  const moduleArgs = {};
  if (wasm === undefined) {
    if (isNode) moduleArgs.wasmBinary = await readFileURL(new URL(BUILDS[build].wasm, import.meta.url));
    // In a browser the glue fetches the .wasm next to itself (import.meta.url).
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
  return { m, simd: build === 'simd', scratchPtr: 0, scratchBytes: 0 };
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

// One reusable region of wasm memory for inputs and outputs, grown when a call needs more.
// It may move and memory may grow: callers read rt.m.HEAP* only after this returns.
function scratch(rt, bytes) {
  if (bytes > rt.scratchBytes) {
    const limit = 2 ** 32 - 4096; // wasm32: a size beyond this would wrap in _malloc
    if (bytes > limit) throw new RangeError(`wasm-embedding: out of memory allocating ${bytes} bytes`);
    if (rt.scratchPtr) rt.m._free(rt.scratchPtr);
    const size = Math.min(Math.max(bytes, 2 * rt.scratchBytes, 4096), limit);
    rt.scratchPtr = rt.m._malloc(size) >>> 0;
    rt.scratchBytes = rt.scratchPtr ? size : 0;
    if (!rt.scratchPtr) throw new RangeError(`wasm-embedding: out of memory allocating ${bytes} bytes`);
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

// Converts user indices into something that can be written to wasm memory as int32.
// Plain numbers are range-checked here (an int32 write would wrap them); typed arrays are
// range-checked by the core, which reports the first bad position.
function readIndices(indices, rows) {
  if (indices instanceof Int32Array) return { n: indices.length, int32: indices, at: (i) => indices[i] };
  if (indices instanceof Uint32Array) {
    const view = new Int32Array(indices.buffer, indices.byteOffset, indices.length); // >= 2^31 turn negative: out of range
    return { n: indices.length, int32: view, at: (i) => indices[i] };
  }
  if (typeof BigInt64Array !== 'undefined' && indices instanceof BigInt64Array) {
    const int32 = new Int32Array(indices.length);
    const limit = BigInt(rows);
    for (let i = 0; i < indices.length; ++i) {
      const v = indices[i];
      if (v < 0n || v >= limit) throw outOfRange(indices, v, i, rows);
      int32[i] = Number(v);
    }
    return { n: int32.length, int32, at: (i) => indices[i] };
  }
  if (Array.isArray(indices)) {
    const flat = indices.some(Array.isArray) ? indices.flat(Infinity) : indices;
    const int32 = new Int32Array(flat.length);
    for (let i = 0; i < flat.length; ++i) {
      const v = flat[i];
      if (!Number.isInteger(v)) {
        throw new TypeError(`index ${describe(v)} at ${positionOf(indices, i)} is not an integer`);
      }
      if (v < 0 || v >= rows) throw outOfRange(indices, v, i, rows);
      int32[i] = v;
    }
    return { n: int32.length, int32, at: (i) => flat[i] };
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

// ---- Embedding ------------------------------------------------------------------------------

const kCore = Symbol('wasm-embedding core'); // { rt, handle } of a live object, for the optimizers
const kPretrained = Symbol('pretrained weights');
const leakGuard = new FinalizationRegistry((handle) => handle.delete());
const EMBEDDING_OPTIONS = ['paddingIdx', 'maxNorm', 'normType', 'scaleGradByFreq', 'seed'];
const PRETRAINED_OPTIONS = ['embeddingDim', 'freeze', 'paddingIdx', 'maxNorm', 'normType', 'scaleGradByFreq'];

function randomSeed() {
  if (globalThis.crypto?.getRandomValues) {
    const [hi, lo] = globalThis.crypto.getRandomValues(new Uint32Array(2));
    return (hi & 0x1fffff) * 2 ** 32 + lo;
  }
  return Math.floor(Math.random() * Number.MAX_SAFE_INTEGER);
}

export class Embedding {
  #rt;
  #handle;
  #rows;
  #dim;
  #paddingIdx;
  #maxNorm;
  #normType;
  #scaleGradByFreq;
  #requiresGrad = true;

  /**
   * A numEmbeddings x embeddingDim table, initialised from N(0, 1) (torch.nn.Embedding).
   * @param {number} numEmbeddings
   * @param {number} embeddingDim
   * @param {{ paddingIdx?: number|null, maxNorm?: number|null, normType?: number, scaleGradByFreq?: boolean, seed?: number }} [options]
   */
  constructor(numEmbeddings, embeddingDim, options = {}, pretrained = undefined) {
    const rt = requireRuntime();
    checkSize(numEmbeddings, 'numEmbeddings');
    checkSize(embeddingDim, 'embeddingDim');
    const isPretrained = pretrained?.[kPretrained] !== undefined;
    checkOptions(options, isPretrained ? PRETRAINED_OPTIONS : EMBEDDING_OPTIONS, 'Embedding options');
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
    this.#rt = rt;
    this.#handle = handle;
    this.#rows = numEmbeddings;
    this.#dim = embeddingDim;
    this.#paddingIdx = paddingIdx === null ? null : paddingIdx < 0 ? paddingIdx + numEmbeddings : paddingIdx;
    this.#maxNorm = maxNorm;
    this.#normType = normType;
    this.#scaleGradByFreq = scaleGradByFreq;
    handle.setOptions(this.#paddingIdx ?? -1, maxNorm !== null, maxNorm ?? 0, normType, scaleGradByFreq);
    leakGuard.register(this, handle, this);
    if (isPretrained) rt.m.HEAPF32.set(pretrained[kPretrained], handle.weightPtr() >>> 2);
    else handle.initNormal(seed ?? randomSeed());
  }

  /**
   * A table holding the given weights (not re-initialised; the padding row is kept as given).
   * @param {Float32Array | number[][]} weights row-major Float32Array (then embeddingDim is required) or rows
   * @param {{ embeddingDim?: number, freeze?: boolean, paddingIdx?: number|null, maxNorm?: number|null, normType?: number, scaleGradByFreq?: boolean }} [options]
   */
  static fromPretrained(weights, options = {}) {
    requireRuntime();
    checkOptions(options, PRETRAINED_OPTIONS, 'fromPretrained options');
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
    const emb = new Embedding(rows, dim, rest, { [kPretrained]: data });
    emb.requiresGrad = !freeze;
    return emb;
  }

  #live() {
    if (this.#handle === null) throw new Error('Embedding has been disposed');
    return this.#handle;
  }

  get [kCore]() {
    return { rt: this.#rt, handle: this.#live() };
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
  get disposed() { return this.#handle === null; }

  /**
   * Looks rows up: row i of the result is the table row indices[i] (after max-norm renormalisation).
   * @param {number[] | number[][] | Int32Array | Uint32Array | BigInt64Array} indices
   * @param {Float32Array} [out] receives the result (length indices.length * embeddingDim)
   * @returns {Float32Array}
   */
  forward(indices, out) {
    const handle = this.#live();
    const idx = readIndices(indices, this.#rows);
    const size = idx.n * this.#dim;
    if (out !== undefined && !(out instanceof Float32Array && out.length === size)) {
      throw new TypeError(`out must be a Float32Array of length ${size}, got ${describe(out)}${out?.length !== undefined ? ` of length ${out.length}` : ''}`);
    }
    const rt = this.#rt;
    const idxPtr = scratch(rt, 4 * (idx.n + size));
    const outPtr = idxPtr + 4 * idx.n;
    rt.m.HEAP32.set(idx.int32, idxPtr >>> 2);
    const bad = handle.forward(idxPtr, idx.n, outPtr);
    if (bad >= 0) throw outOfRange(indices, idx.at(bad), bad, this.#rows);
    const result = out ?? new Float32Array(size);
    result.set(rt.m.HEAPF32.subarray(outPtr >>> 2, (outPtr >>> 2) + size));
    return result;
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
    const handle = this.#live();
    if (!this.#requiresGrad) throw new Error('backward: this Embedding is frozen (requiresGrad is false)');
    const idx = readIndices(indices, this.#rows);
    const size = idx.n * this.#dim;
    const grad = readFloats(gradOutput, size, 'gradOutput');
    const rt = this.#rt;
    const idxPtr = scratch(rt, 4 * (idx.n + size));
    const gradPtr = idxPtr + 4 * idx.n;
    rt.m.HEAP32.set(idx.int32, idxPtr >>> 2);
    rt.m.HEAPF32.set(grad, gradPtr >>> 2);
    const bad = handle.backward(idxPtr, idx.n, gradPtr);
    if (bad >= 0) throw outOfRange(indices, idx.at(bad), bad, this.#rows);
  }

  /** The accumulated gradient: sorted unique rows and their values, or null before any backward(). */
  get grad() {
    const handle = this.#live();
    if (!handle.gradPresent()) return null;
    handle.coalesceGrad();
    const count = handle.gradCount();
    const m = this.#rt.m;
    const rowsAt = handle.gradRowsPtr() >>> 2;
    const valuesAt = handle.gradValuesPtr() >>> 2;
    return {
      indices: m.HEAP32.slice(rowsAt, rowsAt + count),
      values: m.HEAPF32.slice(valuesAt, valuesAt + count * this.#dim),
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
    this.#live().zeroGrad();
  }

  /** A copy of the whole table, row-major. */
  get weight() {
    const at = this.#live().weightPtr() >>> 2;
    return this.#rt.m.HEAPF32.slice(at, at + this.#rows * this.#dim);
  }

  /** Replaces the whole table. @param {Float32Array} weights row-major, numEmbeddings * embeddingDim values */
  setWeight(weights) {
    const handle = this.#live();
    if (!(weights instanceof Float32Array)) throw new TypeError(`setWeight expects a Float32Array, got ${describe(weights)}`);
    if (weights.length !== this.#rows * this.#dim) {
      throw new TypeError(`setWeight expects ${this.#rows * this.#dim} values (${this.#rows} x ${this.#dim}), got ${weights.length}`);
    }
    this.#rt.m.HEAPF32.set(weights, handle.weightPtr() >>> 2);
  }

  /** Frees the table's wasm memory. Idempotent; any later use throws. */
  dispose() {
    if (this.#handle === null) return;
    leakGuard.unregister(this);
    this.#handle.delete();
    this.#handle = null;
  }
}

// ---- Optimizers -----------------------------------------------------------------------------

function checkParams(params, name) {
  if (!Array.isArray(params) || params.length === 0) {
    throw new TypeError(`${name}: params must be a non-empty array of Embedding, got ${describe(params)}`);
  }
  params.forEach((p, i) => {
    if (!(p instanceof Embedding)) throw new TypeError(`${name}: params[${i}] is ${describe(p)}, not an Embedding`);
    p[kCore]; // throws if disposed
    if (params.indexOf(p) !== i) throw new TypeError(`${name}: params[${i}] appears more than once`);
  });
}

function checkNonNegative(value, name) {
  if (!(typeof value === 'number' && value >= 0 && Number.isFinite(value))) {
    throw new RangeError(`${name} must be a finite number >= 0, got ${describe(value)}`);
  }
}

const SGD_OPTIONS = ['lr', 'momentum', 'dampening', 'weightDecay', 'nesterov', 'maximize'];

/** torch.optim.SGD, with the results of a dense-gradient nn.Embedding. */
export class SGD {
  #params;
  #states; // one core SgdState (the momentum buffer) per parameter, in its own module
  #lr;
  #options;

  /**
   * @param {Embedding[]} params
   * @param {{ lr: number, momentum?: number, dampening?: number, weightDecay?: number, nesterov?: boolean, maximize?: boolean }} options
   */
  constructor(params, options) {
    requireRuntime();
    checkParams(params, 'SGD');
    checkOptions(options, SGD_OPTIONS, 'SGD options');
    const { lr, momentum = 0, dampening = 0, weightDecay = 0, nesterov = false, maximize = false } = options;
    if (lr === undefined) throw new TypeError('SGD: lr is required');
    checkNonNegative(lr, 'lr');
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
    this.#params = [...params];
    this.#lr = lr;
    this.#options = { momentum, dampening, weightDecay, nesterov, maximize };
    const states = this.#params.map((p) => new (p[kCore].rt.m.SgdState)());
    this.#states = states;
    // The held value must not reference `this`, or the optimizer could never be collected.
    leakGuard.register(this, { delete: () => states.forEach((s) => s.delete()) }, this);
  }

  get lr() { return this.#lr; }
  set lr(value) {
    checkNonNegative(value, 'lr');
    this.#lr = value;
  }

  /** Updates every parameter that requires grad and has a gradient. */
  step() {
    if (this.#states === null) throw new Error('SGD has been disposed');
    const { momentum, dampening, weightDecay, nesterov, maximize } = this.#options;
    const cores = this.#params.map((p) => p[kCore]); // all live, or throw before any update
    cores.forEach(({ rt, handle }, i) => {
      if (!this.#params[i].requiresGrad || !handle.gradPresent()) return;
      rt.m.sgdStep(handle, this.#states[i], this.#lr, momentum, dampening, weightDecay, nesterov, maximize);
    });
  }

  /** Zeroes the gradient of every parameter. */
  zeroGrad() {
    this.#params.forEach((p) => p.zeroGrad());
  }

  /** Frees the optimizer's state (momentum buffers). Idempotent. */
  dispose() {
    if (this.#states === null) return;
    leakGuard.unregister(this);
    this.#states.forEach((s) => s.delete());
    this.#states = null;
  }
}

for (const cls of [Embedding, SGD]) {
  if (typeof Symbol.dispose === 'symbol') {
    cls.prototype[Symbol.dispose] = function dispose() {
      this.dispose();
    };
  }
}
