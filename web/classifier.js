// The spam classifier the training worker runs: EmbeddingBag('mean') over an email's words,
// then a linear layer and a sigmoid. The linear layer's gradient is computed here in JS; the
// layer itself lives in a one-row Embedding (weights, then the bias) so that the optimizer the
// visitor picked steps it exactly as it steps the word table.

/** Each optimizer's default learning rate here: what trains this model well. */
export const LEARNING_RATES = { SGD: 5, Adagrad: 0.1, SparseAdam: 0.01, RowwiseAdagrad: 0.1 };

// Packs emails (arrays of word ids) into the (indices, offsets) form of EmbeddingBag.forward.
export function pack(emails) {
  let n = 0;
  for (const ids of emails) n += ids.length;
  const indices = new Int32Array(n);
  const offsets = new Int32Array(emails.length);
  n = 0;
  emails.forEach((ids, i) => {
    offsets[i] = n;
    indices.set(ids, n);
    n += ids.length;
  });
  return { indices, offsets };
}

const logSigmoid = (z) => (z >= 0 ? -Math.log1p(Math.exp(-z)) : z - Math.log1p(Math.exp(z)));
// Binary cross-entropy of logit z against label y, computed without overflow.
const crossEntropy = (z, y) => -(y ? logSigmoid(z) : logSigmoid(-z));
export const sigmoid = (z) => 1 / (1 + Math.exp(-z));

export class SpamClassifier {
  /**
   * @param {object} lib the wasm-embedding module
   * @param {{ vocabSize: number, dim: number, init: Float32Array | null, seed: number, optimizer: string, lr: number }} options
   *   init: the word table's starting rows (pretrained), or null for PyTorch's N(0, 1)
   */
  constructor(lib, { vocabSize, dim, init, seed, optimizer, lr }) {
    this.dim = dim;
    this.bag = init
      ? lib.EmbeddingBag.fromPretrained(init, { embeddingDim: dim, freeze: false, mode: 'mean' })
      : new lib.EmbeddingBag(vocabSize, dim, { mode: 'mean', seed });
    this.head = lib.Embedding.fromPretrained(new Float32Array(dim + 1), { embeddingDim: dim + 1, freeze: false });
    try {
      this.optimizer = new lib[optimizer]([this.bag, this.head], { lr });
    } catch (err) { // a bad learning rate: the library's message, nothing left allocated
      this.bag.dispose();
      this.head.dispose();
      throw err;
    }
    this.touched = new Uint32Array(vocabSize); // step number that last touched each row
    this.steps = 0;
  }

  // Logits of a batch of pooled rows h (n × dim), with the current linear layer w.
  #logits(h, w, n) {
    const { dim } = this;
    const z = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = w[dim];
      for (let j = 0; j < dim; j++) s += w[j] * h[i * dim + j];
      z[i] = s;
    }
    return z;
  }

  /**
   * One optimizer step on a batch. Returns its mean loss and the number of word rows it moved.
   * @param {{ indices: Int32Array, offsets: Int32Array }} batch @param {ArrayLike<number>} labels 1 = spam
   */
  step({ indices, offsets }, labels) {
    const { dim, bag, head } = this;
    const n = labels.length;
    const h = bag.forward(indices, offsets);
    const w = head.lookup(0);
    const z = this.#logits(h, w, n);
    // d(mean loss)/dz = (sigmoid(z) - y) / n; then the chain rule through z = w·h + b.
    const gradH = new Float32Array(n * dim);
    const gradHead = new Float32Array(dim + 1);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      loss += crossEntropy(z[i], labels[i]);
      const g = (sigmoid(z[i]) - labels[i]) / n;
      for (let j = 0; j < dim; j++) {
        gradHead[j] += g * h[i * dim + j];
        gradH[i * dim + j] = g * w[j];
      }
      gradHead[dim] += g;
    }
    bag.backward(indices, offsets, gradH);
    head.backward([0], gradHead);
    this.optimizer.step();
    this.optimizer.zeroGrad();
    return { loss: loss / n, rows: this.#countRows(indices) };
  }

  #countRows(indices) {
    const stamp = ++this.steps;
    let rows = 0;
    for (const i of indices) {
      if (this.touched[i] !== stamp) {
        this.touched[i] = stamp;
        rows++;
      }
    }
    return rows;
  }

  /** Mean loss and accuracy (threshold 0.5) over a packed set of emails. */
  evaluate(batch, labels) {
    const z = this.#logits(this.bag.forward(batch.indices, batch.offsets), this.head.lookup(0), labels.length);
    let loss = 0;
    let correct = 0;
    z.forEach((zi, i) => {
      loss += crossEntropy(zi, labels[i]);
      if ((zi > 0) === (labels[i] === 1)) correct++;
    });
    return { loss: loss / labels.length, accuracy: correct / labels.length };
  }

  /** The probability that an email of these word ids is spam. */
  probability(ids) {
    return sigmoid(this.#logits(this.bag.forward(Int32Array.from(ids), [0]), this.head.lookup(0), 1)[0]);
  }

  /**
   * The model as safetensors: the word table as 'weight' (so the explorer opens the file),
   * the linear layer as 'linear.weight' [1, dim] and 'linear.bias' [1], as PyTorch names them.
   */
  save(lib, metadata) {
    const head = this.head.lookup(0);
    return lib.saveSafetensors({
      weight: this.bag,
      'linear.weight': { dtype: 'F32', shape: [1, this.dim], data: head.slice(0, this.dim) },
      'linear.bias': { dtype: 'F32', shape: [1], data: head.slice(this.dim) },
    }, metadata);
  }

  dispose() {
    this.optimizer.dispose();
    this.bag.dispose();
    this.head.dispose();
  }
}
