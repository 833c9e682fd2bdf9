// Builds the explorer's approximate index off the page's main thread. The page starts one
// worker per table and terminates it when the visitor moves to another table. Messages:
//   in:  { lib, simd, source } (the only one)   import the package (the URL the page's import map gives
//        it: import maps do not reach workers), open the same table as the page, build its index
//        source: { url } (GloVe: fetched again, the HTTP cache usually answers),
//                { file, tensor } (a safetensors file the visitor brought: its table's tensor)
//                or { file } (a word-vector file, read with loadWordVectors as the page did)
//   out: progress { fraction }   the table is in and the build has started or moved on
//        built { bytes, ms }      index.save()'s bytes (transferred), the build's time
//        error { message }
const describe = (err) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

async function open(lib, { url, file, tensor }) {
  if (url) {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`could not fetch ${url}: HTTP ${response.status}`);
    return lib.Embedding.fromSafetensors(new Uint8Array(await response.arrayBuffer()), 'weight');
  }
  if (tensor) return lib.Embedding.fromSafetensors(new Uint8Array(await file.arrayBuffer()), tensor);
  return (await lib.loadWordVectors(file)).embedding;
}

onmessage = async ({ data: { lib: url, simd, source } }) => {
  try {
    const lib = await import(url);
    await lib.init({ simd });
    const table = await open(lib, source);
    postMessage({ type: 'progress', fraction: 0 });
    const t0 = performance.now();
    const index = await table.buildIndex({ onProgress: (fraction) => postMessage({ type: 'progress', fraction }) });
    const ms = performance.now() - t0;
    const bytes = index.save();
    postMessage({ type: 'built', bytes, ms }, [bytes.buffer]);
  } catch (err) {
    postMessage({ type: 'error', message: describe(err) });
  }
};
