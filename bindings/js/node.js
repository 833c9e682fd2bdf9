// wasm-embedding for Node (the package's "node" export condition): reads the .wasm from disk.
import { usePlatform } from './runtime.js';
import * as node from './platform.node.js';

usePlatform(node);

export * from './api.js';
