// The optimizers: SGD, Adagrad, SparseAdam, RowwiseAdagrad. Each one's state for a table lives
// in that table's wasm memory; the update arithmetic is in src/optim/.
import { checkBoolean, checkNonNegative, checkOptions, describe } from './check.js';
import { disposable, requireRuntime } from './runtime.js';
import { Table, kCore, kStepped } from './table.js';

let nextOptimizerId = 1;

// What stepTable does with a table (StepAction in src/embedding/optimizer_state.h).
const STEP = 0;
const PREPARE = 1; // only make sure the state exists when the table has a gradient
export const RESTORE = 2; // make sure the state exists (a checkpoint fills it in)
// The package's internal protocol with checkpoints: an optimizer's id (which owns its states
// in the tables), parameters, and constructor options (lr included).
export const kOwner = Symbol('optimizer id');
export const kParams = Symbol('optimizer parameters');
export const kOptions = Symbol('optimizer options');

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
      if (p.storage !== 'float32') throw new TypeError(`${name}: params[${i}] is stored as ${p.storage}, and compressed tables are frozen: optimizers need float32 tables`);
      if (params.indexOf(p) !== i) throw new TypeError(`${name}: params[${i}] appears more than once`);
    });
    checkOptions(options, allowed, `${name} options`);
    this.#params = [...params];
  }

  get [kOwner]() { return this.#id; }
  get [kParams]() {
    if (this.#disposed) throw new Error(`${this.constructor.name} has been disposed`);
    return [...this.#params];
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
      if (!this.stepTable(rt.m, handle, this.#id, PREPARE)) {
        throw new RangeError(`${this.constructor.name}: out of memory for the optimizer state of a ${p.numEmbeddings} x ${p.embeddingDim} table`);
      }
    }
    for (const [p, { rt, handle }] of live) {
      p[kStepped]();
      this.stepTable(rt.m, handle, this.#id, STEP);
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

  get [kOptions]() { return { lr: this.lr, ...this.#options }; }

  stepTable(m, handle, id, action) {
    const { momentum, dampening, weightDecay, nesterov, maximize } = this.#options;
    return m.sgdStep(handle, id, action, this.lr, momentum, dampening, weightDecay, nesterov, maximize);
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

  get [kOptions]() { return { lr: this.lr, ...this.#options }; }

  stepTable(m, handle, id, action) {
    const { lrDecay, weightDecay, initialAccumulatorValue, eps } = this.#options;
    return m.adagradStep(handle, id, action, this.lr, lrDecay, weightDecay, initialAccumulatorValue, eps);
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

  get [kOptions]() { return { lr: this.lr, betas: [...this.#options.betas], eps: this.#options.eps }; }

  stepTable(m, handle, id, action) {
    const { betas, eps } = this.#options;
    return m.sparseAdamStep(handle, id, action, this.lr, betas[0], betas[1], eps);
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

  get [kOptions]() { return { lr: this.lr, ...this.#options }; }

  stepTable(m, handle, id, action) {
    return m.rowwiseAdagradStep(handle, id, action, this.lr, this.#options.eps, this.#options.weightDecay);
  }
}

disposable(Optimizer);
