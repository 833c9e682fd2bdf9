// Pointers into wasm memory travel between JS and the bindings as integers.
#pragma once
#include <cstdint>

template <typename T>
T* ptr(std::uintptr_t address) {
  return reinterpret_cast<T*>(address);
}

inline std::uintptr_t address(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }
