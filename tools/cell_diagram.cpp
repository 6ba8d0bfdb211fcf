#include "tools/cell_diagram.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>
#include <tuple>
#include <utility>

#include "nas/notation.h"
#include "tensor/error.h"
#include "tools/svg.h"

namespace nf::tools {

namespace {

using Node = CellGraph::Node;
using Edge = CellGraph::Edge;

CellGraph nb201_graph(const nas::Nb201Genotype& g) {
  CellGraph c;
  c.title = "NB201 cell";
  for (int i = 0; i < nas::Nb201Genotype::kNodes; ++i)
    c.nodes.push_back({std::to_string(i), i == 0 ? Node::input : i == nas::Nb201Genotype::kNodes - 1 ? Node::output
                                                                                                     : Node::inner});
  for (int e = 0; e < nas::Nb201Genotype::kEdges; ++e) {
    if (g.ops[e] == nas::Nb201Op::none) continue;
    c.edges.push_back({nas::Nb201Genotype::kEdgeFrom[e], nas::Nb201Genotype::kEdgeTo[e],
                       std::string(nas::nb201_op_name(g.ops[e]))});
  }
  return c;
}

CellGraph darts_graph(const nas::DartsCell& cell, const std::string& title) {
  CellGraph c;
  c.title = title;
  c.nodes.push_back({"c_{k-2}", Node::input});
  c.nodes.push_back({"c_{k-1}", Node::input});
  for (int i = 0; i < nas::DartsCell::kNodes; ++i) c.nodes.push_back({std::to_string(i), Node::inner});
  c.nodes.push_back({"c_{k}", Node::output});
  for (int e = 0; e < nas::DartsCell::kEdges; ++e) {
    const nas::DartsEdge& edge = cell.edges[e];
    if (edge.op == nas::DartsOp::none) continue;
    c.edges.push_back({edge.input, 2 + e / nas::DartsCell::kEdgesPerNode, std::string(nas::darts_op_name(edge.op))});
  }
  const int out = int(c.nodes.size()) - 1;
  for (int i = 0; i < nas::DartsCell::kNodes; ++i) c.edges.push_back({2 + i, out, ""});  // the concat
  return c;
}

CellGraph macro_graph(const nas::MacroGenotype& g) {
  CellGraph c;
  c.title = "macro network";
  c.nodes.push_back({"stem", Node::input});
  const int layers = int(g.layers.size());
  for (int i = 0; i < layers; ++i) {
    const nas::MacroLayer& l = g.layers[i];
    c.nodes.push_back({"layer " + std::to_string(i) + "\n" + std::to_string(l.filter_height) + "x" +
                           std::to_string(l.filter_width) + " f" + std::to_string(l.filters) + " s" +
                           std::to_string(l.stride),
                       Node::inner});
  }
  c.nodes.push_back({"classifier", Node::output});
  for (int i = 0; i <= layers; ++i) c.edges.push_back({i, i + 1, ""});
  for (int i = 0; i < layers; ++i)
    for (int j = 0; j + 2 <= i; ++j)
      if (g.layers[i].skips >> j & 1) c.edges.push_back({j + 1, i + 1, "", true});
  return c;
}

std::vector<std::string> lines_of(const std::string& label) {
  std::vector<std::string> out;
  std::istringstream in(label);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  if (out.empty()) out.emplace_back();
  return out;
}

// Geometry of a laid-out graph, before it is shifted into the viewBox.
struct Box {
  double x = 0, y = 0, w = 0, h = 0;  // centre and size
};
struct Curve {
  double x1, y1, cx, cy, x2, y2;  // quadratic Bezier, endpoints on the node borders
  double lx, ly;                   // the label's anchor (the curve's midpoint)
};

constexpr double kColumn = 160, kArcStep = 34, kCharWidth = 6.6, kLabelHalfHeight = 8;

// Where the ray from the centre of b towards (tx, ty) leaves the box.
std::pair<double, double> border_point(const Box& b, double tx, double ty) {
  const double dx = tx - b.x, dy = ty - b.y;
  if (dx == 0 && dy == 0) return {b.x, b.y};
  const double sx = dx == 0 ? 1e9 : (b.w / 2) / std::abs(dx), sy = dy == 0 ? 1e9 : (b.h / 2) / std::abs(dy);
  const double s = std::min(sx, sy);
  return {b.x + dx * s, b.y + dy * s};
}

std::string color_of(Node::Kind k) {
  switch (k) {
    case Node::input: return "#cfe3f7";
    case Node::output: return "#f9dcc4";
    default: return "#e4f2d8";
  }
}

}  // namespace

std::vector<CellGraph> cell_graphs(const nas::Genotype& g) {
  if (auto* nb = std::get_if<nas::Nb201Genotype>(&g)) return {nb201_graph(*nb)};
  if (auto* d = std::get_if<nas::DartsGenotype>(&g))
    return {darts_graph(d->normal, "normal cell"), darts_graph(d->reduce, "reduction cell")};
  return {macro_graph(std::get<nas::MacroGenotype>(g))};
}

std::string cell_svg(const CellGraph& graph, std::string_view id) {
  const int n = int(graph.nodes.size());
  NF_CHECK(n > 0, "cell diagram: '", graph.title, "' has no nodes");
  for (const Edge& e : graph.edges)
    NF_CHECK(e.from >= 0 && e.from < e.to && e.to < n, "cell diagram: '", graph.title, "': edge ", e.from, " -> ",
             e.to, " is not forward between its ", n, " nodes");

  // An arc diagram: the nodes in their (topological) order on one line; an edge
  // between neighbours is straight, any other an arc, the arcs into one node
  // alternately above and below the line, higher the more nodes they span. Two
  // labels then meet only if their arcs share midpoint, span and side, which
  // distinct edges on one side never do; no arc passes through a node.
  std::vector<Box> box(n);
  for (int i = 0; i < n; ++i) {
    Box& b = box[i];
    const auto lines = lines_of(graph.nodes[i].label);
    size_t longest = 0;
    for (const auto& l : lines) longest = std::max(longest, l.size());
    b.w = std::max(44.0, kCharWidth * double(longest) + 18);
    b.h = 14.0 * double(lines.size()) + 14;
    b.x = kColumn * i;
    b.y = 0;
  }

  std::vector<Curve> curves;
  std::vector<int> arcs_into(n, 0);
  std::set<std::pair<int, int>> drawn;
  for (const Edge& e : graph.edges) {
    const Box &a = box[e.from], &b = box[e.to];
    const int span = e.to - e.from;
    const bool parallel = !drawn.insert({e.from, e.to}).second;  // a second edge between the same nodes
    double bulge = 0;
    if (span > 1 || parallel) {
      const double sign = arcs_into[e.to]++ % 2 == 0 ? -1 : 1;  // -1: above (SVG y grows downwards)
      bulge = sign * (26 + kArcStep * double(span - 1));
    }
    const double mx = (a.x + b.x) / 2, my = (a.y + b.y) / 2, dx = b.x - a.x, dy = b.y - a.y;
    const double len = std::max(1e-9, std::hypot(dx, dy));
    // Control point: the midpoint pushed perpendicular to the chord (2x bulge: the
    // curve's apex then lies `bulge` away from the chord).
    const double cx = mx - dy / len * 2 * bulge, cy = my + dx / len * 2 * bulge;
    auto [x1, y1] = border_point(a, cx, cy);
    auto [x2, y2] = border_point(b, cx, cy);
    if (bulge == 0) {
      std::tie(x1, y1) = border_point(a, b.x, b.y);
      std::tie(x2, y2) = border_point(b, a.x, a.y);
    }
    const double ccx = bulge == 0 ? (x1 + x2) / 2 : cx, ccy = bulge == 0 ? (y1 + y2) / 2 : cy;
    curves.push_back({x1, y1, ccx, ccy, x2, y2, 0.25 * x1 + 0.5 * ccx + 0.25 * x2, 0.25 * y1 + 0.5 * ccy + 0.25 * y2});
  }

  // Bounding box of nodes, curves and labels -> shift into the viewBox.
  double lo_x = 1e18, lo_y = 1e18, hi_x = -1e18, hi_y = -1e18;
  auto grow = [&](double x0, double y0, double x1, double y1) {
    lo_x = std::min(lo_x, x0), lo_y = std::min(lo_y, y0), hi_x = std::max(hi_x, x1), hi_y = std::max(hi_y, y1);
  };
  for (const Box& b : box) grow(b.x - b.w / 2, b.y - b.h / 2, b.x + b.w / 2, b.y + b.h / 2);
  for (size_t k = 0; k < curves.size(); ++k) {
    const Curve& c = curves[k];
    grow(std::min(c.lx, c.x1), std::min(c.ly, c.y1), std::max(c.lx, c.x2), std::max(c.ly, c.y2));
    const double half = kCharWidth * double(graph.edges[k].label.size()) / 2;
    grow(c.lx - half, c.ly - kLabelHalfHeight, c.lx + half, c.ly + kLabelHalfHeight);
  }
  constexpr double kMargin = 14, kTitle = 22;
  const double ox = kMargin - lo_x, oy = kMargin + kTitle - lo_y;
  Svg svg(hi_x - lo_x + 2 * kMargin, hi_y - lo_y + 2 * kMargin + kTitle, "cell", id);
  svg.text(kMargin, 16, graph.title, "title", "start", "font-size=\"12\" font-weight=\"bold\"");

  char d[256];
  for (size_t k = 0; k < curves.size(); ++k) {
    const Curve& c = curves[k];
    const Edge& e = graph.edges[k];
    std::snprintf(d, sizeof d, "M %.1f %.1f Q %.1f %.1f %.1f %.1f", c.x1 + ox, c.y1 + oy, c.cx + ox, c.cy + oy,
                  c.x2 + ox, c.y2 + oy);
    svg.path(d, "edge",
             std::string("fill=\"none\" stroke=\"#555\" stroke-width=\"1.4\"") +
                 (e.dashed ? " stroke-dasharray=\"5 4\"" : ""));
    // Arrowhead along the curve's final tangent (control point -> end).
    double tx = c.x2 - c.cx, ty = c.y2 - c.cy;
    const double tl = std::max(1e-9, std::hypot(tx, ty));
    tx /= tl, ty /= tl;
    const double ax = c.x2 + ox, ay = c.y2 + oy;
    svg.polygon({ax, ax - 9 * tx - 4 * ty, ax - 9 * tx + 4 * ty}, {ay, ay - 9 * ty + 4 * tx, ay - 9 * ty - 4 * tx},
                "arrow", "fill=\"#555\"");
  }
  // Labels after all edges, on a white box, so no line crosses a label's text
  // (a stroke halo would paint over the underscores of op names).
  for (size_t k = 0; k < curves.size(); ++k) {
    const std::string& label = graph.edges[k].label;
    if (label.empty()) continue;
    const double w = kCharWidth * double(label.size()) + 4;
    svg.rect(curves[k].lx + ox - w / 2, curves[k].ly + oy - kLabelHalfHeight + 1, w, 2 * kLabelHalfHeight - 1,
             "label-box", "fill=\"#fff\" fill-opacity=\"0.9\"");
    svg.text(curves[k].lx + ox, curves[k].ly + oy + 4, label, "edge-label", "middle", "fill=\"#1a3d6d\"");
  }
  for (int i = 0; i < n; ++i) {
    const Box& b = box[i];
    svg.rect(b.x - b.w / 2 + ox, b.y - b.h / 2 + oy, b.w, b.h, "node",
             "rx=\"7\" fill=\"" + color_of(graph.nodes[i].kind) + "\" stroke=\"#333\"");
    const auto lines = lines_of(graph.nodes[i].label);
    const double top = b.y + oy - 7.0 * double(lines.size() - 1) + 4;
    for (size_t l = 0; l < lines.size(); ++l)
      svg.text(b.x + ox, top + 14.0 * double(l), lines[l], "node-label", "middle");
  }
  return svg.str();
}

namespace {
std::string dot_quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}
}  // namespace

std::string cell_dot(const nas::Genotype& g, std::string_view name) {
  std::ostringstream out;
  out << "// " << nas::to_string(g) << "\n"
      << "digraph " << dot_quote(name) << " {\n"
      << "  rankdir=LR;\n"
      << "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\"];\n"
      << "  edge [fontname=\"Helvetica\", fontsize=10];\n";
  const auto graphs = cell_graphs(g);
  for (size_t c = 0; c < graphs.size(); ++c) {
    const CellGraph& graph = graphs[c];
    const std::string prefix = "g" + std::to_string(c) + "_";
    out << "  subgraph " << dot_quote("cluster_" + std::to_string(c)) << " {\n"
        << "    label=" << dot_quote(graph.title) << ";\n";
    for (size_t i = 0; i < graph.nodes.size(); ++i)
      out << "    " << dot_quote(prefix + std::to_string(i)) << " [label=" << dot_quote(graph.nodes[i].label)
          << ", fillcolor=" << dot_quote(color_of(graph.nodes[i].kind)) << "];\n";
    for (const Edge& e : graph.edges) {
      out << "    " << dot_quote(prefix + std::to_string(e.from)) << " -> " << dot_quote(prefix + std::to_string(e.to));
      std::string attrs;
      if (!e.label.empty()) attrs += "label=" + dot_quote(e.label);
      if (e.dashed) attrs += std::string(attrs.empty() ? "" : ", ") + "style=dashed";
      if (!attrs.empty()) out << " [" << attrs << "]";
      out << ";\n";
    }
    out << "  }\n";
  }
  out << "}\n";
  return out.str();
}

}  // namespace nf::tools
