// The kernels the core calls: SIMD128 in the SIMD build (and natively, through SIMDe),
// the plain reference loops in the scalar wasm build (compiled without -msimd128).
#pragma once
#include "kernels/ann/ann.h"
#include "kernels/bag/bag.h"
#include "kernels/dequantize/dequantize.h"
#include "kernels/gather/gather.h"
#include "kernels/nearest/nearest.h"
#include "kernels/quantize/quantize.h"
#include "kernels/scatter_add/scatter_add.h"
#include "kernels/sgd_row/sgd_row.h"

namespace emb {
#if defined(EMB_SCALAR_BUILD)
namespace kernels = ref;
#else
namespace kernels = simd128;
#endif
}  // namespace emb
