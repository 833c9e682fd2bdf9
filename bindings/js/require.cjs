// require('wasm-embedding'): the package is an ES module, which require() loads on Node >= 20.19
// and >= 22.12 (require(esm)). Elsewhere, say what to do instead of Node's generic error.
'use strict';
try {
  module.exports = require('./node.js');
} catch (err) {
  if (err && err.code === 'ERR_REQUIRE_ESM') {
    throw new Error(
      `wasm-embedding is an ES module, and require() cannot load ES modules in this Node (${process.version}; ` +
      'it can from 20.19 and 22.12 on, unless they run with --no-experimental-require-module). ' +
      "Use `const { init, Embedding } = await import('wasm-embedding')` instead.",
    );
  }
  throw err;
}
