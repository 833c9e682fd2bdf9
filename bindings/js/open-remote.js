// Embedding.open / EmbeddingBag.open: loads the remote-tables module (dist/remote.js, a file of
// its own, as threads.js is) on first use and hands it the main module's internals.
import { platformRowStore, requireRuntime } from './runtime.js';
import { readHeader } from './io/safetensors.js';
import { adoptPacked, kCore, kPretrained } from './table.js';
import { kReadBags } from './bag.js';

export async function openRemote(cls, url, options) {
  requireRuntime(); // before the download: "call await init() first"
  const remote = await import('./remote.js');
  return remote.openRemote({ requireRuntime, openRowStore: platformRowStore(), readHeader, adoptPacked, kCore, kPretrained, kReadBags }, cls, url, options);
}
