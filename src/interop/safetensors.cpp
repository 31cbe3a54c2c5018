#include "hermes/interop/safetensors.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <set>

#include <nlohmann/json.hpp>

#include "hermes/core/durable.hpp"
#include "hermes/core/error.hpp"
#include "hermes/interop/numeric.hpp"

namespace hermes::interop {
namespace fs = std::filesystem;
using json = nlohmann::json;

std::string to_string(StDType t) {
  switch (t) {
    case StDType::f32: return "F32";
    case StDType::f16: return "F16";
    default: return "BF16";
  }
}

std::size_t element_size(StDType t) { return t == StDType::f32 ? 4 : 2; }

std::int64_t StTensor::numel() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

std::vector<float> StTensor::to_float() const {
  const std::int64_t n = numel();
  std::vector<float> out(static_cast<std::size_t>(n));
  if (dtype == StDType::f32) {
    std::memcpy(out.data(), bytes.data(), static_cast<std::size_t>(n) * 4);
    return out;
  }
  for (std::int64_t i = 0; i < n; ++i) {
    std::uint16_t h;
    std::memcpy(&h, bytes.data() + 2 * i, 2);
    out[static_cast<std::size_t>(i)] = dtype == StDType::bf16 ? from_bf16(h) : from_f16(h);
  }
  return out;
}

StTensor make_tensor(std::string name, StDType dtype, std::vector<std::int64_t> shape, const float* data) {
  StTensor t{std::move(name), dtype, std::move(shape), {}};
  const std::int64_t n = t.numel();
  t.bytes.resize(static_cast<std::size_t>(n) * element_size(dtype));
  if (dtype == StDType::f32) {
    std::memcpy(t.bytes.data(), data, static_cast<std::size_t>(n) * 4);
  } else {
    for (std::int64_t i = 0; i < n; ++i) {
      const std::uint16_t h = dtype == StDType::bf16 ? to_bf16(data[i]) : to_f16(data[i]);
      std::memcpy(t.bytes.data() + 2 * i, &h, 2);
    }
  }
  return t;
}

void write_safetensors(const fs::path& path, const std::vector<StTensor>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::uint64_t offset = 0;
  for (const auto& t : tensors) {
    HERMES_ASSERT(t.bytes.size() == static_cast<std::size_t>(t.numel()) * element_size(t.dtype));
    header[t.name] = {
        {"dtype", to_string(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out)
      fail_environment("{}: cannot write ({}); check the folder exists and is writable", tmp.string(),
                       std::strerror(errno));
    const std::uint64_t n = text.size();
    unsigned char len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(n >> (8 * i));
    out.write(reinterpret_cast<const char*>(len), 8);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    for (const auto& t : tensors)
      out.write(reinterpret_cast<const char*>(t.bytes.data()), static_cast<std::streamsize>(t.bytes.size()));
    out.flush();
    if (!out) fail_environment("{}: write failed (disk full?); nothing was replaced", tmp.string());
  }
  durable_replace(tmp, path);
}

namespace {

StDType parse_dtype(const std::string& s, const std::string& where) {
  if (s == "F32") return StDType::f32;
  if (s == "F16") return StDType::f16;
  if (s == "BF16") return StDType::bf16;
  fail("{}: dtype {} is not supported; hermes reads F32, F16 and BF16 tensors", where, s);
}

}  // namespace

std::map<std::string, StTensor> read_safetensors(const fs::path& path) {
  const std::string file = path.string();
  if (!fs::is_regular_file(path)) fail("{}: not a file; point at a safetensors model", file);
  const std::uint64_t size = fs::file_size(path);
  std::ifstream in(path, std::ios::binary);
  if (!in || size < 8) fail("{}: too short for a safetensors file ({} bytes); the file is truncated", file, size);
  unsigned char len[8];
  in.read(reinterpret_cast<char*>(len), 8);
  std::uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<std::uint64_t>(len[i]) << (8 * i);
  if (n > size - 8 || n > (std::uint64_t{100} << 20))
    fail("{}: header length {} does not fit the file of {} bytes; the file is truncated or not safetensors", file, n,
         size);
  std::string text(n, '\0');
  in.read(text.data(), static_cast<std::streamsize>(n));
  json header;
  try {
    header = json::parse(text);
  } catch (const json::exception& e) {
    fail("{}: header is not valid JSON ({}); the file is damaged", file, e.what());
  }
  if (!header.is_object()) fail("{}: header is not a JSON object; the file is damaged", file);
  const std::uint64_t data_begin = 8 + n, data_size = size - data_begin;
  std::map<std::string, StTensor> out;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") continue;
    const std::string where = fmt::format("{}: tensor '{}'", file, it.key());
    const json& e = it.value();
    if (!e.is_object() || !e.contains("dtype") || !e["dtype"].is_string() || !e.contains("shape") ||
        !e["shape"].is_array() || !e.contains("data_offsets") || !e["data_offsets"].is_array() ||
        e["data_offsets"].size() != 2 || !e["data_offsets"][0].is_number_unsigned() ||
        !e["data_offsets"][1].is_number_unsigned())
      fail("{}: needs dtype, shape and data_offsets [begin, end]; the header is damaged", where);
    StTensor t;
    t.name = it.key();
    t.dtype = parse_dtype(e["dtype"].get<std::string>(), where);
    std::uint64_t count = 1;
    for (const auto& d : e["shape"]) {
      if (!d.is_number_unsigned() || d.get<std::uint64_t>() > (std::uint64_t{1} << 40))
        fail("{}: shape {} is not a list of sizes; the header is damaged", where, e["shape"].dump());
      t.shape.push_back(d.get<std::int64_t>());
      count *= d.get<std::uint64_t>();
      if (count > (std::uint64_t{1} << 40))
        fail("{}: shape {} is implausibly large; the header is damaged", where, e["shape"].dump());
    }
    const auto begin = e["data_offsets"][0].get<std::uint64_t>(), end = e["data_offsets"][1].get<std::uint64_t>();
    if (begin > end || end > data_size)
      fail("{}: bytes [{}, {}) lie outside the {} data bytes of the file; the file is truncated or its header lies",
           where, begin, end, data_size);
    if (end - begin != count * element_size(t.dtype))
      fail("{}: {} bytes for shape {} of {} (expected {}); the header lies", where, end - begin, e["shape"].dump(),
           to_string(t.dtype), count * element_size(t.dtype));
    t.bytes.resize(end - begin);
    in.seekg(static_cast<std::streamoff>(data_begin + begin));
    in.read(reinterpret_cast<char*>(t.bytes.data()), static_cast<std::streamsize>(t.bytes.size()));
    if (!in) fail("{}: could not read its {} bytes", where, t.bytes.size());
    out.emplace(t.name, std::move(t));
  }
  return out;
}

std::map<std::string, StTensor> read_safetensors_dir(const fs::path& dir) {
  const fs::path single = dir / "model.safetensors", index = dir / "model.safetensors.index.json";
  if (fs::exists(index)) {
    std::ifstream in(index);
    json j;
    try {
      j = json::parse(in);
    } catch (const json::exception& e) {
      fail("{}: not valid JSON ({}); the index is damaged", index.string(), e.what());
    }
    if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
      fail("{}: no \"weight_map\" object; this is not a safetensors index", index.string());
    std::map<std::string, std::set<std::string>> by_file;
    for (auto it = j["weight_map"].begin(); it != j["weight_map"].end(); ++it) {
      if (!it.value().is_string()) fail("{}: weight_map.{} is not a file name", index.string(), it.key());
      const std::string f = it.value().get<std::string>();
      if (f.find('/') != std::string::npos || f == ".." || f.empty())
        fail("{}: weight_map.{} names '{}', not a file in {}", index.string(), it.key(), f, dir.string());
      by_file[f].insert(it.key());
    }
    std::map<std::string, StTensor> out;
    for (const auto& [f, names] : by_file) {
      auto shard = read_safetensors(dir / f);
      for (const auto& name : names) {
        auto t = shard.find(name);
        if (t == shard.end())
          fail("{}: tensor '{}' is missing although {} places it there; the download is incomplete", (dir / f).string(),
               name, index.string());
        out.emplace(name, std::move(t->second));
      }
    }
    return out;
  }
  if (!fs::exists(single))
    fail(
        "{}: neither model.safetensors nor model.safetensors.index.json; point --from at a HuggingFace model directory",
        dir.string());
  return read_safetensors(single);
}

}  // namespace hermes::interop
