// wasm-embedding for browsers, workers and bundlers (the package's "default" export condition).
// The public API of shared/API.md; Node gets node.js, which differs only in how it loads the wasm.
import { usePlatform } from './runtime.js';
import * as browser from './platform.browser.js';

usePlatform(browser);

export * from './api.js';
