// Building an IvfIndex: spherical (cosine) or plain k-means on a sample, every row assigned to
// its nearest centroid, the rows laid out by list and coded. See ivf_index.h.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "ann/ivf_index.h"
#include "kernels/active.h"
#include "parallel/parallel.h"

namespace emb::ann {
namespace {
// Rows read, assigned or coded per step (~0.1-0.3 s of work on GloVe at 1,000-2,000 lists).
constexpr std::size_t kChunkRows = 4096;
// Points scored against every centroid at once (their scores stay in L2).
constexpr std::size_t kAssignBlock = 32;

}  // namespace

// The codeword of `book` (16 values) nearest r; ties to the lower one.
std::uint8_t nearest_codeword(const float* book, float r) {
  std::uint8_t best = 0;
  float top = std::numeric_limits<float>::infinity();
  for (std::size_t w = 0; w < kCodewords; ++w) {
    const float distance = std::fabs(r - book[w]);
    if (distance < top) {
      top = distance;
      best = static_cast<std::uint8_t>(w);
    }
  }
  return best;
}

namespace {
std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
}  // namespace

bool IvfBuilder::begin(RowSource& src, const BuildOptions& options, IvfIndex& index) {
  index_ = &index;
  options_ = options;
  const std::size_t rows = src.rows, dim = src.dim;
  const std::size_t lists = rows == 0 ? 0 : std::max<std::size_t>(1, std::min(options.lists, rows));
  const std::size_t sample = std::min(rows, std::max(options.sample, lists));
  if (!index.allocate(options.metric, lists, rows, dim, 0)) return false;
  inverse_norms_ = nullptr;
  if (options.metric == Metric::kCosine && rows > 0 && (inverse_norms_ = src.inverse_norms()) == nullptr) return false;
  pieces_ = std::max<std::size_t>(1, thread_count());
  if (!sample_ids_.allocate(sample) || !sample_.allocate(sample * dim) || !list_of_.allocate(rows) ||
      !sums_.allocate(lists * dim) || !counts_.allocate(lists) || !chunk_.allocate(kChunkRows * dim) ||
      !chunk_ids_.allocate(kChunkRows) || !scores_.allocate(pieces_ * kAssignBlock * lists) ||
      !sample_lists_.allocate(sample))
    return false;

  // The sample: a partial Fisher-Yates shuffle of the rows (list_of_ as its scratch), sorted.
  std::uint64_t state = options.seed;
  std::int32_t* perm = list_of_.data();
  for (std::size_t r = 0; r < rows; ++r) perm[r] = static_cast<std::int32_t>(r);
  for (std::size_t i = 0; i < sample; ++i) {
    const std::size_t j = i + static_cast<std::size_t>(splitmix64(state) % (rows - i));
    std::swap(perm[i], perm[j]);
  }
  std::copy(perm, perm + sample, sample_ids_.data());
  std::sort(sample_ids_.data(), sample_ids_.data() + sample);
  read_rows(src, sample_ids_.data(), sample, sample_.data());
  // First centroids: points spread over the (random) sample.
  for (std::size_t c = 0; c < lists; ++c)
    std::memcpy(index.centroids.data() + c * dim, sample_.data() + (c * sample / lists) * dim, dim * sizeof(float));
  set_assign_bias();

  const double d = static_cast<double>(dim) + 1;
  total_work_ = double(options.iterations + 1) * sample * lists * d + double(rows) * lists * d + double(rows) * d * 32;
  done_work_ = 0;
  iteration_ = 0;
  next_ = 0;
  phase_ = options.iterations > 0 && rows > 0 ? Phase::kTrain : Phase::kAssign;
  std::fill(sums_.data(), sums_.data() + sums_.size(), 0.0);
  std::fill(counts_.data(), counts_.data() + lists, 0);
  return true;
}

void IvfBuilder::read_rows(RowSource& src, const std::int32_t* ids, std::size_t n, float* out) {
  const std::size_t dim = src.dim;
  for (std::size_t i = 0; i < n; ++i) {
    float* x = out + i * dim;
    src.read_row(static_cast<std::size_t>(ids[i]), x);
    if (inverse_norms_) {
      const float inverse = inverse_norms_[ids[i]];
      for (std::size_t j = 0; j < dim; ++j) x[j] *= inverse;
    }
  }
}

void IvfBuilder::assign(const float* points, std::size_t n, std::int32_t* best) {
  const IvfIndex& index = *index_;
  const std::size_t lists = index.lists, dim = index.dim;
  const float* bias = index.centroid_bias.data();
  parallel_for(n, std::uint64_t{n} * lists * dim, [&](std::size_t piece, std::size_t begin, std::size_t end) {
    float* scores = scores_.data() + piece * kAssignBlock * lists;
    for (std::size_t first = begin; first < end; first += kAssignBlock) {
      const std::size_t g = std::min(kAssignBlock, end - first);
      kernels::dot_block_f32(index.centroids.data(), lists, dim, points + first * dim, g, scores);
      for (std::size_t q = 0; q < g; ++q) {
        const float* s = scores + q * lists;
        std::int32_t arg = 0;
        float top = -std::numeric_limits<float>::infinity();
        for (std::size_t c = 0; c < lists; ++c) {
          const float key = s[c] + bias[c];
          if (key > top) {
            top = key;
            arg = static_cast<std::int32_t>(c);
          }
        }
        best[first + q] = arg;
      }
    }
  });
}

// The keys rows are assigned by: dot products (cosine: unit centroids), or x·c - ||c||² / 2,
// which ranks centroids as the Euclidean distance does (l2, and dot: trained as l2).
void IvfBuilder::set_assign_bias() {
  IvfIndex& index = *index_;
  const std::size_t dim = index.dim;
  for (std::size_t c = 0; c < index.lists; ++c) {
    float norm = 0;
    const float* centroid = index.centroids.data() + c * dim;
    for (std::size_t j = 0; j < dim; ++j) norm += centroid[j] * centroid[j];
    index.centroid_bias[c] = options_.metric == Metric::kCosine ? 0.0f : -0.5f * norm;
  }
}

// New centroids: the mean of each cluster's points (in double, in point order), normalised
// for cosine; an empty cluster takes a sample point drawn from the seed.
void IvfBuilder::finish_iteration() {
  IvfIndex& index = *index_;
  const std::size_t lists = index.lists, dim = index.dim, sample = sample_ids_.size();
  std::uint64_t state = options_.seed ^ (0x5851F42D4C957F2Dull * (iteration_ + 1));
  for (std::size_t c = 0; c < lists; ++c) {
    float* centroid = index.centroids.data() + c * dim;
    const double* sum = sums_.data() + c * dim;
    if (counts_[c] == 0) {
      const std::size_t p = static_cast<std::size_t>(splitmix64(state) % sample);
      std::memcpy(centroid, sample_.data() + p * dim, dim * sizeof(float));
      continue;
    }
    double norm = 0;
    for (std::size_t j = 0; j < dim; ++j) norm += sum[j] * sum[j];
    const double scale = options_.metric == Metric::kCosine ? (norm > 0 ? 1 / std::sqrt(norm) : 0) : 1.0 / counts_[c];
    for (std::size_t j = 0; j < dim; ++j) centroid[j] = static_cast<float>(sum[j] * scale);
  }
  set_assign_bias();
  std::fill(sums_.data(), sums_.data() + sums_.size(), 0.0);
  std::fill(counts_.data(), counts_.data() + lists, 0);
}

bool IvfBuilder::step(RowSource& src) {
  IvfIndex& index = *index_;
  const std::size_t rows = index.rows, dim = index.dim, lists = index.lists;
  // The norms are the table's, fetched again each step: the caller may yield in between.
  if (inverse_norms_ != nullptr && (inverse_norms_ = src.inverse_norms()) == nullptr) return false;
  const double d = static_cast<double>(dim) + 1;
  switch (phase_) {
    case Phase::kTrain: {
      const std::size_t sample = sample_ids_.size();
      const std::size_t n = std::min(kChunkRows, sample - next_);
      const float* points = sample_.data() + next_ * dim;
      std::int32_t* best = list_of_.data() + next_;
      assign(points, n, best);
      for (std::size_t i = 0; i < n; ++i) {
        double* sum = sums_.data() + std::size_t(best[i]) * dim;
        for (std::size_t j = 0; j < dim; ++j) sum[j] += points[i * dim + j];
        ++counts_[best[i]];
      }
      done_work_ += double(n) * lists * d;
      if ((next_ += n) == sample) {
        finish_iteration();
        next_ = 0;
        if (++iteration_ == options_.iterations) phase_ = Phase::kAssign;
      }
      return true;
    }
    case Phase::kAssign: {
      const std::size_t n = std::min(kChunkRows, rows - next_);
      for (std::size_t i = 0; i < n; ++i) chunk_ids_[i] = static_cast<std::int32_t>(next_ + i);
      read_rows(src, chunk_ids_.data(), n, chunk_.data());
      assign(chunk_.data(), n, list_of_.data() + next_);
      done_work_ += double(n) * lists * d;
      if ((next_ += n) == rows) {
        if (!lay_out()) return false;
        next_ = 0;
        phase_ = Phase::kCodebooks;
      }
      return true;
    }
    case Phase::kCodebooks: {
      const std::size_t sample = sample_ids_.size();
      assign(sample_.data(), sample, sample_lists_.data());
      train_codebooks();
      done_work_ += double(sample) * lists * d;
      phase_ = Phase::kEncode;
      encode_list_ = 0;
      return true;
    }
    case Phase::kEncode: {
      const std::size_t n = std::min(kChunkRows, rows - next_);
      const std::int32_t* ids = index.ids.data() + next_;
      read_rows(src, ids, n, chunk_.data());
      const std::size_t subspaces = index.subspaces;
      for (std::size_t i = 0; i < n; ++i) {
        const std::size_t at = next_ + i;
        while (static_cast<std::size_t>(index.offsets[encode_list_ + 1]) <= at) ++encode_list_;
        const float* x = chunk_.data() + i * dim;
        const float* centroid = index.centroids.data() + encode_list_ * dim;
        const std::size_t in_list = at - static_cast<std::size_t>(index.offsets[encode_list_]);
        std::uint8_t* block = index.codes.data() +
                              (static_cast<std::size_t>(index.block_offsets[encode_list_]) + in_list / kBlockRows) * subspaces * 16;
        const std::size_t lane = in_list % kBlockRows;
        float norm = 0;
        for (std::size_t j = 0; j < dim; ++j) norm += x[j] * x[j];
        if (!std::isfinite(norm)) {  // a row holding a NaN or an infinity: last among candidates (code 0)
          index.extras[at] = -std::numeric_limits<float>::infinity();
          continue;
        }
        index.extras[at] = options_.metric == Metric::kL2 ? -0.5f * norm : 0.0f;
        for (std::size_t sub = 0; sub < subspaces; ++sub) {
          const std::uint8_t code = nearest_codeword(index.codebooks.data() + sub * kCodewords, x[sub] - centroid[sub]);
          std::uint8_t& byte = block[sub * 16 + lane % 16];
          byte = static_cast<std::uint8_t>(lane < 16 ? (byte & 0xf0) | code : (byte & 0x0f) | (code << 4));
        }
      }
      done_work_ += double(n) * d * 32;
      if ((next_ += n) == rows) {
        phase_ = Phase::kDone;
        // Scratch no longer needed.
        sample_.release();
        sample_ids_.release();
        sample_lists_.release();
        list_of_.release();
        sums_.release();
        chunk_.release();
        return index.validate() == LayoutError::kNone;
      }
      return true;
    }
    case Phase::kDone:
      return true;
  }
  return true;
}

// Positions by list (a counting sort of list_of_), rows ascending within a list.
bool IvfBuilder::lay_out() {
  IvfIndex& index = *index_;
  const std::size_t rows = index.rows, lists = index.lists;
  std::int32_t* offsets = index.offsets.data();
  std::fill(offsets, offsets + lists + 1, 0);
  for (std::size_t r = 0; r < rows; ++r) ++offsets[list_of_[r] + 1];
  for (std::size_t c = 0; c < lists; ++c) offsets[c + 1] += offsets[c];
  if (!counts_.allocate(lists)) return false;
  std::copy(offsets, offsets + lists, counts_.data());
  for (std::size_t r = 0; r < rows; ++r) index.ids[counts_[list_of_[r]]++] = static_cast<std::int32_t>(r);
  // The codes: each list's rows in whole blocks, zero until encoded.
  index.block_offsets[0] = 0;
  for (std::size_t c = 0; c < lists; ++c)
    index.block_offsets[c + 1] = index.block_offsets[c] + static_cast<std::int32_t>(blocks_for(offsets[c + 1] - offsets[c]));
  index.blocks = static_cast<std::size_t>(index.block_offsets[lists]);
  if (!index.codes.allocate(index.blocks * index.subspaces * 16)) return false;
  std::fill(index.codes.data(), index.codes.data() + index.codes.size(), std::uint8_t{0});
  return true;
}

// Per dimension, k-means with 16 codewords on the sample's residuals (point - its centroid),
// sums in double in point order; a codeword left without points keeps its place.
void IvfBuilder::train_codebooks() {
  IvfIndex& index = *index_;
  const std::size_t dim = index.dim, sample = sample_ids_.size();
  for (std::size_t sub = 0; sub < index.subspaces; ++sub) {
    float* book = index.codebooks.data() + sub * kCodewords;
    const auto residual = [&](std::size_t i) {
      return sample_[i * dim + sub] - index.centroids[std::size_t(sample_lists_[i]) * dim + sub];
    };
    // First codewords: the sample's residuals at 16 evenly spaced ranks (sorted: no two alike
    // unless the values are).
    {
      Buffer<float> sorted;
      if (sorted.allocate(sample) && sample > 0) {
        for (std::size_t i = 0; i < sample; ++i) sorted[i] = residual(i);
        std::sort(sorted.data(), sorted.data() + sample, [](float x, float y) { return x < y || (!std::isnan(x) && std::isnan(y)); });
        for (std::size_t w = 0; w < kCodewords; ++w) book[w] = sorted[(2 * w + 1) * sample / (2 * kCodewords)];
      } else {
        std::fill(book, book + kCodewords, 0.0f);
      }
    }
    for (int iteration = 0; iteration < 10; ++iteration) {
      double sum[kCodewords] = {};
      std::size_t count[kCodewords] = {};
      for (std::size_t i = 0; i < sample; ++i) {
        const float r = residual(i);
        if (!std::isfinite(r)) continue;
        const std::uint8_t w = nearest_codeword(book, r);
        sum[w] += r;
        ++count[w];
      }
      for (std::size_t w = 0; w < kCodewords; ++w) {
        if (count[w] == 0) continue;
        book[w] = static_cast<float>(sum[w] / count[w]);
      }
    }
  }
}

}  // namespace emb::ann
