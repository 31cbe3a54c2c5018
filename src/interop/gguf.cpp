#include "hermes/interop/gguf.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "hermes/core/durable.hpp"
#include "hermes/core/error.hpp"
#include "hermes/interop/numeric.hpp"

namespace hermes::interop {

namespace {

// GGUF metadata value types.
enum : std::uint32_t { kU32 = 4, kI32 = 5, kF32 = 6, kBool = 7, kString = 8, kArray = 9 };

template <class T>
void put(std::vector<std::uint8_t>& out, T v) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(&v);
  out.insert(out.end(), p, p + sizeof(T));  // hosts hermes runs on are little-endian
}
void put_string(std::vector<std::uint8_t>& out, const std::string& s) {
  put<std::uint64_t>(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

}  // namespace

GgufWriter::GgufWriter(std::uint32_t alignment) : alignment_(alignment) { add_u32("general.alignment", alignment); }

void GgufWriter::add_string(const std::string& key, const std::string& value) {
  put_string(kv_, key);
  put<std::uint32_t>(kv_, kString);
  put_string(kv_, value);
  ++kv_count_;
}
void GgufWriter::add_u32(const std::string& key, std::uint32_t value) {
  put_string(kv_, key);
  put<std::uint32_t>(kv_, kU32);
  put<std::uint32_t>(kv_, value);
  ++kv_count_;
}
void GgufWriter::add_f32(const std::string& key, float value) {
  put_string(kv_, key);
  put<std::uint32_t>(kv_, kF32);
  put<float>(kv_, value);
  ++kv_count_;
}
void GgufWriter::add_bool(const std::string& key, bool value) {
  put_string(kv_, key);
  put<std::uint32_t>(kv_, kBool);
  put<std::uint8_t>(kv_, value ? 1 : 0);
  ++kv_count_;
}
void GgufWriter::add_strings(const std::string& key, const std::vector<std::string>& values) {
  put_string(kv_, key);
  put<std::uint32_t>(kv_, kArray);
  put<std::uint32_t>(kv_, kString);
  put<std::uint64_t>(kv_, values.size());
  for (const auto& v : values) put_string(kv_, v);
  ++kv_count_;
}
void GgufWriter::add_i32s(const std::string& key, const std::vector<std::int32_t>& values) {
  put_string(kv_, key);
  put<std::uint32_t>(kv_, kArray);
  put<std::uint32_t>(kv_, kI32);
  put<std::uint64_t>(kv_, values.size());
  for (auto v : values) put<std::int32_t>(kv_, v);
  ++kv_count_;
}

void GgufWriter::add_tensor(const std::string& name, const std::vector<std::int64_t>& shape, GgmlType type,
                            std::vector<std::uint8_t> data) {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  HERMES_ASSERT(data.size() == ggml_bytes(type, n));
  tensors_.push_back({name, shape, type, std::move(data)});
}

std::uint64_t GgufWriter::write(const std::filesystem::path& path) const {
  std::vector<std::uint8_t> head;
  head.insert(head.end(), {'G', 'G', 'U', 'F'});
  put<std::uint32_t>(head, 3);
  put<std::uint64_t>(head, tensors_.size());
  put<std::uint64_t>(head, kv_count_);
  head.insert(head.end(), kv_.begin(), kv_.end());
  auto align = [&](std::uint64_t x) { return (x + alignment_ - 1) / alignment_ * alignment_; };
  std::uint64_t offset = 0;
  for (const auto& t : tensors_) {
    put_string(head, t.name);
    put<std::uint32_t>(head, static_cast<std::uint32_t>(t.shape.size()));
    for (auto it = t.shape.rbegin(); it != t.shape.rend(); ++it)
      put<std::uint64_t>(head, static_cast<std::uint64_t>(*it));
    put<std::uint32_t>(head, static_cast<std::uint32_t>(t.type));
    put<std::uint64_t>(head, offset);
    offset = align(offset + t.data.size());
  }
  head.resize(align(head.size()), 0);
  const std::filesystem::path tmp = path.string() + ".tmp";
  std::uint64_t written = 0;
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out)
      fail_environment("{}: cannot write ({}); check the folder exists and is writable", tmp.string(),
                       std::strerror(errno));
    out.write(reinterpret_cast<const char*>(head.data()), static_cast<std::streamsize>(head.size()));
    written = head.size();
    const std::vector<char> zeros(alignment_, 0);
    for (const auto& t : tensors_) {
      out.write(reinterpret_cast<const char*>(t.data.data()), static_cast<std::streamsize>(t.data.size()));
      const std::uint64_t pad = align(t.data.size()) - t.data.size();
      out.write(zeros.data(), static_cast<std::streamsize>(pad));
      written += t.data.size() + pad;
    }
    out.flush();
    if (!out) fail_environment("{}: write failed (disk full?); nothing was replaced", tmp.string());
  }
  durable_replace(tmp, path);
  return written;
}

std::uint64_t ggml_bytes(GgmlType type, std::int64_t n) {
  switch (type) {
    case GgmlType::f32: return 4 * static_cast<std::uint64_t>(n);
    case GgmlType::q8_0: return static_cast<std::uint64_t>(n / kQ8Block) * kQ8BlockBytes;
    default: return 2 * static_cast<std::uint64_t>(n);
  }
}

std::vector<std::uint8_t> ggml_encode(GgmlType type, const std::vector<float>& v) {
  const auto n = static_cast<std::int64_t>(v.size());
  std::vector<std::uint8_t> out(ggml_bytes(type, n));
  switch (type) {
    case GgmlType::f32: std::memcpy(out.data(), v.data(), out.size()); break;
    case GgmlType::q8_0:
      HERMES_ASSERT(n % kQ8Block == 0);
      quantize_q8_0(v.data(), n, out.data());
      break;
    default:
      for (std::int64_t i = 0; i < n; ++i) {
        const std::uint16_t h = type == GgmlType::f16 ? to_f16(v[i]) : to_bf16(v[i]);
        std::memcpy(out.data() + 2 * i, &h, 2);
      }
  }
  return out;
}

}  // namespace hermes::interop
