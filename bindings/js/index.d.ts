// Types of wasm-embedding: PyTorch's nn.Embedding in WebAssembly. The contract is
// shared/API.md; semantics are PyTorch 1.13's.

/** The package version. */
export const version: string;

export interface InitOptions {
  /** Force the SIMD128 build (true) or the scalar build (false). Default: SIMD when the engine supports it. */
  simd?: boolean;
  /** Where the .wasm comes from: a URL or path, or the module's bytes. Default: next to this module. */
  wasm?: string | { readonly href: string } | ArrayBuffer | ArrayBufferView; // { href }: a URL
}

export interface InitInfo {
  /** Whether the SIMD128 build runs. */
  simd: boolean;
  version: string;
}

/**
 * Loads the wasm module; resolves once it is ready. Idempotent. Calling it again with other
 * options switches the build that objects created afterwards use (existing objects keep theirs).
 */
export function init(options?: InitOptions): Promise<InitInfo>;

/** True where this engine validates WebAssembly SIMD128. */
export function simdSupported(): boolean;

/** The wasm memory size and the bytes malloc has handed out, of the active build. */
export function memoryUsage(): { wasmMemoryBytes: number; heapInUseBytes: number };

/** Row indices: integers in [0, numEmbeddings). Nested arrays are flattened row-major. */
export type Indices = number[] | NestedIndices | Int32Array | Uint32Array | BigInt64Array;
export interface NestedIndices extends Array<number | NestedIndices> {}

export interface EmbeddingOptions {
  /** Row whose gradient is always zero (zeroed at construction). In [-numEmbeddings, numEmbeddings); negative counts from the end. */
  paddingIdx?: number | null;
  /** Looked-up rows whose p-norm exceeds maxNorm are rescaled in place to maxNorm / (norm + 1e-7) times themselves. */
  maxNorm?: number | null;
  /** p of the p-norm for maxNorm: any p >= 0, or Infinity. Default 2. */
  normType?: number;
  /** Divide each row's gradient by the row's count among a backward call's indices. */
  scaleGradByFreq?: boolean;
  /** Seed of the N(0, 1) initialisation: same seed, same table. Default: random. */
  seed?: number;
}

export interface PretrainedOptions extends Omit<EmbeddingOptions, 'seed'> {
  /** Row width; required when weights is a flat Float32Array. */
  embeddingDim?: number;
  /** Freeze the table (requiresGrad = false). Default true, as in PyTorch. */
  freeze?: boolean;
}

/** A row-sparse gradient: sorted unique rows and their values (indices.length x embeddingDim). */
export interface SparseGradient {
  indices: Int32Array;
  values: Float32Array;
}

/**
 * A numEmbeddings x embeddingDim float32 table (torch.nn.Embedding). Bad input throws
 * (RangeError for out-of-range indices and sizes, TypeError for wrong types and lengths)
 * before anything changes.
 */
export class Embedding {
  constructor(numEmbeddings: number, embeddingDim: number, options?: EmbeddingOptions);
  /** A table holding these weights: row-major Float32Array (with embeddingDim) or rows. */
  static fromPretrained(weights: Float32Array | number[][], options?: PretrainedOptions): Embedding;

  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  /** Normalised to >= 0, or null. */
  readonly paddingIdx: number | null;
  readonly maxNorm: number | null;
  readonly normType: number;
  readonly scaleGradByFreq: boolean;
  /** false freezes the table: backward() throws and optimizers skip it. */
  requiresGrad: boolean;
  /** True once dispose() has run. */
  readonly disposed: boolean;

  /** Rows indices[0], indices[1], ... one after another (length indices.length * embeddingDim). */
  forward(indices: Indices, out?: Float32Array): Float32Array;
  /** One row, as forward([index]). */
  lookup(index: number): Float32Array;
  /** Accumulates d(loss)/d(weight) given d(loss)/d(forward(indices)). */
  backward(indices: Indices, gradOutput: Float32Array | number[]): void;
  /** The accumulated gradient, or null before the first backward(). */
  readonly grad: SparseGradient | null;
  /** The gradient as a dense numEmbeddings * embeddingDim array. */
  denseGrad(): Float32Array;
  /** Zeroes the gradient (torch 1.13's zero_grad()). */
  zeroGrad(): void;
  /** A copy of the whole table, row-major. */
  readonly weight: Float32Array;
  /** Replaces the whole table (numEmbeddings * embeddingDim values). */
  setWeight(weights: Float32Array): void;
  /** Frees the wasm memory. Idempotent; later use throws. */
  dispose(): void;
  [Symbol.dispose](): void;
}

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
  maximize?: boolean;
}

/**
 * torch.optim.SGD with the results of a dense-gradient nn.Embedding. Plain SGD costs
 * O(rows touched x embeddingDim) a step; momentum or weight decay move every row.
 */
export class SGD {
  constructor(params: Embedding[], options: SGDOptions);
  /** Can be changed between steps. */
  lr: number;
  step(): void;
  zeroGrad(): void;
  /** Frees the momentum buffers. */
  dispose(): void;
  [Symbol.dispose](): void;
}
