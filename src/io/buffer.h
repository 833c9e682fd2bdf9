// A growable array in malloc'd memory that reports running out of memory instead of aborting
// (std::vector cannot, without exceptions), for trivially copyable elements.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace emb::io {

template <typename T>
class Buffer {
 public:
  Buffer() = default;
  ~Buffer() { std::free(data_); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  T* data() { return data_; }
  const T* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void clear() { size_ = 0; }
  void swap(Buffer& other) {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    std::swap(capacity_, other.capacity_);
  }

  // Room for `count` elements in all (at least doubling). False, changing nothing, when memory runs out.
  bool reserve(std::size_t count) {
    if (count <= capacity_) return true;
    std::size_t grown = capacity_ > SIZE_MAX / 2 ? SIZE_MAX : capacity_ * 2;
    if (grown < count) grown = count;
    if (grown > SIZE_MAX / sizeof(T)) return false;
    T* p = static_cast<T*>(std::realloc(data_, grown * sizeof(T)));
    if (p == nullptr) return false;
    data_ = p;
    capacity_ = grown;
    return true;
  }
  bool append(const T* values, std::size_t n) {
    if (n > SIZE_MAX - size_ || !reserve(size_ + n)) return false;
    if (n != 0) std::memcpy(data_ + size_, values, n * sizeof(T));
    size_ += n;
    return true;
  }
  bool push_back(T value) { return append(&value, 1); }
  // size() = count, after writing the elements in place at data(). False when memory runs out.
  bool resize(std::size_t count) {
    if (!reserve(count)) return false;
    size_ = count;
    return true;
  }

 private:
  T* data_ = nullptr;
  std::size_t size_ = 0, capacity_ = 0;
};

}  // namespace emb::io
