#pragma once
// Learning curves as an SVG file: one panel for the loss, one for the accuracy (when measured),
// training and validation as lines over the epochs. Plain SVG 1.1 with no script or external
// reference, so any browser shows it and a test can read it back:
//
//   ctnn::write_training_curves("curves.svg", result.history);   // atomic: temp file + rename
//
// Each panel is a <g class="panel"> that states its axis ranges (data-x-min, data-x-max,
// data-y-min, data-y-max; the ticks' round numbers that enclose the data) and holds
// <rect class="plot-area">, tick labels (<text class="x-tick">, <text class="y-tick">) and one
// <polyline class="series" data-series="..."> per curve with one point per epoch.
// A series is left out when it was not measured (all NaN); a NaN epoch leaves out its point.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../io/detail/atomic_write.hpp"
#include "epoch_stats.hpp"

namespace ctnn {

struct plot_series {
  std::string name;
  std::vector<double> values;  // values[k] belongs to epoch k + 1
  std::string color = "#1f77b4";
  bool dashed = false;
};

struct plot_panel {
  std::string title;
  std::vector<plot_series> series;
};

namespace detail {

// The SVG text, appended piece by piece: `out << "<line x1=\"" << fixed2{x} << ...`. Every
// program that plots compiles the writer below, so each piece is one call into a small
// out-of-line function: chains of std::string operator+ inlined a temporary string per piece
// (the writer was 19 KB of machine code, the largest function of a program that trains a net).
struct svg_out {
  std::string text;
};
struct fixed2 {  // coordinates: two decimals
  double v;
};
struct whole {  // the canvas size
  double v;
};
struct label {  // tick labels and axis ranges: up to 6 significant digits, -0 and 1e-13 as 0
  double v;
};
struct escaped {  // user text: & < > " escaped
  std::string_view text;
};

[[gnu::noinline]] inline svg_out& operator<<(svg_out& out, std::string_view text) {
  out.text.append(text);
  return out;
}

[[gnu::noinline]] inline svg_out& print_number(svg_out& out, const char* format, double v) {
  char buf[32];
  const int n = std::snprintf(buf, sizeof buf, format, v);
  out.text.append(buf, static_cast<std::size_t>(std::clamp(n, 0, int(sizeof buf) - 1)));
  return out;
}

inline svg_out& operator<<(svg_out& out, fixed2 x) { return print_number(out, "%.2f", x.v); }
inline svg_out& operator<<(svg_out& out, whole x) { return print_number(out, "%.0f", x.v); }
inline svg_out& operator<<(svg_out& out, label x) {
  return print_number(out, "%.6g", std::abs(x.v) < 1e-12 ? 0.0 : x.v);
}

[[gnu::noinline]] inline svg_out& operator<<(svg_out& out, escaped x) {
  for (char c : x.text) {
    switch (c) {
      case '&': out.text += "&amp;"; break;
      case '<': out.text += "&lt;"; break;
      case '>': out.text += "&gt;"; break;
      case '"': out.text += "&quot;"; break;
      default: out.text += c;
    }
  }
  return out;
}

// A round step (1, 2, 2.5 or 5 times a power of ten) that cuts `range` into about `parts`.
inline double nice_step(double range, double parts) {
  const double raw = range / parts;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (double f : {1.0, 2.0, 2.5, 5.0})
    if (raw <= f * magnitude * (1 + 1e-9)) return f * magnitude;
  return 10 * magnitude;
}

struct axis {
  double low, high, step;
};

// Round-number ticks that enclose [low, high] (a flat range is widened first).
inline axis nice_axis(double low, double high, double parts = 5) {
  if (!(high > low)) {
    const double pad = std::max(1e-3, std::abs(low) * 0.05);
    low -= pad;
    high += pad;
  }
  const double step = nice_step(high - low, parts);
  return {std::floor(low / step + 1e-9) * step, std::ceil(high / step - 1e-9) * step, step};
}

}  // namespace detail

// The SVG text of panels laid out side by side; x runs over epochs 1..n.
inline std::string svg_line_charts(std::span<const plot_panel> panels, std::string_view title) {
  using detail::escaped, detail::fixed2, detail::label, detail::whole;
  constexpr double panel_w = 460, panel_h = 340, left = 64, right = 16, top = 56, bottom = 64;
  constexpr double plot_w = panel_w - left - right, plot_h = panel_h - top - bottom;
  const double width = panel_w * double(std::max<std::size_t>(panels.size(), 1));
  const double height = panel_h;
  detail::svg_out out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" << whole{width}
      << "\" height=\"" << whole{height} << "\" viewBox=\"0 0 " << whole{width} << " "
      << whole{height} << "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  out << "<title>" << escaped{title} << "</title>\n";
  out << "<rect x=\"0\" y=\"0\" width=\"" << whole{width} << "\" height=\"" << whole{height}
      << "\" fill=\"white\"/>\n";
  out << "<text x=\"" << fixed2{width / 2} << "\" y=\"20\" text-anchor=\"middle\" font-size=\"15\">"
      << escaped{title} << "</text>\n";

  for (std::size_t k = 0; k < panels.size(); ++k) {
    const plot_panel& panel = panels[k];
    std::size_t n = 0;
    double low = HUGE_VAL, high = -HUGE_VAL;
    for (const auto& series : panel.series) {
      n = std::max(n, series.values.size());
      for (double v : series.values)
        if (std::isfinite(v)) low = std::min(low, v), high = std::max(high, v);
    }
    if (!(low <= high)) low = 0, high = 1;  // nothing to plot: an empty panel with a 0..1 axis
    const detail::axis y = detail::nice_axis(low, high);
    // x: epochs 1..n; one epoch sits in the middle of a 0..2 axis.
    const double x_low = n > 1 ? 1.0 : 0.0, x_high = n > 1 ? double(n) : 2.0;
    const double x_step = n > 1 ? std::max(1.0, std::round(detail::nice_step(x_high - x_low, 8))) : 1.0;
    const double ox = double(k) * panel_w + left, oy = top;
    const auto px = [&](double epoch) { return ox + plot_w * (epoch - x_low) / (x_high - x_low); };
    const auto py = [&](double v) { return oy + plot_h * (1 - (v - y.low) / (y.high - y.low)); };

    out << "<g class=\"panel\" data-x-min=\"" << label{x_low} << "\" data-x-max=\"" << label{x_high}
        << "\" data-y-min=\"" << label{y.low} << "\" data-y-max=\"" << label{y.high} << "\">\n";
    out << "<text x=\"" << fixed2{ox + plot_w / 2} << "\" y=\"" << fixed2{oy - 12}
        << "\" text-anchor=\"middle\" font-size=\"13\">" << escaped{panel.title} << "</text>\n";
    out << "<rect class=\"plot-area\" x=\"" << fixed2{ox} << "\" y=\"" << fixed2{oy} << "\" width=\""
        << fixed2{plot_w} << "\" height=\"" << fixed2{plot_h} << "\" fill=\"none\" stroke=\"#888\"/>\n";
    // Grid lines and tick labels.
    const auto y_ticks = static_cast<std::size_t>(std::llround((y.high - y.low) / y.step));
    for (std::size_t t = 0; t <= y_ticks; ++t) {
      const double v = y.low + double(t) * y.step, yy = py(v);
      out << "<line x1=\"" << fixed2{ox} << "\" y1=\"" << fixed2{yy} << "\" x2=\"" << fixed2{ox + plot_w}
          << "\" y2=\"" << fixed2{yy} << "\" stroke=\"#ddd\"/>\n";
      out << "<text class=\"y-tick\" x=\"" << fixed2{ox - 6} << "\" y=\"" << fixed2{yy + 4}
          << "\" text-anchor=\"end\">" << label{v} << "</text>\n";
    }
    for (double e = x_low; e <= x_high + 1e-9; e += x_step) {
      if (e < 1) continue;  // no epoch 0
      out << "<text class=\"x-tick\" x=\"" << fixed2{px(e)} << "\" y=\"" << fixed2{oy + plot_h + 16}
          << "\" text-anchor=\"middle\">" << label{e} << "</text>\n";
    }
    out << "<text x=\"" << fixed2{ox + plot_w / 2} << "\" y=\"" << fixed2{oy + plot_h + 34}
        << "\" text-anchor=\"middle\">epoch</text>\n";
    // The curves, with a dot per epoch (a one-epoch fit is only a dot).
    for (std::size_t i = 0; i < panel.series.size(); ++i) {
      const plot_series& series = panel.series[i];
      const auto finite = [](double v) { return std::isfinite(v); };
      if (std::none_of(series.values.begin(), series.values.end(), finite)) continue;
      const std::string_view dash = series.dashed ? " stroke-dasharray=\"6 4\"" : "";
      out << "<polyline class=\"series\" data-series=\"" << escaped{series.name} << "\" points=\"";
      const char* separator = "";
      for (std::size_t e = 0; e < series.values.size(); ++e) {
        if (!finite(series.values[e])) continue;
        out << separator << fixed2{px(double(e + 1))} << "," << fixed2{py(series.values[e])};
        separator = " ";
      }
      out << "\" fill=\"none\" stroke=\"" << series.color << "\" stroke-width=\"2\"" << dash << "/>\n";
      for (std::size_t e = 0; e < series.values.size(); ++e) {
        if (!finite(series.values[e])) continue;
        out << "<circle cx=\"" << fixed2{px(double(e + 1))} << "\" cy=\"" << fixed2{py(series.values[e])}
            << "\" r=\"2.5\" fill=\"" << series.color << "\"/>";
      }
      out << "\n";
      // Legend entry, under the axis.
      const double lx = ox + double(i) * (plot_w / 2), ly = oy + plot_h + 52;
      out << "<line x1=\"" << fixed2{lx} << "\" y1=\"" << fixed2{ly - 4} << "\" x2=\"" << fixed2{lx + 24}
          << "\" y2=\"" << fixed2{ly - 4} << "\" stroke=\"" << series.color << "\" stroke-width=\"2\"" << dash
          << "/>\n";
      out << "<text x=\"" << fixed2{lx + 30} << "\" y=\"" << fixed2{ly} << "\">" << escaped{series.name}
          << "</text>\n";
    }
    out << "</g>\n";
  }
  out << "</svg>\n";
  return std::move(out.text);
}

// The loss panel, and the accuracy panel when any accuracy was measured.
inline std::vector<plot_panel> training_curve_panels(std::span<const epoch_stats> history) {
  const auto column = [&](double epoch_stats::*field) {
    std::vector<double> v;
    v.reserve(history.size());
    for (const auto& e : history) v.push_back(e.*field);
    return v;
  };
  const auto measured = [](const std::vector<double>& v) {
    return std::any_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
  };
  std::vector<plot_panel> panels;
  const auto add = [&](std::string title, std::string train_name, double epoch_stats::*train,
                       std::string val_name, double epoch_stats::*val) {
    plot_panel p{std::move(title), {}};
    auto t = column(train), v = column(val);
    if (measured(t)) p.series.push_back({std::move(train_name), std::move(t), "#1f77b4", false});
    if (measured(v)) p.series.push_back({std::move(val_name), std::move(v), "#d62728", true});
    if (!p.series.empty()) panels.push_back(std::move(p));
  };
  add("loss", "train loss", &epoch_stats::train_loss, "validation loss",
      &epoch_stats::validation_loss);
  add("accuracy", "train accuracy", &epoch_stats::train_accuracy, "validation accuracy",
      &epoch_stats::validation_accuracy);
  return panels;
}

inline std::string training_curves_svg(std::span<const epoch_stats> history,
                                       std::string_view title = "training curves") {
  const auto panels = training_curve_panels(history);
  return svg_line_charts(panels, title);
}

// Any panels (several methods' curves side by side, say) to `file`, atomically; throws
// io::file_error when it cannot.
inline void write_line_charts(const std::filesystem::path& file, std::span<const plot_panel> panels,
                              std::string_view title) {
  const std::string text = svg_line_charts(panels, title);
  io::detail::atomic_write("write_line_charts", file,
                           {reinterpret_cast<const unsigned char*>(text.data()), text.size()});
}

// Writes the curves to `file` atomically; throws io::file_error when it cannot.
inline void write_training_curves(const std::filesystem::path& file,
                                  std::span<const epoch_stats> history,
                                  std::string_view title = "training curves") {
  const std::string text = training_curves_svg(history, title);
  io::detail::atomic_write("write_training_curves", file,
                           {reinterpret_cast<const unsigned char*>(text.data()), text.size()});
}

}  // namespace ctnn
