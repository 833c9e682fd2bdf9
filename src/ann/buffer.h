// A fixed-size array over malloc whose allocation failure is a flag, not an abort (the core is
// built without exceptions, and std::vector aborts when memory runs out).
#pragma once
#include <cstddef>
#include <cstdlib>

namespace emb::ann {

template <typename T>
class Buffer {
 public:
  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() { std::free(data_); }

  // n elements, uninitialised (what was held is freed); false when memory runs out (then empty).
  bool allocate(std::size_t n) {
    std::free(data_);
    data_ = nullptr;
    size_ = 0;
    if (n > static_cast<std::size_t>(-1) / sizeof(T)) return false;
    data_ = static_cast<T*>(std::malloc(n > 0 ? n * sizeof(T) : 1));
    if (data_ == nullptr) return false;
    size_ = n;
    return true;
  }
  void release() {
    std::free(data_);
    data_ = nullptr;
    size_ = 0;
  }
  T* data() { return data_; }
  const T* data() const { return data_; }
  std::size_t size() const { return size_; }
  T& operator[](std::size_t i) { return data_[i]; }
  const T& operator[](std::size_t i) const { return data_[i]; }

 private:
  T* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace emb::ann
