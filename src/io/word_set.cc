#include "io/word_set.h"

#include <cstring>

namespace emb::io {
namespace {

std::uint32_t hash(const char* p, std::size_t n) {  // FNV-1a
  std::uint32_t h = 2166136261u;
  for (std::size_t i = 0; i < n; ++i) h = (h ^ static_cast<unsigned char>(p[i])) * 16777619u;
  return h;
}

}  // namespace

bool WordSet::equals(std::uint32_t word, const char* p, std::size_t n) const {
  const std::size_t start = starts_.data()[word];
  const std::size_t end = word + 1 < size() ? starts_.data()[word + 1] - 1 : text_.size() - 1;
  return end - start == n && (n == 0 || std::memcmp(text_.data() + start, p, n) == 0);  // an empty word may be nullptr
}

bool WordSet::rehash(std::size_t slot_count) {
  auto* slots = static_cast<std::uint32_t*>(std::calloc(slot_count, sizeof(std::uint32_t)));
  if (slots == nullptr) return false;
  for (std::uint32_t word = 0; word < size(); ++word) {
    const std::size_t start = starts_.data()[word];
    const std::size_t end = word + 1 < size() ? starts_.data()[word + 1] - 1 : text_.size() - 1;
    std::size_t slot = hash(text_.data() + start, end - start) & (slot_count - 1);
    while (slots[slot] != 0) slot = (slot + 1) & (slot_count - 1);
    slots[slot] = word + 1;
  }
  std::free(slots_);
  slots_ = slots;
  slot_count_ = slot_count;
  return true;
}

bool WordSet::reserve(std::size_t words) {
  std::size_t slot_count = 1024;
  while (slot_count < 2 * words) slot_count *= 2;
  return (slot_count <= slot_count_ || rehash(slot_count)) && starts_.reserve(words) && text_.reserve(8 * words);
}

WordSet::Added WordSet::add(const char* p, std::size_t n) {
  if (2 * (size() + 1) > slot_count_ && !rehash(slot_count_ == 0 ? 1024 : 2 * slot_count_)) return Added::kOutOfMemory;
  std::size_t slot = hash(p, n) & (slot_count_ - 1);
  for (; slots_[slot] != 0; slot = (slot + 1) & (slot_count_ - 1))
    if (equals(slots_[slot] - 1, p, n)) return Added::kDuplicate;
  // Offsets are 32-bit: the words' text stays under 4 GiB. Room first, so nothing half-changes.
  if (text_.size() + n + 1 > UINT32_MAX || !text_.reserve(text_.size() + n + 1) ||
      !starts_.reserve(starts_.size() + 1))
    return Added::kOutOfMemory;
  starts_.push(static_cast<std::uint32_t>(text_.size()));
  text_.append(p, n);
  text_.push('\n');
  slots_[slot] = static_cast<std::uint32_t>(size());
  return Added::kNew;
}

}  // namespace emb::io
