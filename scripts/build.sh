#!/usr/bin/env bash
# Builds what is stale: the native core + tests (build/native), the same under
# ASan/UBSan (build/asan), and both wasm modules (build/wasm), then assembles dist/.
# CMake and make skip everything that is up to date, so a no-op build takes a second or two.
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs   # Emscripten 3.1.6's JS optimizer needs Debian's acorn
jobs=$(nproc)

configure() {  # dir, then cmake arguments; configures once
  local dir=$1; shift
  [ -f "$dir/CMakeCache.txt" ] || "$@" -B "$dir" -S . > "$dir.configure.log" 2>&1 || { cat "$dir.configure.log"; exit 1; }
}
mkdir -p build
configure build/native cmake -DCMAKE_BUILD_TYPE=Release
configure build/asan cmake -DCMAKE_BUILD_TYPE=Debug -DEMB_SANITIZE=ON
configure build/wasm emcmake cmake -DCMAKE_BUILD_TYPE=Release
for dir in build/native build/asan build/wasm; do
  cmake --build "$dir" -j "$jobs" > "$dir.build.log" 2>&1 || { cat "$dir.build.log"; exit 1; }
done

mkdir -p dist
for f in embedding.js embedding.wasm embedding-scalar.js embedding-scalar.wasm; do
  cmp -s "build/wasm/$f" "dist/$f" || cp "build/wasm/$f" "dist/$f"
done
for f in index.js index.d.ts; do
  cmp -s "bindings/js/$f" "dist/$f" || cp "bindings/js/$f" "dist/$f"
done
