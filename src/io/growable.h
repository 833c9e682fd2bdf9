// A growable array of trivially copyable values over malloc, for the file-format
// readers: small code in both wasm builds, and running out of memory is a flag to report
// rather than an abort (std::vector aborts without exceptions).
#pragma once
#include <cstddef>
#include <cstdint>
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
  Growable& operator=(Growable&& o) noexcept {
    std::free(data_);
    data_ = o.data_;
    size_ = o.size_;
    capacity_ = o.capacity_;
    failed_ = o.failed_;
    o.data_ = nullptr;
    o.size_ = o.capacity_ = 0;
    return *this;
  }
  ~Growable() { std::free(data_); }

  // Appends v; once memory has run out, appends nothing and failed() is true.
  void push(T v) {
    if (size_ == capacity_ && (failed_ || !reserve(capacity_ ? 2 * capacity_ : 16))) {
      failed_ = true;
      return;
    }
    data_[size_++] = v;
  }
  // Room for `count` elements in all (at least doubling); then append, resize and push up to
  // it cannot fail. False, changing nothing (failed() neither), when memory runs out.
  bool reserve(std::size_t count) {  // malloc + memcpy rather than realloc: the module has those already
    if (count <= capacity_) return true;
    std::size_t capacity = capacity_ > SIZE_MAX / 2 ? SIZE_MAX : 2 * capacity_;
    if (capacity < count) capacity = count;
    T* data = capacity > SIZE_MAX / sizeof(T) ? nullptr : static_cast<T*>(std::malloc(capacity * sizeof(T)));
    if (data == nullptr) return false;
    if (size_ > 0) std::memcpy(data, data_, size_ * sizeof(T));
    std::free(data_);
    data_ = data;
    capacity_ = capacity;
    return true;
  }
  bool append(const T* values, std::size_t n) {
    if (n > SIZE_MAX - size_ || !reserve(size_ + n)) return false;
    if (n != 0) std::memcpy(data_ + size_, values, n * sizeof(T));
    size_ += n;
    return true;
  }
  // size() = count, after writing the elements in place at data(); false when memory runs out.
  bool resize(std::size_t count) {
    if (!reserve(count)) return false;
    size_ = count;
    return true;
  }
  void resize_down(std::size_t size) { size_ = size < size_ ? size : size_; }
  void swap(Growable& o) {
    Growable t(static_cast<Growable&&>(o));
    o = static_cast<Growable&&>(*this);
    *this = static_cast<Growable&&>(t);
  }
  void clear() { size_ = 0; }
  bool empty() const { return size_ == 0; }
  bool failed() const { return failed_; }

  T* data() { return data_; }
  const T* data() const { return data_; }
  std::size_t size() const { return size_; }
  T& operator[](std::size_t i) { return data_[i]; }
  const T& operator[](std::size_t i) const { return data_[i]; }
  T& back() { return data_[size_ - 1]; }

 private:
  T* data_ = nullptr;
  std::size_t size_ = 0, capacity_ = 0;
  bool failed_ = false;
};

}  // namespace emb
