// Batch: the zero-copy path of Embedding for hot loops, and the wasm-memory regions that it and
// BagBatch (bag-batch.js) hand out as views.
import { checkSize, describe, outOfRange } from './check.js';
import { allocAligned, alignUp, disposable } from './runtime.js';
import { Embedding } from './embedding.js'; // a cycle, used only at call time
import { kCore, kTrainable, leakGuard } from './table.js';

/**
 * Typed-array views of one allocation in wasm memory, each region on a cache line; the views
 * are made again whenever wasm memory has grown (which detaches older ones). Freed by free(),
 * or by the leak guard once `owner` is garbage-collected.
 */
export class Regions {
  #rt;
  #raw; // what malloc returned (0 once freed)
  #layout; // name -> { Type, at, length }
  #buffer = null; // the wasm memory buffer the views were made on
  #views = null;
  #what;

  /** @param {object} owner  @param {object} rt  @param {Record<string, [Function, number]>} layout name -> [Type, length]  @param {string} what */
  constructor(owner, rt, layout, what) {
    let bytes = 0;
    const placed = {};
    for (const [name, [Type, length]] of Object.entries(layout)) {
      placed[name] = { Type, at: bytes, length };
      bytes += alignUp(length * Type.BYTES_PER_ELEMENT);
    }
    const { raw, at } = allocAligned(rt.m, bytes);
    if (!raw) throw new RangeError(`wasm-embedding: out of memory allocating a ${what} of ${bytes} bytes`);
    for (const region of Object.values(placed)) region.at += at;
    this.#rt = rt;
    this.#raw = raw;
    this.#layout = placed;
    this.#what = what;
    leakGuard.register(owner, { delete: () => rt.m._free(raw) }, owner);
  }

  /** The views by name (fresh after memory growth); throws once freed. */
  get views() {
    if (this.#raw === 0) throw new Error(`${this.#what} has been disposed`);
    const buffer = this.#rt.m.HEAPU8.buffer;
    if (buffer !== this.#buffer) {
      this.#buffer = buffer;
      this.#views = {};
      for (const [name, { Type, at, length }] of Object.entries(this.#layout)) this.#views[name] = new Type(buffer, at, length);
    }
    return this.#views;
  }

  /** The byte address of a region in wasm memory. */
  at(name) {
    return this.#layout[name].at;
  }

  /** Frees the memory. Idempotent. */
  free(owner) {
    if (this.#raw === 0) return;
    leakGuard.unregister(owner);
    this.#rt.m._free(this.#raw);
    this.#raw = 0;
    this.#buffer = null;
    this.#views = null;
  }
}

/** Throws unless n is an integer in [0, max]. */
export function checkCount(n, max, name, what) {
  if (!(Number.isInteger(n) && n >= 0 && n <= max)) {
    throw new RangeError(`${name} must be an integer in [0, ${max}] (${what}), got ${describe(n)}`);
  }
  return n;
}

/**
 * The zero-copy path for hot loops: indices in and rows out through wasm memory, no copies.
 * Write up to `capacity` indices into batch.indices, call forward(n), read batch.output; write
 * batch.gradOutput, call backward(n). The getters return fresh views whenever wasm memory has
 * grown (which detaches older views): read them again after any call rather than keeping them.
 */
export class Batch {
  #table;
  #regions;
  #capacity;

  /** @param {Embedding} table  @param {number} capacity the most indices one call takes */
  constructor(table, capacity) {
    if (!(table instanceof Embedding)) throw new TypeError(`Batch: table must be an Embedding, got ${describe(table)}`);
    checkSize(capacity, 'capacity');
    const rows = capacity * table.embeddingDim;
    this.#regions = new Regions(this, table[kCore].rt, {
      output: [Float32Array, rows], gradOutput: [Float32Array, rows], indices: [Int32Array, capacity],
    }, 'Batch');
    this.#table = table;
    this.#capacity = capacity;
  }

  get capacity() { return this.#capacity; }
  /** Int32Array (capacity) in wasm memory: the indices forward/backward read. */
  get indices() { return this.#regions.views.indices; }
  /** Float32Array (capacity * embeddingDim) in wasm memory: rows written by forward. */
  get output() { return this.#regions.views.output; }
  /** Float32Array (capacity * embeddingDim) in wasm memory: the output gradient backward reads. */
  get gradOutput() { return this.#regions.views.gradOutput; }

  #count(n) {
    this.#regions.views; // throws once disposed
    return checkCount(n, this.#capacity, 'n', "the batch's capacity");
  }

  #check(status) {
    if (status >= 0) throw outOfRange(this.indices, this.indices[status], status, this.#table.numEmbeddings);
  }

  /** Looks up indices[0 : n); returns a view of output[0 : n * embeddingDim). */
  forward(n = this.#capacity) {
    const { handle } = this.#table[kCore];
    const count = this.#count(n);
    this.#check(handle.forward(this.#regions.at('indices'), count, this.#regions.at('output')));
    return this.output.subarray(0, count * this.#table.embeddingDim);
  }

  /** Accumulates the gradient of lookups indices[0 : n) given gradOutput[0 : n * embeddingDim). */
  backward(n = this.#capacity) {
    const { handle } = this.#table[kCore];
    this.#table[kTrainable]('backward');
    const count = this.#count(n);
    this.#check(handle.backward(this.#regions.at('indices'), count, this.#regions.at('gradOutput')));
  }

  /** Frees the batch's wasm memory. Idempotent; later use throws. */
  dispose() {
    this.#regions.free(this);
  }
}

disposable(Batch);
