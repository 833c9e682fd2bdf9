// A helper thread of the threads build (threads.js starts it; in Node, platform.node.js gives
// it `self` first). It instantiates the module on the shared memory, takes its own stack, and
// enters emb_threads_helper_main, which never returns: it takes its piece of every parallel loop. It
// calls no import (it never allocates); any that runs is a bug, and says so.
self.onmessage = ({ data: { module, memory, id, stackTop, names } }) => {
  try {
    const imports = {};
    for (const { module: space, name, kind } of WebAssembly.Module.imports(module)) {
      imports[space] ??= {};
      imports[space][name] = kind === 'memory' ? memory : () => {
        throw new Error(`wasm-embedding helper thread ${id} called the import ${space}.${name}`);
      };
    }
    const { exports } = new WebAssembly.Instance(module, imports);
    exports[names.stackRestore](stackTop);
    self.postMessage('ready');
    exports[names.main](id);
  } catch (err) {
    self.postMessage({ error: String(err?.stack ?? err) });
  }
};
self.postMessage('loaded');
