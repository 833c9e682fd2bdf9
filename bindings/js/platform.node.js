// How Node loads the wasm: from disk next to this module (Node's fetch cannot read files), or
// from http(s) when given such a URL. Only the package's "node" export condition reaches this.
import { open, readFile } from 'node:fs/promises'; // not node:fs, whose ES module costs milliseconds to import
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { checkWasmBytes } from './runtime.js';
import { asBytes, compile as compileBrowser } from './platform.browser.js';

export function defaultWasm(simd) {
  return simd ? new URL('./embedding.wasm', import.meta.url) : new URL('./embedding-scalar.wasm', import.meta.url);
}

export async function compile(source) {
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    return WebAssembly.compile(checkWasmBytes(asBytes(source), 'init({ wasm })'));
  }
  // Strings are paths (relative to the working directory) unless they are URLs.
  const url = source instanceof URL ? source : /^[a-z][a-z0-9+.-]*:\/\//i.test(source) ? new URL(source) : pathToFileURL(source);
  if (url.protocol !== 'file:') return compileBrowser(url);
  return WebAssembly.compile(checkWasmBytes(new Uint8Array(await readFile(url)), url.pathname));
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
  const file = await open(source.path, 'r');
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
export function startWorker(url) {
  return new Worker(`
    const { parentPort } = require('node:worker_threads');
    globalThis.self = globalThis;
    self.postMessage = (message) => parentPort.postMessage(message);
    parentPort.on('message', (data) => self.onmessage({ data }));
    import(${JSON.stringify(url.href)});`, { eval: true });
}
export { openRowStore } from './remote/persist-node.js';
