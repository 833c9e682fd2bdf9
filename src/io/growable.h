// A growable array of trivially copyable values over malloc, for the file-format
// readers: small code in both wasm builds, and running out of memory is a flag to report
// rather than an abort (std::vector aborts without exceptions).
#pragma once
#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace emb {

template <typename T>
class Growable {
 public:
  Growable() = default;
  Growable(Growable&& o) noexcept : data_(o.data_), size_(o.size_), capacity_(o.capacity_), failed_(o.failed_) {
    o.data_ = nullptr;
    o.size_ = o.capacity_ = 0;
  }
  Growable& operator=(const Growable&) = delete;
  ~Growable() { std::free(data_); }

  // Appends v; once memory has run out, appends nothing and failed() is true.
  void push(T v) {
    if (size_ == capacity_ && !grow()) return;
    data_[size_++] = v;
  }
  void resize_down(std::size_t size) { size_ = size < size_ ? size : size_; }
  void clear() { size_ = 0; }
  bool failed() const { return failed_; }

  T* data() { return data_; }
  const T* data() const { return data_; }
  std::size_t size() const { return size_; }
  T& operator[](std::size_t i) { return data_[i]; }
  const T& operator[](std::size_t i) const { return data_[i]; }
  T& back() { return data_[size_ - 1]; }

 private:
  bool grow() {  // malloc + memcpy rather than realloc: the module has those already
    const std::size_t capacity = capacity_ ? 2 * capacity_ : 16;
    T* data = failed_ || capacity > SIZE_MAX / sizeof(T) ? nullptr : static_cast<T*>(std::malloc(capacity * sizeof(T)));
    if (data == nullptr) return !(failed_ = true);
    if (size_ > 0) std::memcpy(data, data_, size_ * sizeof(T));
    std::free(data_);
    data_ = data;
    capacity_ = capacity;
    return true;
  }

  T* data_ = nullptr;
  std::size_t size_ = 0, capacity_ = 0;
  bool failed_ = false;
};

}  // namespace emb
