// How Node loads the wasm: from disk next to this module (Node's fetch cannot read files), or
// from http(s) when given such a URL. Only the package's "node" export condition reaches this.
// No static imports of node: modules: importing their ES module facades cost 3 ms of a 10 ms
// startup (bench/startup.mjs). Node >= 20.16 hands the built-in modules over synchronously
// (process.getBuiltinModule); older Nodes import them when first needed.
import { checkWasmBytes } from './runtime.js';
import { asBytes, compile as compileBrowser } from './platform.browser.js';

const builtin = (name) => globalThis.process.getBuiltinModule?.(name) ?? import(name);

export function defaultWasm(simd) {
  return simd ? new URL('./embedding.wasm', import.meta.url) : new URL('./embedding-scalar.wasm', import.meta.url);
}

export async function compile(source) {
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    return WebAssembly.compile(checkWasmBytes(asBytes(source), 'init({ wasm })'));
  }
  // Strings are paths (relative to the working directory) unless they are URLs.
  const url = source instanceof URL ? source : /^[a-z][a-z0-9+.-]*:\/\//i.test(source) ? new URL(source) : (await builtin('node:url')).pathToFileURL(source);
  if (url.protocol !== 'file:') return compileBrowser(url);
  // Read at once: a .wasm of 100 KB reads in a tenth of a millisecond, less than the event
  // loop's round trips of an asynchronous read (bench/startup.mjs: 1.0 ms from init() to
  // compiling, 2.3 ms with fs/promises). Compiled asynchronously: new WebAssembly.Module was no
  // faster to ready (its compile is shorter, its instantiation longer by as much).
  const bytes = new Uint8Array((await builtin('node:fs')).readFileSync(url));
  return WebAssembly.compile(checkWasmBytes(bytes, url.pathname));
}

/**
 * An fs.ReadStream that has not started, read as its file from `start` to `end` into two
 * buffers in turn, the next piece coming in while the last is parsed, as loadWordVectors'
 * sources are (see io/sources.js): the stream itself would allocate a buffer a read, garbage
 * until the next collection (tens of MB while a large file streams in). The stream is
 * destroyed. Anything else: undefined.
 */
export async function fileSource(source, readBytes) {
  // An fs.ReadStream by its shape (its class is in node:fs), with nothing read yet.
  const stream = typeof source.bytesRead === 'number' && typeof source.pending === 'boolean' && source.path != null;
  if (!stream || source.bytesRead !== 0 || source.readableLength !== 0 || source.readableFlowing) return undefined;
  source.destroy();
  const file = await (await builtin('node:fs')).promises.open(source.path, 'r');
  const size = (await file.stat()).size;
  const end = Math.min(source.end ?? Infinity, size - 1) + 1;
  const start = Math.min(source.start ?? 0, end);
  let position = start;
  const read = (buffer) => {
    const length = Math.min(buffer.length, end - position);
    position += length;
    return length > 0 ? file.read(buffer, 0, length, position - length) : Promise.resolve({ bytesRead: 0, buffer });
  };
  const buffers = [Buffer.allocUnsafe(readBytes), Buffer.allocUnsafe(readBytes)];
  let turn = 0;
  let pending = read(buffers[0]);
  const close = () => pending.catch(() => {}).then(() => file.close()).catch(() => {});
  return {
    totalBytes: end - start,
    sizeBound: end - start,
    async next() {
      const { bytesRead, buffer } = await pending;
      if (bytesRead === 0) {
        await close();
        return { done: true, value: undefined };
      }
      turn ^= 1;
      pending = read(buffers[turn]);
      return { done: false, value: buffer.subarray(0, bytesRead) };
    },
    cancel: close,
  };
}

/**
 * A worker_threads worker for the threads build's helpers: threads-worker.js is written for Web
 * Workers (self.onmessage, self.postMessage), so it gets that much of their environment first.
 */
export async function startWorker(url) {
  const { Worker } = await builtin('node:worker_threads');
  return new Worker(`
    const { parentPort } = require('node:worker_threads');
    globalThis.self = globalThis;
    self.postMessage = (message) => parentPort.postMessage(message);
    parentPort.on('message', (data) => self.onmessage({ data }));
    import(${JSON.stringify(url.href)});`, { eval: true });
}
import { openRowStore as openNodeRowStore } from './remote/persist-node.js';

/** Remote tables' persistent rows (persist: true): a directory. */
export const openRowStore = (options) => openNodeRowStore(options, builtin);
