// Search spaces over genotypes: decisions, sizes, uniform seeded sampling,
// one-decision mutation, the decode/encode bijection, configs and the errors
// of every bad token vector, foreign genotype and bad config.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_set>

#include "nas/notation.h"
#include "nas/space.h"
#include "nas/space_darts.h"
#include "nas/space_macro.h"
#include "nas/space_nb201.h"
#include "tensor/error.h"

using namespace nf;
using namespace nf::nas;
using nlohmann::json;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

// The spaces every generic property runs on.
std::vector<std::unique_ptr<SearchSpace>> all_spaces() {
  std::vector<std::unique_ptr<SearchSpace>> out;
  out.push_back(std::make_unique<DartsSpace>());
  out.push_back(std::make_unique<DartsSpace>(DartsSpace::Options{.include_none = false}));
  out.push_back(std::make_unique<Nb201Space>());
  out.push_back(std::make_unique<MacroSpace>());
  out.push_back(std::make_unique<MacroSpace>(MacroSpace::Options{.num_layers = 5, .search_strides = true}));
  out.push_back(std::make_unique<MacroSpace>(MacroSpace::Options{.num_layers = 1}));
  return out;
}

std::string label(const SearchSpace& s) { return s.config().dump(); }

}  // namespace

TEST(SearchSpace, DartsDecisionsFollowDartsListOrder) {
  DartsSpace space;
  const auto& d = space.decisions();
  ASSERT_EQ(d.size(), 32u);
  EXPECT_EQ(d[0].name, "normal.node0.edge0.op");
  EXPECT_EQ(d[0].options, (std::vector<std::string>{"none", "max_pool_3x3", "avg_pool_3x3", "skip_connect",
                                                    "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5"}));
  EXPECT_EQ(d[1].name, "normal.node0.edge0.input");
  EXPECT_EQ(d[1].options, (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(d[15].name, "normal.node3.edge1.input");
  EXPECT_EQ(d[15].num_options(), 5);
  EXPECT_EQ(d[16].name, "reduce.node0.edge0.op");
  EXPECT_EQ(DartsSpace({.include_none = false}).decisions()[0].num_options(), 7);

  Tokens v2 = space.encode(parse_darts_genotype(
      "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
      "('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, "
      "5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), "
      "('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, "
      "5])"));
  EXPECT_EQ(v2, (Tokens{4, 0, 4, 1, 4, 0, 4, 1, 4, 1, 3, 0, 3, 0, 6, 2,  //
                        1, 0, 1, 1, 3, 2, 1, 1, 1, 0, 3, 2, 3, 2, 1, 1}));
}

TEST(SearchSpace, Nb201DecisionsAreTheIndexDigits) {
  Nb201Space space;
  ASSERT_EQ(space.decisions().size(), 6u);
  EXPECT_EQ(space.decisions()[0].name, "node1.from0");
  EXPECT_EQ(space.decisions()[2].name, "node2.from1");
  EXPECT_EQ(space.decisions()[5].name, "node3.from2");
  EXPECT_EQ(space.decisions()[4].options,
            (std::vector<std::string>{"none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"}));
  for (int64_t i = 0; i < Nb201Genotype::kCount; ++i) {
    Tokens t = space.encode(Nb201Genotype::from_index(i));
    int64_t index = 0;
    for (int digit : t) index = index * 5 + digit;
    ASSERT_EQ(index, i);
  }
}

TEST(SearchSpace, MacroDecisionsPerLayerThenSkips) {
  MacroSpace space({.num_layers = 4, .search_strides = true});
  std::vector<std::string> names;
  for (const Decision& d : space.decisions()) names.push_back(d.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"layer0.filter_height", "layer0.filter_width", "layer0.filters", "layer0.stride",
                                      "layer1.filter_height", "layer1.filter_width", "layer1.filters", "layer1.stride",
                                      "layer2.filter_height", "layer2.filter_width", "layer2.filters", "layer2.stride",
                                      "layer2.skip0", "layer3.filter_height", "layer3.filter_width", "layer3.filters",
                                      "layer3.stride", "layer3.skip0", "layer3.skip1"}));
  EXPECT_EQ(space.decisions()[2].options, (std::vector<std::string>{"24", "36", "48", "64"}));
  EXPECT_EQ(space.decisions()[12].options, (std::vector<std::string>{"off", "on"}));
  EXPECT_EQ(MacroSpace({.num_layers = 4}).decisions().size(), 15u);

  MacroGenotype g = parse_macro_genotype("3x5 f36 s1 | 5x5 f48 s2 | 3x7 f24 s1 skip=0 | 1x1 f64 s1 skip=0,1");
  EXPECT_EQ(space.encode(g), (Tokens{1, 2, 1, 0, 2, 2, 2, 1, 1, 3, 0, 0, 1, 0, 0, 3, 0, 1, 1}));
}

TEST(SearchSpace, SizeCountsEveryGenotype) {
  SpaceSize nb = Nb201Space().size();
  ASSERT_TRUE(nb.exact.has_value());
  EXPECT_EQ(*nb.exact, 15625u);
  EXPECT_NEAR(nb.log10, std::log10(15625.0), 1e-12);

  // Per cell: node i has two (op, input) edges with 8 ops and i+2 inputs.
  SpaceSize darts = DartsSpace().size();
  EXPECT_FALSE(darts.exact.has_value());  // ~5.8e22 does not fit in 64 bits
  EXPECT_NEAR(darts.log10, 4 * std::log10(16.0 * 24 * 32 * 40), 1e-9);
  EXPECT_NEAR(DartsSpace({.include_none = false}).size().log10, 4 * std::log10(14.0 * 21 * 28 * 35), 1e-9);

  // 64 layer choices per layer; layer i has i-1 skip bits (i >= 2).
  SpaceSize macro3 = MacroSpace({.num_layers = 3}).size();
  ASSERT_TRUE(macro3.exact.has_value());
  EXPECT_EQ(*macro3.exact, 64u * 64 * 64 * 2);
  SpaceSize macro12 = MacroSpace({.num_layers = 12, .search_strides = true}).size();
  EXPECT_FALSE(macro12.exact.has_value());
  EXPECT_NEAR(macro12.log10, 12 * std::log10(128.0) + 55 * std::log10(2.0), 1e-9);
}

TEST(SearchSpace, SamplesAreValidAndReproducibleFromTheSeed) {
  for (const auto& space : all_spaces()) {
    SCOPED_TRACE(label(*space));
    Generator a(42), b(42), c(43);
    bool differs = false;
    for (int i = 0; i < 200; ++i) {
      Genotype g = space->sample(a);
      EXPECT_EQ(space_name(g), space->name());
      EXPECT_NO_THROW(validate(g));
      EXPECT_EQ(space->decode(space->encode(g)), g);
      EXPECT_EQ(space->sample(b), g);
      differs = differs || space->sample(c) != g;
    }
    EXPECT_TRUE(differs);
  }
}

TEST(SearchSpace, SamplingIsUniformOverEachDecision) {
  // Each NB201 edge op should appear 1/5 of the time: 20000 draws, 4000 +- 5 sigma (~283).
  Nb201Space space;
  Generator gen(7);
  std::vector<std::vector<int>> counts(6, std::vector<int>(5, 0));
  for (int i = 0; i < 20000; ++i) {
    Tokens t = space.encode(space.sample(gen));
    for (int e = 0; e < 6; ++e) ++counts[e][t[e]];
  }
  for (int e = 0; e < 6; ++e)
    for (int op = 0; op < 5; ++op) EXPECT_NEAR(counts[e][op], 4000, 283) << "edge " << e << " op " << op;
}

TEST(SearchSpace, MutateChangesExactlyOneDecision) {
  for (const auto& space : all_spaces()) {
    SCOPED_TRACE(label(*space));
    Generator gen(5);
    std::map<size_t, int> changed;  // which decisions were mutated, to see every one can be
    for (int i = 0; i < 3000; ++i) {
      Genotype g = space->sample(gen);
      Genotype m = space->mutate(g, gen);
      ASSERT_NE(m, g);
      EXPECT_NE(hash(m), hash(g));
      Tokens a = space->encode(g), b = space->encode(m);
      int diffs = 0;
      for (size_t k = 0; k < a.size(); ++k)
        if (a[k] != b[k]) ++diffs, ++changed[k];
      ASSERT_EQ(diffs, 1);
    }
    EXPECT_EQ(changed.size(), space->decisions().size());
  }
}

TEST(SearchSpace, MutateOfDartsWithoutNoneNeverIntroducesNone) {
  DartsSpace space({.include_none = false});
  Generator gen(9);
  Genotype g = space.sample(gen);
  for (int i = 0; i < 2000; ++i) {
    g = space.mutate(g, gen);
    for (const DartsCell& cell : {std::get<DartsGenotype>(g).normal, std::get<DartsGenotype>(g).reduce})
      for (const DartsEdge& e : cell.edges) ASSERT_NE(e.op, DartsOp::none);
  }
}

TEST(SearchSpace, DecodeEncodeRoundTripBothWays) {
  for (const auto& space : all_spaces()) {
    SCOPED_TRACE(label(*space));
    Generator gen(11);
    for (int i = 0; i < 300; ++i) {
      Tokens t(space->decisions().size());
      for (size_t k = 0; k < t.size(); ++k) t[k] = static_cast<int>(gen.randint(space->decisions()[k].num_options()));
      Genotype g = space->decode(t);
      EXPECT_EQ(space->encode(g), t);
      EXPECT_EQ(space->decode(space->encode(g)), g);
      json j = g;
      EXPECT_EQ(space->encode(j.get<Genotype>()), t);
      EXPECT_EQ(space->encode(parse_genotype(to_string(g))), t);
    }
  }
}

TEST(SearchSpace, NoHashCollisionsOverManySamples) {
  for (const auto& space : all_spaces()) {
    SCOPED_TRACE(label(*space));
    Generator gen(3);
    std::set<std::string> texts;
    std::unordered_set<uint64_t> hashes;
    for (int i = 0; i < 20000; ++i) {
      Genotype g = space->sample(gen);
      texts.insert(to_string(g));
      hashes.insert(hash(g));
    }
    EXPECT_EQ(hashes.size(), texts.size());
    if (space->name() == "darts") {
      EXPECT_EQ(texts.size(), 20000u);  // 5.8e22 genotypes: no repeats
    }
  }
}

TEST(SearchSpace, DecodeRejectsBadTokens) {
  Nb201Space nb;
  EXPECT_EQ(error_of([&] { nb.decode(Tokens{0, 1, 2}); }), "nb201 space: decode: expected 6 tokens, got 3");
  EXPECT_EQ(error_of([&] {
              nb.decode(Tokens{0, 1, 2, 5, 0, 0});
            }),
            "nb201 space: decode: token 3 (node3.from0) is 5, expected 0..4");
  DartsSpace darts;
  Tokens t(32, 0);
  t[3] = 2;
  EXPECT_EQ(error_of([&] { darts.decode(t); }),
            "darts space: decode: token 3 (normal.node0.edge1.input) is 2, expected 0..1");
  t[3] = -1;
  EXPECT_EQ(error_of([&] { darts.decode(t); }),
            "darts space: decode: token 3 (normal.node0.edge1.input) is -1, expected 0..1");
  MacroSpace macro({.num_layers = 3});
  EXPECT_EQ(error_of([&] {
              macro.decode(Tokens{0, 0, 0, 0, 0, 0, 0, 0, 0, 2});
            }),
            "macro space: decode: token 9 (layer2.skip0) is 2, expected 0..1");
}

TEST(SearchSpace, EncodeRejectsGenotypesOfAnotherSpaceOrShape) {
  Nb201Space nb;
  DartsSpace darts({.include_none = false});
  MacroSpace macro({.num_layers = 3});
  EXPECT_EQ(error_of([&] { nb.encode(DartsGenotype{}); }),
            "nb201 space: encode: expected a nb201 genotype, got a darts one");
  EXPECT_EQ(error_of([&] { darts.encode(DartsGenotype{}); }),
            "darts space: encode: normal[0] uses op 'none', which this space excludes (include_none=false)");
  MacroGenotype g = parse_macro_genotype("3x3 f24 s1 | 3x3 f24 s1");
  EXPECT_EQ(error_of([&] { macro.encode(g); }), "macro space: encode: the genotype has 2 layers, this space has 3");
  g = parse_macro_genotype("3x3 f24 s1 | 3x3 f24 s2 | 3x3 f24 s1");
  EXPECT_EQ(error_of([&] { macro.encode(g); }),
            "macro space: encode: layers[1] has stride 2, but this space fixes strides to 1 (search_strides=false)");
  g.layers[1].filters = 30;
  EXPECT_EQ(error_of([&] { macro.encode(g); }), "macro genotype: layers[1]: filters 30 is not one of 24, 36, 48, 64");
}

TEST(SearchSpace, ConfigRoundTripsThroughMakeSpace) {
  for (const auto& space : all_spaces()) {
    std::unique_ptr<SearchSpace> copy = make_space(space->config());
    EXPECT_EQ(copy->config(), space->config());
    EXPECT_EQ(copy->decisions().size(), space->decisions().size());
  }
  EXPECT_EQ(make_space({{"space", "macro"}})->config(),
            (json{{"space", "macro"}, {"num_layers", 12}, {"search_strides", false}}));
  EXPECT_EQ(make_space({{"space", "darts"}})->config(), (json{{"space", "darts"}, {"include_none", true}}));
  EXPECT_EQ(make_space({{"space", "nb201"}})->config(), (json{{"space", "nb201"}}));
}

TEST(SearchSpace, MakeSpaceRejectsBadConfigs) {
  auto err = [](const json& j) { return error_of([&] { make_space(j); }); };
  EXPECT_EQ(err("darts"), "space config: expected an object with a \"space\" field");
  EXPECT_EQ(err({{"space", "enas"}}), "space config: space: unknown space \"enas\" (expected darts, nb201 or macro)");
  EXPECT_EQ(err({{"space", "darts"}, {"include_none", 1}}),
            "space config: include_none: expected a boolean, got an integer");
  EXPECT_EQ(err({{"space", "darts"}, {"nodes", 5}}), "space config: unknown field 'nodes'");
  EXPECT_EQ(err({{"space", "nb201"}, {"num_layers", 5}}), "space config: unknown field 'num_layers'");
  EXPECT_EQ(err({{"space", "macro"}, {"num_layers", 0}}), "space config: num_layers: expected 1..64, got 0");
  EXPECT_EQ(err({{"space", "macro"}, {"num_layers", 65}}), "space config: num_layers: expected 1..64, got 65");
  EXPECT_EQ(err({{"space", "macro"}, {"num_layers", 2.5}}),
            "space config: num_layers: expected an integer, got a floating-point number");
  EXPECT_EQ(err({{"space", "macro"}, {"search_strides", "yes"}}),
            "space config: search_strides: expected a boolean, got a string");
  EXPECT_EQ(error_of([] { MacroSpace({.num_layers = 0}); }), "macro space: num_layers must be 1..64, got 0");
}
