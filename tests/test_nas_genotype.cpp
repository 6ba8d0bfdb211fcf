// NAS genotypes: DARTS / NAS-Bench-201 / macro structs, their notations
// (exact print, tolerant parse, every parse error), strict JSON round trips
// with every malformed case and its message, and the stable FNV-1a hash.
#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <unordered_set>

#include "nas/genotype.h"
#include "nas/genotype_hash.h"
#include "nas/notation.h"
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

// DARTS_V2 from the DARTS repository's genotypes.py, as Python prints it.
const std::string kDartsV2 =
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
    "('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], "
    "normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), "
    "('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], "
    "reduce_concat=[2, 3, 4, 5])";

DartsGenotype darts_v2() {
  using enum DartsOp;
  DartsGenotype g;
  g.normal.edges = {{{sep_conv_3x3, 0},
                     {sep_conv_3x3, 1},
                     {sep_conv_3x3, 0},
                     {sep_conv_3x3, 1},
                     {sep_conv_3x3, 1},
                     {skip_connect, 0},
                     {skip_connect, 0},
                     {dil_conv_3x3, 2}}};
  g.reduce.edges = {{{max_pool_3x3, 0},
                     {max_pool_3x3, 1},
                     {skip_connect, 2},
                     {max_pool_3x3, 1},
                     {max_pool_3x3, 0},
                     {skip_connect, 2},
                     {skip_connect, 2},
                     {max_pool_3x3, 1}}};
  return g;
}

const std::string kNb201Text =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|";

Nb201Genotype nb201_example() {
  using enum Nb201Op;
  return Nb201Genotype{{nor_conv_3x3, nor_conv_3x3, avg_pool_3x3, skip_connect, nor_conv_3x3, skip_connect}};
}

const std::string kMacroText = "3x5 f36 s1 | 5x5 f48 s2 | 3x7 f24 s1 skip=0 | 1x1 f64 s1 skip=0,1";

MacroGenotype macro_example() {
  MacroGenotype g;
  g.layers = {{3, 5, 36, 1, 0}, {5, 5, 48, 2, 0}, {3, 7, 24, 1, 0b1}, {1, 1, 64, 1, 0b11}};
  return g;
}

// The DARTS_V2 genotype's JSON with one field replaced.
json darts_json_with(const std::function<void(json&)>& edit) {
  json j = darts_v2();
  edit(j);
  return j;
}

}  // namespace

// ---------------------------------------------------------------- DARTS ----

TEST(DartsNotation, PrintsPublishedDartsV2Exactly) { EXPECT_EQ(to_string(darts_v2()), kDartsV2); }

TEST(DartsNotation, ParsesPublishedDartsV2) {
  DartsGenotype g = parse_darts_genotype(kDartsV2);
  EXPECT_EQ(g, darts_v2());
  EXPECT_EQ(g.normal.edges[7], (DartsEdge{DartsOp::dil_conv_3x3, 2}));
  EXPECT_EQ(g.reduce.edges[2], (DartsEdge{DartsOp::skip_connect, 2}));
  EXPECT_EQ(to_string(g), kDartsV2);
}

TEST(DartsNotation, ToleratesWhitespaceQuotesRangeAndOrder) {
  const std::string text =
      "  Genotype(\n  reduce = [ (\"max_pool_3x3\",0),('max_pool_3x3',1),('skip_connect',2),('max_pool_3x3',1),\n"
      "   ('max_pool_3x3',0),('skip_connect',2),('skip_connect',2),('max_pool_3x3',1,), ],\n"
      "  normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1),\n"
      "\t('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)],\n"
      "  normal_concat=range(2, 6), reduce_concat = range( 2 , 6 ),\n) \n";
  EXPECT_EQ(parse_darts_genotype(text), darts_v2());
}

TEST(DartsNotation, EveryParseErrorNamesThePlaceAndProblem) {
  auto err = [](const std::string& text) { return error_of([&] { parse_darts_genotype(text); }); };
  auto replaced = [](const std::string& from, const std::string& to) {
    std::string s = kDartsV2;
    size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
  };
  EXPECT_EQ(err(replaced("('dil_conv_3x3', 2)", "('conv_9x9', 2)")),
            "darts notation: at offset 165: normal[7]: unknown op 'conv_9x9' (expected one of none, max_pool_3x3, "
            "avg_pool_3x3, skip_connect, sep_conv_3x3, sep_conv_5x5, dil_conv_3x3, dil_conv_5x5)");
  EXPECT_EQ(err(replaced("('sep_conv_3x3', 1), ('sep_conv_3x3', 0)", "('sep_conv_3x3', 2), ('sep_conv_3x3', 0)")),
            "darts notation: at offset 55: normal[1]: input 2 out of range for node 0 (expected 0..1)");
  EXPECT_EQ(err(replaced("('dil_conv_3x3', 2)", "('dil_conv_3x3', -1)")),
            "darts notation: at offset 181: normal[7]: input -1 out of range for node 3 (expected 0..4)");
  EXPECT_EQ(err(replaced(", ('dil_conv_3x3', 2)]", "]")),
            "darts notation: at offset 162: normal: expected 8 (op, input) pairs, got 7");
  EXPECT_EQ(err(replaced("('dil_conv_3x3', 2)]", "('dil_conv_3x3', 2), ('none', 0)]")),
            "darts notation: at offset 185: normal: more than 8 (op, input) pairs");
  EXPECT_EQ(err(replaced("normal_concat=[2, 3, 4, 5]", "normal_concat=[2, 3, 4]")),
            "darts notation: at offset 200: normal_concat must be [2, 3, 4, 5] (cells concatenate all intermediate "
            "nodes)");
  EXPECT_EQ(err(replaced("reduce_concat=[2, 3, 4, 5]", "reduce_concat=range(2, 5)")),
            "darts notation: at offset 405: reduce_concat must be [2, 3, 4, 5] (cells concatenate all intermediate "
            "nodes)");
  EXPECT_EQ(err(replaced(", reduce_concat=[2, 3, 4, 5]", "")), "darts notation: missing field 'reduce_concat'");
  EXPECT_EQ(err(replaced("reduce_concat", "normal_concat")),
            "darts notation: at offset 391: field 'normal_concat' given twice");
  EXPECT_EQ(err(replaced("reduce_concat", "reduce_cat")),
            "darts notation: at offset 391: unknown field 'reduce_cat' (expected normal, normal_concat, reduce, "
            "reduce_concat)");
  EXPECT_EQ(err(kDartsV2 + " x"), "darts notation: at offset 419: unexpected text after the closing ')'");
  EXPECT_EQ(err(replaced("('sep_conv_3x3', 0)", "(sep_conv_3x3, 0)")),
            "darts notation: at offset 18: expected a quoted op name, got 'sep_conv_3x3'");
  EXPECT_EQ(err(replaced("('sep_conv_3x3', 0)", "('sep_conv_3x3', '0')")),
            "darts notation: at offset 34: expected an input index, got the string '0'");
  EXPECT_EQ(err("Genotype(normal=[('sep_conv_3x3, 0)]"), "darts notation: at offset 18: unterminated string");
  EXPECT_EQ(err("Genotype(normal=[('a', 99999999999999999999)])"),
            "darts notation: at offset 18: normal[0]: unknown op 'a' (expected one of none, max_pool_3x3, "
            "avg_pool_3x3, skip_connect, sep_conv_3x3, sep_conv_5x5, dil_conv_3x3, dil_conv_5x5)");
  EXPECT_EQ(err("Genotype(normal=[('none', 99999999999999999999)])"),
            "darts notation: at offset 26: normal[0]: input 99999999999999999999 out of range for node 0 "
            "(expected 0..1)");
  EXPECT_EQ(err("Genome(normal=[])"), "darts notation: at offset 0: expected 'Genotype', got 'Genome'");
  EXPECT_EQ(err("Genotype(normal=[]"), "darts notation: at offset 17: normal: expected 8 (op, input) pairs, got 0");
  EXPECT_EQ(err("Genotype(normal=[('none', 0)"), "darts notation: at offset 28: expected ',', got the end of the text");
  EXPECT_EQ(err("Genotype(normal; [])"), "darts notation: at offset 15: unexpected character ';'");
  EXPECT_EQ(err(""), "darts notation: at offset 0: expected 'Genotype', got the end of the text");
}

TEST(DartsJson, RoundTripsAndHasTheDocumentedForm) {
  json j = darts_v2();
  EXPECT_EQ(j.dump(),
            R"({"normal":[["sep_conv_3x3",0],["sep_conv_3x3",1],["sep_conv_3x3",0],["sep_conv_3x3",1],)"
            R"(["sep_conv_3x3",1],["skip_connect",0],["skip_connect",0],["dil_conv_3x3",2]],)"
            R"("reduce":[["max_pool_3x3",0],["max_pool_3x3",1],["skip_connect",2],["max_pool_3x3",1],)"
            R"(["max_pool_3x3",0],["skip_connect",2],["skip_connect",2],["max_pool_3x3",1]],"space":"darts"})");
  EXPECT_EQ(j.get<DartsGenotype>(), darts_v2());
  EXPECT_EQ(json::parse(j.dump()).get<DartsGenotype>(), darts_v2());
}

TEST(DartsJson, EveryMalformedCaseNamesTheFieldAndProblem) {
  auto err = [](const json& j) { return error_of([&] { j.get<DartsGenotype>(); }); };
  EXPECT_EQ(err(json::array()), "darts genotype JSON: expected an object, got an array");
  EXPECT_EQ(err(darts_json_with([](json& j) { j.erase("reduce"); })), "darts genotype JSON: missing field 'reduce'");
  EXPECT_EQ(err(darts_json_with([](json& j) { j.erase("space"); })), "darts genotype JSON: missing field 'space'");
  EXPECT_EQ(err(darts_json_with([](json& j) {
              j["normal_concat"] = {2, 3, 4, 5};
            })),
            "darts genotype JSON: unknown field 'normal_concat'");
  EXPECT_EQ(err(darts_json_with([](json& j) { j["space"] = "nb201"; })),
            "darts genotype JSON: space: expected \"darts\", got \"nb201\"");
  EXPECT_EQ(err(darts_json_with([](json& j) { j["space"] = 1; })),
            "darts genotype JSON: space: expected a string, got an integer");
  EXPECT_EQ(err(darts_json_with([](json& j) { j["normal"] = "sep_conv_3x3"; })),
            "darts genotype JSON: normal: expected an array, got a string");
  EXPECT_EQ(err(darts_json_with([](json& j) { j["reduce"].erase(7); })),
            "darts genotype JSON: reduce: expected 8 (op, input) pairs, got 7");
  EXPECT_EQ(err(darts_json_with([](json& j) {
              j["normal"][3] = {"skip_connect", 0, 1};
            })),
            "darts genotype JSON: normal[3]: expected 2 items (op, input), got 3");
  EXPECT_EQ(err(darts_json_with([](json& j) {
              j["normal"][3] = {{"op", "skip_connect"}};
            })),
            "darts genotype JSON: normal[3]: expected an array, got an object");
  EXPECT_EQ(err(darts_json_with([](json& j) { j["normal"][3][0] = "conv_9x9"; })),
            "darts genotype JSON: normal[3][0]: unknown op 'conv_9x9' (expected one of none, max_pool_3x3, "
            "avg_pool_3x3, skip_connect, sep_conv_3x3, sep_conv_5x5, dil_conv_3x3, dil_conv_5x5)");
  EXPECT_EQ(err(darts_json_with([](json& j) { j["normal"][3][0] = 4; })),
            "darts genotype JSON: normal[3][0]: expected a string, got an integer");
  EXPECT_EQ(err(darts_json_with([](json& j) { j["normal"][3][1] = "1"; })),
            "darts genotype JSON: normal[3][1]: expected an integer, got a string");
  EXPECT_EQ(err(darts_json_with([](json& j) { j["normal"][3][1] = 1.0; })),
            "darts genotype JSON: normal[3][1]: expected an integer, got a floating-point number");
  EXPECT_EQ(err(darts_json_with([](json& j) { j["normal"][3][1] = true; })),
            "darts genotype JSON: normal[3][1]: expected an integer, got a boolean");
  EXPECT_EQ(err(darts_json_with([](json& j) { j["reduce"][3][1] = 3; })),
            "darts genotype JSON: reduce[3][1]: input 3 out of range for node 1 (expected 0..2)");
  EXPECT_EQ(err(darts_json_with([](json& j) { j["reduce"][6][1] = -1; })),
            "darts genotype JSON: reduce[6][1]: input -1 out of range for node 3 (expected 0..4)");
  EXPECT_EQ(err(darts_json_with([](json& j) { j["reduce"][6][1] = 18446744073709551615ull; })),
            "darts genotype JSON: reduce[6][1]: integer 18446744073709551615 is out of range");
  EXPECT_EQ(err(darts_json_with([](json& j) { j["reduce"][6][1] = nullptr; })),
            "darts genotype JSON: reduce[6][1]: expected an integer, got null");
}

TEST(DartsGenotype, ValidateRejectsHandBuiltNonsense) {
  DartsGenotype g = darts_v2();
  g.reduce.edges[5].input = 4;
  EXPECT_EQ(error_of([&] { validate(g); }),
            "darts genotype: reduce[5]: input 4 out of range for node 2 (expected 0..3)");
  EXPECT_EQ(error_of([&] { json j = g; }),
            "darts genotype: reduce[5]: input 4 out of range for node 2 (expected 0..3)");
  g = darts_v2();
  g.normal.edges[0].op = static_cast<DartsOp>(8);
  EXPECT_EQ(error_of([&] { to_string(g); }),
            "darts genotype: normal[0]: op 8 is not a DARTS op (expected one of none, max_pool_3x3, avg_pool_3x3, "
            "skip_connect, sep_conv_3x3, sep_conv_5x5, dil_conv_3x3, dil_conv_5x5)");
  EXPECT_NO_THROW(validate(DartsGenotype{}));  // all 'none' reading state 0
}

// ---------------------------------------------------------------- NB201 ----

TEST(Nb201Notation, PrintsAndParsesTheArchString) {
  EXPECT_EQ(to_string(nb201_example()), kNb201Text);
  EXPECT_EQ(parse_nb201_genotype(kNb201Text), nb201_example());
  EXPECT_EQ(to_string(Nb201Genotype{}), "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|");
}

TEST(Nb201Notation, ToleratesWhitespaceAndEdgeOrder) {
  EXPECT_EQ(
      parse_nb201_genotype("  | nor_conv_3x3 ~ 0 | + |avg_pool_3x3~1|nor_conv_3x3~0| +|skip_connect~2|skip_connect~0|"
                           "nor_conv_3x3~1|\n"),
      nb201_example());
}

TEST(Nb201Notation, EveryParseErrorNamesThePlaceAndProblem) {
  auto err = [](const std::string& text) { return error_of([&] { parse_nb201_genotype(text); }); };
  EXPECT_EQ(err("|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|"),
            "nb201 notation: expected 3 node groups separated by '+', got 2");
  EXPECT_EQ(err("nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"),
            "nb201 notation: node 1: group 'nor_conv_3x3~0|' must start and end with '|'");
  EXPECT_EQ(err("|nor_conv_3x3~0|+|nor_conv_3x3~0|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"),
            "nb201 notation: node 2: expected 2 edges (one from each earlier node), got 1");
  EXPECT_EQ(err("|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"),
            "nb201 notation: node 2: edge 'avg_pool_3x3' is not of the form op~source");
  EXPECT_EQ(err("|conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"),
            "nb201 notation: node 1: unknown op 'conv_3x3' (expected one of none, skip_connect, nor_conv_1x1, "
            "nor_conv_3x3, avg_pool_3x3)");
  EXPECT_EQ(err("|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~2|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"),
            "nb201 notation: node 2: source '2' out of range (expected 0..1)");
  EXPECT_EQ(err("|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~x|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"),
            "nb201 notation: node 2: source 'x' out of range (expected 0..1)");
  EXPECT_EQ(err("|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~0|skip_connect~2|"),
            "nb201 notation: node 3: source 0 given twice");
}

TEST(Nb201Genotype, IndexIsABijectionOverAll15625) {
  std::set<std::string> texts;
  for (int64_t i = 0; i < Nb201Genotype::kCount; ++i) {
    Nb201Genotype g = Nb201Genotype::from_index(i);
    ASSERT_EQ(g.index(), i);
    std::string text = to_string(g);
    ASSERT_EQ(parse_nb201_genotype(text), g) << text;
    texts.insert(text);
  }
  EXPECT_EQ(texts.size(), 15625u);
  // Mixed radix 5, edge 0 most significant: digits 3,3,4,1,3,1.
  EXPECT_EQ(nb201_example().index(), 11791);
  EXPECT_EQ(Nb201Genotype::from_index(0), Nb201Genotype{});
  EXPECT_EQ(to_string(Nb201Genotype::from_index(15624)),
            "|avg_pool_3x3~0|+|avg_pool_3x3~0|avg_pool_3x3~1|+|avg_pool_3x3~0|avg_pool_3x3~1|avg_pool_3x3~2|");
  EXPECT_EQ(error_of([] { Nb201Genotype::from_index(15625); }),
            "nb201 genotype: index 15625 out of range (expected 0..15624)");
  EXPECT_EQ(error_of([] { Nb201Genotype::from_index(-1); }),
            "nb201 genotype: index -1 out of range (expected 0..15624)");
}

TEST(Nb201Json, RoundTripAndEveryMalformedCase) {
  json j = nb201_example();
  EXPECT_EQ(j.dump(), R"({"ops":["nor_conv_3x3","nor_conv_3x3","avg_pool_3x3","skip_connect","nor_conv_3x3",)"
                      R"("skip_connect"],"space":"nb201"})");
  EXPECT_EQ(j.get<Nb201Genotype>(), nb201_example());
  auto err = [](const json& j) { return error_of([&] { j.get<Nb201Genotype>(); }); };
  auto with = [&](const std::function<void(json&)>& edit) {
    json k = j;
    edit(k);
    return k;
  };
  EXPECT_EQ(err("x"), "nb201 genotype JSON: expected an object, got a string");
  EXPECT_EQ(err(with([](json& k) { k.erase("ops"); })), "nb201 genotype JSON: missing field 'ops'");
  EXPECT_EQ(err(with([](json& k) { k["edges"] = 1; })), "nb201 genotype JSON: unknown field 'edges'");
  EXPECT_EQ(err(with([](json& k) { k["space"] = "darts"; })),
            "nb201 genotype JSON: space: expected \"nb201\", got \"darts\"");
  EXPECT_EQ(err(with([](json& k) {
              k["ops"] = {{"a", 1}};
            })),
            "nb201 genotype JSON: ops: expected an array, got an object");
  EXPECT_EQ(err(with([](json& k) { k["ops"].push_back("none"); })),
            "nb201 genotype JSON: ops: expected 6 edge ops, got 7");
  EXPECT_EQ(err(with([](json& k) { k["ops"][4] = "sep_conv_3x3"; })),
            "nb201 genotype JSON: ops[4]: unknown op 'sep_conv_3x3' (expected one of none, skip_connect, "
            "nor_conv_1x1, nor_conv_3x3, avg_pool_3x3)");
  EXPECT_EQ(err(with([](json& k) { k["ops"][5] = 3; })),
            "nb201 genotype JSON: ops[5]: expected a string, got an integer");
}

// ---------------------------------------------------------------- macro ----

TEST(MacroNotation, PrintsAndParses) {
  EXPECT_EQ(to_string(macro_example()), kMacroText);
  EXPECT_EQ(parse_macro_genotype(kMacroText), macro_example());
  EXPECT_EQ(parse_macro_genotype("  3x5   f36 s1|5x5 f48 s2|\t3x7 f24 s1 skip=0|1x1 f64 s1 skip=1,0  "),
            macro_example());
  EXPECT_EQ(to_string(MacroGenotype{{MacroLayer{}}}), "3x3 f24 s1");
}

TEST(MacroNotation, EveryParseErrorNamesTheLayerAndProblem) {
  auto err = [](const std::string& text) { return error_of([&] { parse_macro_genotype(text); }); };
  EXPECT_EQ(err(""), "macro notation: layer 0: expected 'HxW fN sN [skip=a,b]', got ''");
  EXPECT_EQ(err("3x3 f24 s1 | 3x3 f24"), "macro notation: layer 1: expected 'HxW fN sN [skip=a,b]', got '3x3 f24'");
  EXPECT_EQ(err("3by3 f24 s1"), "macro notation: layer 0: filter size '3by3' is not of the form HxW");
  EXPECT_EQ(err("3x f24 s1"), "macro notation: layer 0: bad filter width ''");
  EXPECT_EQ(err("3x3 24 s1"), "macro notation: layer 0: expected the filter count as fN, got '24'");
  EXPECT_EQ(err("3x3 f24 1"), "macro notation: layer 0: expected the stride as sN, got '1'");
  EXPECT_EQ(err("3x3 f24 s1 | 3x3 f24 s1 | 3x3 f24 s1 skips=0"),
            "macro notation: layer 2: expected skip=a,b,..., got 'skips=0'");
  EXPECT_EQ(err("3x3 f24 s1 | 3x3 f24 s1 skip=0"),
            "macro notation: layer 1: skip source '0' out of range (this layer "
            "has no skip sources)");
  EXPECT_EQ(err("3x3 f24 s1 | 3x3 f24 s1 | 3x3 f24 s1 | 3x3 f24 s1 skip=2"),
            "macro notation: layer 3: skip source '2' out of range (expected 0..1)");
  EXPECT_EQ(err("3x3 f24 s1 | 3x3 f24 s1 | 3x3 f24 s1 | 3x3 f24 s1 skip=1,1"),
            "macro notation: layer 3: duplicate skip source 1");
  EXPECT_EQ(err("3x3 f30 s1"), "macro genotype: layers[0]: filters 30 is not one of 24, 36, 48, 64");
  EXPECT_EQ(err("3x3 f24 s1 | 2x3 f24 s1"), "macro genotype: layers[1]: filter_height 2 is not one of 1, 3, 5, 7");
  EXPECT_EQ(err("3x3 f24 s3"), "macro genotype: layers[0]: stride 3 is not one of 1, 2");
  std::string too_long = "3x3 f24 s1";
  for (int i = 0; i < 64; ++i) too_long += " | 3x3 f24 s1";
  EXPECT_EQ(err(too_long), "macro notation: expected 1..64 layers, got 65");
}

TEST(MacroJson, RoundTripAndEveryMalformedCase) {
  json j = macro_example();
  EXPECT_EQ(j["layers"][3].dump(), R"({"filter_height":1,"filter_width":1,"filters":64,"skips":[0,1],"stride":1})");
  EXPECT_EQ(j.get<MacroGenotype>(), macro_example());
  auto err = [](const json& j) { return error_of([&] { j.get<MacroGenotype>(); }); };
  auto with = [&](const std::function<void(json&)>& edit) {
    json k = j;
    edit(k);
    return k;
  };
  EXPECT_EQ(err(with([](json& k) { k["layers"] = json::array(); })),
            "macro genotype JSON: layers: expected 1..64 layers, got 0");
  EXPECT_EQ(err(with([](json& k) { k["layers"] = 4; })),
            "macro genotype JSON: layers: expected an array, got an integer");
  EXPECT_EQ(err(with([](json& k) {
              k["layers"][1] = {3, 3};
            })),
            "macro genotype JSON: layers[1]: expected an object, got an array");
  EXPECT_EQ(err(with([](json& k) { k["layers"][1].erase("stride"); })),
            "macro genotype JSON: layers[1]: missing field 'stride'");
  EXPECT_EQ(err(with([](json& k) { k["layers"][1]["kernel"] = 3; })),
            "macro genotype JSON: layers[1]: unknown field 'kernel'");
  EXPECT_EQ(err(with([](json& k) { k["layers"][1]["filters"] = 32; })),
            "macro genotype JSON: layers[1].filters: filters 32 is not one of 24, 36, 48, 64");
  EXPECT_EQ(err(with([](json& k) { k["layers"][1]["filter_width"] = "3"; })),
            "macro genotype JSON: layers[1].filter_width: expected an integer, got a string");
  EXPECT_EQ(err(with([](json& k) { k["layers"][2]["stride"] = 4; })),
            "macro genotype JSON: layers[2].stride: stride 4 is not one of 1, 2");
  EXPECT_EQ(err(with([](json& k) { k["layers"][2]["skips"] = 1; })),
            "macro genotype JSON: layers[2].skips: expected an array, got an integer");
  EXPECT_EQ(err(with([](json& k) { k["layers"][2]["skips"] = {1}; })),
            "macro genotype JSON: layers[2].skips[0]: skip source 1 out of range (expected 0..0)");
  EXPECT_EQ(err(with([](json& k) { k["layers"][1]["skips"] = {0}; })),
            "macro genotype JSON: layers[1].skips[0]: skip source 0 out of range (layer 1 has no skip sources)");
  EXPECT_EQ(err(with([](json& k) {
              k["layers"][3]["skips"] = {1, 0, 1};
            })),
            "macro genotype JSON: layers[3].skips[2]: duplicate skip source 1");
  EXPECT_EQ(err(with([](json& k) { k["layers"][3]["skips"] = {-1}; })),
            "macro genotype JSON: layers[3].skips[0]: skip source -1 out of range (expected 0..1)");
}

TEST(MacroGenotype, ValidateRejectsHandBuiltNonsense) {
  MacroGenotype g = macro_example();
  g.layers[2].skips = 0b10;  // layer 1 is layer 2's predecessor: no bit for it
  EXPECT_EQ(error_of([&] { validate(g); }),
            "macro genotype: layers[2]: skip mask 0x2 names a layer that is not an earlier non-adjacent one "
            "(expected 0..0)");
  EXPECT_EQ(error_of([] { validate(MacroGenotype{}); }), "macro genotype: expected 1..64 layers, got 0");
}

// ---------------------------------------------------------- any genotype ----

TEST(Genotype, VariantJsonDispatchesOnSpace) {
  for (const Genotype& g : {Genotype{darts_v2()}, Genotype{nb201_example()}, Genotype{macro_example()}}) {
    json j = g;
    EXPECT_EQ(j["space"], space_name(g));
    EXPECT_EQ(j.get<Genotype>(), g);
    EXPECT_EQ(parse_genotype(to_string(g)), g);
    EXPECT_EQ(hash(g), std::visit([](const auto& x) { return hash(x); }, g));
  }
  auto err = [](const json& j) { return error_of([&] { j.get<Genotype>(); }); };
  EXPECT_EQ(err(json::array()), "genotype JSON: expected an object with a \"space\" field");
  EXPECT_EQ(err({{"ops", 1}}), "genotype JSON: expected an object with a \"space\" field");
  EXPECT_EQ(err({{"space", "enas"}}), "genotype JSON: space: unknown space \"enas\" (expected darts, nb201 or macro)");
  EXPECT_EQ(err({{"space", 3}}), "genotype JSON: space: expected a string, got an integer");
  EXPECT_EQ(err({{"space", "nb201"}}), "nb201 genotype JSON: missing field 'ops'");
  EXPECT_EQ(error_of([] { parse_genotype("resnet18"); }),
            "genotype notation: neither DARTS (Genotype(normal=...)) nor NAS-Bench-201 (|op~0|+...); read as macro "
            "notation: layer 0: expected 'HxW fN sN [skip=a,b]', got 'resnet18'");
}

TEST(GenotypeHash, Fnv1aMatchesPublishedTestVectors) {
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(fnv1a64("foobar"), 0x85944171f73967e8ull);
}

// Fixed values: a hash may never change, or every cached trial is lost.
TEST(GenotypeHash, IsStableAcrossRunsAndPlatforms) {
  EXPECT_EQ(hash(darts_v2()), fnv1a64("darts:" + kDartsV2));
  EXPECT_EQ(hash(darts_v2()), 0x2a24083de4896722ull);
  EXPECT_EQ(hash(nb201_example()), 0x4026ef52c4cf630dull);
  EXPECT_EQ(hash(macro_example()), 0x61e2348254348568ull);
  EXPECT_EQ(hash(Genotype{Nb201Genotype{}}), 0x6a921517044c4d9aull);
}

TEST(GenotypeHash, DistinctOnEveryNb201CellAndEqualForEqualGenotypes) {
  std::unordered_set<uint64_t> hashes;
  for (int64_t i = 0; i < Nb201Genotype::kCount; ++i) hashes.insert(hash(Nb201Genotype::from_index(i)));
  EXPECT_EQ(hashes.size(), 15625u);
  EXPECT_EQ(hash(parse_darts_genotype(kDartsV2)), hash(darts_v2()));
  std::unordered_set<Genotype, GenotypeHash> set = {darts_v2(), nb201_example(), macro_example(), darts_v2()};
  EXPECT_EQ(set.size(), 3u);
}
