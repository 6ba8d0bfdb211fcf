#include "nas/notation.h"

#include "nas/notation_util.h"
#include "tensor/error.h"

namespace nf::nas {

std::string to_string(const Genotype& g) {
  return std::visit([](const auto& x) { return to_string(x); }, g);
}

Genotype parse_genotype(std::string_view text) {
  std::string_view t = detail::trim(text);
  if (t.starts_with("Genotype")) return parse_darts_genotype(t);
  if (t.starts_with("|")) return parse_nb201_genotype(t);
  try {
    return parse_macro_genotype(t);
  } catch (const Error& e) {
    NF_FAIL("genotype notation: neither DARTS (Genotype(normal=...)) nor NAS-Bench-201 (|op~0|+...); read as ",
            e.what());
  }
}

}  // namespace nf::nas
