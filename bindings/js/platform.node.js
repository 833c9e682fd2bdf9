// How Node loads the wasm: from disk next to this module (Node's fetch cannot read files), or
// from http(s) when given such a URL. Only the package's "node" export condition reaches this.
import { ReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
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

/** The bytes an fs.ReadStream has still to give (its file from `start` to `end`), or undefined. */
export async function sourceSize(source) {
  if (!(source instanceof ReadStream) || source.path == null) return undefined;
  try {
    const file = await stat(source.path);
    if (!file.isFile()) return undefined;
    const end = Math.min(source.end ?? Infinity, file.size - 1);
    return Math.max(0, end + 1 - (source.start ?? 0) - source.bytesRead);
  } catch {
    return undefined;
  }
}
