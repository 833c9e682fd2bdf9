// How browsers (and workers, and bundlers' output) load the wasm. The literal
// new URL('./….wasm', import.meta.url) is what Vite, webpack, Parcel and Rollup's URL plugins
// recognise: they emit the file and rewrite the URL. Nothing here is Node-only.
import { checkWasmBytes } from './runtime.js';

export function defaultWasm(simd) {
  return simd ? new URL('./embedding.wasm', import.meta.url) : new URL('./embedding-scalar.wasm', import.meta.url);
}

/** Compiles the module from bytes or a URL (while it downloads, when the server allows). */
export async function compile(source) {
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    return WebAssembly.compile(checkWasmBytes(asBytes(source), 'init({ wasm })'));
  }
  // Relative to the page or worker, as fetch() would resolve it (import.meta.url here would be
  // the bundle's, and webpack inlines it as the build machine's file path).
  const url = new URL(String(source), globalThis.location?.href);
  const response = await fetch(url, { credentials: 'same-origin' });
  if (!response.ok) throw new Error(`wasm-embedding: could not fetch ${url.href}: HTTP ${response.status} ${response.statusText}. ${advice(url)}`);
  // Streaming compiles while the bytes arrive; it needs the application/wasm MIME type.
  if (typeof WebAssembly.compileStreaming === 'function' && /^application\/wasm\b/.test(response.headers.get('Content-Type') ?? '')) {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(checkWasmBytes(new Uint8Array(await response.arrayBuffer()), url.href, advice(url)));
}

// What to do when the .wasm is not where the module expects it. Vite before 8 pre-bundles
// dependencies into node_modules/.vite/deps/ and leaves their .wasm files behind (Vite 8 rewrites the URLs).
function advice(url) {
  return url.pathname.includes('/.vite/deps/')
    ? "Vite before 8 pre-bundles wasm-embedding without its .wasm files: add optimizeDeps: { exclude: ['wasm-embedding'] } to the Vite config"
    : 'Serve the .wasm files next to the module (a bundler that does not emit them: see the README), or pass init({ wasm })';
}

/** A module worker for the threads build's helpers (threads-worker.js). */
export function startWorker(url) {
  return new Worker(url, { type: 'module' });
}

export function asBytes(source) {
  return source instanceof ArrayBuffer ? new Uint8Array(source) : new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
}
