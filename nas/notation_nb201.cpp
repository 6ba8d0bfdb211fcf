// NAS-Bench-201 arch strings: "|op~0|+|op~0|op~1|+|op~0|op~1|op~2|".
#include <string>

#include "nas/notation.h"
#include "nas/notation_util.h"
#include "tensor/error.h"

namespace nf::nas {

std::string to_string(const Nb201Genotype& g) {
  validate(g);
  std::string out;
  for (int e = 0; e < Nb201Genotype::kEdges; ++e) {
    int from = Nb201Genotype::kEdgeFrom[e];
    if (from == 0 && e > 0) out += "+";  // a new node's group starts with its edge from node 0
    if (from == 0) out += "|";
    out += std::string(nb201_op_name(g.ops[e])) + "~" + std::to_string(from) + "|";
  }
  return out;
}

Nb201Genotype parse_nb201_genotype(std::string_view text) {
  std::vector<std::string_view> groups = detail::split(detail::trim(text), '+');
  NF_CHECK(groups.size() == Nb201Genotype::kNodes - 1, "nb201 notation: expected ", Nb201Genotype::kNodes - 1,
           " node groups separated by '+', got ", groups.size());
  Nb201Genotype g;
  int first_edge = 0;  // edges of node `to` are first_edge .. first_edge + to - 1 (by source)
  for (int to = 1; to < Nb201Genotype::kNodes; ++to) {
    std::string_view group = detail::trim(groups[to - 1]);
    NF_CHECK(group.size() >= 2 && group.front() == '|' && group.back() == '|', "nb201 notation: node ", to, ": group '",
             group, "' must start and end with '|'");
    std::vector<std::string_view> items = detail::split(group.substr(1, group.size() - 2), '|');
    NF_CHECK(static_cast<int>(items.size()) == to, "nb201 notation: node ", to, ": expected ", to,
             " edges (one from each earlier node), got ", items.size());
    std::vector<bool> seen(to, false);
    for (std::string_view raw : items) {
      std::string_view item = detail::trim(raw);
      size_t tilde = item.find('~');
      NF_CHECK(tilde != std::string_view::npos, "nb201 notation: node ", to, ": edge '", item,
               "' is not of the form op~source");
      std::string_view name = detail::trim(item.substr(0, tilde));
      std::optional<Nb201Op> op = nb201_op_from_name(name);
      NF_CHECK(op.has_value(), "nb201 notation: node ", to, ": unknown op '", name, "' (expected one of ",
               nb201_op_names(), ")");
      std::string_view src_text = detail::trim(item.substr(tilde + 1));
      std::optional<int64_t> src = detail::parse_int(src_text);
      NF_CHECK(src && *src >= 0 && *src < to, "nb201 notation: node ", to, ": source '", src_text,
               "' out of range (expected 0..", to - 1, ")");
      NF_CHECK(!seen[*src], "nb201 notation: node ", to, ": source ", *src, " given twice");
      seen[*src] = true;
      g.ops[first_edge + *src] = *op;
    }
    first_edge += to;
  }
  return g;
}

}  // namespace nf::nas
