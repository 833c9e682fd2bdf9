// persist in browsers and workers: the origin private file system (OPFS), or IndexedDB where
// OPFS is missing; a folder (or key prefix) per URL, and in it one per version of the file.
import { RowStore, storeKeys } from './persist.js';

const ROOT = 'wasm-embedding-remote';

async function opfsBackend(urlKey, versionKey) {
  const root = await (await navigator.storage.getDirectory()).getDirectoryHandle(ROOT, { create: true });
  const urlDir = await root.getDirectoryHandle(urlKey, { create: true });
  for await (const name of urlDir.keys()) if (name !== versionKey) await urlDir.removeEntry(name, { recursive: true }).catch(() => {});
  const dir = await urlDir.getDirectoryHandle(versionKey, { create: true });
  return {
    async list() {
      const names = [];
      for await (const name of dir.keys()) names.push(name);
      return names;
    },
    async read(name) {
      try {
        const file = await (await dir.getFileHandle(name)).getFile();
        return new Uint8Array(await file.arrayBuffer());
      } catch {
        return null;
      }
    },
    async write(name, bytes) {
      const writable = await (await dir.getFileHandle(name, { create: true })).createWritable();
      await writable.write(bytes);
      await writable.close(); // replaces the file whole
    },
  };
}

const request = (r) => new Promise((resolve, reject) => {
  r.onsuccess = () => resolve(r.result);
  r.onerror = () => reject(r.error);
});

async function indexedDbBackend(urlKey, versionKey) {
  const open = indexedDB.open(ROOT, 1);
  open.onupgradeneeded = () => open.result.createObjectStore('blocks');
  const db = await request(open);
  const tx = (mode) => db.transaction('blocks', mode).objectStore('blocks');
  const prefix = `${urlKey}/`;
  const keys = await request(tx('readonly').getAllKeys(IDBKeyRange.bound(prefix, `${prefix}\uffff`)));
  const store = tx('readwrite');
  for (const key of keys) if (!key.startsWith(`${prefix}${versionKey}/`)) store.delete(key);
  const at = `${prefix}${versionKey}/`;
  return {
    list: () => keys.filter((k) => k.startsWith(at)).map((k) => k.slice(at.length)),
    async read(name) {
      const value = await request(tx('readonly').get(at + name));
      return value ? new Uint8Array(value) : null;
    },
    write: (name, bytes) => request(tx('readwrite').put(bytes, at + name)).then(() => {}),
    close: () => db.close(),
  };
}

export async function openRowStore({ url, version, info }) {
  const { urlKey, versionKey } = storeKeys({ url, version, info });
  let backend = null;
  if (globalThis.navigator?.storage?.getDirectory) {
    try {
      backend = await opfsBackend(urlKey, versionKey);
    } catch {
      backend = null; // OPFS refused (a private window, say): IndexedDB may work
    }
  }
  if (backend === null) {
    if (!globalThis.indexedDB) throw new Error('wasm-embedding: persist: this environment has neither OPFS nor IndexedDB');
    backend = await indexedDbBackend(urlKey, versionKey);
  }
  return RowStore.open(backend, info);
}
