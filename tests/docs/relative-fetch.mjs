// Preloaded into every docs block (node --import): fetch() resolves a relative URL against the
// block's folder served over loopback (DOCS_BASE_URL), as a page resolves it against its own
// URL, so `await fetch('glove.6B.100d.txt')` runs in Node as it would in a page.
const base = process.env.DOCS_BASE_URL;
if (base) {
  const original = globalThis.fetch;
  const absolute = (input) => (typeof input === 'string' && !/^[a-z][a-z0-9+.-]*:/i.test(input) ? new URL(input, base).href : input);
  globalThis.fetch = (input, init) => original(absolute(input), init);
  // Code that resolves URLs as a page does (Embedding.open: new URL(url, location.href)) sees the
  // block's folder as the page's location.
  globalThis.location ??= { href: base };
}
