// BagBatch: the zero-copy path of EmbeddingBag for hot loops.
import { checkOptions, checkSize, describe, outOfRange } from './check.js';
import { disposable } from './runtime.js';
import { Regions, checkCount } from './batch.js';
import { EmbeddingBag, BAG_MODES, kReadOffsets } from './bag.js'; // a cycle, used only at call time
import { kCore } from './table.js';

/**
 * The zero-copy path of EmbeddingBag: indices, offsets and per-sample weights in, pooled rows
 * out, all through wasm memory. Write up to `capacity` indices into batch.indices and the bags'
 * offsets into batch.offsets (as EmbeddingBag.forward takes them: numBags starts, or numBags + 1
 * entries ending with n when the bag has includeLastOffset; without it the batch writes
 * offsets[numBags] = n itself), call forward(n, numBags), read batch.output; write
 * batch.gradOutput, call backward(n, numBags). The getters return fresh views whenever wasm
 * memory has grown (which detaches older views): read them again after any call.
 */
export class BagBatch {
  #bag;
  #regions;
  #capacity;
  #maxBags;

  /**
   * @param {EmbeddingBag} bag
   * @param {number} capacity the most indices one call takes
   * @param {number} [maxBags] the most bags one call takes (default: capacity)
   */
  constructor(bag, capacity, maxBags = capacity) {
    if (!(bag instanceof EmbeddingBag)) throw new TypeError(`BagBatch: bag must be an EmbeddingBag, got ${describe(bag)}`);
    checkSize(capacity, 'capacity');
    checkSize(maxBags, 'maxBags');
    const rows = maxBags * bag.embeddingDim;
    this.#regions = new Regions(this, bag[kCore].rt, {
      output: [Float32Array, rows],
      gradOutput: [Float32Array, rows],
      indices: [Int32Array, capacity],
      offsets: [Int32Array, maxBags + 1],
      perSampleWeights: [Float32Array, capacity],
      perSampleWeightsGrad: [Float32Array, capacity],
    }, 'BagBatch');
    this.#bag = bag;
    this.#capacity = capacity;
    this.#maxBags = maxBags;
  }

  get capacity() { return this.#capacity; }
  get maxBags() { return this.#maxBags; }
  /** Int32Array (capacity) in wasm memory: the indices of all bags, one after the other. */
  get indices() { return this.#regions.views.indices; }
  /** Int32Array (maxBags + 1) in wasm memory: where each bag starts in indices. */
  get offsets() { return this.#regions.views.offsets; }
  /** Float32Array (capacity) in wasm memory: one weight per index (mode 'sum' only). */
  get perSampleWeights() { return this.#regions.views.perSampleWeights; }
  /** Float32Array (maxBags * embeddingDim) in wasm memory: the pooled rows forward writes. */
  get output() { return this.#regions.views.output; }
  /** Float32Array (maxBags * embeddingDim) in wasm memory: the output gradient backward reads. */
  get gradOutput() { return this.#regions.views.gradOutput; }
  /** Float32Array (capacity) in wasm memory: d(loss)/d(perSampleWeights), written by a weighted backward. */
  get perSampleWeightsGrad() { return this.#regions.views.perSampleWeightsGrad; }

  // Checks a call's counts and options; writes the closing offset. Returns the core's arguments.
  #prepare(n, numBags, options) {
    const views = this.#regions.views; // throws once disposed
    checkCount(n, this.#capacity, 'n', "the batch's capacity");
    checkCount(numBags, this.#maxBags, 'numBags', "the batch's maxBags");
    checkOptions(options, ['perSampleWeights'], 'BagBatch options');
    const { perSampleWeights = false } = options;
    if (typeof perSampleWeights !== 'boolean') throw new TypeError(`perSampleWeights must be a boolean, got ${describe(perSampleWeights)}`);
    if (perSampleWeights && this.#bag.mode !== 'sum') {
      throw new TypeError(`perSampleWeights is only supported with mode 'sum' (this bag's mode is '${this.#bag.mode}')`);
    }
    if (!this.#bag.includeLastOffset) views.offsets[numBags] = n;
    return { weights: perSampleWeights, mode: BAG_MODES[this.#bag.mode] };
  }

  // Turns a failed status into the error the copying API would throw for the same input.
  #check(status, n, numBags) {
    if (status === -1) return;
    const { indices, offsets } = this.#regions.views;
    if (status === -2) {
      this.#bag[kReadOffsets](offsets.subarray(0, numBags + (this.#bag.includeLastOffset ? 1 : 0)), n); // throws the precise message
      throw new RangeError(`offsets[0 : ${numBags + 1}] do not rise from 0 to ${n}`);
    }
    throw outOfRange(indices, indices[status], status, this.#bag.numEmbeddings);
  }

  /**
   * Pools bags 0 .. numBags - 1 of indices[0 : n); returns a view of output[0 : numBags * embeddingDim).
   * @param {number} [n] default capacity  @param {number} [numBags] default maxBags
   * @param {{ perSampleWeights?: boolean }} [options] perSampleWeights: weigh each index by perSampleWeights
   */
  forward(n = this.#capacity, numBags = this.#maxBags, options = {}) {
    const { handle } = this.#bag[kCore];
    const { weights, mode } = this.#prepare(n, numBags, options);
    const r = this.#regions;
    this.#check(handle.bagForward(r.at('indices'), n, r.at('offsets'), numBags, mode, weights ? r.at('perSampleWeights') : 0,
      r.at('output')), n, numBags);
    return this.output.subarray(0, numBags * this.#bag.embeddingDim);
  }

  /**
   * Accumulates the gradient of forward(n, numBags, options) given gradOutput[0 : numBags * embeddingDim).
   * @returns {Float32Array | undefined} with perSampleWeights, a view of perSampleWeightsGrad[0 : n)
   */
  backward(n = this.#capacity, numBags = this.#maxBags, options = {}) {
    const { handle } = this.#bag[kCore];
    if (!this.#bag.requiresGrad) throw new Error('backward: this EmbeddingBag is frozen (requiresGrad is false)');
    const { weights, mode } = this.#prepare(n, numBags, options);
    const r = this.#regions;
    this.#check(handle.bagBackward(r.at('indices'), n, r.at('offsets'), numBags, mode, weights ? r.at('perSampleWeights') : 0,
      r.at('gradOutput'), weights ? r.at('perSampleWeightsGrad') : 0), n, numBags);
    return weights ? this.perSampleWeightsGrad.subarray(0, n) : undefined;
  }

  /** Frees the batch's wasm memory. Idempotent; later use throws. */
  dispose() {
    this.#regions.free(this);
  }
}

disposable(BagBatch);
