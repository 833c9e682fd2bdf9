// persist in Node: a directory (persist: '<dir>', else $XDG_CACHE_HOME or ~/.cache, then
// wasm-embedding/remote), a folder per URL holding a folder per version of the file. Part of
// the Node entry (platform.node.js), so its built-ins come through `builtin` when first needed,
// never as static imports (they would slow every import of the package).
import { RowStore, storeKeys } from './persist.js';

export async function openRowStore({ url, version, info, dir }, builtin) {
  const { mkdir, readdir, readFile, rename, rm, writeFile } = (await builtin('node:fs')).promises;
  const { join } = await builtin('node:path');
  const { homedir } = await builtin('node:os');
  const { urlKey, versionKey } = storeKeys({ url, version, info });
  const root = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'wasm-embedding', 'remote');
  const urlDir = join(dir ?? root, urlKey);
  const folder = join(urlDir, versionKey);
  await mkdir(folder, { recursive: true });
  // Other versions of this URL are rows of a file that is no more.
  for (const name of await readdir(urlDir)) if (name !== versionKey) await rm(join(urlDir, name), { recursive: true, force: true });
  let temp = 0;
  const backend = {
    list: () => readdir(folder),
    read: async (name) => {
      try {
        const b = await readFile(join(folder, name));
        return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      } catch {
        return null;
      }
    },
    // Whole or not at all: written aside, then renamed over.
    write: async (name, bytes) => {
      const aside = join(folder, `.${name}.${process.pid}.${temp++}`);
      await writeFile(aside, bytes);
      await rename(aside, join(folder, name));
    },
  };
  return RowStore.open(backend, info);
}
