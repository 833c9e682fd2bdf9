// A module worker that looks rows up in a remote table (tests/remote/browser.test.mjs).
import { init, Embedding, EmbeddingBag } from '/dist/index.js';
import { lookup } from './lookup.js';

self.onmessage = async ({ data }) => {
  await init();
  self.postMessage(await lookup({ Embedding, EmbeddingBag }, data.url, data.indices, data.options));
};
