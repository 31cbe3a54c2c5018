#include "hermes/io/checkpoint.hpp"

#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>

#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "hermes/core/durable.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/files.hpp"
#include "hermes/core/hdf5.hpp"

namespace hermes::io {

namespace fs = std::filesystem;

constexpr std::int64_t kCheckpointVersion = 1;  // the schema at the top of io/checkpoint.hpp

namespace {

// An id checked as it is opened (core/hdf5.hpp's Handle owns it): a failure names the call and
// HDF5's message.
class H5 : public hdf5::Handle {
 public:
  H5(hid_t id, herr_t (*close)(hid_t), const char* what) : Handle(id, close) {
    if (id < 0) fail("HDF5 {} failed: {}", what, hdf5::message());
  }
};

using hdf5::check;
using hdf5::check_write;

hid_t open_checkpoint(const fs::path& path) {
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0)
    fail(
        "cannot open checkpoint {} as HDF5 ({}); the file is damaged or incomplete: use another checkpoint "
        "(run.resume falls back to the newest readable one)",
        path.string(), hdf5::message());
  return f;
}

void write_attr_string(hid_t obj, const char* name, const std::string& value, const fs::path& path) {
  H5 type(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy");
  check(H5Tset_size(type, value.empty() ? 1 : value.size()), "H5Tset_size", path);
  check(H5Tset_strpad(type, H5T_STR_NULLPAD), "H5Tset_strpad", path);
  H5 space(H5Screate(H5S_SCALAR), H5Sclose, "H5Screate");
  H5 attr(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose, "H5Acreate2");
  const std::string v = value.empty() ? std::string(1, '\0') : value;
  check_write(H5Awrite(attr, type, v.data()), "H5Awrite", path);
}

template <class T>
void write_attr(hid_t obj, const char* name, T value, hid_t type, const fs::path& path) {
  H5 space(H5Screate(H5S_SCALAR), H5Sclose, "H5Screate");
  H5 attr(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose, "H5Acreate2");
  check_write(H5Awrite(attr, type, &value), "H5Awrite", path);
}

std::string read_attr_string(hid_t obj, const char* name, const fs::path& path) {
  if (H5Aexists(obj, name) <= 0)
    fail("checkpoint {} lacks attribute '{}'; it is not a hermes checkpoint", path.string(), name);
  H5 attr(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose, "H5Aopen");
  H5 type(H5Aget_type(attr), H5Tclose, "H5Aget_type");
  const std::size_t n = H5Tget_size(type);
  std::string s(n, '\0');
  H5 mem(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy");
  check(H5Tset_size(mem, n), "H5Tset_size", path);
  check(H5Tset_strpad(mem, H5T_STR_NULLPAD), "H5Tset_strpad", path);
  check(H5Aread(attr, mem, s.data()), "H5Aread", path);
  while (!s.empty() && s.back() == '\0') s.pop_back();
  return s;
}

template <class T>
T read_attr(hid_t obj, const char* name, hid_t type, const fs::path& path) {
  if (H5Aexists(obj, name) <= 0) fail("checkpoint {} lacks attribute '{}' in /state", path.string(), name);
  H5 attr(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose, "H5Aopen");
  T v{};
  check(H5Aread(attr, type, &v), "H5Aread", path);
  return v;
}

// Chunks of up to 16 MiB, each with a Fletcher32 checksum (core/hdf5.hpp).
constexpr hsize_t kTensorChunkBytes = hsize_t{16} << 20;

void write_tensor(hid_t parent, const std::string& name, const std::vector<std::int64_t>& shape, const float* data,
                  const fs::path& path) {
  std::vector<hsize_t> dims(shape.begin(), shape.end());
  H5 space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose, "H5Screate_simple");
  H5 lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose, "H5Pcreate");
  check(H5Pset_create_intermediate_group(lcpl, 1), "H5Pset_create_intermediate_group", path);
  const auto dcpl =
      hdf5::checksummed_layout(static_cast<int>(dims.size()), dims.data(), sizeof(float), kTensorChunkBytes, path);
  H5 ds(H5Dcreate2(parent, name.c_str(), H5T_IEEE_F32LE, space, lcpl, dcpl, H5P_DEFAULT), H5Dclose, "H5Dcreate2");
  check_write(H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "H5Dwrite", path);
}

// Reads one tensor after checking it is what the model expects: 32-bit floats of exactly this
// shape (a transposed or int32 tensor of the same size is refused, not reinterpreted). A failed
// checksum names the tensor.
void read_tensor(hid_t parent, const std::string& group, const TensorRef& t, const fs::path& path) {
  const std::string where = fmt::format("/{}/{}", group, t.name);
  if (H5Lexists(parent, t.name.c_str(), H5P_DEFAULT) <= 0)
    fail("checkpoint {} lacks tensor '{}'; it was written by another model or optimizer", path.string(), where);
  H5 ds(H5Dopen2(parent, t.name.c_str(), H5P_DEFAULT), H5Dclose, "H5Dopen2");
  H5 type(H5Dget_type(ds), H5Tclose, "H5Dget_type");
  if (H5Tget_class(type) != H5T_FLOAT || H5Tget_size(type) != sizeof(float))
    fail("checkpoint {}: tensor '{}' is not stored as 32-bit floats; it was not written by hermes", path.string(),
         where);
  H5 space(H5Dget_space(ds), H5Sclose, "H5Dget_space");
  const int rank = H5Sget_simple_extent_ndims(space);
  std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
  if (rank > 0) H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  if (!std::equal(dims.begin(), dims.end(), t.shape.begin(), t.shape.end(),
                  [](hsize_t a, std::int64_t b) { return static_cast<std::int64_t>(a) == b; }))
    fail("checkpoint {}: tensor '{}' has shape ({}), the model needs ({}); it was written by another model",
         path.string(), where, fmt::join(dims, ", "), fmt::join(t.shape, ", "));
  hdf5::warn_if_unchecked(ds, path, "a checkpoint saved by this hermes has them");
  if (!hdf5::chunk_index_sound(ds, path))
    fail(
        "checkpoint {}: tensor '{}' records a chunk outside the file or of the wrong size; the file is damaged: "
        "resume falls back to an earlier checkpoint, or restore this one from a copy",
        path.string(), where);
  if (H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.data) < 0)
    fail(
        "checkpoint {}: tensor '{}' cannot be read ({}); the file is damaged: resume falls back to an earlier "
        "checkpoint, or restore this one from a copy",
        path.string(), where, hdf5::message());
}

}  // namespace

std::string model_json(const model::ModelConfig& c) {
  nlohmann::ordered_json j;
  j["preset"] = c.preset;
  j["vocab_size"] = c.vocab_size;
  j["n_layer"] = c.n_layer;
  j["n_embd"] = c.n_embd;
  j["n_head"] = c.n_head;
  j["n_kv_head"] = c.n_kv_head;
  j["ffn_hidden"] = c.ffn_hidden;
  j["context_length"] = c.context_length;
  j["ffn"] = model::to_string(c.ffn);
  j["bias"] = c.bias;
  j["smear"] = c.smear;
  j["rope_theta"] = c.rope_theta;
  j["norm_eps"] = c.norm_eps;
  j["init_std"] = c.init_std;
  return j.dump();
}

std::string fingerprint(const std::string& text) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char ch : text) {
    h ^= ch;
    h *= 1099511628211ull;
  }
  return fmt::format("{:016x}", h);
}

namespace {
// HDF5 cannot close a file whose flush failed, and then fails again at MPI_Finalize: a checkpoint
// that cannot fit is refused before the file is created, naming the space it needs.
void check_free_space(const fs::path& path, const CheckpointData& d) {
  std::uintmax_t need = d.deck_toml.size() + d.tokenizer_json.size() + (std::uintmax_t{1} << 20);
  for (const auto* list : {&d.weights, &d.optim})
    for (const auto& t : *list) {
      std::uintmax_t n = 4;
      for (auto s : t.shape) n *= static_cast<std::uintmax_t>(s);
      need += n;
    }
  std::error_code ec;
  const auto space = fs::space(path.parent_path().empty() ? fs::path(".") : path.parent_path(), ec);
  if (!ec && space.available < need)
    fail_environment(
        "checkpoint {} needs about {:.1f} MiB but {} has {:.1f} MiB free; free space or set checkpoint.dir "
        "elsewhere (the earlier checkpoints and `latest` are untouched)",
        path.string(), static_cast<double>(need) / (1 << 20), path.parent_path().string(),
        static_cast<double>(space.available) / (1 << 20));
}
}  // namespace

void save_checkpoint(const fs::path& path, const CheckpointData& d) {
  hdf5::quiet();
  if (!path.parent_path().empty()) fs::create_directories(path.parent_path());
  check_free_space(path, d);
  // A failed write (a full disk) leaves no half file behind; the previous checkpoint stays.
  write_durably(path, [&](const fs::path& tmp) {
    // The 1.8+ format stores attributes over 64 KiB densely: a tokenizer.json is often larger.
    H5 fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "H5Pcreate");
    check(H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST), "H5Pset_libver_bounds", tmp);
    H5 file(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl), H5Fclose, "H5Fcreate");
    write_attr_string(file, "format", "hermes-checkpoint", tmp);
    write_attr<std::int64_t>(file, "version", kCheckpointVersion, H5T_NATIVE_INT64, tmp);
    write_attr_string(file, "optimizer", d.optimizer, tmp);
    write_attr_string(file, "model", model_json(d.model), tmp);
    write_attr_string(file, "deck", d.deck_toml, tmp);
    write_attr_string(file, "tokenizer", d.tokenizer_json, tmp);
    write_attr_string(file, "tokenizer_fingerprint", d.tokenizer_fingerprint, tmp);
    {
      H5 g(H5Gcreate2(file, "model", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, "H5Gcreate2");
      for (const auto& t : d.weights) write_tensor(g, t.name, t.shape, t.data, tmp);
    }
    {
      H5 g(H5Gcreate2(file, "optim", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, "H5Gcreate2");
      for (const auto& t : d.optim) write_tensor(g, t.name, t.shape, t.data, tmp);
    }
    H5 st(H5Gcreate2(file, "state", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, "H5Gcreate2");
    write_attr<std::int64_t>(st, "step", d.state.step, H5T_NATIVE_INT64, tmp);
    write_attr<std::int64_t>(st, "tokens_seen", d.state.tokens_seen, H5T_NATIVE_INT64, tmp);
    write_attr<std::uint64_t>(st, "loader_epoch", d.state.cursor.epoch, H5T_NATIVE_UINT64, tmp);
    write_attr<std::uint64_t>(st, "loader_position", d.state.cursor.position, H5T_NATIVE_UINT64, tmp);
    write_attr<std::uint64_t>(st, "loader_seed", d.state.cursor.seed, H5T_NATIVE_UINT64, tmp);
    write_attr<double>(st, "best_val_loss", d.state.best_val_loss, H5T_NATIVE_DOUBLE, tmp);
    write_attr_string(st, "rng", d.state.rng, tmp);
    check_write(H5Fflush(file, H5F_SCOPE_GLOBAL), "H5Fflush", tmp);
  });
}

namespace {
// The `model` attribute: every field present with its type, and a shape model::validate accepts.
model::ModelConfig model_from_json(const std::string& text, const fs::path& path) {
  model::ModelConfig m;
  try {
    const auto j = nlohmann::json::parse(text);
    m.preset = j.at("preset").get<std::string>();
    m.vocab_size = j.at("vocab_size").get<std::int64_t>();
    m.n_layer = j.at("n_layer").get<std::int64_t>();
    m.n_embd = j.at("n_embd").get<std::int64_t>();
    m.n_head = j.at("n_head").get<std::int64_t>();
    m.n_kv_head = j.at("n_kv_head").get<std::int64_t>();
    m.ffn_hidden = j.at("ffn_hidden").get<std::int64_t>();
    m.context_length = j.at("context_length").get<std::int64_t>();
    m.ffn = model::parse_ffn(j.at("ffn").get<std::string>());
    m.bias = j.at("bias").get<bool>();
    m.smear = j.value("smear", false);  // absent in checkpoints older than the option
    m.rope_theta = j.at("rope_theta").get<double>();
    m.norm_eps = j.at("norm_eps").get<double>();
    m.init_std = j.at("init_std").get<double>();
    model::validate(m);
  } catch (const nlohmann::json::exception& e) {
    fail("checkpoint {}: attribute 'model' is damaged ({}); use another checkpoint", path.string(), e.what());
  } catch (const Error& e) {
    fail("checkpoint {}: attribute 'model' describes no valid model ({}); use another checkpoint", path.string(),
         e.what());
  }
  return m;
}

// The training state a resume continues from: counts that cannot be negative, a loss that is a
// number, and a random-number state the generator accepts (or none).
void check_state(const TrainState& s, const fs::path& path) {
  if (s.step < 0 || s.tokens_seen < 0)
    fail(
        "checkpoint {}: /state holds step {} and tokens_seen {}; they cannot be negative: the checkpoint is "
        "damaged, use another",
        path.string(), s.step, s.tokens_seen);
  if (std::isnan(s.best_val_loss))
    fail("checkpoint {}: /state best_val_loss is not a number; the checkpoint is damaged, use another", path.string());
  if (s.rng.empty()) return;  // written without training (an import, a test model): no state
  std::mt19937_64 probe;
  std::istringstream in(s.rng);
  in >> probe;
  std::string rest;
  if (in.fail() || (in >> rest, !rest.empty()))
    fail("checkpoint {}: /state rng is not a random-number generator state; the checkpoint is damaged, use another",
         path.string());
}
}  // namespace

CheckpointData read_checkpoint_header(const fs::path& path) {
  hdf5::quiet();
  if (!fs::exists(path)) fail("checkpoint {} does not exist", path.string());
  reject_special_file(path, "give a checkpoint .h5 written by pretrain");
  H5 file(open_checkpoint(path), H5Fclose, "H5Fopen");
  CheckpointData d;
  if (read_attr_string(file, "format", path) != "hermes-checkpoint")
    fail("{} is not a hermes checkpoint (format attribute differs)", path.string());
  d.optimizer = read_attr_string(file, "optimizer", path);
  d.deck_toml = read_attr_string(file, "deck", path);
  d.tokenizer_json = read_attr_string(file, "tokenizer", path);
  d.tokenizer_fingerprint = read_attr_string(file, "tokenizer_fingerprint", path);
  const auto version = read_attr<std::int64_t>(file, "version", H5T_NATIVE_INT64, path);
  if (version != kCheckpointVersion)
    fail("checkpoint {} has format version {}, this hermes reads version {}; use the hermes that wrote it",
         path.string(), version, kCheckpointVersion);
  d.model = model_from_json(read_attr_string(file, "model", path), path);
  H5 st(H5Gopen2(file, "state", H5P_DEFAULT), H5Gclose, "opening /state");
  d.state.step = read_attr<std::int64_t>(st, "step", H5T_NATIVE_INT64, path);
  d.state.tokens_seen = read_attr<std::int64_t>(st, "tokens_seen", H5T_NATIVE_INT64, path);
  d.state.cursor.epoch = read_attr<std::uint64_t>(st, "loader_epoch", H5T_NATIVE_UINT64, path);
  d.state.cursor.position = read_attr<std::uint64_t>(st, "loader_position", H5T_NATIVE_UINT64, path);
  d.state.cursor.seed = read_attr<std::uint64_t>(st, "loader_seed", H5T_NATIVE_UINT64, path);
  d.state.best_val_loss = read_attr<double>(st, "best_val_loss", H5T_NATIVE_DOUBLE, path);
  d.state.rng = read_attr_string(st, "rng", path);
  check_state(d.state, path);
  return d;
}

void check_checkpoint(const fs::path& path, const CheckpointData& into, bool load_optim) {
  const auto h = read_checkpoint_header(path);
  // The shape must match field by field; name the first difference.
  const auto a = nlohmann::json::parse(model_json(h.model)), b = nlohmann::json::parse(model_json(into.model));
  for (const char* key :
       {"vocab_size", "n_layer", "n_embd", "n_head", "n_kv_head", "ffn_hidden", "ffn", "bias", "smear"}) {
    if (a.at(key) != b.at(key))
      fail(
          "checkpoint {} was trained with model.{} = {}, but the deck's model has {} = {}; use the "
          "checkpoint's deck or start a new run",
          path.string(), key, a.at(key).dump(), key, b.at(key).dump());
  }
  if (!into.tokenizer_fingerprint.empty() && !h.tokenizer_fingerprint.empty() &&
      h.tokenizer_fingerprint != into.tokenizer_fingerprint)
    fail(
        "checkpoint {} was trained with tokenizer fingerprint {}, but {} has fingerprint {}; use the "
        "tokenizer the checkpoint was trained with",
        path.string(), h.tokenizer_fingerprint, "the deck's tokenizer", into.tokenizer_fingerprint);
  if (load_optim && h.optimizer != into.optimizer)
    fail(
        "checkpoint {} holds {} optimizer state, but the deck asks for optim.name = {}; resume with "
        "the same optimizer",
        path.string(), h.optimizer, into.optimizer);
}

void load_checkpoint(const fs::path& path, CheckpointData& into, bool load_optim) {
  check_checkpoint(path, into, load_optim);
  const auto h = read_checkpoint_header(path);
  H5 file(open_checkpoint(path), H5Fclose, "H5Fopen");
  {
    H5 g(H5Gopen2(file, "model", H5P_DEFAULT), H5Gclose, "opening /model");
    for (auto& t : into.weights) read_tensor(g, "model", t, path);
  }
  if (load_optim) {
    H5 g(H5Gopen2(file, "optim", H5P_DEFAULT), H5Gclose, "opening /optim");
    for (auto& t : into.optim) read_tensor(g, "optim", t, path);
  }
  into.state = h.state;
}

std::int64_t checkpoint_step_or(const fs::path& path, std::int64_t fallback) {
  try {
    return read_checkpoint_header(path).state.step;
  } catch (const std::exception&) {
    return fallback;
  }
}

bool try_load_checkpoint(const fs::path& path, CheckpointData& into, bool load_optim, std::string& why) {
  try {
    if (!fs::is_regular_file(path)) {
      why = "does not exist";
      return false;
    }
    read_checkpoint_header(path);
  } catch (const std::exception& e) {
    why = fmt::format("is unreadable ({})", e.what());
    return false;
  }
  check_checkpoint(path, into, load_optim);  // another model: an error, not damage
  try {
    load_checkpoint(path, into, load_optim);
  } catch (const std::exception& e) {
    why = fmt::format("is damaged ({})", e.what());
    return false;
  }
  return true;
}

std::filesystem::path checkpoint_to_use(const deck::Deck& d) {
  if (!d.generate.checkpoint.empty()) return d.expand(d.generate.checkpoint);
  const std::filesystem::path dir = d.expand(d.checkpoint.dir);
  if (std::filesystem::exists(dir / "final.h5")) return dir / "final.h5";
  if (std::filesystem::exists(dir / "latest")) {
    std::string name;
    std::ifstream(dir / "latest") >> name;
    // `latest` names a file of its folder; anything else is damage.
    if (name.empty() || name.size() > 255 || name.find('/') != std::string::npos || name == "." || name == "..")
      fail(
          "{}: {} does not name a checkpoint file of that folder; set generate.checkpoint to the checkpoint to "
          "use",
          d.where("checkpoint.dir"), (dir / "latest").string());
    return dir / name;
  }
  fail("{}: no checkpoint in {} (neither final.h5 nor latest); run the pretrain stage first", d.where("checkpoint.dir"),
       dir.string());
}

}  // namespace hermes::io
