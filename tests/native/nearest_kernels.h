// The test suites of the nearest kernels (src/kernels/nearest/), declared here so that
// kernels_test.cc, which expands src/kernels/kernels.inc, can instantiate them; the tests
// themselves are in nearest_test.cc.
#pragma once
#include <gtest/gtest.h>

#include <cstddef>
#include <vector>

#include "kernels/nearest/nearest.h"

// Dims around every vector-loop boundary, and the widths of real word vectors.
inline std::vector<std::size_t> nearest_kernel_dims() { return {1, 2, 3, 4, 5, 7, 8, 16, 17, 63, 64, 65, 100, 300}; }

class dot_block_f32_test : public ::testing::TestWithParam<std::size_t> {
 public:
  static std::vector<std::size_t> dims() { return nearest_kernel_dims(); }
};
class l2sq_block_f32_test : public ::testing::TestWithParam<std::size_t> {
 public:
  static std::vector<std::size_t> dims() { return nearest_kernel_dims(); }
};
class inverse_norms_f32_test : public ::testing::TestWithParam<std::size_t> {
 public:
  static std::vector<std::size_t> dims() { return nearest_kernel_dims(); }
};
