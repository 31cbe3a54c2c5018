#pragma once
// The one way hermes talks to HDF5 (shards and checkpoints alike): HDF5's automatic error-stack
// printout is off, every id has one RAII owner, and every failed call becomes one hermes::Error
// naming the call, the file and HDF5's own innermost message.
#include <hdf5.h>

#include <filesystem>
#include <string>

#include "hermes/core/error.hpp"

namespace hermes::io::hdf5 {

// Turns HDF5's error printout off for the process (idempotent); errors come back as hermes::Error.
void quiet();
// The innermost description on HDF5's current error stack ("no message" when empty).
std::string message();

// result < 0 is a failure: "HDF5 <call> failed for <path>: <HDF5's message>".
template <typename T> T check(T result, const char* call, const std::filesystem::path& path) {
  if (result < 0) fail("HDF5 {} failed for {}: {}", call, path.string(), message());
  return result;
}

// Owns one HDF5 id of any kind and closes it with the matching H5?close.
class Handle {
 public:
  Handle() = default;
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Handle() { reset(); }
  Handle(Handle&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = -1; }
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = o.id_, close_ = o.close_, o.id_ = -1;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  operator hid_t() const { return id_; }
  void reset() {
    if (id_ >= 0 && close_) close_(id_);
    id_ = -1;
  }

 private:
  hid_t id_ = -1;
  herr_t (*close_)(hid_t) = nullptr;
};

}  // namespace hermes::io::hdf5
