// HDF5 shards through the C API, with core/hdf5.hpp's handles and check: a failed call is a
// hermes::Error naming the file, the call and HDF5's own message.
#include "hermes/data/shard.hpp"

#include <hdf5.h>

#include <algorithm>
#include <limits>
#include <optional>

#include "hermes/core/durable.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/files.hpp"
#include "hermes/core/strings.hpp"
#include "hermes/core/hdf5.hpp"

namespace hermes::data {
namespace {

namespace fs = std::filesystem;

using hdf5::check;
using hdf5::check_write;
using hdf5::Handle;

Handle vlen_string_type(const fs::path& path) {
  Handle t(check(H5Tcopy(H5T_C_S1), "H5Tcopy", path), H5Tclose);
  check(H5Tset_size(t, H5T_VARIABLE), "H5Tset_size", path);
  check(H5Tset_cset(t, H5T_CSET_UTF8), "H5Tset_cset", path);
  return t;
}

// Strings are written fixed-length, padded to the longest: they live in the attribute itself,
// which the 1.8 format checksums. Variable-length strings would live in HDF5's global heap, which
// has no checksum, and HDF5 reads a damaged one out of bounds (found by tests/fuzz); files
// written that way before are still read.
Handle fixed_string_type(std::size_t width, const fs::path& path) {
  Handle type(check(H5Tcopy(H5T_C_S1), "H5Tcopy", path), H5Tclose);
  check(H5Tset_size(type, std::max<std::size_t>(width, 1)), "H5Tset_size", path);
  check(H5Tset_strpad(type, H5T_STR_NULLPAD), "H5Tset_strpad", path);
  return type;
}

void write_string_attribute(hid_t obj, const char* name, const std::string& value, const fs::path& path) {
  const Handle type = fixed_string_type(value.size(), path);
  const Handle space(check(H5Screate(H5S_SCALAR), "H5Screate", path), H5Sclose);
  const Handle attr(check(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), "H5Acreate2", path), H5Aclose);
  std::string padded = value;
  padded.resize(std::max<std::size_t>(value.size(), 1), '\0');
  check_write(H5Awrite(attr, type, padded.data()), "H5Awrite", path);
}

void write_strings_attribute(hid_t obj, const char* name, const std::vector<std::string>& values,
                             const fs::path& path) {
  std::size_t width = 1;
  for (const auto& v : values) width = std::max(width, v.size());
  const Handle type = fixed_string_type(width, path);
  const hsize_t n = values.size();
  const Handle space(check(H5Screate_simple(1, &n, nullptr), "H5Screate_simple", path), H5Sclose);
  const Handle attr(check(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), "H5Acreate2", path), H5Aclose);
  std::string packed(width * values.size(), '\0');
  for (std::size_t i = 0; i < values.size(); ++i) values[i].copy(packed.data() + i * width, values[i].size());
  if (n > 0) check_write(H5Awrite(attr, type, packed.data()), "H5Awrite", path);
}

template <typename T>
void write_scalar_attribute(hid_t obj, const char* name, hid_t type, T value, const fs::path& path) {
  const Handle space(check(H5Screate(H5S_SCALAR), "H5Screate", path), H5Sclose);
  const Handle attr(check(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), "H5Acreate2", path), H5Aclose);
  check_write(H5Awrite(attr, type, &value), "H5Awrite", path);
}

// Reads a string attribute written as a variable- or fixed-length string (h5py writes either).
std::vector<std::string> read_strings_attribute(hid_t obj, const char* name, const fs::path& path) {
  if (check(H5Aexists(obj, name), "H5Aexists", path) <= 0)
    fail("{} has no attribute '{}'; it is not a hermes shard (or is damaged); re-run the prepare stage", path.string(),
         name);
  const Handle attr(check(H5Aopen(obj, name, H5P_DEFAULT), "H5Aopen", path), H5Aclose);
  const Handle ftype(check(H5Aget_type(attr), "H5Aget_type", path), H5Tclose);
  if (H5Tget_class(ftype) != H5T_STRING) fail("{}: attribute '{}' is not a string", path.string(), name);
  const Handle space(check(H5Aget_space(attr), "H5Aget_space", path), H5Sclose);
  const auto n =
      static_cast<std::size_t>(check(H5Sget_simple_extent_npoints(space), "H5Sget_simple_extent_npoints", path));
  std::vector<std::string> out;
  if (n == 0) return out;
  if (H5Tis_variable_str(ftype) > 0) {
    const Handle mtype = vlen_string_type(path);
    std::vector<char*> ptrs(n, nullptr);
    check(H5Aread(attr, mtype, ptrs.data()), "H5Aread", path);
    for (char* p : ptrs) out.emplace_back(p ? p : "");
    H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, ptrs.data());
  } else {
    const std::size_t size = H5Tget_size(ftype);
    std::string buf(size * n, '\0');
    check(H5Aread(attr, ftype, buf.data()), "H5Aread", path);
    for (std::size_t i = 0; i < n; ++i) {
      std::string s = buf.substr(i * size, size);
      s.erase(std::find(s.begin(), s.end(), '\0'), s.end());
      out.push_back(s);
    }
  }
  return out;
}

std::string read_string_attribute(hid_t obj, const char* name, const fs::path& path) {
  auto values = read_strings_attribute(obj, name, path);
  if (values.size() != 1)
    fail("{}: attribute '{}' holds {} strings, not one; the shard is damaged: re-run the prepare stage", path.string(),
         name, values.size());
  return values[0];
}

template <typename T>
T read_scalar_attribute(hid_t obj, const char* name, hid_t mem_type, const fs::path& path) {
  if (check(H5Aexists(obj, name), "H5Aexists", path) <= 0)
    fail("{} has no attribute '{}'; it is not a hermes shard (or is damaged); re-run the prepare stage", path.string(),
         name);
  const Handle attr(check(H5Aopen(obj, name, H5P_DEFAULT), "H5Aopen", path), H5Aclose);
  T v{};
  check(H5Aread(attr, mem_type, &v), "H5Aread", path);
  return v;
}

void write_dataset(hid_t file, const char* name, hid_t file_type, hid_t mem_type, const void* data, hsize_t n,
                   const fs::path& path) {
  const Handle space(check(H5Screate_simple(1, &n, nullptr), "H5Screate_simple", path), H5Sclose);
  // Checksummed chunks of 64 KiB: a training window reads one or two of them.
  const Handle dcpl = hdf5::checksummed_layout(1, &n, H5Tget_size(file_type), hsize_t{64} << 10, path);
  const Handle set(check(H5Dcreate2(file, name, file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), "H5Dcreate2", path),
                   H5Dclose);
  if (n > 0) check_write(H5Dwrite(set, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "H5Dwrite", path);
}

hsize_t dataset_length(hid_t set, const fs::path& path) {
  const Handle space(check(H5Dget_space(set), "H5Dget_space", path), H5Sclose);
  if (H5Sget_simple_extent_ndims(space) != 1) fail("{}: a shard dataset must be 1-D", path.string());
  hsize_t n = 0;
  H5Sget_simple_extent_dims(space, &n, nullptr);
  return n;
}

// Reads [begin, begin + count) of a 1-D dataset, converting to `mem_type`. A failed checksum
// (or any damage HDF5 notices) names the dataset.
void read_range(hid_t set, const char* name, hid_t mem_type, hsize_t begin, hsize_t count, void* out,
                const fs::path& path) {
  if (count == 0) return;
  const Handle fspace(check(H5Dget_space(set), "H5Dget_space", path), H5Sclose);
  check(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &begin, nullptr, &count, nullptr), "H5Sselect_hyperslab", path);
  const Handle mspace(check(H5Screate_simple(1, &count, nullptr), "H5Screate_simple", path), H5Sclose);
  if (H5Dread(set, mem_type, mspace, fspace, H5P_DEFAULT, out) < 0)
    fail("{}: /{} cannot be read ({}); the shard is damaged: re-run the prepare stage", path.string(), name,
         hdf5::message());
}

// Opens a 1-D dataset after checking its stored type: unsigned integers of one of `widths` bytes
// (uint8 token ids, say, would be read back silently wrong).
Handle open_dataset(hid_t file, const char* name, std::initializer_list<std::size_t> widths, const fs::path& path) {
  Handle set(H5Dopen2(file, name, H5P_DEFAULT), H5Dclose);
  if (set < 0)
    fail("{} lacks /{} ({}); the shard is damaged: re-run the prepare stage", path.string(), name, hdf5::message());
  const Handle type(check(H5Dget_type(set), "H5Dget_type", path), H5Tclose);
  const std::size_t width = H5Tget_size(type);
  if (H5Tget_class(type) != H5T_INTEGER || H5Tget_sign(type) != H5T_SGN_NONE ||
      std::find(widths.begin(), widths.end(), width) == widths.end())
    fail("{}: /{} is stored as a {}-byte {} type, not as a hermes shard stores it; re-run the prepare stage",
         path.string(), name, width, H5Tget_class(type) == H5T_INTEGER ? "integer" : "non-integer");
  hdf5::warn_if_unchecked(set, path, "re-run the prepare stage to rewrite shards with them");
  if (!hdf5::chunk_index_sound(set, path))
    fail(
        "{}: /{} records a chunk outside the file or of the wrong size; the shard is damaged: re-run the prepare stage",
        path.string(), name);
  return set;
}

void check_token_ids(const std::uint32_t* ids, std::size_t n, std::uint64_t vocab, const fs::path& path) {
  for (std::size_t i = 0; i < n; ++i)
    if (ids[i] >= vocab)
      fail("{}: token id {} is outside the vocabulary of {} ids; the shard is damaged: re-run the prepare stage",
           path.string(), ids[i], vocab);
}

ShardHeader read_header(hid_t file, const fs::path& path) {
  ShardHeader h;
  const auto format = read_strings_attribute(file, "format", path);
  if (format.size() != 1 || format[0] != kShardFormatName)
    fail(
        "{} is not a hermes shard (attribute format = '{}'); point data.output_dir at a folder written by the "
        "prepare stage",
        path.string(), format.empty() ? "" : format[0]);
  h.format_version = read_scalar_attribute<std::int64_t>(file, "format_version", H5T_NATIVE_INT64, path);
  h.tokenizer_fingerprint = read_string_attribute(file, "tokenizer_fingerprint", path);
  h.vocab_size = read_scalar_attribute<std::uint64_t>(file, "vocab_size", H5T_NATIVE_UINT64, path);
  h.split = read_string_attribute(file, "split", path);
  h.sources = read_strings_attribute(file, "sources", path);
  h.documents = read_scalar_attribute<std::uint64_t>(file, "documents", H5T_NATIVE_UINT64, path);
  h.tokens = read_scalar_attribute<std::uint64_t>(file, "tokens", H5T_NATIVE_UINT64, path);
  h.has_loss_mask = check(H5Lexists(file, "loss_mask", H5P_DEFAULT), "H5Lexists", path) > 0;
  return h;
}

Handle open_file(const fs::path& path) {
  hdf5::quiet();
  if (!fs::exists(path)) fail("shard {} does not exist; re-run the prepare stage", path.string());
  reject_special_file(path, "shards are HDF5 files written by the prepare stage");
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0)
    fail("cannot open {} as HDF5 ({}); the shard is damaged or incomplete: re-run the prepare stage", path.string(),
         hdf5::message());
  return Handle(f, H5Fclose);
}

}  // namespace

void write_shard(const fs::path& path, ShardHeader h, const ShardData& d) {
  hdf5::quiet();
  const std::uint64_t n = d.tokens.size();
  HERMES_ASSERT(!d.doc_offsets.empty() && d.doc_offsets.front() == 0 && d.doc_offsets.back() == n);
  HERMES_ASSERT(d.loss_mask.empty() || d.loss_mask.size() == n);
  HERMES_ASSERT(h.vocab_size > 0 && h.vocab_size <= std::numeric_limits<std::uint32_t>::max());
  for (auto t : d.tokens)
    if (t >= h.vocab_size)
      fail("token id {} is outside the vocabulary ({} ids) while writing {}", t, h.vocab_size, path.string());
  h.documents = d.doc_offsets.size() - 1;
  h.tokens = n;
  write_durably(path, [&](const fs::path& tmp) {
    const Handle fcpl(check(H5Pcreate(H5P_FILE_CREATE), "H5Pcreate", tmp), H5Pclose);
    check(H5Pset_obj_track_times(fcpl, false), "H5Pset_obj_track_times", tmp);
    // The 1.8 file format checksums its metadata (object headers, attributes) as well.
    const Handle fapl(check(H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate", tmp), H5Pclose);
    check(H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST), "H5Pset_libver_bounds", tmp);
    const Handle file(check(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, fcpl, fapl), "H5Fcreate", tmp), H5Fclose);
    // Narrowest type that holds every id: half the bytes for vocabularies up to 65536.
    if (h.vocab_size <= 65536) {
      std::vector<std::uint16_t> narrow(d.tokens.begin(), d.tokens.end());
      write_dataset(file, "tokens", H5T_STD_U16LE, H5T_NATIVE_UINT16, narrow.data(), n, tmp);
    } else {
      write_dataset(file, "tokens", H5T_STD_U32LE, H5T_NATIVE_UINT32, d.tokens.data(), n, tmp);
    }
    write_dataset(file, "doc_offsets", H5T_STD_U64LE, H5T_NATIVE_UINT64, d.doc_offsets.data(), d.doc_offsets.size(),
                  tmp);
    if (!d.loss_mask.empty())
      write_dataset(file, "loss_mask", H5T_STD_U8LE, H5T_NATIVE_UINT8, d.loss_mask.data(), n, tmp);
    write_string_attribute(file, "format", kShardFormatName, tmp);
    write_scalar_attribute(file, "format_version", H5T_STD_I64LE, h.format_version, tmp);
    write_string_attribute(file, "tokenizer_fingerprint", h.tokenizer_fingerprint, tmp);
    write_scalar_attribute(file, "vocab_size", H5T_STD_U64LE, h.vocab_size, tmp);
    write_string_attribute(file, "split", h.split, tmp);
    write_strings_attribute(file, "sources", h.sources, tmp);
    write_scalar_attribute(file, "documents", H5T_STD_U64LE, h.documents, tmp);
    write_scalar_attribute(file, "tokens", H5T_STD_U64LE, h.tokens, tmp);
    check_write(H5Fflush(file, H5F_SCOPE_GLOBAL), "H5Fflush", tmp);
  });
}

namespace {

// /doc_offsets, checked against the header: documents + 1 entries running from 0 up to the
// token count without decreasing.
std::vector<std::uint64_t> read_doc_offsets(const Handle& file, const ShardHeader& h, const fs::path& path) {
  const Handle offsets = open_dataset(file, "doc_offsets", {8}, path);
  std::vector<std::uint64_t> d(dataset_length(offsets, path));
  if (d.size() != h.documents + 1)
    fail(
        "{}: /doc_offsets holds {} entries but the 'documents' attribute says {} documents; the shard is damaged: "
        "re-run the prepare stage",
        path.string(), d.size(), h.documents);
  read_range(offsets, "doc_offsets", H5T_NATIVE_UINT64, 0, d.size(), d.data(), path);
  if (d.front() != 0 || d.back() != h.tokens || !std::is_sorted(d.begin(), d.end()))
    fail(
        "{}: /doc_offsets do not run from 0 up to the token count ({}); the shard is damaged: re-run the prepare "
        "stage",
        path.string(), h.tokens);
  return d;
}

}  // namespace

ShardHeader read_shard_header(const fs::path& path) {
  const Handle file = open_file(path);
  return read_header(file, path);
}

ShardData read_shard(const fs::path& path, ShardHeader* header) {
  const Handle file = open_file(path);
  const ShardHeader h = read_header(file, path);
  ShardData d;
  const Handle tokens = open_dataset(file, "tokens", {2, 4}, path);
  d.tokens.resize(dataset_length(tokens, path));
  read_range(tokens, "tokens", H5T_NATIVE_UINT32, 0, d.tokens.size(), d.tokens.data(), path);
  d.doc_offsets = read_doc_offsets(file, h, path);
  if (h.has_loss_mask) {
    const Handle mask = open_dataset(file, "loss_mask", {1}, path);
    d.loss_mask.resize(dataset_length(mask, path));
    read_range(mask, "loss_mask", H5T_NATIVE_UINT8, 0, d.loss_mask.size(), d.loss_mask.data(), path);
  }
  if (d.tokens.size() != h.tokens || (h.has_loss_mask && d.loss_mask.size() != d.tokens.size()))
    fail("{}: dataset sizes disagree with its attributes; the shard is damaged: re-run the prepare stage",
         path.string());
  check_token_ids(d.tokens.data(), d.tokens.size(), h.vocab_size, path);
  if (header) *header = h;
  return d;
}

void check_shard_header(const ShardHeader& h, const fs::path& path, const std::string& expected_fingerprint) {
  if (h.format_version != kShardFormatVersion)
    fail(
        "{} has shard format version {} but this hermes reads version {}; re-run the prepare stage to rebuild the "
        "shards",
        path.string(), h.format_version, kShardFormatVersion);
  if (!expected_fingerprint.empty() && h.tokenizer_fingerprint != expected_fingerprint)
    fail(
        "{} was made by another tokenizer (fingerprint {}, the deck's tokenizer has {}); re-run the prepare stage "
        "with this tokenizer or point tokenizer.path at the one the shards were made with",
        path.string(), h.tokenizer_fingerprint, expected_fingerprint);
}

struct ShardReader::Impl {
  fs::path path;
  Handle file, tokens, mask;
  ShardHeader header;
  std::optional<std::vector<std::uint64_t>> doc_offsets;  // read on first use
};

ShardReader::ShardReader(const fs::path& path) : impl_(std::make_unique<Impl>()) {
  impl_->path = path;
  impl_->file = open_file(path);
  impl_->header = read_header(impl_->file, path);
  impl_->tokens = open_dataset(impl_->file, "tokens", {2, 4}, path);
  if (dataset_length(impl_->tokens, path) != impl_->header.tokens)
    fail("{}: /tokens length disagrees with the 'tokens' attribute; the shard is damaged: re-run the prepare stage",
         path.string());
  if (impl_->header.has_loss_mask) impl_->mask = open_dataset(impl_->file, "loss_mask", {1}, path);
}
ShardReader::~ShardReader() = default;
ShardReader::ShardReader(ShardReader&&) noexcept = default;
ShardReader& ShardReader::operator=(ShardReader&&) noexcept = default;
const ShardHeader& ShardReader::header() const { return impl_->header; }

void ShardReader::read_tokens(std::uint64_t begin, std::uint64_t count, std::int32_t* out) const {
  HERMES_ASSERT(begin + count <= impl_->header.tokens);
  read_range(impl_->tokens, "tokens", H5T_NATIVE_UINT32, begin, count, out, impl_->path);
  check_token_ids(reinterpret_cast<const std::uint32_t*>(out), count, impl_->header.vocab_size, impl_->path);
}

const std::vector<std::uint64_t>& ShardReader::doc_offsets() const {
  if (!impl_->doc_offsets) impl_->doc_offsets = read_doc_offsets(impl_->file, impl_->header, impl_->path);
  return *impl_->doc_offsets;
}

void ShardReader::read_mask(std::uint64_t begin, std::uint64_t count, std::uint8_t* out) const {
  HERMES_ASSERT(begin + count <= impl_->header.tokens);
  if (!impl_->header.has_loss_mask) {
    std::fill(out, out + count, std::uint8_t{1});
    return;
  }
  read_range(impl_->mask, "loss_mask", H5T_NATIVE_UINT8, begin, count, out, impl_->path);
}

}  // namespace hermes::data
