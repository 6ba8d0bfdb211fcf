#include "nas/genotype.h"

#include <nlohmann/json.hpp>

#include "nas/genotype_json.h"

namespace nf::nas {

std::string_view space_name(const Genotype& g) {
  struct Name {
    std::string_view operator()(const DartsGenotype&) const { return "darts"; }
    std::string_view operator()(const Nb201Genotype&) const { return "nb201"; }
    std::string_view operator()(const MacroGenotype&) const { return "macro"; }
  };
  return std::visit(Name{}, g);
}

void validate(const Genotype& g) {
  std::visit([](const auto& x) { validate(x); }, g);
}

void to_json(nlohmann::json& j, const Genotype& g) {
  std::visit([&j](const auto& x) { to_json(j, x); }, g);
}

void from_json(const nlohmann::json& j, Genotype& g) {
  constexpr std::string_view what = "genotype JSON";
  if (!j.is_object() || !j.contains("space")) detail::json_fail(what, "", "expected an object with a \"space\" field");
  const std::string& space = detail::get_string(j.at("space"), what, "space");
  if (space == "darts") {
    g = j.get<DartsGenotype>();
  } else if (space == "nb201") {
    g = j.get<Nb201Genotype>();
  } else if (space == "macro") {
    g = j.get<MacroGenotype>();
  } else {
    detail::json_fail(what, "space", "unknown space \"" + space + "\" (expected darts, nb201 or macro)");
  }
}

uint64_t hash(const Genotype& g) {
  return std::visit([](const auto& x) { return hash(x); }, g);
}

}  // namespace nf::nas
