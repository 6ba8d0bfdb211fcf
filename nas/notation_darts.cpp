// DARTS genotype text: printing mirrors Python's repr of the DARTS repository's
// Genotype namedtuple; parsing is a small recursive-descent reader of that repr.
#include <cctype>
#include <string>

#include "nas/notation.h"
#include "nas/notation_util.h"
#include "tensor/error.h"

namespace nf::nas {

namespace {

constexpr int kConcatFirst = 2;  // the concat is always states 2..5
constexpr int kConcatEnd = 2 + DartsCell::kNodes;

void print_cell(std::string& out, const DartsCell& cell) {
  out += '[';
  for (int e = 0; e < DartsCell::kEdges; ++e) {
    if (e) out += ", ";
    out += "('";
    out += darts_op_name(cell.edges[e].op);
    out += "', " + std::to_string(cell.edges[e].input) + ")";
  }
  out += ']';
}

std::string concat_text() {
  std::string s = "[";
  for (int i = kConcatFirst; i < kConcatEnd; ++i) s += (i > kConcatFirst ? ", " : "") + std::to_string(i);
  return s + "]";
}

// Tokens: identifiers, integers, quoted strings and the punctuation ( ) [ ] , =.
struct Token {
  enum Kind { ident, integer, string, punct, end } kind;
  std::string_view text;  // for strings: without the quotes
  size_t offset;
};

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) { next(); }

  DartsGenotype genotype() {
    expect_ident("Genotype");
    expect_punct('(');
    DartsGenotype g;
    bool seen[4] = {false, false, false, false};  // normal, normal_concat, reduce, reduce_concat
    while (!is_punct(')')) {
      Token key = take(Token::ident, "a field name (normal, normal_concat, reduce, reduce_concat)");
      int field = key.text == "normal"          ? 0
                  : key.text == "normal_concat" ? 1
                  : key.text == "reduce"        ? 2
                  : key.text == "reduce_concat" ? 3
                                                : -1;
      if (field < 0)
        fail(key.offset,
             "unknown field '" + std::string(key.text) + "' (expected normal, normal_concat, reduce, reduce_concat)");
      if (seen[field]) fail(key.offset, "field '" + std::string(key.text) + "' given twice");
      seen[field] = true;
      expect_punct('=');
      if (field == 0) g.normal = cell("normal");
      if (field == 2) g.reduce = cell("reduce");
      if (field == 1 || field == 3) concat(key.text);
      if (!is_punct(')')) expect_punct(',');
    }
    next();
    if (tok_.kind != Token::end) fail(tok_.offset, "unexpected text after the closing ')'");
    const char* names[4] = {"normal", "normal_concat", "reduce", "reduce_concat"};
    for (int f = 0; f < 4; ++f)
      if (!seen[f]) NF_FAIL("darts notation: missing field '", names[f], "'");
    return g;
  }

 private:
  // A list of 8 (op, input) tuples.
  DartsCell cell(std::string_view name) {
    expect_punct('[');
    DartsCell cell;
    int e = 0;
    while (!is_punct(']')) {
      size_t at = tok_.offset;
      expect_punct('(');
      Token op = take(Token::string, "a quoted op name");
      expect_punct(',');
      Token input = take(Token::integer, "an input index");
      if (is_punct(',')) next();
      expect_punct(')');
      if (e == DartsCell::kEdges)
        fail(at, std::string(name) + ": more than " + std::to_string(DartsCell::kEdges) + " (op, input) pairs");
      std::optional<DartsOp> o = darts_op_from_name(op.text);
      if (!o)
        fail(op.offset, std::string(name) + "[" + std::to_string(e) + "]: unknown op '" + std::string(op.text) +
                            "' (expected one of " + std::string(darts_op_names()) + ")");
      std::optional<int64_t> v = detail::parse_int(input.text);
      int hi = e / DartsCell::kEdgesPerNode + 1;
      if (!v || *v < 0 || *v > hi)
        fail(input.offset, std::string(name) + "[" + std::to_string(e) + "]: input " + std::string(input.text) +
                               " out of range for node " + std::to_string(e / DartsCell::kEdgesPerNode) +
                               " (expected 0.." + std::to_string(hi) + ")");
      cell.edges[e++] = {*o, static_cast<int>(*v)};
      if (!is_punct(']')) expect_punct(',');
    }
    if (e != DartsCell::kEdges)
      fail(tok_.offset, std::string(name) + ": expected " + std::to_string(DartsCell::kEdges) +
                            " (op, input) pairs, got " + std::to_string(e));
    next();
    return cell;
  }

  // [2, 3, 4, 5] or range(2, 6): the only concat this engine's cells have.
  void concat(std::string_view name) {
    size_t at = tok_.offset;
    std::vector<int64_t> values;
    if (tok_.kind == Token::ident && tok_.text == "range") {
      next();
      expect_punct('(');
      int64_t lo = integer();
      expect_punct(',');
      int64_t hi = integer();
      if (is_punct(',')) next();
      expect_punct(')');
      for (int64_t i = lo; i < hi && values.size() <= DartsCell::kNodes; ++i) values.push_back(i);
    } else {
      expect_punct('[');
      while (!is_punct(']')) {
        values.push_back(integer());
        if (!is_punct(']')) expect_punct(',');
      }
      next();
    }
    std::vector<int64_t> expected;
    for (int i = kConcatFirst; i < kConcatEnd; ++i) expected.push_back(i);
    if (values != expected)
      fail(at, std::string(name) + " must be " + concat_text() + " (cells concatenate all intermediate nodes)");
  }

  int64_t integer() {
    Token t = take(Token::integer, "an integer");
    std::optional<int64_t> v = detail::parse_int(t.text);
    if (!v) fail(t.offset, "integer " + std::string(t.text) + " out of range");
    return *v;
  }

  bool is_punct(char c) const { return tok_.kind == Token::punct && tok_.text[0] == c; }

  void expect_punct(char c) {
    if (!is_punct(c)) fail(tok_.offset, std::string("expected '") + c + "', got " + describe(tok_));
    next();
  }

  void expect_ident(std::string_view name) {
    if (tok_.kind != Token::ident || tok_.text != name)
      fail(tok_.offset, "expected '" + std::string(name) + "', got " + describe(tok_));
    next();
  }

  Token take(Token::Kind kind, std::string_view what) {
    if (tok_.kind != kind) fail(tok_.offset, "expected " + std::string(what) + ", got " + describe(tok_));
    Token t = tok_;
    next();
    return t;
  }

  // Built by appending: GCC 12 warns falsely (-Wrestrict) on "'" + std::string(...).
  static std::string describe(const Token& t) {
    if (t.kind == Token::end) return "the end of the text";
    std::string s = t.kind == Token::string ? "the string '" : "'";
    s += t.text;
    s += '\'';
    return s;
  }

  [[noreturn]] void fail(size_t offset, const std::string& problem) const {
    NF_FAIL("darts notation: at offset ", offset, ": ", problem);
  }

  void next() {
    while (pos_ < text_.size() && detail::is_space(text_[pos_])) ++pos_;
    size_t start = pos_;
    if (pos_ == text_.size()) {
      tok_ = {Token::end, {}, start};
      return;
    }
    char c = text_[pos_];
    auto is_ident = [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'; };
    auto is_digit = [](char ch) { return ch >= '0' && ch <= '9'; };
    if (c == '\'' || c == '"') {
      size_t close = text_.find(c, pos_ + 1);
      if (close == std::string_view::npos) fail(start, "unterminated string");
      tok_ = {Token::string, text_.substr(pos_ + 1, close - pos_ - 1), start};
      pos_ = close + 1;
    } else if (is_digit(c) || (c == '-' && pos_ + 1 < text_.size() && is_digit(text_[pos_ + 1]))) {
      ++pos_;
      while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
      tok_ = {Token::integer, text_.substr(start, pos_ - start), start};
    } else if (is_ident(c)) {
      while (pos_ < text_.size() && is_ident(text_[pos_])) ++pos_;
      tok_ = {Token::ident, text_.substr(start, pos_ - start), start};
    } else if (std::string_view("()[],=").find(c) != std::string_view::npos) {
      tok_ = {Token::punct, text_.substr(pos_++, 1), start};
    } else {
      fail(start, std::string("unexpected character '") + c + "'");
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
  Token tok_{Token::end, {}, 0};
};

}  // namespace

std::string to_string(const DartsGenotype& g) {
  validate(g);
  std::string out = "Genotype(normal=";
  print_cell(out, g.normal);
  out += ", normal_concat=" + concat_text() + ", reduce=";
  print_cell(out, g.reduce);
  out += ", reduce_concat=" + concat_text() + ")";
  return out;
}

DartsGenotype parse_darts_genotype(std::string_view text) { return Parser(text).genotype(); }

}  // namespace nf::nas
