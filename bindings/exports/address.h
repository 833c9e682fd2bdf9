// Pointers into wasm memory travel between JS and the bindings as integers.
#pragma once
#include <cstdint>

template <typename T>
T* ptr(std::uintptr_t address) {
  return reinterpret_cast<T*>(address);
}
