// The entry of dist/remote.js: remote tables (remote/), loaded by the first Embedding.open or
// EmbeddingBag.open (open-remote.js) with what they borrow from the main module.
import { host } from './remote/host.js';
import { openRemote as open } from './remote/table.js';

export function openRemote(internals, cls, url, options) {
  Object.assign(host, internals);
  return open(cls, url, options);
}
