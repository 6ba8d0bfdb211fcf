// A tiny SVG writer for the HTML reports (tools/report.h, `nasforge compare`):
// escaped text, a small element builder, and x/y plots with axes, ticks,
// labels, lines, scatter points, shaded bands and a legend. Output is plain
// XML (every element closed), so it embeds in a self-contained HTML file and
// a strict checker can parse it.
//
// Classes the reports and their tests rely on:
//   <svg class="plot" id="...">      one per plot
//   class="axis" / "tick" / "tick-label" / "axis-label" / "title"
//   <circle class="point">           one per scatter point of a series with points
//   <circle class="front">           a ring on a point of a marked front
//   <polyline class="line">          a series drawn as a line
//   <polygon class="band">           a shaded band (mean +- std)
#pragma once
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace nf::tools {

// Escapes & < > " ' for XML/HTML text and attribute values.
std::string xml_escape(std::string_view text);

// Shortest decimal form of v with at most `digits` significant digits ("0.25", "1.5e+06").
std::string format_number(double v, int digits = 4);

// Builds one <svg> element. Coordinates are in user units (pixels at 100%);
// the svg scales to its container's width through its viewBox.
class Svg {
 public:
  // `cls` and `id` become the root's class and id attributes (omitted when empty).
  Svg(double width, double height, std::string_view cls = "", std::string_view id = "");

  // Each adds one element; `attrs` is raw attribute text (already escaped),
  // e.g. "stroke=\"#333\"". Text content is escaped here.
  void line(double x1, double y1, double x2, double y2, std::string_view cls, std::string_view attrs = "");
  void rect(double x, double y, double w, double h, std::string_view cls, std::string_view attrs = "");
  // title: an optional tooltip (<title> child), escaped.
  void circle(double cx, double cy, double r, std::string_view cls, std::string_view attrs = "",
              std::string_view title = "");
  void polyline(const std::vector<double>& xs, const std::vector<double>& ys, std::string_view cls,
                std::string_view attrs = "");
  void polygon(const std::vector<double>& xs, const std::vector<double>& ys, std::string_view cls,
               std::string_view attrs = "");
  // anchor: "start", "middle" or "end".
  void text(double x, double y, std::string_view content, std::string_view cls, std::string_view anchor = "start",
            std::string_view attrs = "");
  void path(std::string_view d, std::string_view cls, std::string_view attrs = "");
  void raw(std::string_view xml);  // a pre-built, well-formed fragment

  std::string str() const;  // the finished <svg>...</svg>

 private:
  double width_, height_;
  std::string cls_, id_, body_;
};

struct Series {
  std::string name{};  // legend text ("" = not in the legend)
  std::string color{};  // CSS colour
  std::vector<double> x{}, y{};
  bool line = true;     // connect the points in order
  bool step = false;    // draw the line as a step function (best-so-far curves)
  bool points = false;  // a <circle class="point"> per (x, y)
  double radius = 3.5;
  std::vector<std::string> tips{};  // per-point tooltips (optional)
  std::vector<double> lo{}, hi{};  // a band around the line (same length as x), optional
  std::vector<bool> front{};       // per point: ring it as part of a marked front (optional)
};

struct Plot {
  std::string id{};  // the svg's id
  std::string title{}, x_label{}, y_label{};
  double width = 560, height = 340;
  bool x_log = false;  // log10 x axis (x values must be > 0)
  bool y_percent = false;  // y values are fractions, labelled as percentages
  bool x_integer = false;  // x ticks at whole numbers only (epochs, trials)
  // When finite: the y axis starts no lower than this; values below it are
  // drawn on the bottom edge (points as open circles, class "point below") and
  // counted in a note, so a few outliers do not flatten everything else.
  double y_floor = std::numeric_limits<double>::quiet_NaN();
  std::vector<Series> series{};
};

// Renders p as <svg class="plot">: frame, x and y axes with "nice" ticks
// (1, 2, 5 x 10^k) and labels, the series clipped to the plot area, a legend
// when any series is named. Empty series are allowed (an axis-only plot).
std::string render_plot(const Plot& p);

// "Nice" tick positions covering [lo, hi] with about `target` ticks, at least `min_step` apart.
std::vector<double> nice_ticks(double lo, double hi, int target, double min_step = 0);

}  // namespace nf::tools
