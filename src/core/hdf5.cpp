#include "hermes/core/hdf5.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <vector>

#include "hermes/core/log.hpp"

namespace hermes::hdf5 {

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

Handle checksummed_layout(int rank, const hsize_t* dims, hsize_t element_bytes, hsize_t chunk_bytes,
                          const std::filesystem::path& path) {
  Handle dcpl(check(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate", path), H5Pclose);
  check(H5Pset_obj_track_times(dcpl, false), "H5Pset_obj_track_times", path);
  hsize_t row_bytes = element_bytes;
  for (int i = 1; i < rank; ++i) row_bytes *= dims[i];
  if (rank == 0 || dims[0] == 0 || row_bytes == 0) return dcpl;
  std::vector<hsize_t> chunk(dims, dims + rank);
  chunk[0] = std::clamp<hsize_t>(chunk_bytes / row_bytes, 1, dims[0]);
  check(H5Pset_chunk(dcpl, rank, chunk.data()), "H5Pset_chunk", path);
  check(H5Pset_fletcher32(dcpl), "H5Pset_fletcher32", path);
  return dcpl;
}

bool has_checksum(hid_t dataset) {
  const Handle dcpl(H5Dget_create_plist(dataset), H5Pclose);
  if (dcpl < 0) return false;
  unsigned flags = 0;
  std::size_t n = 0;
  unsigned config = 0;
  return H5Pget_filter_by_id2(dcpl, H5Z_FILTER_FLETCHER32, &flags, &n, nullptr, 0, nullptr, &config) >= 0;
}

bool chunk_index_sound(hid_t dataset, const std::filesystem::path& path) {
  std::error_code size_error;
  const std::uint64_t file_bytes = std::filesystem::file_size(path, size_error);
  if (size_error) return false;
  const Handle dcpl(H5Dget_create_plist(dataset), H5Pclose);
  if (dcpl < 0) return false;
  if (H5Pget_layout(dcpl) != H5D_CHUNKED) return true;
  const Handle space(H5Dget_space(dataset), H5Sclose);
  const int rank = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
  if (rank <= 0 || rank > 32) return rank == 0;
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank)), chunk(static_cast<std::size_t>(rank)),
      grid(static_cast<std::size_t>(rank)), at(static_cast<std::size_t>(rank), 0);
  if (H5Sget_simple_extent_dims(space, dims.data(), nullptr) < 0 || H5Pget_chunk(dcpl, rank, chunk.data()) != rank)
    return false;
  // With no filter but the checksum (every file hermes writes), a stored chunk holds exactly the
  // chunk's elements, plus the 4-byte checksum: HDF5 1.10 copies a whole chunk out of whatever the
  // pipeline returns, so a shorter recorded size makes it read past its buffer. Other filters
  // (compression, in files written elsewhere) change the stored size and are left to HDF5.
  const int filters = H5Pget_nfilters(dcpl);
  if (filters < 0) return false;
  bool checksummed = false, only_checksum = true;
  for (int f = 0; f < filters; ++f) {
    unsigned flags = 0, config = 0;
    std::size_t n_values = 0;
    const bool fletcher = H5Pget_filter2(dcpl, static_cast<unsigned>(f), &flags, &n_values, nullptr, 0, nullptr,
                                         &config) == H5Z_FILTER_FLETCHER32;
    checksummed = checksummed || fletcher;
    only_checksum = only_checksum && fletcher;
  }
  const Handle type(H5Dget_type(dataset), H5Tclose);
  if (type < 0) return false;
  std::uint64_t chunk_bytes = H5Tget_size(type);
  for (int d = 0; d < rank; ++d) chunk_bytes *= chunk[d];
  // Each chunk looked up by its coordinates (a direct index lookup, not a walk from the first).
  std::uint64_t count = 1;
  for (int d = 0; d < rank; ++d) {
    if (chunk[d] == 0) return false;
    grid[d] = (dims[d] + chunk[d] - 1) / chunk[d];
    if (grid[d] == 0) return true;
    count *= grid[d];
    if (count > (std::uint64_t{1} << 24)) return false;  // more chunks than any file hermes writes
  }
  std::vector<hsize_t> offset(static_cast<std::size_t>(rank));
  for (std::uint64_t i = 0; i < count; ++i) {
    for (int d = 0; d < rank; ++d) offset[d] = at[d] * chunk[d];
    unsigned mask = 0;
    haddr_t addr = HADDR_UNDEF;
    hsize_t size = 0;
    if (H5Dget_chunk_info_by_coord(dataset, offset.data(), &mask, &addr, &size) < 0) return false;
    if (addr != HADDR_UNDEF && (size > file_bytes || addr > file_bytes - size)) return false;
    // A checksummed chunk ends in its 4-byte checksum: a shorter one makes HDF5 read before it.
    if (addr != HADDR_UNDEF && checksummed && size < 4) return false;
    // Filters skipped for this chunk (its mask) would let a checksummed chunk be read unchecked.
    if (addr != HADDR_UNDEF && only_checksum && (mask != 0 || size != chunk_bytes + (checksummed ? 4 : 0)))
      return false;
    for (int d = rank - 1; d >= 0 && ++at[d] == grid[d]; --d) at[d] = 0;
  }
  return true;
}

void warn_if_unchecked(hid_t dataset, const std::filesystem::path& path, const char* fix) {
  static std::atomic<bool> warned{false};
  if (has_checksum(dataset) || warned.exchange(true)) return;
  log::warn(
      "{} was written without checksums (by an earlier hermes): it is read unchecked, and so is any other "
      "such file this run meets; {}",
      path.string(), fix);
}

std::string message() {
  std::string m;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, innermost, &m);
  return m.empty() ? "no message" : m;
}

}  // namespace hermes::hdf5
