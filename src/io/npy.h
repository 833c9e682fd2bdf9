// NumPy .npy files (semantics.md §7.5; numpy/lib/format.py): the magic string, the version,
// the header length and the header dict {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}.
// The data is not read here: the JS side converts it (byte order, Fortran order).
#pragma once
#include <cstddef>
#include <cstdint>

#include "io/dtype.h"

namespace emb {

// numpy's limit on the header (_MAX_HEADER_SIZE), and the most dimensions we take.
inline constexpr std::size_t kNpyMaxHeader = 10000;
inline constexpr std::size_t kNpyMaxRank = 64;

enum class NpyError : std::int32_t {
  kNone = 0,
  kNotNpy,           // no \x93NUMPY magic (or the file is shorter than the preamble)
  kBadVersion,       // not 1.0, 2.0 or 3.0
  kHeaderPastEnd,    // the header length runs past the end of the file
  kHeaderTooLarge,   // over kNpyMaxHeader bytes
  kUnexpectedEnd,    // the dict stops early
  kUnexpectedChar,   // at: what the dict grammar does not allow there
  kUnknownKey,       // at: a key other than descr, fortran_order, shape
  kDuplicateKey,     // at
  kMissingKey,       // which: the first key missing (0 descr, 1 fortran_order, 2 shape)
  kBadDescr,         // at: a dtype other than [<>|=]?[fiub][size] with a size numpy has
  kTooManyDims,      // at: over kNpyMaxRank dimensions
  kBadInteger,       // at: a dimension that is negative or past 2^64
  kSizeOverflow,     // shape x item size overflows 64 bits
  kDataPastEnd,      // the data runs past the end of the file (need: its bytes)
};

struct NpyHeader {
  Dtype dtype = Dtype::kCount;
  bool big_endian = false;
  bool fortran_order = false;
  std::size_t rank = 0;
  std::uint64_t shape[kNpyMaxRank] = {};
  std::uint64_t data_offset = 0;  // where the data starts in the file
  std::uint64_t data_bytes = 0;   // shape x item size

  NpyError error = NpyError::kNone;
  std::uint64_t error_at = 0;     // a byte offset in the file
  int missing = -1;               // kMissingKey: 0 descr, 1 fortran_order, 2 shape
};

// Parses and validates the preamble of a file of file_size bytes whose first `size` bytes are
// bytes[0 : size): they must reach past the header or be the whole file (12 + kNpyMaxHeader
// bytes always suffice). Returns true, or false with out.error and its details set.
bool parse_npy(const std::uint8_t* bytes, std::size_t size, std::uint64_t file_size, NpyHeader& out);

}  // namespace emb
