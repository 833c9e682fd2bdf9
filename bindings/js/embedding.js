// Embedding: torch.nn.Embedding's lookups and row-sparse gradient.
import { describe, outOfRange, readFloats, readIndices } from './check.js';
import { scratch } from './runtime.js';
import { Batch } from './batch.js';
import { Table, TABLE_OPTIONS, kCopyRows, kCore, kTrainable } from './table.js';
import { openRemote } from './open-remote.js';

// Forward's copy-out and backward's copy-in go in pieces of 1 MB a thread (the least work the
// core splits, kPieceWork in src/parallel), which stay in cache between JS and wasm: a training
// step at V = 10k 4-11% faster than with 64 KB pieces (more calls), 16 KB slower still.
const pieceRows = (rt, dim) => Math.max(1, Math.floor((1024 * 1024 * rt.threads) / (4 * dim)));

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
    // Gathered in pieces (pieceRows), each copied out while it is still in cache.
    const piece = Math.min(idx.n, pieceRows(rt, dim));
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

  /**
   * A table that stays on a web server: rows fetched by HTTP range requests as lookups need them
   * (shared/API.md "Remote tables"; docs/remote-tables.md).
   * @param {string | URL} url a safetensors file
   * @returns {Promise<import('./remote/table.js').RemoteEmbedding>}
   */
  static open(url, options) {
    return openRemote(this, url, options);
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
    this[kTrainable]('backward');
    const idx = readIndices(indices, this.numEmbeddings);
    const dim = this.embeddingDim;
    const grad = readFloats(gradOutput, idx.n * dim, 'gradOutput');
    // gradOutput goes in pieces (pieceRows), each summed into the gradient while in cache.
    const piece = Math.min(idx.n, pieceRows(rt, dim));
    const piecePtr = scratch(rt, 4 * (piece * dim + idx.n));
    const idxPtr = piecePtr + 4 * piece * dim;
    rt.m.HEAP32.set(idx.int32, idxPtr >>> 2);
    const bad = handle.beginBackward(idxPtr, idx.n);
    if (bad >= 0) throw outOfRange(indices, idx.values[bad], bad, this.numEmbeddings);
    for (let start = 0; start < idx.n; start += piece) {
      const end = Math.min(idx.n, start + piece);
      rt.m.HEAPF32.set(Array.isArray(grad) ? grad.slice(start * dim, end * dim) : grad.subarray(start * dim, end * dim), piecePtr >>> 2);
      handle.backwardPiece(start, end - start, piecePtr);
    }
    handle.endGradient();
  }
}
