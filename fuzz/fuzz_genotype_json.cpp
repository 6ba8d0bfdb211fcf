// libFuzzer target: genotype JSON (nas/genotype*.cpp through the strict
// readers of nas/genotype_json.cpp), bare ({"space": "nb201", ...}) and as
// an experiment's best.json ({"genotype": ..., "space": {...}, "network": {...}},
// what `nasforge train --genotype` reads).
#include <nlohmann/json.hpp>

#include "fuzz/fuzz_util.h"
#include "nas/genotype.h"
#include "nas/network.h"
#include "nas/notation.h"
#include "nas/space.h"

namespace {

using nlohmann::json;

// Accepted: valid, and the same after a JSON and a notation round trip.
void check_round_trips(const nf::nas::Genotype& g) {
  nf::nas::validate(g);
  const json back = g;
  if (back.get<nf::nas::Genotype>() != g) __builtin_trap();
  if (nf::nas::parse_genotype(nf::nas::to_string(g)) != g) __builtin_trap();
  (void)nf::nas::hash(g);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const json j = json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;  // not JSON at all: the caller's message, not the reader's
  nf::fuzz::expect_errors([&] {
    const nf::nas::Genotype g = j.get<nf::nas::Genotype>();
    check_round_trips(g);
    nf::nas::make_space(json{{"space", std::string(nf::nas::space_name(g))}})->encode(g);
  });
  if (j.is_object() && j.contains("genotype")) {
    nf::fuzz::expect_errors([&] {
      const nf::nas::Genotype g = j["genotype"].get<nf::nas::Genotype>();
      check_round_trips(g);
      if (j.contains("network")) (void)j["network"].get<nf::nas::NetworkConfig>();
      if (j.contains("space")) nf::nas::make_space(j["space"])->encode(g);
    });
  }
  return 0;
}
