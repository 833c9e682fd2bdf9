// Types of wasm-embedding: PyTorch's nn.Embedding in WebAssembly. The contract is
// shared/API.md; semantics are PyTorch 1.13's.
// [Symbol.dispose] below needs the lib that declares it, whatever the app's own lib setting:
/// <reference lib="esnext.disposable" />

/** The package version. */
export const version: string;

/** Options of {@link init}. */
export interface InitOptions {
  /** Force the SIMD128 build (true) or the scalar build (false). Default: SIMD when the engine supports it. */
  simd?: boolean;
  /** Where the .wasm comes from: a URL or path, or the module's bytes. Default: next to this module. */
  wasm?: string | {
    /** A URL (a URL object fits). */
    readonly href: string;
  } | ArrayBuffer | ArrayBufferView;
  /**
   * Threads for big calls (forward, backward, bags, nearest): n > 1 loads the threads build
   * (SIMD128 over shared memory, n - 1 helper workers). Needs SharedArrayBuffer: Node, or a
   * cross-origin isolated page (COOP/COEP headers); elsewhere it falls back to 1 thread and
   * InitInfo.threadsFallback says why. Results are the same bits as with 1 thread. Default 1.
   */
  threads?: number;
}

/** What {@link init} resolves to: the build in use. */
export interface InitInfo {
  /** Whether the SIMD128 build runs. */
  simd: boolean;
  /** Threads that big calls use (1 unless init({ threads }) could start more). */
  threads: number;
  /** The package version, as {@link version}. */
  version: string;
  /** Why the threads asked for are not there (present only then). */
  threadsFallback?: string;
}

/**
 * Loads the wasm module; resolves once it is ready. Idempotent. Calling it again with other
 * options switches the build that objects created afterwards use (existing objects keep theirs).
 */
export function init(options?: InitOptions): Promise<InitInfo>;

/** True where this engine validates WebAssembly SIMD128. */
export function simdSupported(): boolean;

/** The wasm memory size and the bytes malloc has handed out, of the active build. */
export function memoryUsage(): {
  /** Bytes of wasm memory (it grows, never shrinks). */
  wasmMemoryBytes: number;
  /** Bytes malloc has handed out and not taken back. */
  heapInUseBytes: number;
};

/** Row indices: integers in [0, numEmbeddings). Nested arrays are flattened row-major. */
export type Indices = number[] | NestedIndices | Int32Array | Uint32Array | BigInt64Array;
/** Nested arrays of row indices, flattened row-major (`[[1, 2], [3, 4]]` looks up 1, 2, 3, 4). */
export interface NestedIndices extends Array<number | NestedIndices> {}

/** Options of `new Embedding()` (and of `new EmbeddingBag()`), as torch.nn.Embedding's. */
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

/** Options of {@link Embedding.fromPretrained}: those of the constructor but `seed`, and the two below. */
export interface PretrainedOptions extends Omit<EmbeddingOptions, 'seed'> {
  /** Row width; required when weights is a flat Float32Array. */
  embeddingDim?: number;
  /** Freeze the table (requiresGrad = false). Default true, as in PyTorch. */
  freeze?: boolean;
}

/** Compressed storages (frozen tables): FBGEMM's row-wise int8 and int4, and IEEE float16. */
export type CompressedStorage = 'float16' | 'int8' | 'int4';
/** How a table stores its rows: float32, or one of the compressed storages. */
export type TableStorage = 'float32' | CompressedStorage;

/** What Embedding.fromQuantized needs to read packed rows. */
export interface QuantizedOptions {
  /** The storage the bytes are in. */
  storage: CompressedStorage;
  /** Rows in the table. */
  numEmbeddings: number;
  /** Values in a row (the row's byte width follows from it and the storage). */
  embeddingDim: number;
  /** As {@link EmbeddingOptions.paddingIdx}: a zero padding row reads back as exact zeros. */
  paddingIdx?: number | null;
}

/** What {@link EmbeddingBag.fromQuantized} needs: {@link QuantizedOptions} and the bag's options. */
export interface QuantizedBagOptions extends QuantizedOptions {
  /** How a bag's rows are pooled. Default 'mean'. */
  mode?: BagMode;
  /** As {@link EmbeddingBagOptions.includeLastOffset}. */
  includeLastOffset?: boolean;
}

/** A row-sparse gradient: sorted unique rows and their values (indices.length x embeddingDim). */
export interface SparseGradient {
  /** The rows that have a gradient, sorted, each once. */
  indices: Int32Array;
  /** Their gradients, indices.length x embeddingDim, row-major. */
  values: Float32Array;
}

/** What Embedding and EmbeddingBag share: the table, its options, its gradient, ownership. */
export abstract class Table {
  /** Rows in the table. */
  readonly numEmbeddings: number;
  /** Values in a row. */
  readonly embeddingDim: number;
  /** Normalised to >= 0, or null. */
  readonly paddingIdx: number | null;
  /** The max-norm looked-up rows are renormalised to, or null. */
  readonly maxNorm: number | null;
  /** p of the p-norm for maxNorm. */
  readonly normType: number;
  /** Whether backward divides a row's gradient by its count in the call. */
  readonly scaleGradByFreq: boolean;
  /** false freezes the table: backward() throws and optimizers skip it. Always false for a compressed table. */
  requiresGrad: boolean;
  /** 'float32', or the storage of a table made by quantize() or fromQuantized(). */
  readonly storage: TableStorage;
  /** Bytes of the stored rows, what is saved and shipped: a row takes 4 * embeddingDim bytes as float32, 2 * embeddingDim as float16, embeddingDim + 8 as int8, ceil(embeddingDim / 2) + 4 as int4. */
  readonly byteLength: number;
  /**
   * A frozen copy in a compressed storage, keeping paddingIdx (and a bag's mode): int8 and int4
   * are FBGEMM's row-wise layouts, byte for byte what PyTorch's embedding_bag_byte_prepack /
   * embedding_bag_4bit_prepack write; float16 rounds to nearest even, as .half(). Lookups, bags
   * and nearest read rows dequantised to float32: q * scale + bias, rounded after the multiply
   * and after the add (PyTorch's embedding_bag_byte_unpack / _4bit_unpack, bit for bit).
   * Throws RangeError naming a row that cannot be represented (a NaN or infinity, a value past
   * float16's range, an int8 range overflowing float32, an int4 minimum or scale past float16's
   * range), TypeError with maxNorm or when the table is already compressed.
   */
  quantize(storage: CompressedStorage): this;
  /** True once dispose() has run. */
  readonly disposed: boolean;
  /** The accumulated gradient, or null before the first backward() (always for a compressed table). */
  readonly grad: SparseGradient | null;
  /** The gradient as a dense numEmbeddings * embeddingDim array. */
  denseGrad(): Float32Array;
  /** Zeroes the gradient (torch 1.13's zero_grad()). */
  zeroGrad(): void;
  /** A copy of the whole table, row-major (after the updates a lazy optimizer still owes it; a compressed table's rows dequantised). */
  readonly weight: Float32Array;
  /** Replaces the whole table (numEmbeddings * embeddingDim values). Throws TypeError on a compressed table. */
  setWeight(weights: Float32Array): void;
  /**
   * The k rows nearest to each query, best first (exact search over every row). Equal scores
   * go to the lower row; the padding row is never returned; where fewer than k rows qualify,
   * the remaining slots hold index -1 and score NaN (rows scoring NaN never qualify).
   * @param query a row index (left out of its own results); a Float32Array of m vectors
   *   (m * embeddingDim values); or an Int32Array of m rows (each left out of its own results)
   * @returns m * k entries, query by query
   */
  nearest(query: number | Float32Array | Int32Array, k: number, options?: NearestOptions): NearestResult;
  /**
   * "a is to b as c is to ?": gensim's most_similar(positive=[b, c], negative=[a]) (cosine
   * against the sum of unit vectors u_b + u_c - u_a); a, b, c and the padding row left out.
   */
  analogy(a: number, b: number, c: number, k?: number): NearestResult;
  /**
   * An approximate nearest-neighbour index over the rows (docs/approximate-search.md): built
   * in steps that yield to the event loop; deterministic for a seed. Searching it throws once
   * the table changes (a training step, setWeight).
   */
  buildIndex(options?: BuildIndexOptions): Promise<AnnIndex>;
  /** The index that AnnIndex.save() wrote for this table; an Error for another table's or a bad file. */
  loadIndex(bytes: Uint8Array | ArrayBuffer): AnnIndex;
  /** Frees the wasm memory, optimizer state included. Idempotent; later use throws. */
  dispose(): void;
  /** dispose(), for `using` declarations. */
  [Symbol.dispose](): void;
}

/**
 * A numEmbeddings x embeddingDim float32 table (torch.nn.Embedding). Bad input throws
 * (RangeError for out-of-range indices and sizes, TypeError for wrong types and lengths)
 * before anything changes.
 */
export class Embedding extends Table {
  /** A table drawn from N(0, 1) (the same seed gives the same table in every build), the padding row zeroed. */
  constructor(numEmbeddings: number, embeddingDim: number, options?: EmbeddingOptions);
  /** A table holding these weights: row-major Float32Array (with embeddingDim) or rows. */
  static fromPretrained(weights: Float32Array | number[][], options?: PretrainedOptions): Embedding;
  /**
   * A table holding tensor `name` (default 'weight') of a safetensors file: 2-D F32, F16 or
   * BF16 (widened exactly). Options: those of fromPretrained but embeddingDim. A tensor whose
   * __metadata__ names a storage ("<name>.storage": 'float16' | 'int8' | 'int4', and
   * "<name>.embedding_dim") loads as that compressed table, frozen, as saveSafetensors wrote it.
   */
  static fromSafetensors(bytes: Uint8Array | ArrayBuffer, name?: string, options?: Omit<PretrainedOptions, 'embeddingDim'>): Embedding;
  /** A table that stays on a web server, its rows fetched by HTTP range requests (docs/remote-tables.md). */
  static open(url: string | { readonly href: string }, options?: RemoteOptions): Promise<RemoteEmbedding>;
  /**
   * A frozen table from packed rows as PyTorch writes them (embedding_bag_byte_prepack,
   * embedding_bag_4bit_prepack, a float16 tensor's bytes): numEmbeddings rows, row-major.
   * RangeError for a wrong length or a row whose scale, bias or float16 values are not finite.
   */
  static fromQuantized(bytes: Uint8Array | ArrayBuffer | ArrayBufferView, options: QuantizedOptions): Embedding;
  /** Rows indices[0], indices[1], ... one after another (length indices.length * embeddingDim). */
  forward(indices: Indices, out?: Float32Array): Float32Array;
  /** One row, as forward([index]). */
  lookup(index: number): Float32Array;
  /** A Batch of up to `capacity` indices: the zero-copy path for hot loops. */
  batch(capacity: number): Batch;
  /** Accumulates d(loss)/d(weight) given d(loss)/d(forward(indices)). Throws on frozen and compressed tables. */
  backward(indices: Indices, gradOutput: Float32Array | number[]): void;
}

/**
 * The zero-copy path: indices in and rows out through wasm memory. Write indices into
 * `indices`, call forward(n), read `output`; write `gradOutput`, call backward(n). The getters
 * return fresh views whenever wasm memory has grown (which detaches older views): read them
 * again after any call instead of keeping them. Bad indices throw as in Embedding.forward.
 */
export class Batch {
  /** As `table.batch(capacity)`. */
  constructor(table: Embedding, capacity: number);
  /** The most indices one call takes. */
  readonly capacity: number;
  /** capacity indices, in wasm memory. */
  readonly indices: Int32Array;
  /** capacity * embeddingDim values written by forward, in wasm memory. */
  readonly output: Float32Array;
  /** capacity * embeddingDim values read by backward, in wasm memory. */
  readonly gradOutput: Float32Array;
  /** Looks up indices[0 : n) (default: capacity); returns output[0 : n * embeddingDim). */
  forward(n?: number): Float32Array;
  /** Accumulates the gradient of indices[0 : n) given gradOutput[0 : n * embeddingDim). */
  backward(n?: number): void;
  /** Frees the batch's wasm memory. Idempotent; later use throws. */
  dispose(): void;
  /** dispose(), for `using` declarations. */
  [Symbol.dispose](): void;
}

/** How {@link EmbeddingBag} pools a bag: sum, mean or element-wise max of its rows. */
export type BagMode = 'sum' | 'mean' | 'max';

/** Options of `new EmbeddingBag()`: those of {@link Embedding} and the two below. */
export interface EmbeddingBagOptions extends EmbeddingOptions {
  /** How a bag's rows are pooled. Default 'mean', as in PyTorch. */
  mode?: BagMode;
  /** offsets has numBags + 1 entries, the last equal to indices.length (CSR). Default false. */
  includeLastOffset?: boolean;
}

/** Options of {@link EmbeddingBag.fromPretrained}. */
export interface PretrainedBagOptions extends PretrainedOptions {
  /** How a bag's rows are pooled. Default 'mean'. */
  mode?: BagMode;
  /** As {@link EmbeddingBagOptions.includeLastOffset}. */
  includeLastOffset?: boolean;
}

/** 1-D indices (with offsets), or 2-D: equal-length bags, one array each (no offsets). */
export type BagIndices = number[] | number[][] | Int32Array | Uint32Array | BigInt64Array;
/** Where each bag starts in the 1-D indices: non-decreasing, starting at 0. */
export type Offsets = number[] | Int32Array | Uint32Array | BigInt64Array;

/**
 * A table whose forward pools bags of rows (torch.nn.EmbeddingBag): bag b is
 * indices[offsets[b] : offsets[b + 1]]; empty bags give zeros; padding entries are left out
 * of the bag and of the mean's count.
 */
export class EmbeddingBag extends Table {
  /** A table drawn from N(0, 1), as {@link Embedding}'s constructor, pooling in `options.mode`. */
  constructor(numEmbeddings: number, embeddingDim: number, options?: EmbeddingBagOptions);
  /** A bag table holding these weights, as {@link Embedding.fromPretrained}. */
  static fromPretrained(weights: Float32Array | number[][], options?: PretrainedBagOptions): EmbeddingBag;
  /** As Embedding.fromSafetensors. */
  static fromSafetensors(bytes: Uint8Array | ArrayBuffer, name?: string, options?: Omit<PretrainedBagOptions, 'embeddingDim'>): EmbeddingBag;
  /** A bag table that stays on a web server (docs/remote-tables.md). */
  static open(url: string | { readonly href: string }, options?: RemoteBagOptions): Promise<RemoteEmbeddingBag>;
  /** As Embedding.fromQuantized; a compressed bag pools the dequantised rows in every mode. */
  static fromQuantized(bytes: Uint8Array | ArrayBuffer | ArrayBufferView, options: QuantizedBagOptions): EmbeddingBag;
  /** How a bag's rows are pooled. */
  readonly mode: BagMode;
  /** Whether offsets end with indices.length. */
  readonly includeLastOffset: boolean;
  /** numBags * embeddingDim values. perSampleWeights: one per index, mode 'sum' only. */
  forward(indices: BagIndices, offsets?: Offsets | null, perSampleWeights?: Float32Array | number[]): Float32Array;
  /**
   * Accumulates d(loss)/d(weight) given d(loss)/d(output). Returns d(loss)/d(perSampleWeights)
   * when they are given. In mode 'max' the winners are found in the current weights.
   */
  backward(indices: BagIndices, offsets: Offsets | null | undefined, gradOutput: Float32Array | number[], perSampleWeights?: Float32Array | number[]): Float32Array | undefined;
  /** A BagBatch of up to `capacity` indices in up to `maxBags` (default: capacity) bags: the zero-copy path. */
  batch(capacity: number, maxBags?: number): BagBatch;
}

/** Embedding.open's options (docs/remote-tables.md). */
export interface RemoteOptions {
  /** The tensor of the safetensors file (default 'weight'). */
  name?: string;
  /** Bytes of rows kept in memory (default 64 MiB); the least recently used go first. */
  cacheBytes?: number;
  /** Keep fetched rows across loads: OPFS (else IndexedDB) in browsers; in Node a directory (true: the cache folder). */
  persist?: boolean | string;
  /**
   * How requests go out (default globalThis.fetch): called as fetch(url, { headers, signal,
   * cache }) and must resolve to a fetch Response. (Typed loosely: the types need no DOM lib.)
   */
  fetch?: (url: string, init?: any) => Promise<ResponseLike>;
  /** Headers sent with every request (auth): an object, [name, value] pairs or a Headers. */
  headers?: Record<string, string> | Iterable<readonly [string, string]>;
  /** Retries of a request after a network error, a 5xx or a 429 (default 3: at most 4 attempts). */
  retries?: number;
  /** Milliseconds a response may stay silent (until it starts, then between pieces of its body); default 30000. */
  timeout?: number;
  /** An AbortSignal: aborting it aborts every request; lookups then reject with signal.reason. */
  signal?: AbortSignalLike;
  /** Accept a server that ignores Range (the whole file, once). Default false: an Error. */
  allowFullDownload?: boolean;
  /** The padding row, as the constructor's paddingIdx (its lookups are zeros, never fetched). */
  paddingIdx?: number | null;
  /** Merge ranges of rows whose gap is at most this many bytes (default 256 with multipart/byteranges, else 32 KiB). */
  mergeGap?: number;
  /** The first retry's backoff in ms (default 100; doubling, with full jitter). */
  retryDelay?: number;
}

/** EmbeddingBag.open's options: Embedding.open's and the bag's own. */
export interface RemoteBagOptions extends RemoteOptions {
  /** How a bag's rows combine (default 'mean'), as EmbeddingBag's. */
  mode?: BagMode;
  /** offsets has numBags + 1 entries, the last one the number of indices, as EmbeddingBag's. */
  includeLastOffset?: boolean;
}

/** What a remote table's requests and cache did so far. */
export interface RemoteStats {
  /** HTTP requests made, retries included (CORS preflights are the browser's and not counted). */
  requests: number;
  /** Bytes of response bodies received. */
  bytesFetched: number;
  /** Rows received from the network. */
  rowsFetched: number;
  /** Lookups of a row (one per index) answered from memory / not. */
  cacheHits: number;
  /** Lookups of a row that had to be fetched (or read from the persistent store). */
  cacheMisses: number;
  /** Rows read from the persistent store instead of the network. */
  persistHits: number;
  /** Bytes of rows held in memory now. */
  cachedBytes: number;
  /** Rows held in memory now. */
  cachedRows: number;
}

/** What remote tables share: a safetensors tensor on a web server, read by HTTP range requests. */
declare abstract class RemoteTable {
  /** The file's absolute URL. */
  readonly url: string;
  /** Rows of the table on the server. */
  readonly numEmbeddings: number;
  /** Values per row. */
  readonly embeddingDim: number;
  /** 'float32' for F32, F16 and BF16 files (widened exactly), else the compressed storage. */
  readonly storage: TableStorage;
  /** The padding row (normalised to >= 0), or null. */
  readonly paddingIdx: number | null;
  /** True after dispose(). */
  readonly disposed: boolean;
  /** The safetensors file's __metadata__, or null. */
  readonly metadata: Record<string, string> | null;
  /** The file as its header was read. */
  readonly version: {
    /** The ETag the server sent with the header, or null. */
    etag: string | null;
    /** Its Last-Modified, or null. */
    lastModified: string | null;
    /** The file's size in bytes. */
    size: number;
  };
  /** Requests, bytes and cache counts so far (a fresh object each read). */
  readonly stats: RemoteStats;
  /** Fetches rows into the cache (as many as it holds). */
  prefetch(indices: Indices): Promise<void>;
  /** The whole table as an ordinary table (one request for its bytes). */
  load(options?: { onProgress?: (loadedBytes: number, totalBytes: number) => void }): Promise<Embedding | EmbeddingBag>;
  /** Frees the cache's wasm memory and aborts requests in flight; later calls throw. */
  dispose(): void;
}

/** A table read from a server a few rows at a time: Embedding.open's result. */
export class RemoteEmbedding extends RemoteTable {
  private constructor();
  /** The values Embedding.forward gives for the whole table, bit for bit. */
  forward(indices: Indices, out?: Float32Array): Promise<Float32Array>;
  /** One row (a copy), as Embedding.lookup. */
  lookup(index: number): Promise<Float32Array>;
  load(options?: { onProgress?: (loadedBytes: number, totalBytes: number) => void }): Promise<Embedding>;
}

/** A bag table read from a server a few rows at a time: EmbeddingBag.open's result. */
export class RemoteEmbeddingBag extends RemoteTable {
  private constructor();
  /** How a bag's rows combine. */
  readonly mode: BagMode;
  /** Whether offsets end with the number of indices. */
  readonly includeLastOffset: boolean;
  /** The values EmbeddingBag.forward gives for the whole table, bit for bit. */
  forward(indices: BagIndices, offsets?: Offsets | null, perSampleWeights?: Float32Array | number[]): Promise<Float32Array>;
  load(options?: { onProgress?: (loadedBytes: number, totalBytes: number) => void }): Promise<EmbeddingBag>;
}

/** Options of {@link BagBatch.forward} and {@link BagBatch.backward}. */
export interface BagBatchOptions {
  /** Weigh each index by perSampleWeights[i] (mode 'sum' only). Default false. */
  perSampleWeights?: boolean;
}

/**
 * The zero-copy path of EmbeddingBag: write the indices of numBags bags into `indices`, where
 * each bag starts into `offsets` (numBags entries, as forward takes them; numBags + 1 ending
 * with n when the bag has includeLastOffset, else the batch sets offsets[numBags] = n itself),
 * per-sample weights into `perSampleWeights`; call forward(n, numBags), read `output`; write
 * `gradOutput`, call backward(n, numBags). The getters return fresh views whenever wasm memory
 * has grown (which detaches older views): read them again after any call instead of keeping
 * them. Bad input throws as in EmbeddingBag.forward.
 */
export class BagBatch {
  /** As `bag.batch(capacity, maxBags)`. */
  constructor(bag: EmbeddingBag, capacity: number, maxBags?: number);
  /** The most indices one call takes. */
  readonly capacity: number;
  /** The most bags one call takes. */
  readonly maxBags: number;
  /** capacity indices, in wasm memory. */
  readonly indices: Int32Array;
  /** maxBags + 1 offsets, in wasm memory. */
  readonly offsets: Int32Array;
  /** capacity per-sample weights, in wasm memory. */
  readonly perSampleWeights: Float32Array;
  /** maxBags * embeddingDim values written by forward, in wasm memory. */
  readonly output: Float32Array;
  /** maxBags * embeddingDim values read by backward, in wasm memory. */
  readonly gradOutput: Float32Array;
  /** capacity values: d(loss)/d(perSampleWeights), written by a weighted backward, in wasm memory. */
  readonly perSampleWeightsGrad: Float32Array;
  /** Pools bags [0, numBags) (default maxBags) of indices[0 : n) (default capacity); returns output[0 : numBags * embeddingDim). */
  forward(n?: number, numBags?: number, options?: BagBatchOptions): Float32Array;
  /** Accumulates the gradient of that forward given gradOutput; with perSampleWeights, returns perSampleWeightsGrad[0 : n). */
  backward(n?: number, numBags?: number, options?: BagBatchOptions): Float32Array | undefined;
  /** Frees the batch's wasm memory. Idempotent; later use throws. */
  dispose(): void;
  /** dispose(), for `using` declarations. */
  [Symbol.dispose](): void;
}

/** Options of {@link SGD}, as torch.optim.SGD's. */
export interface SGDOptions {
  /** Learning rate (required, as in PyTorch). */
  lr: number;
  /** Momentum factor. Default 0. */
  momentum?: number;
  /** Dampening for momentum. Default 0. */
  dampening?: number;
  /** L2 penalty. Default 0. */
  weightDecay?: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). Default false. */
  nesterov?: boolean;
  /** Maximise the objective instead of minimising it. Default false. */
  maximize?: boolean;
}

/** What the optimizers share. Each keeps its state for a table inside that table. */
export abstract class Optimizer {
  /** Can be changed between steps. */
  lr: number;
  /**
   * Updates every parameter that requires grad and has a gradient. Throws RangeError, having
   * changed nothing, when the optimizer's state for a table does not fit in wasm memory.
   */
  step(): void;
  /** Zeroes the gradients of every parameter (torch 1.13's zero_grad()). */
  zeroGrad(): void;
  /** Applies the updates still owed to untouched rows and frees the optimizer's state. */
  dispose(): void;
  /** dispose(), for `using` declarations. */
  [Symbol.dispose](): void;
}

/** float32 tables (compressed ones are frozen: an optimizer refuses them with a TypeError). */
export type Parameters = (Embedding | EmbeddingBag)[];

/**
 * torch.optim.SGD with the results of a dense-gradient nn.Embedding, at O(rows touched x
 * embeddingDim) a step: with momentum or weight decay, rows without gradient catch up when
 * next read (forward, lookup, weight) or touched.
 */
export class SGD extends Optimizer {
  /** An optimizer for these tables. */
  constructor(params: Parameters, options: SGDOptions);
}

/** Options of {@link Adagrad}, as torch.optim.Adagrad's. */
export interface AdagradOptions {
  /** Learning rate. Default 0.01. */
  lr?: number;
  /** Learning-rate decay. Default 0. */
  lrDecay?: number;
  /** L2 penalty. Default 0. */
  weightDecay?: number;
  /** Starting value of the squared-gradient sums. Default 0. */
  initialAccumulatorValue?: number;
  /** Added to the denominator. Default 1e-10. */
  eps?: number;
}

/**
 * torch.optim.Adagrad with the results of a dense-gradient nn.Embedding. Without weight decay
 * only the gradient's rows move; with it, other rows replay their owed steps when next read.
 */
export class Adagrad extends Optimizer {
  /** An optimizer for these tables. */
  constructor(params: Parameters, options?: AdagradOptions);
}

/** Options of {@link SparseAdam}, as torch.optim.SparseAdam's. */
export interface SparseAdamOptions {
  /** Learning rate. Default 0.001. */
  lr?: number;
  /** Decay rates of the first and second moment estimates. Default [0.9, 0.999]. */
  betas?: [number, number];
  /** Added to the denominator. Default 1e-8. */
  eps?: number;
}

/** torch.optim.SparseAdam: only the rows in the gradient move. */
export class SparseAdam extends Optimizer {
  /** An optimizer for these tables. */
  constructor(params: Parameters, options?: SparseAdamOptions);
}

/** Options of {@link RowwiseAdagrad}, as FBGEMM's. */
export interface RowwiseAdagradOptions {
  /** Learning rate. Default 0.01. */
  lr?: number;
  /** Added to the denominator. Default 1e-10. */
  eps?: number;
  /** L2 penalty, added to the gradient. Default 0. */
  weightDecay?: number;
}

/**
 * FBGEMM's row-wise Adagrad: one accumulator G per row; for a row with gradient g,
 * g' = g + weightDecay * w, G += mean(g'^2), w -= lr * g' / (sqrt(G) + eps).
 */
export class RowwiseAdagrad extends Optimizer {
  /** An optimizer for these tables. */
  constructor(params: Parameters, options?: RowwiseAdagradOptions);
}

/** How nearest() scores a row against a query. */
export type Metric = 'cosine' | 'dot' | 'l2';

/** Options of {@link Table.nearest}. */
export interface NearestOptions {
  /**
   * 'cosine' (default; 0 against a zero row), 'dot', or 'l2': Euclidean distances, smallest
   * first. Scores are float32, and ties are decided on them.
   */
  metric?: Metric;
  /** Rows left out of every query's results. */
  exclude?: number[] | Int32Array;
}

/** What {@link Table.nearest} and {@link Table.analogy} return: m * k entries, query by query. */
export interface NearestResult {
  /** Row indices, best first per query; -1 where no row qualified. */
  indices: Int32Array;
  /** Their scores (distances for 'l2'); NaN where no row qualified. */
  scores: Float32Array;
}

/** Table.buildIndex's options. */
export interface BuildIndexOptions {
  /** What the index ranks by (default 'cosine'); fixed for the index's searches. */
  metric?: Metric;
  /** Called after each step of the build with the fraction done, ending with 1. */
  onProgress?: (fraction: number) => void;
  /** Aborts the build (an AbortSignal): the promise rejects with the signal's reason. */
  signal?: AbortSignalLike;
  /** k-means seed (default 0): the same seed, table and options give the same index. */
  seed?: number;
  /** Lists the rows are split into (default about 2 * sqrt(rows)). */
  lists?: number;
  /** Rows k-means trains on (default 32 per list). */
  sample?: number;
  /** k-means iterations (default 8). */
  iterations?: number;
  /** Lists a search scans by default (default lists / 18 rounded up, at least 32: recall@10 about 0.96 on GloVe). */
  nprobe?: number;
}

/** AnnIndex.nearest's options. */
export interface AnnNearestOptions {
  /** Rows left out of every query's results. */
  exclude?: number[] | Int32Array;
  /**
   * Lists scanned (default index.nprobe): more finds more of the true neighbours, more slowly
   * (on GloVe 6B 100-d, 1,169 lists: recall@10 0.95 at 50, 0.96 at 65 (the default), 0.99 at 200).
   */
  nprobe?: number;
}

/**
 * An approximate index over one table: an inverted file (k-means lists of 4-bit codes) whose
 * candidates are re-ranked exactly, so the scores returned are those table.nearest gives for
 * the same rows, with the same order, exclusions, padding row and -1/NaN fill.
 */
export class AnnIndex {
  private constructor();
  /** What the index ranks by. */
  readonly metric: Metric;
  /** Lists the rows are split into. */
  readonly lists: number;
  /** Lists a search scans unless told otherwise. */
  readonly nprobe: number;
  /** Bytes the index holds besides the table's rows. */
  readonly byteLength: number;
  /** True once the table changed since the index was built or loaded (searches then throw). */
  readonly stale: boolean;
  /** True after dispose(). */
  readonly disposed: boolean;
  /** As Table.nearest, approximately, with the index's metric. */
  nearest(query: number | Float32Array | Int32Array, k: number, options?: AnnNearestOptions): NearestResult;
  /** As Table.analogy, through the index (cosine indexes only). */
  analogy(a: number, b: number, c: number, k?: number, options?: { nprobe?: number }): NearestResult;
  /** A safetensors file holding the index and metadata tying it to its table (rows, dim, metric, checksum). */
  save(): Uint8Array;
  /** Frees the index's wasm memory. Idempotent; later searches throw. */
  dispose(): void;
  /** dispose(), for `using`. */
  [Symbol.dispose](): void;
}

/** Element types, named as safetensors names them. */
export type Dtype =
  | 'BOOL' | 'U8' | 'I8' | 'I16' | 'U16' | 'F16' | 'BF16' | 'I32' | 'U32' | 'F32' | 'C64' | 'F64' | 'I64' | 'U64'
  | 'F4' | 'F6_E2M3' | 'F6_E3M2' | 'F8_E5M2' | 'F8_E4M3' | 'F8_E8M0' | 'F8_E4M3FNUZ' | 'F8_E5M2FNUZ';

/** The typed arrays a {@link Tensor} holds its values in. */
export type TensorData =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array;

/**
 * A tensor of a file. data: Float32Array for F32, F16 and BF16 (widened exactly) and C64
 * ((real, imaginary) pairs); Float64Array for F64; BigInt64Array / BigUint64Array for I64 /
 * U64; Int32Array, Uint32Array, Int16Array, Uint16Array, Int8Array for I32, U32, I16, U16, I8;
 * Uint8Array for U8, BOOL and the raw bytes of the packed FP8/FP6/FP4 types. Row-major (C order).
 */
export interface Tensor {
  /** The element type. */
  dtype: Dtype;
  /** The dimensions (an empty array for a scalar). */
  shape: number[];
  /** The values, row-major. */
  data: TensorData;
}

/**
 * A safetensors file: tables become F32 [numEmbeddings, embeddingDim] (a compressed table its
 * rows as stored: U8 [numEmbeddings, rowBytes] in FBGEMM's layout for int8/int4, F16
 * [numEmbeddings, embeddingDim] for float16, with __metadata__ "<name>.storage" and
 * "<name>.embedding_dim", which fromSafetensors reads back); a raw tensor's data is
 * the typed array loadSafetensors gives for its dtype (F16/BF16: a Float32Array, rounded to
 * nearest even, or a Uint16Array of bits). Tensors are ordered by dtype alignment, then name,
 * and the header is padded with spaces to a multiple of 8 bytes, as the reference writer does.
 * @param metadata strings, written as __metadata__
 */
export function saveSafetensors(entries: Record<string, Table | Tensor>, metadata?: Record<string, string> | null): Uint8Array;

/**
 * Reads a safetensors file, validated as the reference implementation does: a malformed or
 * hostile header (offsets past the end, overlaps, gaps, overflowing sizes, a header length past
 * the file, unknown dtypes, duplicate names) throws an Error naming what is wrong.
 * @returns metadata: the __metadata__ strings, or null when absent
 */
export function loadSafetensors(bytes: Uint8Array | ArrayBuffer): {
  /** The tensors, by name. */
  tensors: Record<string, Tensor>;
  /** The __metadata__ strings, or null. */
  metadata: Record<string, string> | null;
};

/** What a checkpoint holds: tables and the optimizers that step them, by name. */
export interface TrainingState {
  /** The tables, by name (their names prefix their tensors). */
  tables: Record<string, Embedding | EmbeddingBag>;
  /** The optimizers, by name; each steps tables among `tables`. */
  optimizers?: Record<string, Optimizer>;
}

/**
 * A training state as a safetensors file, to resume training later with the same bits:
 * every table (`<table>.weight`, F32 [rows, dim], as stored: rows that owe a lazy optimizer
 * updates keep owing them), every optimizer's state for each of its tables
 * (`<optimizer>.state.<i>.<field>`, torch.optim's field names where torch has them:
 * momentum_buffer, sum, exp_avg, exp_avg_sq, step; counters and the options its steps used), and
 * the classes and options that rebuild the objects, with a CRC-32 of it all, in the metadata.
 * Every table an optimizer steps must be among the tables; compressed (quantized) tables hold no
 * training state and throw a TypeError (save them with saveSafetensors). Gradients are not saved
 * (as in torch's state_dict). examples/pytorch/load_checkpoint.py loads the file into PyTorch.
 * @param metadata more __metadata__ strings (returned by loadCheckpoint)
 */
export function saveCheckpoint(state: TrainingState, metadata?: Record<string, string>): Uint8Array;

/**
 * New tables and optimizers from a checkpoint: training them on gives the same bits as the
 * saved objects would have given (in this process or another, on either build). A file that
 * is not a checkpoint, is truncated or corrupted (checksum) throws an Error, creating nothing.
 */
export function loadCheckpoint(bytes: Uint8Array | ArrayBuffer): {
  /** The tables, by the names they were saved under. */
  tables: Record<string, Embedding | EmbeddingBag>;
  /** The optimizers, by name, each stepping its tables among `tables`. */
  optimizers: Record<string, Optimizer>;
  /** The metadata given to saveCheckpoint. */
  metadata: Record<string, string>;
};

/**
 * Reads a .npy file (format 1.0, 2.0, 3.0): data in C order (a Fortran-order file is
 * transposed) and native byte order, dtype named as safetensors names it (F16 widened to a
 * Float32Array). A malformed file throws an Error naming what is wrong and where.
 */
export function loadNpy(bytes: Uint8Array | ArrayBuffer): Tensor;

/**
 * A .npy file (format 1.0) that numpy.load reads, byte for byte what numpy.save writes.
 * @param shape default [data.length]
 */
export function saveNpy(
  data: Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array,
  shape?: number[],
): Uint8Array;

/** Words <-> table rows. loadWordVectors makes one; any list of distinct words does too. */
export class Vocab {
  /** Row i's word is words[i]. A word given twice (or a non-string) is a TypeError naming it. */
  constructor(words: string[]);
  /** The number of words (the table's rows). */
  readonly size: number;
  /** The row of `word`, or -1. */
  indexOf(word: string): number;
  /** The word of row i (a RangeError outside [0, size)). */
  wordAt(i: number): string;
  /** All the words in row order (a copy). */
  readonly words: string[];
  /** The rows of `words`: an unknown word is a RangeError naming it and its position, unless `unk` (a row) stands in. */
  encode(words: string[], options?: { unk?: number }): Int32Array;
}

/**
 * 'glove': no header, "word v1 ... vd" rows (a word may hold spaces: the values are the last d
 * fields); 'word2vec': a "count dim" header, then such rows (fastText .vec too);
 * 'word2vec-binary': the header, then "word " and d little-endian float32 a row (gensim's and
 * the C tool's layouts); 'auto': told apart by the first bytes.
 */
export type WordVectorFormat = 'auto' | 'glove' | 'word2vec' | 'word2vec-binary';

// The web platform's stream, Blob, Response and AbortSignal, structurally: the real ones (DOM
// or Node) fit, and these types need neither library.
/** A web ReadableStream of bytes, structurally (the DOM's and Node's fit). */
export interface ReadableStreamLike {
  /** A reader of its chunks. */
  getReader(): {
    /** The next chunk. */
    read(): Promise<{
      /** Whether the stream has ended. */
      done: boolean;
      /** The chunk's bytes. */
      value?: Uint8Array;
    }>;
    /** Stops the stream (on an error or an abort). */
    cancel(reason?: unknown): Promise<void>;
  };
}
/** A Blob or a File. */
export interface BlobLike {
  /** Its size in bytes. */
  readonly size: number;
  /** A stream of its bytes. */
  stream(): ReadableStreamLike;
}
/** A fetch Response: an error status rejects, Content-Length gives the progress total. */
export interface ResponseLike {
  /** Whether the status is 2xx. */
  readonly ok: boolean;
  /** The HTTP status. */
  readonly status: number;
  /** The HTTP status text. */
  readonly statusText: string;
  /** The URL, named in errors. */
  readonly url: string;
  /** The response type ('opaque' responses have no readable body). */
  readonly type: string;
  /** Whether the body has been read already. */
  readonly bodyUsed: boolean;
  /** Its headers (Content-Length, Content-Type). */
  readonly headers: {
    /** A header's value, or null. */
    get(name: string): string | null;
  };
  /** A stream of the body. */
  readonly body: ReadableStreamLike | null;
}
/** An AbortSignal, structurally. */
export interface AbortSignalLike {
  /** Whether it has fired. */
  readonly aborted: boolean;
  /** What the load rejects with once it fires. */
  readonly reason?: any;
  /** Listens for the abort. */
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  /** Stops listening. */
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** A whole file (a string is its text, not a URL), or a stream of its bytes (a Node fs.ReadStream too). */
export type WordVectorSource =
  | string
  | Uint8Array
  | ArrayBuffer
  | BlobLike
  | ResponseLike
  | ReadableStreamLike
  | AsyncIterable<Uint8Array>;

/** What {@link LoadWordVectorsOptions.onProgress} receives. */
export interface WordVectorProgress {
  /** Bytes of the file read so far. */
  bytesRead: number;
  /** The file's size when known (a Blob, a Response with Content-Length, bytes, a Node fs.ReadStream). */
  totalBytes: number | undefined;
  /** Rows kept so far. */
  rows: number;
}

/** Options of {@link parseWordVectors} (and {@link loadWordVectors}). */
export interface ParseWordVectorsOptions {
  /** Default 'auto'. */
  format?: WordVectorFormat;
  /** Read the first `limit` rows only (duplicates included, as gensim); what follows is never parsed. */
  limit?: number;
  /** Freeze the table (requiresGrad = false). Default true, as fromPretrained. */
  freeze?: boolean;
  /**
   * Store the table compressed, each row quantized as it is read (the float32 table never
   * exists); default 'float32'. A compressed table is frozen (freeze must stay true), and a row
   * it cannot hold is a RangeError naming its line, as quantize() would refuse it.
   */
  storage?: TableStorage;
}

/** Options of {@link loadWordVectors}: those of {@link parseWordVectors}, progress and abort. */
export interface LoadWordVectorsOptions extends ParseWordVectorsOptions {
  /** Called during the load (every 1% of a file of known size, else every MiB) and once at the end. */
  onProgress?: (progress: WordVectorProgress) => void;
  /** Aborting rejects the load with signal.reason (an AbortError DOMException by default) and frees all it allocated. */
  signal?: AbortSignalLike;
}

/** A word-vector file read: its words and their table. */
export interface WordVectors {
  /** The words, row by row. */
  vocab: Vocab;
  /** One row a word, the values as the file has them (text: the nearest float32, as strtof). */
  embedding: Embedding;
  /** Rows dropped because their word came earlier (the first is kept, as gensim does). */
  duplicates: number;
}

/**
 * Reads a word-vector file, streamed: a few hundred kilobytes of it in memory at a time, rows
 * written straight into the table's wasm memory. A malformed file rejects with an Error naming
 * the line (text) or byte offset (binary), and leaves no memory behind.
 */
export function loadWordVectors(source: WordVectorSource, options?: LoadWordVectorsOptions): Promise<WordVectors>;

/** loadWordVectors for a file already in memory, synchronously. */
export function parseWordVectors(source: string | Uint8Array | ArrayBuffer, options?: ParseWordVectorsOptions): WordVectors;

/**
 * Writes a vocabulary and its table as a word-vector file: values as the shortest decimals that
 * read back to the same float32 (numpy's repr, as gensim writes them), or bit for bit in binary
 * (the C tool's layout); a compressed table's values dequantised. Default format 'word2vec'.
 */
export function saveWordVectors(
  vocab: Vocab,
  embedding: Table,
  options?: { format?: Exclude<WordVectorFormat, 'auto'> },
): Uint8Array;
