#!/usr/bin/env bash
# Installs what building and testing need, only when it is missing: quick and idempotent.
# Debian 12: emscripten, cmake, g++, SIMDe, GoogleTest, Chromium (browser tests), clang and its
# libFuzzer runtime (fuzz tests); nginx (remote tables, site) and Caddy (remote tables); npm dev deps.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v emcc >/dev/null || need+=(emscripten)
command -v cmake >/dev/null || need+=(cmake)
command -v g++ >/dev/null || need+=(g++)
command -v make >/dev/null || need+=(make)
[ -f /usr/include/simde/wasm/simd128.h ] || need+=(libsimde-dev)
[ -f /usr/include/gtest/gtest.h ] || need+=(libgtest-dev)
[ -x /usr/bin/chromium ] || need+=(chromium fonts-dejavu-core)
command -v clang++ >/dev/null || need+=(clang)  # libFuzzer targets (tests/fuzz), with its runtime:
compgen -G '/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a' >/dev/null || need+=(libclang-rt-14-dev)
[ -x /usr/sbin/nginx ] || need+=(nginx-light)  # remote tables and site layers (own config on loopback ports, never the service)
command -v caddy >/dev/null || need+=(caddy)
if [ ${#need[@]} -gt 0 ]; then
  echo "bootstrap: installing ${need[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# npm dev dependencies (test tooling), when package-lock.json is newer than the install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "bootstrap: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
