#include "nas/genotype_json.h"

#include <limits>
#include <nlohmann/json.hpp>

#include "tensor/error.h"

namespace nf::nas::detail {

using nlohmann::json;

void json_fail(std::string_view what, std::string_view path, const std::string& problem) {
  if (path.empty()) NF_FAIL(what, ": ", problem);
  NF_FAIL(what, ": ", path, ": ", problem);
}

namespace {
// nlohmann calls every number "number"; say which kind, since that is the usual mistake.
std::string type_of(const json& j) {
  if (j.is_number_float()) return "a floating-point number";
  if (j.is_number()) return "an integer";
  if (j.is_boolean()) return "a boolean";
  if (j.is_string()) return "a string";
  if (j.is_array()) return "an array";
  if (j.is_object()) return "an object";
  return "null";
}
}  // namespace

void check_object(const json& j, std::string_view what, std::string_view path,
                  std::initializer_list<std::string_view> required, std::initializer_list<std::string_view> optional) {
  if (!j.is_object()) json_fail(what, path, "expected an object, got " + type_of(j));
  for (std::string_view key : required)
    if (!j.contains(key)) json_fail(what, path, "missing field '" + std::string(key) + "'");
  for (const auto& [key, value] : j.items()) {
    bool known = false;
    for (std::string_view k : required) known = known || k == key;
    for (std::string_view k : optional) known = known || k == key;
    if (!known) json_fail(what, path, "unknown field '" + key + "'");
  }
}

void check_array(const json& j, std::string_view what, std::string_view path, int64_t expected_size,
                 std::string_view items) {
  if (!j.is_array()) json_fail(what, path, "expected an array, got " + type_of(j));
  if (expected_size >= 0 && static_cast<int64_t>(j.size()) != expected_size)
    json_fail(
        what, path,
        "expected " + std::to_string(expected_size) + " " + std::string(items) + ", got " + std::to_string(j.size()));
}

int64_t get_int(const json& j, std::string_view what, std::string_view path) {
  if (!j.is_number_integer()) json_fail(what, path, "expected an integer, got " + type_of(j));
  if (j.is_number_unsigned() && j.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max()))
    json_fail(what, path, "integer " + j.dump() + " is out of range");
  return j.get<int64_t>();
}

bool get_bool(const json& j, std::string_view what, std::string_view path) {
  if (!j.is_boolean()) json_fail(what, path, "expected a boolean, got " + type_of(j));
  return j.get<bool>();
}

const std::string& get_string(const json& j, std::string_view what, std::string_view path) {
  if (!j.is_string()) json_fail(what, path, "expected a string, got " + type_of(j));
  return j.get_ref<const std::string&>();
}

void check_space_tag(const json& j, std::string_view what, std::string_view space) {
  const std::string& tag = get_string(j.at("space"), what, "space");
  if (tag != space) json_fail(what, "space", "expected \"" + std::string(space) + "\", got \"" + tag + "\"");
}

std::string index_path(std::string_view path, int64_t i) { return std::string(path) + "[" + std::to_string(i) + "]"; }

std::string field_path(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : std::string(path) + "." + std::string(key);
}

}  // namespace nf::nas::detail
