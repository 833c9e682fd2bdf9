// EmbeddingBag: torch.nn.EmbeddingBag's pooled lookups (sum, mean, max) and their gradient.
import { checkBoolean, checkOptions, describe, outOfRange, readFloats, readIndices } from './check.js';
import { scratch } from './runtime.js';
import { BagBatch } from './bag-batch.js';
import { Table, TABLE_OPTIONS, kCore, kPretrained, kTrainable } from './table.js';
import { openRemote } from './open-remote.js';

export const BAG_MODES = { sum: 0, mean: 1, max: 2 };
export const kReadOffsets = Symbol('read offsets'); // BagBatch's error messages for bad offsets
export const kReadBags = Symbol('read bags'); // a remote bag table's checks (remote/table.js), through its cache's table
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

  /**
   * A bag table that stays on a web server (Embedding.open's options, and mode, includeLastOffset).
   * @returns {Promise<import('./remote/table.js').RemoteEmbeddingBag>}
   */
  static open(url, options) {
    return openRemote(this, url, options);
  }

  get mode() { return this.#mode; }
  get includeLastOffset() { return this.#includeLastOffset; }

  // Validates a call's input and gives what the core needs: indices, CSR offsets (numBags + 1
  // entries rising from 0 to n) and per-sample weights. Throws before anything is written.
  // readIdx reads (and checks) the indices: this table's rows, or a remote table's.
  [kReadBags](indices, offsets, perSampleWeights, readIdx = (values) => readIndices(values, this.numEmbeddings)) {
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
      idx = readIdx(indices);
      csr = Int32Array.from({ length: indices.length + 1 }, (_, b) => b * width);
    } else {
      idx = readIdx(indices);
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

  [kReadOffsets](offsets, n) {
    return this.#readOffsets(offsets, n);
  }

  /**
   * A BagBatch of up to `capacity` indices in up to `maxBags` bags: the zero-copy path for hot loops.
   * @param {number} capacity  @param {number} [maxBags] default: capacity
   */
  batch(capacity, maxBags = capacity) {
    return new BagBatch(this, capacity, maxBags);
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
    const { idx, csr, numBags, weights } = this[kReadBags](indices, offsets, perSampleWeights);
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
    this[kTrainable]('backward');
    const { idx, csr, numBags, weights } = this[kReadBags](indices, offsets, perSampleWeights);
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
