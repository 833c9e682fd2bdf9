// The one place that picks the SIMD128 header: the real intrinsics under Emscripten with
// -msimd128, SIMDe's portable emulation natively (so the native tests run the same code).
#pragma once
#if defined(__EMSCRIPTEN__)
#include <wasm_simd128.h>
#else
#define SIMDE_ENABLE_NATIVE_ALIASES  // the wasm_* names, not only simde_wasm_*
#include <simde/wasm/simd128.h>
#endif
