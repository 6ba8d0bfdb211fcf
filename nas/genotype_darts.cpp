#include "nas/genotype_darts.h"

#include <nlohmann/json.hpp>
#include <string>

#include "nas/genotype_hash.h"
#include "nas/genotype_json.h"
#include "nas/notation.h"
#include "tensor/error.h"

namespace nf::nas {

namespace {

constexpr std::array<std::string_view, kDartsNumOps> kOpNames = {"none",         "max_pool_3x3", "avg_pool_3x3",
                                                                 "skip_connect", "sep_conv_3x3", "sep_conv_5x5",
                                                                 "dil_conv_3x3", "dil_conv_5x5"};

constexpr std::string_view kJson = "darts genotype JSON";

// Node of edge e and the largest state it may read.
int node_of(int e) { return e / DartsCell::kEdgesPerNode; }
int max_input(int e) { return node_of(e) + 1; }

std::string input_range_problem(int e, int64_t input) {
  return "input " + std::to_string(input) + " out of range for node " + std::to_string(node_of(e)) + " (expected 0.." +
         std::to_string(max_input(e)) + ")";
}

void validate_cell(const DartsCell& cell, std::string_view name) {
  for (int e = 0; e < DartsCell::kEdges; ++e) {
    const DartsEdge& edge = cell.edges[e];
    NF_CHECK(static_cast<int>(edge.op) < kDartsNumOps, "darts genotype: ", name, "[", e, "]: op ",
             static_cast<int>(edge.op), " is not a DARTS op (expected one of ", darts_op_names(), ")");
    NF_CHECK(edge.input >= 0 && edge.input <= max_input(e), "darts genotype: ", name, "[", e,
             "]: ", input_range_problem(e, edge.input));
  }
}

nlohmann::json cell_to_json(const DartsCell& cell) {
  nlohmann::json pairs = nlohmann::json::array();
  for (const DartsEdge& edge : cell.edges) pairs.push_back({darts_op_name(edge.op), edge.input});
  return pairs;
}

DartsCell cell_from_json(const nlohmann::json& j, std::string_view name) {
  using namespace detail;
  check_array(j, kJson, name, DartsCell::kEdges, "(op, input) pairs");
  DartsCell cell;
  for (int e = 0; e < DartsCell::kEdges; ++e) {
    std::string path = index_path(name, e);
    const nlohmann::json& pair = j[e];
    check_array(pair, kJson, path, 2, "items (op, input)");
    const std::string& op_name = get_string(pair[0], kJson, index_path(path, 0));
    std::optional<DartsOp> op = darts_op_from_name(op_name);
    if (!op)
      json_fail(kJson, index_path(path, 0),
                "unknown op '" + op_name + "' (expected one of " + std::string(darts_op_names()) + ")");
    int64_t input = get_int(pair[1], kJson, index_path(path, 1));
    if (input < 0 || input > max_input(e)) json_fail(kJson, index_path(path, 1), input_range_problem(e, input));
    cell.edges[e] = {*op, static_cast<int>(input)};
  }
  return cell;
}

}  // namespace

std::string_view darts_op_name(DartsOp op) {
  NF_CHECK(static_cast<int>(op) < kDartsNumOps, "darts_op_name: invalid op ", static_cast<int>(op));
  return kOpNames[static_cast<int>(op)];
}

std::optional<DartsOp> darts_op_from_name(std::string_view name) {
  for (int i = 0; i < kDartsNumOps; ++i)
    if (kOpNames[i] == name) return static_cast<DartsOp>(i);
  return std::nullopt;
}

std::string_view darts_op_names() {
  return "none, max_pool_3x3, avg_pool_3x3, skip_connect, sep_conv_3x3, sep_conv_5x5, dil_conv_3x3, "
         "dil_conv_5x5";
}

void validate(const DartsGenotype& g) {
  validate_cell(g.normal, "normal");
  validate_cell(g.reduce, "reduce");
}

void to_json(nlohmann::json& j, const DartsGenotype& g) {
  validate(g);
  j = {{"space", "darts"}, {"normal", cell_to_json(g.normal)}, {"reduce", cell_to_json(g.reduce)}};
}

void from_json(const nlohmann::json& j, DartsGenotype& g) {
  detail::check_object(j, kJson, "", {"space", "normal", "reduce"});
  detail::check_space_tag(j, kJson, "darts");
  g.normal = cell_from_json(j.at("normal"), "normal");
  g.reduce = cell_from_json(j.at("reduce"), "reduce");
}

uint64_t hash(const DartsGenotype& g) { return fnv1a64("darts:" + to_string(g)); }

}  // namespace nf::nas
