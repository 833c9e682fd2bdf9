// Batch: the zero-copy path of Embedding for hot loops.
import { checkSize, describe, outOfRange } from './check.js';
import { allocAligned, alignUp, disposable } from './runtime.js';
import { Embedding } from './embedding.js'; // a cycle, used only at call time
import { kCore, kTrainable, leakGuard } from './table.js';

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
    this.#table[kTrainable]('backward');
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

disposable(Batch);
