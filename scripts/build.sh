#!/usr/bin/env bash
# Builds what is stale: the native core + tests (build/native), the same under ASan/UBSan
# (build/asan), the libFuzzer targets (build/fuzz), both wasm modules (build/wasm), then
# assembles dist/. CMake skips what is up to date, so a no-op build takes a second or two.
# Usage: build.sh [native|asan|fuzz|wasm ...]
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs   # Emscripten 3.1.6's JS optimizer needs Debian's acorn
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(native asan fuzz wasm)

build() {  # name, then the cmake configure command
  local dir=build/$1; shift
  mkdir -p build
  if [ ! -f "$dir/Makefile" ]; then
    "$@" -S . -B "$dir" > "$dir.configure.log" 2>&1 || { cat "$dir.configure.log"; exit 1; }
  fi
  cmake --build "$dir" -j "$(nproc)" > "$dir.build.log" 2>&1 || { cat "$dir.build.log"; exit 1; }
}
for target in "${targets[@]}"; do
  case $target in
    native) build native cmake -DCMAKE_BUILD_TYPE=Release ;;
    asan) build asan cmake -DCMAKE_BUILD_TYPE=Debug -DEMB_SANITIZE=ON ;;
    fuzz) build fuzz cmake -DCMAKE_BUILD_TYPE=Release -DEMB_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ ;;
    wasm) build wasm emcmake cmake -DCMAKE_BUILD_TYPE=Release ;;
    *) echo "build.sh: unknown target '$target' (native, asan, fuzz, wasm)" >&2; exit 2 ;;
  esac
done

# dist/: the npm package's files (copied only when changed, to keep timestamps meaningful).
if [ -f build/wasm/embedding.js ]; then
  # Both builds ship with one JS glue (the SIMD build's): the scalar module gets its import names.
  node scripts/align-scalar-imports.mjs build/wasm/embedding.js build/wasm/embedding-scalar.js \
    build/wasm/embedding-scalar.wasm build/embedding-scalar.aligned.wasm
  mkdir -p dist
  rm -f dist/embedding-scalar.js
  cmp -s build/embedding-scalar.aligned.wasm dist/embedding-scalar.wasm || cp build/embedding-scalar.aligned.wasm dist/embedding-scalar.wasm
  for f in build/wasm/embedding.wasm build/wasm/embedding-threads.wasm \
           bindings/js/threads-worker.js bindings/js/index.d.ts; do
    cmp -s "$f" "dist/$(basename "$f")" || cp "$f" dist/
  done
  # The JS: each entry (index.js for browsers and bundlers, node.js for Node) bundled with
  # Emscripten's glue into one file, whitespace- and syntax-minified. Identifiers are kept:
  # error messages use class names, and esbuild's --keep-names would wrap every closure in a
  # call (5x slower small lookups, measured). No source maps: they would point at files the
  # package does not ship.
  esbuild=node_modules/.bin/esbuild
  [ -x "$esbuild" ] || { echo "build.sh: $esbuild is missing: run scripts/bootstrap.sh (npm test and npm start do)" >&2; exit 1; }
  mkdir -p build/js
  # The glue is generated code: its identifiers are minified too.
  "$esbuild" build/wasm/embedding.js --minify --format=esm --log-level=warning --outfile=build/js/glue.js
  "$esbuild" build/wasm/embedding-threads.js --minify --format=esm --log-level=warning --outfile=build/js/threads-glue.js
  # threads.js (the threads build's glue and helpers) and remote.js (remote tables: the main
  # module hands it its runtime, open-remote.js) are files of their own, imported by the entries
  # only when init({ threads }) or Embedding.open asks for them.
  "$esbuild" bindings/js/index.js bindings/js/node.js bindings/js/threads.js bindings/js/remote.js --bundle --format=esm \
    --platform=neutral --external:node:* --external:./threads.js --external:./remote.js --minify-whitespace --minify-syntax \
    --log-level=warning --outdir=build/js
  for f in build/js/index.js build/js/node.js build/js/threads.js build/js/remote.js bindings/js/require.cjs; do
    cmp -s "$f" "dist/$(basename "$f")" || cp "$f" dist/
  done
  rm -f dist/embedding.js dist/embedding.js.map dist/index.js.map
fi
