// Macro chain text: "3x5 f36 s1 | 5x5 f48 s2 | 3x7 f24 s1 skip=0 | 1x1 f64 s1 skip=0,1".
#include <string>

#include "nas/notation.h"
#include "nas/notation_util.h"
#include "tensor/error.h"

namespace nf::nas {

namespace {

// Whitespace-separated words of one layer.
std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && detail::is_space(s[i])) ++i;
    size_t start = i;
    while (i < s.size() && !detail::is_space(s[i])) ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

// A small integer field of layer i (range checks are validate()'s job; this keeps it an int).
int field(std::string_view text, int i, std::string_view what) {
  std::optional<int64_t> v = detail::parse_int(text);
  NF_CHECK(v && *v >= 0 && *v <= 1000000, "macro notation: layer ", i, ": bad ", what, " '", text, "'");
  return static_cast<int>(*v);
}

MacroLayer parse_layer(std::string_view text, int i) {
  std::vector<std::string_view> w = words(text);
  NF_CHECK(w.size() == 3 || w.size() == 4, "macro notation: layer ", i, ": expected 'HxW fN sN [skip=a,b]', got '",
           detail::trim(text), "'");
  MacroLayer layer;
  size_t x = w[0].find('x');
  NF_CHECK(x != std::string_view::npos, "macro notation: layer ", i, ": filter size '", w[0],
           "' is not of the form HxW");
  layer.filter_height = field(w[0].substr(0, x), i, "filter height");
  layer.filter_width = field(w[0].substr(x + 1), i, "filter width");
  NF_CHECK(w[1].starts_with('f'), "macro notation: layer ", i, ": expected the filter count as fN, got '", w[1], "'");
  layer.filters = field(w[1].substr(1), i, "filter count");
  NF_CHECK(w[2].starts_with('s'), "macro notation: layer ", i, ": expected the stride as sN, got '", w[2], "'");
  layer.stride = field(w[2].substr(1), i, "stride");
  if (w.size() == 4) {
    NF_CHECK(w[3].starts_with("skip="), "macro notation: layer ", i, ": expected skip=a,b,..., got '", w[3], "'");
    for (std::string_view s : detail::split(w[3].substr(5), ',')) {
      std::optional<int64_t> src = detail::parse_int(s);
      NF_CHECK(src && *src >= 0 && *src <= i - 2, "macro notation: layer ", i, ": skip source '", s, "' out of range (",
               i < 2 ? "this layer has no skip sources" : "expected 0.." + std::to_string(i - 2), ")");
      uint64_t bit = uint64_t(1) << *src;
      NF_CHECK(!(layer.skips & bit), "macro notation: layer ", i, ": duplicate skip source ", *src);
      layer.skips |= bit;
    }
  }
  return layer;
}

}  // namespace

std::string to_string(const MacroGenotype& g) {
  validate(g);
  std::string out;
  for (size_t i = 0; i < g.layers.size(); ++i) {
    const MacroLayer& l = g.layers[i];
    if (i) out += " | ";
    out += std::to_string(l.filter_height) + "x" + std::to_string(l.filter_width) + " f" + std::to_string(l.filters) +
           " s" + std::to_string(l.stride);
    const char* sep = " skip=";
    for (int src = 0; src < kMacroMaxLayers; ++src) {
      if (!(l.skips >> src & 1)) continue;
      out += sep;
      out += std::to_string(src);
      sep = ",";
    }
  }
  return out;
}

MacroGenotype parse_macro_genotype(std::string_view text) {
  std::vector<std::string_view> parts = detail::split(text, '|');
  NF_CHECK(parts.size() <= kMacroMaxLayers, "macro notation: expected 1..", kMacroMaxLayers, " layers, got ",
           parts.size());
  MacroGenotype g;
  for (size_t i = 0; i < parts.size(); ++i) g.layers.push_back(parse_layer(parts[i], static_cast<int>(i)));
  validate(g);
  return g;
}

}  // namespace nf::nas
