// Cell diagrams of searched genotypes, drawn by our own layout (no Graphviz
// needed): an arc diagram. The nodes are boxes on one line in topological
// order; an edge is an arrow labelled with its op, straight between
// neighbours, else an arc that rises with the number of nodes it spans, the
// arcs into one node alternately above and below the line. Labels of distinct
// edges then never sit on one another and no arc crosses a node.
//   nb201: the 4-node cell, edges j -> i labelled with their op ('none' edges
//          are left out: they carry nothing)
//   darts: the normal and the reduction cell, as in the DARTS paper's plots:
//          inputs c_{k-2} and c_{k-1}, nodes 0..3, output c_{k} (concat)
//   macro: the layer chain from the stem to the classifier, skip
//          connections as dashed arcs
// cell_dot() writes the same graphs for Graphviz (`dot -Tpdf best-1.dot`).
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "nas/genotype.h"

namespace nf::tools {

struct CellGraph {
  struct Node {
    std::string label;
    enum Kind { input, inner, output } kind = inner;
  };
  struct Edge {
    int from = 0, to = 0;  // indices into nodes; from < to (nodes are in topological order)
    std::string label;     // the op ("" = none)
    bool dashed = false;   // a skip connection (macro)
  };
  std::string title;  // "NB201 cell", "normal cell", "reduction cell", "macro network"
  std::vector<Node> nodes;
  std::vector<Edge> edges;
};

// The graphs of a genotype: one for nb201 and macro, two (normal, reduce) for darts.
std::vector<CellGraph> cell_graphs(const nas::Genotype& g);

// One <svg class="cell"> for a graph; `id` (optional) becomes its id attribute.
std::string cell_svg(const CellGraph& graph, std::string_view id = "");

// A Graphviz digraph named `name` with one cluster per graph of g.
std::string cell_dot(const nas::Genotype& g, std::string_view name);

}  // namespace nf::tools
