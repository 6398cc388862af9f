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

inline std::string svg_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

inline std::string svg_int(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

inline std::string svg_label(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", std::abs(v) < 1e-12 ? 0.0 : v);
  return buf;
}

inline std::string svg_escape(std::string_view text) {
  std::string s;
  for (char c : text) {
    switch (c) {
      case '&': s += "&amp;"; break;
      case '<': s += "&lt;"; break;
      case '>': s += "&gt;"; break;
      case '"': s += "&quot;"; break;
      default: s += c;
    }
  }
  return s;
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
  constexpr double panel_w = 460, panel_h = 340, left = 64, right = 16, top = 56, bottom = 64;
  constexpr double plot_w = panel_w - left - right, plot_h = panel_h - top - bottom;
  const double width = panel_w * double(std::max<std::size_t>(panels.size(), 1));
  const double height = panel_h;
  std::string s;
  s += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  s += "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" + detail::svg_int(width) +
       "\" height=\"" + detail::svg_int(height) + "\" viewBox=\"0 0 " + detail::svg_int(width) + " " +
       detail::svg_int(height) + "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  s += "<title>" + detail::svg_escape(title) + "</title>\n";
  s += "<rect x=\"0\" y=\"0\" width=\"" + detail::svg_int(width) + "\" height=\"" +
       detail::svg_int(height) + "\" fill=\"white\"/>\n";
  s += "<text x=\"" + detail::svg_number(width / 2) +
       "\" y=\"20\" text-anchor=\"middle\" font-size=\"15\">" + detail::svg_escape(title) +
       "</text>\n";

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

    s += "<g class=\"panel\" data-x-min=\"" + detail::svg_label(x_low) + "\" data-x-max=\"" +
         detail::svg_label(x_high) + "\" data-y-min=\"" + detail::svg_label(y.low) +
         "\" data-y-max=\"" + detail::svg_label(y.high) + "\">\n";
    s += "<text x=\"" + detail::svg_number(ox + plot_w / 2) + "\" y=\"" + detail::svg_number(oy - 12) +
         "\" text-anchor=\"middle\" font-size=\"13\">" + detail::svg_escape(panel.title) + "</text>\n";
    s += "<rect class=\"plot-area\" x=\"" + detail::svg_number(ox) + "\" y=\"" + detail::svg_number(oy) +
         "\" width=\"" + detail::svg_number(plot_w) + "\" height=\"" + detail::svg_number(plot_h) +
         "\" fill=\"none\" stroke=\"#888\"/>\n";
    // Grid lines and tick labels.
    const auto y_ticks = static_cast<std::size_t>(std::llround((y.high - y.low) / y.step));
    for (std::size_t t = 0; t <= y_ticks; ++t) {
      const double v = y.low + double(t) * y.step, yy = py(v);
      s += "<line x1=\"" + detail::svg_number(ox) + "\" y1=\"" + detail::svg_number(yy) + "\" x2=\"" +
           detail::svg_number(ox + plot_w) + "\" y2=\"" + detail::svg_number(yy) +
           "\" stroke=\"#ddd\"/>\n";
      s += "<text class=\"y-tick\" x=\"" + detail::svg_number(ox - 6) + "\" y=\"" +
           detail::svg_number(yy + 4) + "\" text-anchor=\"end\">" + detail::svg_label(v) + "</text>\n";
    }
    for (double e = x_low; e <= x_high + 1e-9; e += x_step) {
      if (e < 1) continue;  // no epoch 0
      s += "<text class=\"x-tick\" x=\"" + detail::svg_number(px(e)) + "\" y=\"" +
           detail::svg_number(oy + plot_h + 16) + "\" text-anchor=\"middle\">" +
           detail::svg_label(e) + "</text>\n";
    }
    s += "<text x=\"" + detail::svg_number(ox + plot_w / 2) + "\" y=\"" +
         detail::svg_number(oy + plot_h + 34) + "\" text-anchor=\"middle\">epoch</text>\n";
    // The curves, with a dot per epoch (a one-epoch fit is only a dot).
    for (std::size_t i = 0; i < panel.series.size(); ++i) {
      const plot_series& series = panel.series[i];
      std::string points, dots;
      for (std::size_t e = 0; e < series.values.size(); ++e) {
        const double v = series.values[e];
        if (!std::isfinite(v)) continue;
        const std::string cx = detail::svg_number(px(double(e + 1))), cy = detail::svg_number(py(v));
        points += (points.empty() ? "" : " ") + cx + "," + cy;
        dots += "<circle cx=\"" + cx + "\" cy=\"" + cy + "\" r=\"2.5\" fill=\"" + series.color + "\"/>";
      }
      if (points.empty()) continue;
      s += "<polyline class=\"series\" data-series=\"" + detail::svg_escape(series.name) +
           "\" points=\"" + points + "\" fill=\"none\" stroke=\"" + series.color +
           "\" stroke-width=\"2\"" + (series.dashed ? " stroke-dasharray=\"6 4\"" : "") + "/>\n";
      s += dots + "\n";
      // Legend entry, under the axis.
      const double lx = ox + double(i) * (plot_w / 2), ly = oy + plot_h + 52;
      s += "<line x1=\"" + detail::svg_number(lx) + "\" y1=\"" + detail::svg_number(ly - 4) +
           "\" x2=\"" + detail::svg_number(lx + 24) + "\" y2=\"" + detail::svg_number(ly - 4) +
           "\" stroke=\"" + series.color + "\" stroke-width=\"2\"" +
           (series.dashed ? " stroke-dasharray=\"6 4\"" : "") + "/>\n";
      s += "<text x=\"" + detail::svg_number(lx + 30) + "\" y=\"" + detail::svg_number(ly) + "\">" +
           detail::svg_escape(series.name) + "</text>\n";
    }
    s += "</g>\n";
  }
  s += "</svg>\n";
  return s;
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

// Writes the curves to `file` atomically; throws io::file_error when it cannot.
inline void write_training_curves(const std::filesystem::path& file,
                                  std::span<const epoch_stats> history,
                                  std::string_view title = "training curves") {
  const std::string text = training_curves_svg(history, title);
  io::detail::atomic_write("write_training_curves", file,
                           {reinterpret_cast<const unsigned char*>(text.data()), text.size()});
}

}  // namespace ctnn
