// max_norm renormalisation of one row, torch.embedding_renorm_ semantics.
#pragma once
#include <cstddef>

namespace emb {
// The p-norm of row[0 : dim), accumulated in double and rounded to float as torch's
// float32 norm is. p = 0 counts non-zeros, p = +inf takes the largest magnitude.
double row_norm(const float* row, std::size_t dim, double p);

// If row_norm(row) > max_norm (strictly), scales the row in place by
// max_norm / (norm + 1e-7) and returns true. Scalar code shared by both builds, so they agree
// bit for bit.
bool renorm_row(float* row, std::size_t dim, double max_norm, double p);
}  // namespace emb
