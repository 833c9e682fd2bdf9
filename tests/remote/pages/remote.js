// The browser side of tests/remote/browser.test.mjs: window.lookup() opens a remote table and
// looks rows up, on the page or in a module worker; window.storedBlocks() counts the rows'
// blocks kept in OPFS.
import { init, Embedding, EmbeddingBag } from 'wasm-embedding';
import { lookup } from './lookup.js';

window.lookup = async (url, indices, options = {}, { worker = false, noOpfs = false } = {}) => {
  if (worker) {
    const w = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    return new Promise((resolve, reject) => {
      w.onmessage = ({ data }) => { w.terminate(); resolve(data); };
      w.onerror = (e) => { w.terminate(); reject(new Error(e.message)); };
      w.postMessage({ url, indices, options });
    });
  }
  if (noOpfs) Object.defineProperty(StorageManager.prototype, 'getDirectory', { value: undefined, configurable: true });
  await init();
  return lookup({ Embedding, EmbeddingBag }, url, indices, options);
};

window.storedBlocks = async () => {
  let count = 0;
  const walk = async (dir) => {
    for await (const [, handle] of dir.entries()) {
      if (handle.kind === 'directory') await walk(handle);
      else ++count;
    }
  };
  try {
    await walk(await (await navigator.storage.getDirectory()).getDirectoryHandle('wasm-embedding-remote'));
  } catch {
    return 0;
  }
  return count;
};

document.body.dataset.ready = 'true';
