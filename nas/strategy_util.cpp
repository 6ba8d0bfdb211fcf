#include "nas/strategy_util.h"

#include <array>
#include <bit>
#include <cstring>
#include <limits>

#include "nas/genotype_json.h"
#include "tensor/error.h"
#include "tensor/ops.h"

namespace nf::nas::detail {

using nlohmann::json;

// Saved tensor bytes are little-endian; every platform we build for is.
static_assert(std::endian::native == std::endian::little, "strategy state: big-endian hosts are not supported");

int64_t check_options(const json& options, std::string_view what, std::initializer_list<std::string_view> keys) {
  if (!options.is_object()) json_fail(what, "", "expected an object, got " + options.dump());
  for (const auto& [key, value] : options.items()) {
    bool known = key == "budget";
    for (std::string_view k : keys) known = known || k == key;
    if (known) continue;
    std::string list;
    for (std::string_view k : keys) list += std::string(k) + ", ";
    json_fail(what, key, "unknown option (expected " + list + "budget)");
  }
  return option_int(options, what, "budget", 0, [](int64_t b) { return b >= 1; }, "a positive integer");
}

int64_t option_int(const json& options, std::string_view what, std::string_view key, int64_t fallback,
                   const std::function<bool(int64_t)>& ok, std::string_view expected) {
  if (!options.contains(key)) return fallback;
  const json& j = options.at(key);
  if (!j.is_number_integer()) json_fail(what, key, "expected " + std::string(expected) + ", got " + j.dump());
  int64_t v = get_int(j, what, key);
  if (!ok(v)) json_fail(what, key, "expected " + std::string(expected) + ", got " + std::to_string(v));
  return v;
}

double option_number(const json& options, std::string_view what, std::string_view key, double fallback,
                     const std::function<bool(double)>& ok, std::string_view expected) {
  if (!options.contains(key)) return fallback;
  const json& j = options.at(key);
  if (!j.is_number()) json_fail(what, key, "expected " + std::string(expected) + ", got " + j.dump());
  double v = j.get<double>();
  if (!ok(v)) json_fail(what, key, "expected " + std::string(expected) + ", got " + j.dump());
  return v;
}

double get_number(const json& j, std::string_view what, std::string_view path) {
  if (!j.is_number()) json_fail(what, path, "expected a number, got " + j.dump());
  return j.get<double>();
}

uint64_t get_uint64(const json& j, std::string_view what, std::string_view path) {
  if (!j.is_number_unsigned() && !(j.is_number_integer() && j.get<int64_t>() >= 0))
    json_fail(what, path, "expected a non-negative integer, got " + j.dump());
  return j.get<uint64_t>();
}

json generator_to_json(const Generator& gen) { return {{"seed", gen.seed()}, {"offset", gen.offset()}}; }

Generator generator_from_json(const json& j, std::string_view what, std::string_view path) {
  check_object(j, what, path, {"seed", "offset"});
  Generator gen;
  gen.set_state(get_uint64(j.at("seed"), what, field_path(path, "seed")),
                get_uint64(j.at("offset"), what, field_path(path, "offset")));
  return gen;
}

namespace {

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(const unsigned char* p, size_t n) {
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = uint32_t(p[i]) << 16;
    if (i + 1 < n) v |= uint32_t(p[i + 1]) << 8;
    if (i + 2 < n) v |= uint32_t(p[i + 2]);
    out += kBase64[(v >> 18) & 63];
    out += kBase64[(v >> 12) & 63];
    out += i + 1 < n ? kBase64[(v >> 6) & 63] : '=';
    out += i + 2 < n ? kBase64[v & 63] : '=';
  }
  return out;
}

// Returns false on a character outside the alphabet or a bad length/padding.
bool base64_decode(const std::string& s, std::vector<unsigned char>& out) {
  if (s.size() % 4 != 0) return false;
  std::array<int, 256> value;
  value.fill(-1);
  for (int i = 0; i < 64; ++i) value[static_cast<unsigned char>(kBase64[i])] = i;
  out.clear();
  for (size_t i = 0; i < s.size(); i += 4) {
    int pad = (s[i + 3] == '=') + (s[i + 2] == '=');
    if (pad > 0 && i + 4 != s.size()) return false;
    if (pad == 1 && s[i + 2] == '=') return false;
    uint32_t v = 0;
    for (int k = 0; k < 4 - pad; ++k) {
      int d = value[static_cast<unsigned char>(s[i + k])];
      if (d < 0) return false;
      v |= uint32_t(d) << (18 - 6 * k);
    }
    out.push_back(static_cast<unsigned char>(v >> 16));
    if (pad < 2) out.push_back(static_cast<unsigned char>(v >> 8));
    if (pad < 1) out.push_back(static_cast<unsigned char>(v));
  }
  return true;
}

}  // namespace

json tensor_to_json(const Tensor& t) {
  Tensor host = raw::contiguous(raw::to_device(t, Device::cpu()));
  const size_t bytes = static_cast<size_t>(host.numel()) * dtype_size(host.dtype());
  return {{"dtype", dtype_name(host.dtype())},
          {"shape", host.shape()},
          {"data", base64_encode(static_cast<const unsigned char*>(host.raw_data()), bytes)}};
}

Tensor tensor_from_json(const json& j, const Tensor& dst, std::string_view what, std::string_view path) {
  check_object(j, what, path, {"dtype", "shape", "data"});
  const std::string& dtype = get_string(j.at("dtype"), what, field_path(path, "dtype"));
  if (dtype != dtype_name(dst.dtype()))
    json_fail(what, field_path(path, "dtype"), "expected " + std::string(dtype_name(dst.dtype())) + ", got " + dtype);
  const json& shape_j = j.at("shape");
  check_array(shape_j, what, field_path(path, "shape"));
  Shape shape;
  for (size_t i = 0; i < shape_j.size(); ++i)
    shape.push_back(get_int(shape_j[i], what, index_path(field_path(path, "shape"), static_cast<int64_t>(i))));
  if (shape != dst.shape())
    json_fail(what, field_path(path, "shape"), "expected " + shape_str(dst.shape()) + ", got " + shape_str(shape));
  std::vector<unsigned char> bytes;
  if (!base64_decode(get_string(j.at("data"), what, field_path(path, "data")), bytes))
    json_fail(what, field_path(path, "data"), "not valid base64");
  const size_t expected = static_cast<size_t>(dst.numel()) * dtype_size(dst.dtype());
  if (bytes.size() != expected)
    json_fail(what, field_path(path, "data"),
              "expected " + std::to_string(expected) + " bytes, got " + std::to_string(bytes.size()));
  Tensor host = Tensor::empty(shape, {dst.dtype(), Device::cpu()});
  if (expected > 0) std::memcpy(host.raw_data(), bytes.data(), expected);
  return host;
}

}  // namespace nf::nas::detail
