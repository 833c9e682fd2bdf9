// The words of a word-vector file in row order, each once.
#pragma once
#include <cstddef>
#include <cstdint>

#include "io/growable.h"

namespace emb::io {

class WordSet {
 public:
  WordSet() = default;
  ~WordSet() { std::free(slots_); }
  WordSet(const WordSet&) = delete;
  WordSet& operator=(const WordSet&) = delete;

  // Room for `words` words (their text guessed at 8 bytes a word) without growing: no rehash and
  // no copies. A hint: false, changing nothing, when memory runs out.
  bool reserve(std::size_t words);

  enum class Added { kNew, kDuplicate, kOutOfMemory };
  // Adds the word [p, p + n) (without '\n') as word size() unless it is already there.
  Added add(const char* p, std::size_t n);
  std::size_t size() const { return starts_.size(); }
  // All the words in order, each followed by '\n'; where each starts in it; and the hash table:
  // slot_count() slots (a power of two, or 0 while empty) holding a word's index + 1 or 0, the
  // word at FNV-1a(bytes) & (slot_count() - 1) or the first free slot after it. The JS Vocab
  // (bindings/js/io/vocab.js) takes the three as they are.
  const char* text() const { return text_.data(); }
  std::size_t text_bytes() const { return text_.size(); }
  const std::uint32_t* starts() const { return starts_.data(); }
  const std::uint32_t* slots() const { return slots_; }
  std::size_t slot_count() const { return slot_count_; }

 private:
  bool rehash(std::size_t slot_count);
  bool equals(std::uint32_t word, const char* p, std::size_t n) const;

  Growable<char> text_;
  Growable<std::uint32_t> starts_;      // offset of each word in text_
  std::uint32_t* slots_ = nullptr;    // open addressing: word index + 1, 0 when empty
  std::size_t slot_count_ = 0;        // a power of two, at least twice size()
};

}  // namespace emb::io
