#include "tools/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "tensor/error.h"

namespace nf::tools {

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string format_number(double v, int digits) {
  if (!std::isfinite(v)) return std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
  if (v == 0) return "0";  // also turns -0 into 0
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

namespace {

// Coordinates with two decimals: enough for a screen, short in the file.
std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  std::string s = buf;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

std::string points_attr(const std::vector<double>& xs, const std::vector<double>& ys) {
  std::string s;
  for (size_t i = 0; i < xs.size() && i < ys.size(); ++i) {
    if (i) s += ' ';
    s += num(xs[i]) + "," + num(ys[i]);
  }
  return s;
}

std::string with_attrs(std::string_view attrs) { return attrs.empty() ? std::string() : " " + std::string(attrs); }

// An axis: maps data values (log10 first when `log`) onto [pixel_lo, pixel_hi].
struct Axis {
  bool log = false;
  double lo = 0, hi = 1;              // the domain, in (log10) data units
  double pixel_lo = 0, pixel_hi = 1;  // where lo and hi land
  std::vector<double> ticks;          // in data units

  double map(double v) const {
    const double t = log ? std::log10(v) : v;
    return pixel_lo + (t - lo) / (hi - lo) * (pixel_hi - pixel_lo);
  }
};

// Ticks and domain for values in [lo, hi].
Axis make_axis(double lo, double hi, bool log, bool integer = false) {
  Axis a;
  a.log = log;
  if (log) {
    NF_CHECK(lo > 0, "svg plot: a log axis needs positive values, got ", lo);
    int e_lo = int(std::floor(std::log10(lo) + 1e-9)), e_hi = int(std::ceil(std::log10(hi) - 1e-9));
    if (e_hi <= e_lo) e_hi = e_lo + 1;
    a.lo = e_lo;
    a.hi = e_hi;
    for (int e = e_lo; e <= e_hi; ++e) {
      const double p = std::pow(10.0, e);
      a.ticks.push_back(p);
      if (e_hi - e_lo <= 2 && e < e_hi) {
        a.ticks.push_back(2 * p);
        a.ticks.push_back(5 * p);
      }
    }
    return a;
  }
  if (!(hi > lo)) {  // a single value: a unit-wide window around it
    const double pad = lo == 0 ? 0.5 : std::abs(lo) * 0.05;
    lo -= pad;
    hi += pad;
  }
  a.ticks = nice_ticks(lo, hi, 5, integer ? 1 : 0);
  a.lo = a.ticks.front();
  a.hi = a.ticks.back();
  return a;
}

// "45k", "1.2M" for large axes; percentages for fractions; else plain.
std::string tick_label(double v, double magnitude, bool percent) {
  if (percent) return format_number(v * 100, 4) + "%";
  if (magnitude >= 1e9) return format_number(v / 1e9, 3) + "G";
  if (magnitude >= 1e6) return format_number(v / 1e6, 3) + "M";
  if (magnitude >= 1e4) return format_number(v / 1e3, 3) + "k";
  return format_number(v, 4);
}

// A step function through the points: (x0,y0) (x1,y0) (x1,y1) ...
void to_steps(const std::vector<double>& xs, const std::vector<double>& ys, std::vector<double>& sx,
              std::vector<double>& sy) {
  sx.clear();
  sy.clear();
  for (size_t i = 0; i < xs.size(); ++i) {
    if (i) {
      sx.push_back(xs[i]);
      sy.push_back(ys[i - 1]);
    }
    sx.push_back(xs[i]);
    sy.push_back(ys[i]);
  }
}

}  // namespace

std::vector<double> nice_ticks(double lo, double hi, int target, double min_step) {
  NF_CHECK(std::isfinite(lo) && std::isfinite(hi) && hi > lo && target > 0, "svg: nice_ticks needs lo < hi, got [",
           lo, ", ", hi, "]");
  const double raw = (hi - lo) / target, mag = std::pow(10.0, std::floor(std::log10(raw))), norm = raw / mag;
  const double step = std::max(min_step, (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag);
  const double first = std::floor(lo / step + 1e-9), last = std::ceil(hi / step - 1e-9);
  std::vector<double> ticks;
  for (double i = first; i <= last + 0.5; ++i) {
    const double t = i * step;
    ticks.push_back(std::abs(t) < step * 1e-9 ? 0 : t);
  }
  if (ticks.size() < 2) ticks.push_back(ticks.back() + step);
  return ticks;
}

Svg::Svg(double width, double height, std::string_view cls, std::string_view id)
    : width_(width), height_(height), cls_(cls), id_(id) {}

void Svg::line(double x1, double y1, double x2, double y2, std::string_view cls, std::string_view attrs) {
  body_ += "<line class=\"" + std::string(cls) + "\" x1=\"" + num(x1) + "\" y1=\"" + num(y1) + "\" x2=\"" + num(x2) +
           "\" y2=\"" + num(y2) + "\"" + with_attrs(attrs) + "/>\n";
}

void Svg::rect(double x, double y, double w, double h, std::string_view cls, std::string_view attrs) {
  body_ += "<rect class=\"" + std::string(cls) + "\" x=\"" + num(x) + "\" y=\"" + num(y) + "\" width=\"" + num(w) +
           "\" height=\"" + num(h) + "\"" + with_attrs(attrs) + "/>\n";
}

void Svg::circle(double cx, double cy, double r, std::string_view cls, std::string_view attrs, std::string_view title) {
  body_ += "<circle class=\"" + std::string(cls) + "\" cx=\"" + num(cx) + "\" cy=\"" + num(cy) + "\" r=\"" + num(r) +
           "\"" + with_attrs(attrs);
  body_ += title.empty() ? "/>\n" : "><title>" + xml_escape(title) + "</title></circle>\n";
}

void Svg::polyline(const std::vector<double>& xs, const std::vector<double>& ys, std::string_view cls,
                   std::string_view attrs) {
  body_ += "<polyline class=\"" + std::string(cls) + "\" points=\"" + points_attr(xs, ys) + "\"" + with_attrs(attrs) +
           "/>\n";
}

void Svg::polygon(const std::vector<double>& xs, const std::vector<double>& ys, std::string_view cls,
                  std::string_view attrs) {
  body_ += "<polygon class=\"" + std::string(cls) + "\" points=\"" + points_attr(xs, ys) + "\"" + with_attrs(attrs) +
           "/>\n";
}

void Svg::text(double x, double y, std::string_view content, std::string_view cls, std::string_view anchor,
               std::string_view attrs) {
  body_ += "<text class=\"" + std::string(cls) + "\" x=\"" + num(x) + "\" y=\"" + num(y) + "\" text-anchor=\"" +
           std::string(anchor) + "\"" + with_attrs(attrs) + ">" + xml_escape(content) + "</text>\n";
}

void Svg::path(std::string_view d, std::string_view cls, std::string_view attrs) {
  body_ += "<path class=\"" + std::string(cls) + "\" d=\"" + std::string(d) + "\"" + with_attrs(attrs) + "/>\n";
}

void Svg::raw(std::string_view xml) { body_ += xml; }

std::string Svg::str() const {
  std::string head = "<svg xmlns=\"http://www.w3.org/2000/svg\"";
  if (!cls_.empty()) head += " class=\"" + xml_escape(cls_) + "\"";
  if (!id_.empty()) head += " id=\"" + xml_escape(id_) + "\"";
  head += " viewBox=\"0 0 " + num(width_) + " " + num(height_) + "\" width=\"" + num(width_) + "\" height=\"" +
          num(height_) + "\" font-family=\"sans-serif\" font-size=\"11\">\n";
  return head + body_ + "</svg>\n";
}

std::string render_plot(const Plot& p) {
  constexpr double kLeft = 66, kRight = 18, kTop = 34, kBottom = 46;
  const double inf = std::numeric_limits<double>::infinity();
  const bool floored = std::isfinite(p.y_floor);
  double clamp_to = 0;  // where values below the floor are drawn: the axis' bottom
  auto clamp_y = [&](double v) { return floored && v < p.y_floor ? clamp_to : v; };
  double x_lo = inf, x_hi = -inf, y_lo = inf, y_hi = -inf;
  for (const Series& s : p.series) {
    NF_CHECK(s.x.size() == s.y.size(), "svg plot ", p.id, ": series '", s.name, "' has ", s.x.size(), " x and ",
             s.y.size(), " y values");
    NF_CHECK(s.lo.empty() || (s.lo.size() == s.x.size() && s.hi.size() == s.x.size()), "svg plot ", p.id,
             ": series '", s.name, "' has a band of the wrong length");
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i]) || (p.x_log && s.x[i] <= 0)) continue;
      x_lo = std::min(x_lo, s.x[i]);
      x_hi = std::max(x_hi, s.x[i]);
      for (double v : {s.y[i], s.lo.empty() ? s.y[i] : s.lo[i], s.hi.empty() ? s.y[i] : s.hi[i]}) {
        y_lo = std::min(y_lo, floored && v < p.y_floor ? p.y_floor : v);
        y_hi = std::max(y_hi, v);
      }
    }
  }
  if (x_lo > x_hi) x_lo = x_hi = p.x_log ? 1 : 0;  // no data: an empty frame
  if (y_lo > y_hi) {  // no data, or every value below the floor
    if (std::isfinite(y_lo)) y_hi = y_lo;
    else y_lo = y_hi = 0;
  }
  Axis xa = make_axis(x_lo, x_hi, p.x_log, p.x_integer), ya = make_axis(y_lo, y_hi, false);
  clamp_to = ya.lo;
  const double left = kLeft, right = p.width - kRight, top = kTop, bottom = p.height - kBottom;
  xa.pixel_lo = left;
  xa.pixel_hi = right;
  ya.pixel_lo = bottom;
  ya.pixel_hi = top;

  Svg svg(p.width, p.height, "plot", p.id);
  svg.rect(left, top, right - left, bottom - top, "frame", "fill=\"#fcfcfc\" stroke=\"#ccc\"");
  svg.text(left, 18, p.title, "title", "start", "font-size=\"13\" font-weight=\"bold\"");

  // Grid, ticks and tick labels.
  const double x_mag = std::max(std::abs(xa.ticks.front()), std::abs(xa.ticks.back()));
  const double y_mag = std::max(std::abs(ya.ticks.front()), std::abs(ya.ticks.back()));
  for (double t : xa.ticks) {
    const double x = xa.map(t);
    svg.line(x, top, x, bottom, "grid", "stroke=\"#eee\"");
    svg.line(x, bottom, x, bottom + 5, "tick", "stroke=\"#444\"");
    svg.text(x, bottom + 17, tick_label(t, x_mag, false), "tick-label", "middle");
  }
  for (double t : ya.ticks) {
    const double y = ya.map(t);
    svg.line(left, y, right, y, "grid", "stroke=\"#eee\"");
    svg.line(left - 5, y, left, y, "tick", "stroke=\"#444\"");
    svg.text(left - 8, y + 4, tick_label(t, y_mag, p.y_percent), "tick-label", "end");
  }
  svg.line(left, bottom, right, bottom, "axis x-axis", "stroke=\"#444\"");
  svg.line(left, top, left, bottom, "axis y-axis", "stroke=\"#444\"");
  svg.text((left + right) / 2, p.height - 8, p.x_label, "axis-label x-label", "middle");
  const double ymid = (top + bottom) / 2;
  svg.text(16, ymid, p.y_label, "axis-label y-label", "middle", "transform=\"rotate(-90 16 " + num(ymid) + ")\"");

  // Data: bands first, then lines, points and front rings on top.
  for (const Series& s : p.series) {
    std::vector<double> xs, ys, los, his;
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i]) || (p.x_log && s.x[i] <= 0)) continue;
      xs.push_back(xa.map(s.x[i]));
      ys.push_back(ya.map(clamp_y(s.y[i])));
      if (!s.lo.empty()) {
        los.push_back(ya.map(clamp_y(s.lo[i])));
        his.push_back(ya.map(clamp_y(s.hi[i])));
      }
    }
    if (!los.empty()) {
      std::vector<double> bx, blo, bhi, tmp;
      if (s.step) {
        to_steps(xs, los, bx, blo);
        to_steps(xs, his, tmp, bhi);
      } else {
        bx = xs, blo = los, bhi = his;
      }
      std::vector<double> px = bx, py = bhi;
      for (size_t i = bx.size(); i-- > 0;) {
        px.push_back(bx[i]);
        py.push_back(blo[i]);
      }
      svg.polygon(px, py, "band", "fill=\"" + xml_escape(s.color) + "\" fill-opacity=\"0.18\" stroke=\"none\"");
    }
    if (s.line && xs.size() >= 2) {
      std::vector<double> lx = xs, ly = ys;
      if (s.step) to_steps(xs, ys, lx, ly);
      svg.polyline(lx, ly, "line", "fill=\"none\" stroke=\"" + xml_escape(s.color) + "\" stroke-width=\"2\"");
    }
  }
  int64_t below = 0;
  for (const Series& s : p.series) {
    if (!s.points) continue;
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i]) || (p.x_log && s.x[i] <= 0)) continue;
      const double cx = xa.map(s.x[i]), cy = ya.map(clamp_y(s.y[i]));
      const bool is_below = floored && s.y[i] < p.y_floor;
      below += is_below;
      svg.circle(cx, cy, s.radius, is_below ? "point below" : "point",
                 is_below ? "fill=\"#fff\" stroke=\"" + xml_escape(s.color) + "\" stroke-width=\"1.5\""
                          : "fill=\"" + xml_escape(s.color) + "\" fill-opacity=\"0.75\"",
                 i < s.tips.size() ? s.tips[i] : "");
      if (i < s.front.size() && s.front[i])
        svg.circle(cx, cy, s.radius + 3, "front", "fill=\"none\" stroke=\"#111\" stroke-width=\"1.5\"");
    }
  }

  if (below > 0)
    svg.text(4, p.height - 8,
             std::to_string(below) + (below == 1 ? " point" : " points") + " below " +
                 tick_label(p.y_floor, 0, p.y_percent) + " (open, on the axis)",
             "note", "start", "fill=\"#777\" font-size=\"10\"");

  // Legend: right-aligned in the top margin, one swatch + name per named series.
  double lx = right;
  for (size_t k = p.series.size(); k-- > 0;) {
    const Series& s = p.series[k];
    if (s.name.empty()) continue;
    lx -= 6.4 * double(s.name.size());
    svg.text(lx, 22, s.name, "legend", "start");
    lx -= 18;
    if (s.line)
      svg.line(lx, 18, lx + 14, 18, "legend-swatch", "stroke=\"" + xml_escape(s.color) + "\" stroke-width=\"2\"");
    else
      svg.circle(lx + 7, 18, 4, "legend-swatch", "fill=\"" + xml_escape(s.color) + "\"");
    lx -= 14;
  }
  return svg.str();
}

}  // namespace nf::tools
