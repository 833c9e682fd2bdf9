// What remote tables borrow from the package's main module. Remote tables ship as a module of
// their own (dist/remote.js, loaded by the first open(), so apps that never open one do not
// download them); the main module hands over its runtime and its internal symbols here, so no
// state is duplicated between the two bundles. Set by remote.js before any use.
export const host = {
  requireRuntime: null, // () => the active runtime (runtime.js)
  openRowStore: null, // the platform's persistent row store (Node's directory), or null: persist-browser.js
  readHeader: null, // the safetensors header reader (io/safetensors.js)
  adoptPacked: null, // a compressed table around a filled PackedTable (table.js)
  kCore: null, // a live table's { rt, handle } (table.js)
  kPretrained: null, // the constructor's pretrained-weights hook (table.js)
  kReadBags: null, // a bag table's input checks (bag.js)
};
