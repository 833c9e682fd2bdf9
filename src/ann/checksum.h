// A 64-bit checksum of a table's stored bytes, which ties a saved index to the rows it was
// built from (not cryptographic: it catches another table, not a forger).
#pragma once
#include <cstddef>
#include <cstdint>

namespace emb::ann {
std::uint64_t checksum(const std::uint8_t* bytes, std::size_t n);
}  // namespace emb::ann
