// The public API (shared/API.md): exports only.
export { version, init, simdSupported, memoryUsage } from './runtime.js';
export { Table } from './table.js';
export { Embedding } from './embedding.js';
export { Batch } from './batch.js';
export { EmbeddingBag } from './bag.js';
export { BagBatch } from './bag-batch.js';
export { Optimizer, SGD, Adagrad, SparseAdam, RowwiseAdagrad } from './optim.js';
export { saveCheckpoint, loadCheckpoint } from './checkpoint.js';
export { saveSafetensors, loadSafetensors } from './io/safetensors.js';
export { saveNpy, loadNpy } from './io/npy.js';
export { Vocab } from './io/vocab.js';
export { loadWordVectors, parseWordVectors, saveWordVectors } from './io/word-vectors.js';
export { AnnIndex } from './ann.js';
