// The safetensors and .npy header readers (src/io/): the golden files of
// shared/reference/semantics.md §7.5-§7.6, the JSON and Python-literal grammars, and every
// rule by which the reference implementations reject a file.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "io/npy.h"
#include "io/safetensors.h"

namespace {

using emb::Dtype;
using emb::NpyError;
using emb::SafetensorsError;
using Bytes = std::vector<std::uint8_t>;

// A safetensors file: the length of `header`, the header, then `data_size` bytes.
Bytes safetensors_file(const std::string& header, std::size_t data_size = 0) {
  Bytes file(8 + header.size() + data_size, 0);
  std::uint64_t n = header.size();
  for (int k = 0; k < 8; ++k) file[k] = static_cast<std::uint8_t>(n >> (8 * k));
  std::copy(header.begin(), header.end(), file.begin() + 8);
  return file;
}

emb::SafetensorsHeader parse(const Bytes& file) {
  emb::SafetensorsHeader h;
  emb::parse_safetensors(file.data(), file.size(), file.size(), h);
  return h;
}

std::string text(const emb::SafetensorsHeader& h, std::uint32_t at, std::uint32_t size) {
  return std::string(h.text.data() + at, size);
}

TEST(Safetensors, ReadsTheGoldenFile) {
  const std::string header = R"({"__metadata__":{"format":"pt"},"weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}})";
  const Bytes file = safetensors_file(header + "   ", 24);  // padded to 96 bytes, as the writer does
  ASSERT_EQ(file.size(), 128u);
  ASSERT_EQ(file[0], 96);
  emb::SafetensorsHeader h;
  ASSERT_TRUE(emb::parse_safetensors(file.data(), file.size(), file.size(), h)) << static_cast<int>(h.error);
  EXPECT_EQ(h.header_size, 96u);
  ASSERT_EQ(h.tensors.size(), 1u);
  const emb::SafetensorsTensor& t = h.tensors[0];
  EXPECT_EQ(text(h, t.name_at, t.name_size), "weight");
  EXPECT_EQ(t.dtype, Dtype::kF32);
  ASSERT_EQ(t.rank, 2u);
  EXPECT_EQ(h.dims[t.shape_at], 2u);
  EXPECT_EQ(h.dims[t.shape_at + 1], 3u);
  EXPECT_EQ(t.begin, 0u);
  EXPECT_EQ(t.end, 24u);
  ASSERT_TRUE(h.has_metadata);
  ASSERT_EQ(h.metadata.size(), 5u);
  EXPECT_EQ(h.metadata[0], 17u) << "where the key starts in the header";
  EXPECT_EQ(text(h, h.metadata[1], h.metadata[2]), "format");
  EXPECT_EQ(text(h, h.metadata[3], h.metadata[4]), "pt");
}

TEST(Safetensors, ReadsEmptyScalarAndUnorderedTensors) {
  // Tensors listed out of offset order, a 0-rank tensor, an empty one, no metadata.
  const std::string header =
      R"({ "b" : {"shape": [], "dtype": "I64", "data_offsets": [4, 12]},)"
      R"( "a": {"dtype":"U8","shape":[2,2],"data_offsets":[0,4]}, "e": {"dtype":"F16","shape":[0,7],"data_offsets":[12,12]} })";
  const emb::SafetensorsHeader h = parse(safetensors_file(header, 12));
  ASSERT_EQ(h.error, SafetensorsError::kNone);
  ASSERT_EQ(h.tensors.size(), 3u);
  EXPECT_EQ(text(h, h.tensors[0].name_at, h.tensors[0].name_size), "b");
  EXPECT_EQ(h.tensors[0].rank, 0u);
  EXPECT_EQ(h.tensors[2].dtype, Dtype::kF16);
  EXPECT_FALSE(h.has_metadata);
  EXPECT_EQ(parse(safetensors_file("{}")).error, SafetensorsError::kNone);
  EXPECT_EQ(parse(safetensors_file(R"({"__metadata__":null})")).error, SafetensorsError::kNone);
}

TEST(Safetensors, DecodesEscapesAndSkipsUnknownFields) {
  const std::string header =
      R"({"a\"b\\\/\u00e9\ud83d\ude00\n":{"extra":{"x":[1,-2.5e3,true,null,"s"]},"dtype":"BOOL","shape":[1],"data_offsets":[0,1]}})";
  const emb::SafetensorsHeader h = parse(safetensors_file(header, 1));
  ASSERT_EQ(h.error, SafetensorsError::kNone);
  EXPECT_EQ(text(h, h.tensors[0].name_at, h.tensors[0].name_size), "a\"b\\/\xc3\xa9\xf0\x9f\x98\x80\n");
}

struct Rejected {
  const char* what;
  std::string header;
  std::size_t data_size;
  SafetensorsError error;
  std::int64_t at;      // expected error_at, or -1 to skip
  std::int64_t tensor;  // expected error_tensor, or -2 to skip
};

TEST(Safetensors, RejectsWhatTheReferenceRejects) {
  const std::string f32 = R"("dtype":"F32","shape":[1],"data_offsets":)";
  const Rejected cases[] = {
      {"not starting with {", R"( {})", 0, SafetensorsError::kNotAnObject, 8, -2},
      {"unexpected end", R"({"a":{"dtype":"F32")", 0, SafetensorsError::kUnexpectedEnd, 27, -2},
      {"missing colon", R"({"a" {}})", 0, SafetensorsError::kUnexpectedChar, 13, -2},
      {"trailing comma", R"({"a":{)" + f32 + R"([0,4]},})", 4, SafetensorsError::kUnexpectedChar, -1, -2},
      {"trailing characters", R"({} x)", 0, SafetensorsError::kTrailing, 11, -2},
      {"raw control character", "{\"a\x01\":1}", 0, SafetensorsError::kBadString, 11, -2},
      {"bad escape", R"({"\q":1})", 0, SafetensorsError::kBadString, 10, -2},
      {"lone surrogate", R"({"\ud800x":1})", 0, SafetensorsError::kBadString, 10, -2},
      {"leading zero", R"({"a":{"dtype":"F32","shape":[01],"data_offsets":[0,4]}})", 4, SafetensorsError::kUnexpectedChar, 38, -2},
      {"negative dimension", R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", 4, SafetensorsError::kNotAnInteger, 37, 0},
      {"fractional offset", R"({"a":{)" + f32 + R"([0,4.0]}})", 4, SafetensorsError::kNotAnInteger, -1, 0},
      {"offset past 2^64", R"({"a":{)" + f32 + R"([0,18446744073709551616]}})", 4, SafetensorsError::kNotAnInteger, -1, 0},
      {"duplicate tensor", R"({"a":{)" + f32 + R"([0,4]},"b":{)" + f32 + R"([4,8]},"a":{)" + f32 + R"([8,12]}})", 12,
       SafetensorsError::kDuplicateName, -1, 0},
      {"duplicate __metadata__", R"({"__metadata__":{},"__metadata__":{}})", 0, SafetensorsError::kDuplicateName, 27, -1},
      {"duplicate metadata key", R"({"__metadata__":{"k":"1","k":"2"}})", 0, SafetensorsError::kDuplicateName, 33, -1},
      {"metadata not strings", R"({"__metadata__":{"k":1}})", 0, SafetensorsError::kBadMetadata, 29, -2},
      {"metadata not an object", R"({"__metadata__":[]})", 0, SafetensorsError::kBadMetadata, 24, -2},
      {"tensor not an object", R"({"a":[1]})", 0, SafetensorsError::kNotATensor, 13, 0},
      {"missing field", R"({"a":{"dtype":"F32","shape":[1]}})", 0, SafetensorsError::kMissingField, -1, 0},
      {"duplicate field", R"({"a":{"dtype":"F32","dtype":"F32"}})", 0, SafetensorsError::kDuplicateField, 28, 0},
      {"dtype not a string", R"({"a":{"dtype":7}})", 0, SafetensorsError::kBadField, 22, 0},
      {"shape of strings", R"({"a":{"shape":["2"]}})", 0, SafetensorsError::kBadField, 23, 0},
      {"three offsets", R"({"a":{)" + f32 + R"([0,4,8]}})", 4, SafetensorsError::kBadField, -1, 0},
      {"unknown dtype", R"({"a":{"dtype":"F7","shape":[1],"data_offsets":[0,4]}})", 4, SafetensorsError::kUnknownDtype, 22, 0},
      {"too deep", R"({"a":{"x":)" + std::string(200, '[') + std::string(200, ']') + "}}", 0, SafetensorsError::kTooDeep, -1, -2},
      {"size overflow", R"({"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,0]}})", 0,
       SafetensorsError::kSizeOverflow, -1, 0},
      {"half a byte", R"({"a":{"dtype":"F4","shape":[3],"data_offsets":[0,1]}})", 1, SafetensorsError::kMisaligned, -1, 0},
      {"wrong byte length", R"({"a":{)" + f32 + R"([0,8]}})", 8, SafetensorsError::kSizeMismatch, -1, 0},
      {"gap", R"({"a":{)" + f32 + R"([0,4]},"b":{)" + f32 + R"([8,12]}})", 12, SafetensorsError::kBadOffsets, -1, 1},
      {"overlap", R"({"a":{)" + f32 + R"([0,4]},"b":{)" + f32 + R"([2,6]}})", 6, SafetensorsError::kBadOffsets, -1, 1},
      {"not from 0", R"({"a":{)" + f32 + R"([4,8]}})", 8, SafetensorsError::kBadOffsets, -1, 0},
      {"end before begin", R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]},"b":{)" + f32 + R"([0,4]}})", 4,
       SafetensorsError::kBadOffsets, -1, 0},
      {"data past the tensors", R"({"a":{)" + f32 + R"([0,4]}})", 5, SafetensorsError::kIncomplete, -1, -1},
      {"tensors past the data", R"({"a":{)" + f32 + R"([0,4]}})", 3, SafetensorsError::kIncomplete, -1, -1},
  };
  for (const Rejected& c : cases) {
    SCOPED_TRACE(c.what);
    const emb::SafetensorsHeader h = parse(safetensors_file(c.header, c.data_size));
    EXPECT_EQ(h.error, c.error);
    if (c.at >= 0) EXPECT_EQ(h.error_at, static_cast<std::uint64_t>(c.at));
    if (c.tensor >= -1) EXPECT_EQ(h.error_tensor, c.tensor);
  }
}

TEST(Safetensors, RejectsBadLengthsAndUtf8) {
  EXPECT_EQ(parse(Bytes(7, 0)).error, SafetensorsError::kFileTooShort);
  Bytes huge = safetensors_file("{}");
  huge[3] = 0x10;  // N = 2^28 + 2 > 100 MB
  EXPECT_EQ(parse(huge).error, SafetensorsError::kHeaderTooLarge);
  std::fill(huge.begin(), huge.begin() + 8, 0xff);  // N = 2^64 - 1: 8 + N must not wrap
  EXPECT_EQ(parse(huge).error, SafetensorsError::kHeaderTooLarge);
  Bytes past = safetensors_file("{}");
  past[0] = 3;
  EXPECT_EQ(parse(past).error, SafetensorsError::kHeaderPastEnd);
  const emb::SafetensorsHeader overlong = parse(safetensors_file("{\"\xc0\xaf\":1}"));
  EXPECT_EQ(overlong.error, SafetensorsError::kBadUtf8);
  EXPECT_EQ(overlong.error_at, 10u);
  EXPECT_EQ(parse(safetensors_file("{\"\xed\xa0\x80\":1}")).error, SafetensorsError::kBadUtf8);  // a surrogate
  EXPECT_EQ(parse(safetensors_file("{\"\xf4\x90\x80\x80\":1}")).error, SafetensorsError::kBadUtf8);  // past U+10FFFF
  EXPECT_EQ(parse(safetensors_file("{\"\xe2\x82\":1}")).error, SafetensorsError::kBadUtf8);  // cut short
}

// ---------------------------------------------------------------------------------------
// .npy

Bytes npy_file(const std::string& dict, int major = 1, std::size_t data_size = 0) {
  Bytes file = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<std::uint8_t>(major), 0};
  const std::size_t n = dict.size();
  file.push_back(static_cast<std::uint8_t>(n));
  file.push_back(static_cast<std::uint8_t>(n >> 8));
  if (major > 1) {
    file.push_back(static_cast<std::uint8_t>(n >> 16));
    file.push_back(static_cast<std::uint8_t>(n >> 24));
  }
  file.insert(file.end(), dict.begin(), dict.end());
  file.resize(file.size() + data_size, 0);
  return file;
}

emb::NpyHeader parse_npy(const Bytes& file) {
  emb::NpyHeader h;
  emb::parse_npy(file.data(), file.size(), file.size(), h);
  return h;
}

TEST(Npy, ReadsTheGoldenPreamble) {
  // numpy.save of a (2, 3) float32 array: a 128-byte preamble.
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  dict += std::string(118 - 1 - dict.size(), ' ') + "\n";
  const Bytes file = npy_file(dict, 1, 24);
  ASSERT_EQ(file.size(), 128u + 24u);
  const emb::NpyHeader h = parse_npy(file);
  ASSERT_EQ(h.error, NpyError::kNone);
  EXPECT_EQ(h.dtype, Dtype::kF32);
  EXPECT_FALSE(h.big_endian);
  EXPECT_FALSE(h.fortran_order);
  ASSERT_EQ(h.rank, 2u);
  EXPECT_EQ(h.shape[0], 2u);
  EXPECT_EQ(h.shape[1], 3u);
  EXPECT_EQ(h.data_offset, 128u);
  EXPECT_EQ(h.data_bytes, 24u);
}

TEST(Npy, ReadsVersionsOrdersAndShapes) {
  const std::string dict = "{'descr': '>f8', 'fortran_order': True, 'shape': (3,), }\n";
  emb::NpyHeader h = parse_npy(npy_file(dict, 2, 24));
  ASSERT_EQ(h.error, NpyError::kNone);
  EXPECT_EQ(h.dtype, Dtype::kF64);
  EXPECT_TRUE(h.big_endian);
  EXPECT_TRUE(h.fortran_order);
  EXPECT_EQ(h.rank, 1u);
  EXPECT_EQ(h.data_offset, 12u + dict.size());
  h = parse_npy(npy_file("{\"shape\": (), \"descr\": \"|b1\", \"fortran_order\": False}", 3, 1));
  ASSERT_EQ(h.error, NpyError::kNone);
  EXPECT_EQ(h.dtype, Dtype::kBool);
  EXPECT_EQ(h.rank, 0u);
  h = parse_npy(npy_file("{'descr': '|u1', 'fortran_order': False, 'shape': (2L, 3L,)}", 1, 6));
  ASSERT_EQ(h.error, NpyError::kNone);
  EXPECT_EQ(h.shape[1], 3u);
  h = parse_npy(npy_file("{'descr': '>u1', 'fortran_order': False, 'shape': (0, 5)}", 1, 0));
  ASSERT_EQ(h.error, NpyError::kNone);
  EXPECT_FALSE(h.big_endian) << "one byte has no order";
  const char* codes[] = {"f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "b1"};
  const Dtype dtypes[] = {Dtype::kF16, Dtype::kF32, Dtype::kF64, Dtype::kI8, Dtype::kI16, Dtype::kI32,
                          Dtype::kI64, Dtype::kU8,  Dtype::kU16, Dtype::kU32, Dtype::kU64, Dtype::kBool};
  for (int d = 0; d < 12; ++d) {
    h = parse_npy(npy_file(std::string("{'descr': '<") + codes[d] + "', 'fortran_order': False, 'shape': (1,)}", 1, 8));
    EXPECT_EQ(h.dtype, dtypes[d]) << codes[d];
  }
}

TEST(Npy, RejectsWhatNumpyRejects) {
  struct Case {
    const char* what;
    Bytes file;
    NpyError error;
    std::int64_t at;
  };
  const std::string ok_tail = "'fortran_order': False, 'shape': (2,)}";
  Bytes bad_magic = npy_file("{}");
  bad_magic[1] = 'n';
  Bytes version = npy_file("{}");
  version[6] = 4;
  Bytes past = npy_file("{'descr': '<f4', " + ok_tail);
  past[8] = 0xff;
  Bytes large = npy_file(std::string(10001, ' '), 2);
  const Case cases[] = {
      {"bad magic", bad_magic, NpyError::kNotNpy, -1},
      {"short file", Bytes{0x93, 'N', 'U'}, NpyError::kNotNpy, -1},
      {"version 4", version, NpyError::kBadVersion, 6},
      {"header past the end", past, NpyError::kHeaderPastEnd, 8},
      {"header over 10000 bytes", large, NpyError::kHeaderTooLarge, 8},
      {"leading space", npy_file(" {'descr': '<f4', " + ok_tail, 1, 8), NpyError::kUnexpectedChar, 10},
      {"cut short", npy_file("{'descr': '<f4"), NpyError::kUnexpectedEnd, 24},
      {"unknown key", npy_file("{'descr': '<f4', 'fortran': False, 'shape': (2,)}", 1, 8), NpyError::kUnknownKey, 27},
      {"duplicate key", npy_file("{'descr': '<f4', 'descr': '<f4', " + ok_tail, 1, 8), NpyError::kDuplicateKey, 27},
      {"missing key", npy_file("{'descr': '<f4', 'shape': (2,)}", 1, 8), NpyError::kMissingKey, -1},
      {"complex", npy_file("{'descr': '<c8', " + ok_tail, 1, 16), NpyError::kBadDescr, 21},
      {"structured", npy_file("{'descr': [('a', '<f4')], " + ok_tail, 1, 8), NpyError::kUnexpectedChar, 20},
      {"int, not a tuple", npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2)}", 1, 8),
       NpyError::kUnexpectedChar, -1},
      {"negative", npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}", 1, 8), NpyError::kBadInteger, 61},
      {"bool spelled false", npy_file("{'descr': '<f4', 'fortran_order': false, 'shape': (2,)}", 1, 8),
       NpyError::kUnexpectedChar, 44},
      {"overflow", npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296)}"),
       NpyError::kSizeOverflow, -1},
      {"data past the end", npy_file("{'descr': '<f4', " + ok_tail, 1, 7), NpyError::kDataPastEnd, -1},
      {"too many dims", npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (" + [] {
         std::string s;
         for (int d = 0; d < 65; ++d) s += "1,";
         return s;
       }() + ")}"),
       NpyError::kTooManyDims, -1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const emb::NpyHeader h = parse_npy(c.file);
    EXPECT_EQ(h.error, c.error);
    if (c.at >= 0) EXPECT_EQ(h.error_at, static_cast<std::uint64_t>(c.at));
  }
}

}  // namespace
