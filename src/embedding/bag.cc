// EmbeddingBag's forward and backward on the table (torch.nn.EmbeddingBag, semantics.md §2).
#include "embedding/embedding.h"
#include "kernels/active.h"

namespace emb {

std::int64_t Embedding::bag_forward(const std::int32_t* idx, std::size_t n, const std::int32_t* offsets,
                                    std::size_t num_bags, BagMode mode, const float* psw, float* out) {
  if (!offsets_valid(offsets, num_bags, n)) return kBadOffsetsStatus;
  const std::int64_t status = prepare_lookup(idx, n);
  if (status != kOk) return status;
  if (mode == BagMode::kMax) bag_arg_.resize(num_bags * dim_);
  pool_bags(idx, n, offsets, num_bags, mode, psw, out, bag_arg_.data());
  return kOk;
}

void Embedding::pool_bags(const std::int32_t* idx, std::size_t n, const std::int32_t* offsets, std::size_t num_bags,
                          BagMode mode, const float* psw, float* out, std::int32_t* arg) {
  // Ranges of bags, 4 a thread (a helper that starts late then holds up less of the call); a
  // range that does not start at position 0 gets its offsets rebased (the kernels take bags
  // from position 0), and max's winners back as whole-call positions.
  const std::uint64_t work = (std::uint64_t{n} + num_bags) * dim_;
  constexpr std::size_t kPiecesPerThread = 4;
  const std::size_t pieces = piece_count(num_bags, work, kPiecesPerThread);
  if (pieces > 1) {  // a helper thread must not allocate
    offsets_of_piece_.resize(pieces);
    for (std::vector<std::int32_t>& piece : offsets_of_piece_) piece.resize(num_bags + 1);
  }
  parallel_for(num_bags, work, [&](std::size_t piece, std::size_t b0, std::size_t b1) {
    const std::int32_t first = offsets[b0];
    const std::int32_t* piece_offsets = offsets + b0;
    if (b0 != 0) {  // (never on one thread: b0 is then the constant 0, and this goes away)
      std::int32_t* rebased = offsets_of_piece_[piece].data();
      for (std::size_t b = b0; b <= b1; ++b) rebased[b - b0] = offsets[b] - first;
      piece_offsets = rebased;
    }
    const auto count = static_cast<std::size_t>(offsets[b1] - first);
    if (mode == BagMode::kMax) {
      std::int32_t* piece_arg = arg + b0 * dim_;
      kernels::bag_max_f32(weight_, rows_, dim_, idx + first, count, piece_offsets, b1 - b0, padding_idx,
                           out + b0 * dim_, piece_arg);
      if (b0 != 0)
        for (std::size_t e = 0; e < (b1 - b0) * dim_; ++e)
          if (piece_arg[e] >= 0) piece_arg[e] += first;
    } else {
      kernels::bag_sum_f32(weight_, rows_, dim_, idx + first, count, piece_offsets, b1 - b0,
                           psw ? psw + first : nullptr, padding_idx, mode == BagMode::kMean, out + b0 * dim_);
    }
  }, kPiecesPerThread);
}

std::int64_t Embedding::bag_backward(const std::int32_t* idx, std::size_t n, const std::int32_t* offsets,
                                     std::size_t num_bags, BagMode mode, const float* psw,
                                     const float* grad_out, float* psw_grad) {
  if (!offsets_valid(offsets, num_bags, n)) return kBadOffsetsStatus;
  const std::size_t bad = begin_gradient(idx, n);
  if (bad != n) return static_cast<std::int64_t>(bad);
  catch_up(idx, n);  // max and psw_grad read the weights
  call_values_.assign(call_rows_.size() * dim_, 0.0f);

  if (mode == BagMode::kMax) {
    // Find each element's winner again, then send it that element's gradient.
    bag_out_.resize(num_bags * dim_);
    bag_arg_.resize(num_bags * dim_);
    pool_bags(idx, n, offsets, num_bags, mode, nullptr, bag_out_.data(), bag_arg_.data());
    split_by_slot(targets_.data(), n, std::uint64_t{num_bags} * dim_,
                  [&](const std::int32_t* slots, std::size_t, std::size_t) {
                    for (std::size_t e = 0; e < num_bags * dim_; ++e) {
                      const std::int32_t j = bag_arg_[e];
                      if (j >= 0 && slots[j] != kSkipRow)
                        call_values_[static_cast<std::size_t>(slots[j]) * dim_ + e % dim_] += grad_out[e];
                    }
                  });
  } else {
    // factor_j = psw_j / count(row j) / (kept entries of j's bag), each part when it applies.
    const bool mean = mode == BagMode::kMean;
    const float* factor = nullptr;
    if (psw || scale_grad_by_freq || mean) {
      factor_.assign(n, 0.0f);
      for (std::size_t b = 0; b < num_bags; ++b) {
        std::size_t kept = 0;
        for (std::int32_t j = offsets[b]; j < offsets[b + 1]; ++j) kept += targets_[j] != kSkipRow;
        for (std::int32_t j = offsets[b]; j < offsets[b + 1]; ++j) {
          if (targets_[j] == kSkipRow) continue;
          double f = psw ? psw[j] : 1.0;
          if (scale_grad_by_freq) f /= counts_[targets_[j]];
          if (mean) f /= static_cast<double>(kept);
          factor_[j] = static_cast<float>(f);
        }
      }
      factor = factor_.data();
    }
    split_by_slot(targets_.data(), n, std::uint64_t{n} * dim_,
                  [&](const std::int32_t* slots, std::size_t, std::size_t) {
                    kernels::bag_sum_backward_f32(grad_out, dim_, offsets, num_bags, slots, n, factor,
                                                  call_values_.data(), call_rows_.size());
                  });
  }

  if (psw_grad) {
    parallel_for(num_bags, std::uint64_t{n} * dim_, [&](std::size_t, std::size_t b0, std::size_t b1) {
      for (std::size_t b = b0; b < b1; ++b) {
        const float* g = grad_out + b * dim_;
        for (std::int32_t j = offsets[b]; j < offsets[b + 1]; ++j) {
          float dot = 0.0f;
          if (idx[j] != padding_idx) {
            const float* row = weight_ + static_cast<std::size_t>(idx[j]) * dim_;
            for (std::size_t c = 0; c < dim_; ++c) dot += row[c] * g[c];
          }
          psw_grad[j] = dot;
        }
      }
    });
  }
  end_gradient();
  return kOk;
}

}  // namespace emb
