// How Node loads the wasm: from disk next to this module (Node's fetch cannot read files), or
// from http(s) when given such a URL. Only the package's "node" export condition reaches this.
import { readFile } from 'node:fs/promises'; // not node:fs, whose ES module costs milliseconds to import
import { pathToFileURL } from 'node:url';
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
