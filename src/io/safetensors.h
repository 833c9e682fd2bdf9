// safetensors files (semantics.md §7.6): the 8-byte header length and the JSON header, read
// by a small purpose-built JSON reader and validated as the reference implementation
// (huggingface/safetensors, tensor.rs) does. Tensor data is not read here: the JS side takes
// each tensor's bytes from the file at its data_offsets.
#pragma once
#include <cstddef>
#include <cstdint>
#include "io/dtype.h"
#include "io/growable.h"

namespace emb {

// Why a header was rejected. The JS side (bindings/js/safetensors.js) words each one.
enum class SafetensorsError : std::int32_t {
  kNone = 0,
  kFileTooShort,      // under 8 bytes
  kHeaderTooLarge,    // N > 100,000,000
  kHeaderPastEnd,     // 8 + N > file size
  kNotAnObject,       // the header does not start with '{'
  kBadUtf8,           // at: the first byte of the invalid sequence
  kUnexpectedEnd,     // the JSON stops early
  kUnexpectedChar,    // at: the character
  kBadString,         // at: a bad escape, a lone surrogate or a raw control character
  kTooDeep,           // nesting deeper than 128
  kTrailing,          // at: something other than spaces after the closing '}'
  kNotAnInteger,      // at: a number that is not an integer in [0, 2^64)
  kDuplicateName,     // at: the second key; tensor: the first tensor of that name (or -1: metadata)
  kBadMetadata,       // at: __metadata__ is not an object of strings
  kNotATensor,        // at: a tensor entry that is not an object
  kMissingField,      // tensor, field
  kDuplicateField,    // at, tensor, field
  kBadField,          // at, tensor, field: dtype not a string, shape not an array of integers,
                      // data_offsets not two integers
  kUnknownDtype,      // at: the dtype string, tensor
  kSizeOverflow,      // tensor: shape x dtype bits overflows 64 bits
  kMisaligned,        // tensor: its bits are not a whole number of bytes
  kSizeMismatch,      // tensor: end - begin is not its byte size
  kBadOffsets,        // tensor, other: it does not start where the previous one (in offset order) ends
  kIncomplete,        // the tensors do not end where the file does (covered: how far they reach)
  kOutOfMemory,       // memory ran out holding the header's contents
};

enum class TensorField : std::int32_t { kNone = -1, kDtype = 0, kShape = 1, kDataOffsets = 2 };

struct SafetensorsTensor {
  std::uint32_t key_at;              // where its name starts in the header
  std::uint32_t name_at, name_size;  // in SafetensorsHeader::text (UTF-8, escapes decoded)
  Dtype dtype;
  std::uint32_t shape_at, rank;      // in SafetensorsHeader::dims
  std::uint64_t begin, end;          // data_offsets, relative to the data section
};

struct SafetensorsHeader {
  std::uint64_t header_size = 0;          // N: the data section starts at byte 8 + N
  Growable<SafetensorsTensor> tensors;    // in header order
  Growable<std::uint64_t> dims;
  Growable<char> text;                    // names, metadata keys and values
  bool has_metadata = false;              // __metadata__ present (and not null)
  Growable<std::uint32_t> metadata;       // per entry: key_pos (in the header), key_at, key_size, value_at, value_size

  SafetensorsError error = SafetensorsError::kNone;
  std::uint64_t error_at = 0;                        // a byte offset in the file
  std::int64_t error_tensor = -1, error_other = -1;  // indices into tensors
  TensorField error_field = TensorField::kNone;
  std::uint64_t covered = 0;                         // kIncomplete: the bytes the tensors cover
};

// Parses and validates the header of a file of file_size bytes whose first `size` bytes are
// bytes[0 : size): they must reach past the header (8 + N bytes) or be the whole file. `out`
// is a fresh header. Returns true, or false with out.error and its details set; the tensors
// read so far are kept (the last one incomplete, dtype kCount, when the failure is inside its
// entry).
bool parse_safetensors(const std::uint8_t* bytes, std::size_t size, std::uint64_t file_size, SafetensorsHeader& out);

}  // namespace emb
