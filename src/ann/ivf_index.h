// Approximate nearest-neighbour search (shared/API.md "Approximate nearest neighbours"): an
// inverted file with 4-bit product-quantisation codes (IVF-PQ "fast scan"). k-means (trained on
// a sample of the rows) splits the rows into `lists`; each list keeps its rows' ids and codes:
// the row's residual from its list's centroid (the row normalised for cosine), each dimension
// (a "subspace") coded as the nearest of its 16 codewords (4 bits; k-means per dimension). A query
// scores the centroids, builds a table of its dot products with every codeword (8 bits), scans
// the codes of the `nprobe` best lists with a SIMD lookup kernel (kernels/ann), keeps the best
// candidates by that estimate, and re-ranks them exactly with the table's own rows and the
// exact search's kernels: the scores returned are those emb::nearest gives, bit for bit.
#pragma once
#include <cstddef>
#include <cstdint>

#include "ann/buffer.h"
#include "embedding/nearest.h"

namespace emb::ann {

// Codewords per subspace (4 bits) and rows per block of codes (the kernel's unit).
inline constexpr std::size_t kCodewords = 16;
inline constexpr std::size_t kBlockRows = 32;

// The estimate of a row's key (higher is better): q·centroid + Σ_s q_s·codeword_s + extra, where
// extra is -||row||² / 2 for l2, else 0; -inf for a row that could not be coded (a NaN or an
// infinity), which then comes last among candidates.
inline std::size_t subspaces_for(std::size_t dim) { return dim; }
inline std::size_t blocks_for(std::size_t rows) { return (rows + kBlockRows - 1) / kBlockRows; }
// Why a layout was rejected (validate()), for the JS side's messages.
enum class LayoutError : std::int32_t {
  kNone = 0,
  kBadShape,       // lists, rows, dim disagree (no lists for a table with rows, blocks that do not add up)
  kBadOffsets,     // offsets do not rise from 0 to rows
  kBadIds,         // an id out of range or repeated
  kBadCentroid,    // a centroid holding a NaN or an infinity
  kBadFactors,     // a codeword holding a NaN or an infinity, or an extra that is NaN or +inf
  kOutOfMemory,
};

class IvfIndex {
 public:
  // The layout (what a saved index holds).
  Metric metric = Metric::kCosine;
  std::size_t rows = 0, dim = 0, subspaces = 0, lists = 0, blocks = 0;
  Buffer<float> centroids;      // lists x dim (unit length for cosine)
  Buffer<float> codebooks;      // subspaces x kCodewords
  Buffer<std::int32_t> offsets; // lists + 1: list l holds positions [offsets[l], offsets[l+1])
  Buffer<std::int32_t> ids;     // rows: the table row at each position
  // Each list's positions in blocks of 32 (its last block padded with zero codes), the lists'
  // blocks one after another: blocks x subspaces x 16 bytes (kernels/ann's layout).
  Buffer<std::uint8_t> codes;
  Buffer<float> extras;         // rows, by position
  // The table's change count (Embedding::changes) when the index was made.
  std::uint64_t table_changes = 0;
  // Derived (validate() sets it): added to a centroid's dot product with a query to rank the
  // lists, -||c||² / 2 for l2, 0 otherwise. The build uses it for its own assignments.
  Buffer<float> centroid_bias;
  Buffer<std::int32_t> block_offsets;  // lists + 1: list l's first block
  Buffer<float> max_extra;             // lists: the largest extra of the list's rows

  // An uninitialised layout of these sizes; false when memory runs out.
  // blocks: Σ over lists of blocks_for(list length); the loader takes it from the file.
  bool allocate(Metric metric, std::size_t lists, std::size_t rows, std::size_t dim, std::size_t blocks);
  // Checks a layout that came from outside (every value: the search relies on them) and
  // prepares the search's derived state. An index is searchable only once this said kNone.
  LayoutError validate();
  bool ready() const { return ready_; }
  std::size_t byte_length() const;

  // emb::nearest's contract (nearest.h) over the rows this index holds, approximately: the
  // `nprobe` lists nearest each query are scanned (more while fewer than `rerank` candidates
  // qualified), the best `rerank` by the codes' estimate are scored exactly. Same rows as the
  // index was built on: the caller checks. Returns false when scratch memory runs out.
  bool search(RowSource& rows, const NearestQuery& query, std::size_t nprobe, std::size_t rerank,
              std::int32_t* index, float* score) const;
  // emb::analogy's query (gensim's), searched as above (cosine indexes only: the caller checks).
  bool analogy(RowSource& rows, std::int32_t a, std::int32_t b, std::int32_t c, std::size_t k,
               std::int32_t padding_row, std::size_t nprobe, std::size_t rerank, std::int32_t* index,
               float* score) const;

 private:
  std::size_t longest_list_ = 0;  // in rows, rounded up to whole blocks
  bool ready_ = false;
};

// The codeword of book (kCodewords values) nearest r; ties to the lower.
std::uint8_t nearest_codeword(const float* book, float r);

// The options of a build (the JS side documents and checks them).
struct BuildOptions {
  Metric metric = Metric::kCosine;
  std::size_t lists = 0;       // k-means clusters (clamped to rows)
  std::size_t sample = 0;      // rows k-means trains on (clamped to [lists, rows])
  std::size_t iterations = 0;  // k-means iterations
  std::uint64_t seed = 0;
};

// Builds an IvfIndex in steps, each a fraction of a second on GloVe, so a caller can yield
// between them (report progress, honour an abort). Deterministic for a seed, on any number
// of threads: the work split across threads only computes assignments; every sum is taken in
// row order on one thread.
class IvfBuilder {
 public:
  // Starts building `index` (reallocated) over `rows`. False when memory runs out.
  bool begin(RowSource& rows, const BuildOptions& options, IvfIndex& index);
  // Does the next piece of work. Returns false when memory runs out. done() once the index
  // is ready (validated).
  bool step(RowSource& rows);
  bool done() const { return phase_ == Phase::kDone; }
  // Work done and total, in multiply-adds (roughly).
  double progress() const { return total_work_ > 0 ? done_work_ / total_work_ : 1.0; }

 private:
  enum class Phase { kTrain, kAssign, kCodebooks, kEncode, kDone };
  // Rows[first : first + n) as the index sees them (unit length for cosine) into out.
  void read_rows(RowSource& rows, const std::int32_t* ids, std::size_t n, float* out);
  // For each of the n points, the centroid with the highest key (lowest index on ties).
  void assign(const float* points, std::size_t n, std::int32_t* best);
  void finish_iteration();
  void set_assign_bias();
  bool lay_out();
  void train_codebooks();

  IvfIndex* index_ = nullptr;
  BuildOptions options_;
  Phase phase_ = Phase::kDone;
  const float* inverse_norms_ = nullptr;  // cosine: the table's 1 / ||row||
  Buffer<std::int32_t> sample_ids_;       // ascending
  Buffer<float> sample_;                  // sample x dim
  Buffer<std::int32_t> list_of_;          // per row (kAssign), per sample point (kTrain)
  Buffer<double> sums_;                   // lists x dim
  Buffer<std::int32_t> counts_;           // lists
  Buffer<float> chunk_;                   // kChunkRows x dim
  Buffer<std::int32_t> chunk_ids_;
  Buffer<float> scores_;                  // per piece: kAssignBlock x lists
  Buffer<std::int32_t> sample_lists_;     // the sample points' lists (final centroids)
  std::size_t pieces_ = 1;
  std::size_t iteration_ = 0, next_ = 0, encode_list_ = 0;
  double done_work_ = 0, total_work_ = 0;
};

}  // namespace emb::ann
