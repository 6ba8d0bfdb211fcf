#include "nn/safetensors.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "nn/atomic_file.h"
#include "tensor/ops.h"

namespace nf::nn {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; this build assumes a little-endian host");

namespace {

using nlohmann::json;

constexpr uint64_t kMaxHeaderBytes = 100'000'000;  // the reference implementation's limit
constexpr const char* kMetadataKey = "__metadata__";

const char* format_name(DType t) {
  switch (t) {
    case DType::f32: return "F32";
    case DType::f64: return "F64";
    case DType::i64: return "I64";
    case DType::u8: return "U8";
    case DType::boolean: return "BOOL";
  }
  return "?";
}

bool parse_format_name(const std::string& s, DType& out) {
  for (DType t : {DType::f32, DType::f64, DType::i64, DType::u8, DType::boolean}) {
    if (s == format_name(t)) {
      out = t;
      return true;
    }
  }
  return false;
}

// One entry of the header, validated against the data section.
struct Entry {
  std::string name;
  DType dtype;
  Shape shape;
  uint64_t begin, end;
};

class Parser {
 public:
  Parser(const std::string& path, const char* bytes, size_t size) : path_(path), bytes_(bytes), size_(size) {}

  SafeTensors parse() {
    const uint64_t size = size_;
    check(size >= 8, "file is ", size, " bytes, too short for the 8-byte header length (truncated?)");
    uint64_t n = 0;
    std::memcpy(&n, bytes_, 8);
    check(n <= size - 8, "header length ", n, " exceeds the ", size - 8,
          " bytes that follow it (truncated or not a safetensors file)");
    check(n <= kMaxHeaderBytes, "header length ", n, " is implausibly large (limit ", kMaxHeaderBytes, ")");
    data_begin_ = 8 + n;
    data_size_ = size - data_begin_;

    json header = parse_json(bytes_ + 8, bytes_ + 8 + n);
    check(header.is_object(), "header is not a JSON object");
    SafeTensors out;
    std::vector<Entry> entries;
    for (auto it = header.begin(); it != header.end(); ++it) {
      if (it.key() == kMetadataKey) {
        out.metadata = parse_metadata(it.value());
      } else {
        entries.push_back(parse_entry(it.key(), it.value()));
      }
    }
    check_no_overlap(entries);  // sorts by begin: data order
    for (const Entry& e : entries) out.tensors.emplace_back(e.name, make_tensor(e));
    return out;
  }

 private:
  template <typename... Args>
  void check(bool ok, Args&&... args) const {
    if (!ok) NF_FAIL("safetensors '", path_, "': ", std::forward<Args>(args)...);
  }
  template <typename... Args>
  void check_entry(bool ok, const std::string& name, Args&&... args) const {
    if (!ok) NF_FAIL("safetensors '", path_, "': entry '", name, "': ", std::forward<Args>(args)...);
  }

  json parse_json(const char* begin, const char* end) const {
    // Duplicate names would silently shadow each other: catch them at depth 1.
    std::set<std::string> keys;
    std::string duplicate;
    auto on_event = [&](int depth, json::parse_event_t event, json& parsed) {
      if (depth == 1 && event == json::parse_event_t::key && !keys.insert(parsed.get<std::string>()).second)
        duplicate = parsed.get<std::string>();
      return true;
    };
    json header;
    try {
      header = json::parse(begin, end, on_event);
    } catch (const json::exception& e) {
      check(false, "header is not valid JSON: ", e.what());
    }
    check(duplicate.empty(), "header names '", duplicate, "' twice");
    return header;
  }

  std::map<std::string, std::string> parse_metadata(const json& j) const {
    check(j.is_object(), "__metadata__ is not a JSON object");
    std::map<std::string, std::string> out;
    for (auto it = j.begin(); it != j.end(); ++it) {
      check(it.value().is_string(), "__metadata__ value of '", it.key(), "' is not a string");
      out[it.key()] = it.value().get<std::string>();
    }
    return out;
  }

  // A non-negative integer field of entry `name`.
  uint64_t unsigned_value(const std::string& name, const char* field, const json& v) const {
    check_entry(!(v.is_number_integer() && !v.is_number_unsigned()), name, field, " has a negative value ",
                v.dump());
    check_entry(v.is_number_unsigned(), name, field, " holds ", v.dump(), ", not a non-negative integer");
    return v.get<uint64_t>();
  }

  Entry parse_entry(const std::string& name, const json& j) const {
    check_entry(j.is_object(), name, "not a JSON object");
    for (const char* field : {"dtype", "shape", "data_offsets"})
      check_entry(j.contains(field), name, "missing field '", field, "'");
    Entry e{name, DType::f32, {}, 0, 0};

    const json& dt = j["dtype"];
    check_entry(dt.is_string(), name, "dtype is not a string");
    check_entry(parse_format_name(dt.get<std::string>(), e.dtype), name, "unsupported dtype '",
                dt.get<std::string>(), "' (supported: F32, F64, I64, U8, BOOL)");

    const json& shape = j["shape"];
    check_entry(shape.is_array(), name, "shape is not an array");
    // extent: the product with zero dims counted as 1, what the strides of an
    // empty tensor still span; it must fit int64 too ([0, 2^62, 2^62] holds no
    // element but its strides would overflow).
    uint64_t numel = 1, extent = 1;
    for (const json& d : shape) {
      uint64_t v = unsigned_value(name, "shape", d);
      check_entry(v <= uint64_t(INT64_MAX) && !__builtin_mul_overflow(numel, v, &numel) &&
                      !__builtin_mul_overflow(extent, std::max<uint64_t>(v, 1), &extent) &&
                      extent <= uint64_t(INT64_MAX),
                  name, "shape ", shape.dump(), " overflows");
      e.shape.push_back(int64_t(v));
    }
    uint64_t nbytes = 0;
    check_entry(!__builtin_mul_overflow(numel, dtype_size(e.dtype), &nbytes), name, "shape ", shape.dump(),
                " overflows");

    const json& off = j["data_offsets"];
    check_entry(off.is_array() && off.size() == 2, name, "data_offsets is not a [begin, end] pair");
    e.begin = unsigned_value(name, "data_offsets", off[0]);
    e.end = unsigned_value(name, "data_offsets", off[1]);
    check_entry(e.begin <= e.end, name, "data_offsets [", e.begin, ",", e.end, "] end before they begin");
    check_entry(e.end <= data_size_, name, "data_offsets [", e.begin, ",", e.end,
                "] lie outside the data section of ", data_size_, " bytes (truncated?)");
    check_entry(e.end - e.begin == nbytes, name, "data_offsets [", e.begin, ",", e.end, "] hold ",
                e.end - e.begin, " bytes but shape ", shape_str(e.shape), " of ", format_name(e.dtype),
                " needs ", nbytes);
    return e;
  }

  void check_no_overlap(std::vector<Entry>& entries) const {
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
      return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    for (size_t i = 1; i < entries.size(); ++i) {
      const Entry &a = entries[i - 1], &b = entries[i];
      check(a.end <= b.begin || a.begin == a.end || b.begin == b.end, "entries '", a.name, "' [", a.begin, ",",
            a.end, "] and '", b.name, "' [", b.begin, ",", b.end, "] overlap");
    }
  }

  Tensor make_tensor(const Entry& e) const {
    Tensor t = Tensor::empty(e.shape, {e.dtype, Device::cpu()});
    const auto* src = reinterpret_cast<const unsigned char*>(bytes_ + data_begin_ + e.begin);
    const size_t n = e.end - e.begin;
    if (e.dtype == DType::boolean) {
      for (size_t i = 0; i < n; ++i)
        check_entry(src[i] == 0 || src[i] == 1, e.name, "BOOL element ", i, " holds byte ", int(src[i]),
                    ", not 0 or 1");
    }
    if (n > 0) std::memcpy(t.raw_data(), src, n);
    return t;
  }

  const std::string& path_;
  const char* bytes_;
  size_t size_;
  uint64_t data_begin_ = 0, data_size_ = 0;
};

std::vector<char> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  NF_CHECK(in, "safetensors '", path, "': cannot open the file for reading");
  const std::streamsize size = in.tellg();
  NF_CHECK(size >= 0, "safetensors '", path, "': cannot determine the file size");
  std::vector<char> bytes(static_cast<size_t>(size));
  in.seekg(0);
  NF_CHECK(in.read(bytes.data(), size), "safetensors '", path, "': read error");
  return bytes;
}

}  // namespace

void save_safetensors(const std::string& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header[kMetadataKey] = metadata;
  std::vector<Tensor> host;  // contiguous CPU copies, in data order
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    NF_CHECK(!name.empty() && name != kMetadataKey, "safetensors '", path, "': invalid entry name '", name, "'");
    NF_CHECK(!header.contains(name), "safetensors '", path, "': entry '", name, "' given twice");
    NF_CHECK(t.defined(), "safetensors '", path, "': entry '", name, "' is an undefined tensor");
    Tensor h = raw::contiguous(raw::to_device(t, Device::cpu()));
    const uint64_t nbytes = uint64_t(h.numel()) * dtype_size(h.dtype());
    header[name] = {{"dtype", format_name(h.dtype())},
                    {"shape", h.shape()},
                    {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
    host.push_back(std::move(h));
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // data starts 8-byte aligned
  const uint64_t n = text.size();

  AtomicFile f(path);
  f.write(&n, 8);
  f.write(text);
  for (const Tensor& h : host) f.write(h.raw_data(), size_t(h.numel()) * dtype_size(h.dtype()));
  f.commit();
}

SafeTensors load_safetensors(const std::string& path) {
  std::vector<char> bytes = read_file(path);
  return Parser(path, bytes.data(), bytes.size()).parse();
}

SafeTensors parse_safetensors(const void* bytes, size_t size, const std::string& name) {
  return Parser(name, static_cast<const char*>(bytes), size).parse();
}

}  // namespace nf::nn
