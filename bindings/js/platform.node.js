// How Node loads the wasm: from disk next to this module (Node's fetch cannot read files), or
// from http(s) when given such a URL. Only the package's "node" export condition reaches this.
import { ReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { checkWasmBytes } from './runtime.js';
import { asBytes, instantiate as instantiateBrowser } from './platform.browser.js';

export function defaultWasm(simd) {
  return simd ? new URL('./embedding.wasm', import.meta.url) : new URL('./embedding-scalar.wasm', import.meta.url);
}

export async function instantiate(source, imports) {
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    return WebAssembly.instantiate(checkWasmBytes(asBytes(source), 'init({ wasm })'), imports);
  }
  // Strings are paths (relative to the working directory) unless they are URLs.
  const url = source instanceof URL ? source : /^[a-z][a-z0-9+.-]*:\/\//i.test(source) ? new URL(source) : pathToFileURL(source);
  if (url.protocol !== 'file:') return instantiateBrowser(url, imports);
  return WebAssembly.instantiate(checkWasmBytes(new Uint8Array(await readFile(url)), url.pathname), imports);
}

/**
 * An fs.ReadStream that has not started, read as its file from `start` to `end` into one reused
 * buffer, as loadWordVectors' sources are (see io/sources.js): the stream itself would allocate
 * a buffer a read, garbage until the next collection (tens of MB while a large file streams
 * in). The stream is destroyed. Anything else: undefined.
 */
export async function fileSource(source, readBytes) {
  if (!(source instanceof ReadStream) || source.path == null || source.bytesRead !== 0 || source.readableLength !== 0 || source.readableFlowing) {
    return undefined;
  }
  source.destroy();
  const file = await open(source.path, 'r');
  const size = (await file.stat()).size;
  const end = Math.min(source.end ?? Infinity, size - 1) + 1;
  let position = source.start ?? 0;
  const buffer = Buffer.allocUnsafe(readBytes);
  const close = () => file.close().catch(() => {});
  return {
    totalBytes: Math.max(0, end - position),
    sizeBound: Math.max(0, end - position),
    async next() {
      const { bytesRead } = position < end ? await file.read(buffer, 0, Math.min(readBytes, end - position), position) : { bytesRead: 0 };
      position += bytesRead;
      if (bytesRead === 0) await close();
      return bytesRead === 0 ? { done: true, value: undefined } : { done: false, value: buffer.subarray(0, bytesRead) };
    },
    cancel: close,
  };
}
