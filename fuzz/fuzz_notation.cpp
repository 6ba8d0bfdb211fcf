// libFuzzer target: the genotype notations (nas/notation*.cpp): DARTS's
// Genotype(normal=[...], ...), NAS-Bench-201's |op~0|+|...| and the macro
// chain "3x5 f36 s1 | ...", each parser directly and through parse_genotype.
#include <string_view>

#include "fuzz/fuzz_util.h"
#include "nas/notation.h"

namespace {

// Accepted text: valid, and printing then parsing gives the same genotype.
template <typename G, typename Parse>
void check(std::string_view text, Parse parse) {
  nf::fuzz::expect_errors([&] {
    const G g = parse(text);
    nf::nas::validate(nf::nas::Genotype(g));
    if (parse(nf::nas::to_string(g)) != g) __builtin_trap();
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check<nf::nas::Genotype>(text, [](std::string_view t) { return nf::nas::parse_genotype(t); });
  check<nf::nas::DartsGenotype>(text, [](std::string_view t) { return nf::nas::parse_darts_genotype(t); });
  check<nf::nas::Nb201Genotype>(text, [](std::string_view t) { return nf::nas::parse_nb201_genotype(t); });
  check<nf::nas::MacroGenotype>(text, [](std::string_view t) { return nf::nas::parse_macro_genotype(t); });
  return 0;
}
