// The built-in types every binding's signature is made of, registered with the Embind runtime
// (bindings/embind/runtime.js) by their Embind type ids. This replaces libembind (-lembind):
// its bind.cpp registers 33 types (strings, val, memory views) no binding here uses, and exports
// __getTypeName, which pulls printf into the module (about 3 KB gzip a build; docs/bindings.md).
// Only the types the bindings use: a binding with another fails at startup, naming it (add the
// type here, and to runtime.js if it needs converting).
#include <emscripten/bind.h>

#include <cstdint>
#include <limits>

namespace {
using namespace emscripten::internal;

template <typename T>
void integer(const char* name) {
  _embind_register_integer(TypeID<T>::get(), name, sizeof(T), std::numeric_limits<T>::min(),
                           std::numeric_limits<T>::max());
}
}  // namespace

EMSCRIPTEN_BINDINGS(builtin_types) {
  _embind_register_void(TypeID<void>::get(), "void");
  _embind_register_bool(TypeID<bool>::get(), "bool", sizeof(bool), true, false);
  integer<int>("int");
  integer<unsigned int>("unsigned int");
  integer<long>("long");
  integer<unsigned long>("unsigned long");
  _embind_register_float(TypeID<float>::get(), "float", sizeof(float));
  _embind_register_float(TypeID<double>::get(), "double", sizeof(double));
}
