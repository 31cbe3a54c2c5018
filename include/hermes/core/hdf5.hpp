#pragma once
// The one way hermes talks to HDF5 (shards and checkpoints alike): HDF5's automatic error-stack
// printout is off, every id has one RAII owner, and every failed call becomes one hermes::Error
// naming the call, the file and HDF5's own innermost message.
#include <hdf5.h>

#include <filesystem>
#include <string>

#include "hermes/core/error.hpp"

namespace hermes::hdf5 {

// Turns HDF5's error printout off for the process (idempotent); errors come back as hermes::Error.
void quiet();
// The innermost description on HDF5's current error stack ("no message" when empty).
std::string message();

// result < 0 is a failure: "HDF5 <call> failed for <path>: <HDF5's message>".
template <typename T>
T check(T result, const char* call, const std::filesystem::path& path) {
  if (result < 0) fail("HDF5 {} failed for {}: {}", call, path.string(), message());
  return result;
}

// The same for a call that writes to the file: its failure is the machine's (a full disk, a
// quota), exit 1, not a wrong input.
template <typename T>
T check_write(T result, const char* call, const std::filesystem::path& path) {
  if (result < 0) fail_environment("HDF5 {} failed for {}: {}", call, path.string(), message());
  return result;
}

class Handle;

// Dataset creation properties for data that must never be read back wrong (shard tokens, offsets
// and masks; checkpoint weights and optimizer state): chunked, each chunk about `chunk_bytes`
// long and cut along the leading dimension, with HDF5's Fletcher32 checksum on every chunk, so
// a flipped byte anywhere makes the read fail. No modification times: the same data gives a
// byte-identical file. An empty dataset gets no chunks (HDF5 needs a chunk of at least 1).
Handle checksummed_layout(int rank, const hsize_t* dims, hsize_t element_bytes, hsize_t chunk_bytes,
                          const std::filesystem::path& path);

// True when the dataset carries the Fletcher32 filter (files written before checksums lack it).
bool has_checksum(hid_t dataset);

// False when a chunk's recorded place or size reaches past the end of the file at `path`, when an
// unfiltered (or only checksummed) chunk's recorded size is not the chunk's, or when the file's size
// or the layout cannot be read: damage that HDF5 would otherwise meet only after allocating the
// recorded size (gigabytes for a flipped size field) or by reading past a short chunk.
bool chunk_index_sound(hid_t dataset, const std::filesystem::path& path);

// Files written before hermes added checksums are still read, unchecked; the first such dataset
// a process meets is reported once, with `fix` (how to rewrite the file with checksums).
void warn_if_unchecked(hid_t dataset, const std::filesystem::path& path, const char* fix);

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

}  // namespace hermes::hdf5
