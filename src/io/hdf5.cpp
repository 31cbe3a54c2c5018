#include "hermes/io/hdf5.hpp"

namespace hermes::io::hdf5 {

namespace {
herr_t innermost(unsigned n, const H5E_error2_t* e, void* out) {
  if (n == 0 && e->desc) *static_cast<std::string*>(out) = e->desc;
  return 0;
}
}  // namespace

void quiet() {
  static const bool done = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)done;
}

std::string message() {
  std::string m;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, innermost, &m);
  return m.empty() ? "no message" : m;
}

}  // namespace hermes::io::hdf5
