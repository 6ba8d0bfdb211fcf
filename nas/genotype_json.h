// Strict readers for genotype and space-config JSON. Every failure throws
// nf::Error naming the document, the field path and the problem, e.g.
//   "darts genotype JSON: normal[3][1]: expected an integer, got string".
#pragma once
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

namespace nf::nas::detail {

// `what` names the document ("darts genotype JSON"); `path` the field ("normal[3]", "" = root).
[[noreturn]] void json_fail(std::string_view what, std::string_view path, const std::string& problem);

// j must be an object holding every key of `required`, optionally keys of
// `optional`, and nothing else (a typo is an error, not a silently ignored field).
void check_object(const nlohmann::json& j, std::string_view what, std::string_view path,
                  std::initializer_list<std::string_view> required,
                  std::initializer_list<std::string_view> optional = {});
// j must be an array; with expected_size >= 0 also of that length (`items` names its elements).
void check_array(const nlohmann::json& j, std::string_view what, std::string_view path, int64_t expected_size = -1,
                 std::string_view items = "elements");
int64_t get_int(const nlohmann::json& j, std::string_view what, std::string_view path);
bool get_bool(const nlohmann::json& j, std::string_view what, std::string_view path);
const std::string& get_string(const nlohmann::json& j, std::string_view what, std::string_view path);
// j["space"] must be the string `space`.
void check_space_tag(const nlohmann::json& j, std::string_view what, std::string_view space);

// "normal" + 3 -> "normal[3]"; "layers[2]" + "skips" -> "layers[2].skips".
std::string index_path(std::string_view path, int64_t i);
std::string field_path(std::string_view path, std::string_view key);

}  // namespace nf::nas::detail
