// Learning curves as SVG (train/svg_plot.hpp), read back with a minimal XML reader: the document
// is well formed, each curve has one point per epoch inside its plot area, the points sit where
// the panel's stated axis range puts them, and that range (and the tick labels) enclose the data.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <ctnn/ctnn.hpp>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct element {
  std::string name;
  std::map<std::string, std::string> attributes;
  std::string text;  // direct text content
  std::vector<element> children;
};

// Parses the SVG into an element tree; fails the test on any malformation (unbalanced tags, a
// stray '<' or '&' in text, an unquoted attribute, text outside the root).
element parse_xml(const std::string& s) {
  element document;
  std::vector<element*> open{&document};
  std::size_t i = 0;
  if (s.rfind("<?xml", 0) == 0) i = s.find("?>") + 2;
  while (i < s.size()) {
    const std::size_t lt = s.find('<', i);
    const std::string text = s.substr(i, lt == std::string::npos ? std::string::npos : lt - i);
    for (std::size_t a = text.find('&'); a != std::string::npos; a = text.find('&', a + 1))
      CHECK_MESSAGE(std::regex_search(text.substr(a), std::regex("^&(amp|lt|gt|quot|apos);")), text);
    if (open.size() == 1) CHECK_MESSAGE(text.find_first_not_of(" \n") == std::string::npos, text);
    open.back()->text += text;
    if (lt == std::string::npos) break;
    const std::size_t gt = s.find('>', lt);
    REQUIRE(gt != std::string::npos);
    std::string tag = s.substr(lt + 1, gt - lt - 1);
    i = gt + 1;
    if (tag[0] == '/') {
      REQUIRE(open.size() > 1);
      CHECK(open.back()->name == tag.substr(1));
      open.pop_back();
      continue;
    }
    const bool self_closing = tag.back() == '/';
    if (self_closing) tag.pop_back();
    element e;
    const std::size_t space = tag.find(' ');
    e.name = tag.substr(0, space);
    const std::string rest = space == std::string::npos ? "" : tag.substr(space);
    const std::regex attribute(R"(\s+([a-zA-Z][a-zA-Z0-9:-]*)="([^"<]*)\")");
    std::size_t consumed = 0;
    for (std::sregex_iterator m(rest.begin(), rest.end(), attribute), end; m != end; ++m) {
      CHECK_MESSAGE((*m).position() == std::ptrdiff_t(consumed), tag);  // nothing unparsed between
      consumed = std::size_t((*m).position() + (*m).length());
      e.attributes[(*m)[1]] = (*m)[2];
    }
    CHECK(rest.substr(consumed).find_first_not_of(' ') == std::string::npos);
    open.back()->children.push_back(std::move(e));
    if (!self_closing) open.push_back(&open.back()->children.back());
  }
  CHECK(open.size() == 1);
  REQUIRE(document.children.size() == 1);
  return document.children[0];
}

void collect(const element& e, const std::string& name, std::vector<const element*>& out) {
  if (e.name == name) out.push_back(&e);
  for (const auto& c : e.children) collect(c, name, out);
}

std::vector<const element*> all(const element& e, const std::string& name) {
  std::vector<const element*> out;
  collect(e, name, out);
  return out;
}

double number(const element& e, const std::string& attribute) {
  const auto it = e.attributes.find(attribute);
  REQUIRE_MESSAGE(it != e.attributes.end(), attribute);
  return std::stod(it->second);
}

std::vector<std::pair<double, double>> points(const element& polyline) {
  std::vector<std::pair<double, double>> p;
  std::istringstream in(polyline.attributes.at("points"));
  for (std::string pair; in >> pair;) {
    const std::size_t comma = pair.find(',');
    p.emplace_back(std::stod(pair.substr(0, comma)), std::stod(pair.substr(comma + 1)));
  }
  return p;
}

std::vector<ctnn::epoch_stats> history(std::size_t epochs, bool validation, bool accuracy) {
  std::vector<ctnn::epoch_stats> h(epochs);
  for (std::size_t k = 0; k < epochs; ++k) {
    auto& e = h[k];
    e.epoch = k + 1;
    e.epochs = epochs;
    e.train_loss = 2.0 / double(k + 1) + 0.05;
    if (accuracy) e.train_accuracy = 0.5 + 0.4 * double(k) / double(epochs);
    if (validation) {
      e.validation_loss = 1.7 / double(k + 1) + 0.2 + (k > 4 ? 0.03 * double(k - 4) : 0.0);
      if (accuracy) e.validation_accuracy = 0.45 + 0.35 * double(k) / double(epochs);
    }
  }
  return h;
}

// Checks one panel: its series are `expected` (name -> values), drawn where its axes say.
void check_panel(const element& panel, const std::map<std::string, std::vector<double>>& expected) {
  const auto rects = all(panel, "rect");
  REQUIRE(rects.size() == 1);
  CHECK(rects[0]->attributes.at("class") == "plot-area");
  const double x0 = number(*rects[0], "x"), y0 = number(*rects[0], "y");
  const double w = number(*rects[0], "width"), h = number(*rects[0], "height");
  const double x_min = number(panel, "data-x-min"), x_max = number(panel, "data-x-max");
  const double y_min = number(panel, "data-y-min"), y_max = number(panel, "data-y-max");
  REQUIRE(y_max > y_min);

  double low = HUGE_VAL, high = -HUGE_VAL;
  std::size_t epochs = 0;
  for (const auto& [name, values] : expected) {
    for (double v : values) low = std::min(low, v), high = std::max(high, v);
    epochs = std::max(epochs, values.size());
  }
  // The axis range encloses the data.
  CHECK(y_min <= low);
  CHECK(y_max >= high);
  CHECK(x_min <= 1);
  CHECK(x_max >= double(epochs));

  // The tick labels run from the bottom to the top of the range.
  std::vector<double> y_ticks, x_ticks;
  for (const element* t : all(panel, "text")) {
    const auto c = t->attributes.find("class");
    if (c == t->attributes.end()) continue;
    (c->second == "y-tick" ? y_ticks : x_ticks).push_back(std::stod(t->text));
  }
  REQUIRE(y_ticks.size() >= 2);
  CHECK(*std::min_element(y_ticks.begin(), y_ticks.end()) == doctest::Approx(y_min));
  CHECK(*std::max_element(y_ticks.begin(), y_ticks.end()) == doctest::Approx(y_max));
  CHECK(std::find(x_ticks.begin(), x_ticks.end(), 1.0) != x_ticks.end());

  const auto lines = all(panel, "polyline");
  REQUIRE(lines.size() == expected.size());
  for (const element* line : lines) {
    const std::string name = line->attributes.at("data-series");
    REQUIRE_MESSAGE(expected.count(name) == 1, name);
    const auto& values = expected.at(name);
    const auto p = points(*line);
    REQUIRE(p.size() == values.size());  // one point per epoch
    for (std::size_t k = 0; k < p.size(); ++k) {
      CHECK(p[k].first >= x0 - 0.01);
      CHECK(p[k].first <= x0 + w + 0.01);
      CHECK(p[k].second >= y0 - 0.01);
      CHECK(p[k].second <= y0 + h + 0.01);
      // Where the panel's axes put epoch k + 1 and its value (to the 0.01 px of the output).
      CHECK(std::abs(p[k].first - (x0 + w * (double(k + 1) - x_min) / (x_max - x_min))) < 0.006);
      CHECK(std::abs(p[k].second - (y0 + h * (1 - (values[k] - y_min) / (y_max - y_min)))) < 0.006);
    }
  }
}

std::vector<double> column(const std::vector<ctnn::epoch_stats>& h, double ctnn::epoch_stats::*f) {
  std::vector<double> v;
  for (const auto& e : h) v.push_back(e.*f);
  return v;
}

}  // namespace

TEST_CASE("svg curves: loss and accuracy panels, train and validation, one point per epoch") {
  const auto h = history(7, true, true);
  const element svg = parse_xml(ctnn::training_curves_svg(h, "run <1> & co"));
  CHECK(svg.name == "svg");
  CHECK(svg.attributes.at("xmlns") == "http://www.w3.org/2000/svg");
  const auto titles = all(svg, "title");
  REQUIRE(titles.size() == 1);
  CHECK(titles[0]->text == "run &lt;1&gt; &amp; co");
  const auto panels = all(svg, "g");
  REQUIRE(panels.size() == 2);
  check_panel(*panels[0], {{"train loss", column(h, &ctnn::epoch_stats::train_loss)},
                           {"validation loss", column(h, &ctnn::epoch_stats::validation_loss)}});
  check_panel(*panels[1],
              {{"train accuracy", column(h, &ctnn::epoch_stats::train_accuracy)},
               {"validation accuracy", column(h, &ctnn::epoch_stats::validation_accuracy)}});
}

TEST_CASE("svg curves: what was not measured is left out") {
  const auto h = history(12, false, false);
  const element svg = parse_xml(ctnn::training_curves_svg(h));
  const auto panels = all(svg, "g");
  REQUIRE(panels.size() == 1);
  check_panel(*panels[0], {{"train loss", column(h, &ctnn::epoch_stats::train_loss)}});
}

TEST_CASE("svg curves: one epoch, and a flat curve") {
  auto h = history(1, true, false);
  element svg = parse_xml(ctnn::training_curves_svg(h));
  auto panels = all(svg, "g");
  REQUIRE(panels.size() == 1);
  check_panel(*panels[0], {{"train loss", column(h, &ctnn::epoch_stats::train_loss)},
                           {"validation loss", column(h, &ctnn::epoch_stats::validation_loss)}});
  h = history(5, false, false);
  for (auto& e : h) e.train_loss = 0.25;
  svg = parse_xml(ctnn::training_curves_svg(h));
  panels = all(svg, "g");
  REQUIRE(panels.size() == 1);
  check_panel(*panels[0], {{"train loss", column(h, &ctnn::epoch_stats::train_loss)}});
}

TEST_CASE("svg curves: written atomically to a file; a missing directory is a file_error") {
  const auto dir = std::filesystem::temp_directory_path() / "ctnn_svg_plot_test";
  std::filesystem::create_directories(dir);
  const auto file = dir / "curves.svg";
  const auto h = history(4, true, true);
  ctnn::write_training_curves(file, h, "t");
  std::ifstream in(file, std::ios::binary);
  const std::string written((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(written == ctnn::training_curves_svg(h, "t"));
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++files;
  CHECK(files == 1);  // no temporary file left behind
  CHECK_THROWS_AS(ctnn::write_training_curves(dir / "missing" / "curves.svg", h),
                  ctnn::io::file_error);
  std::filesystem::remove_all(dir);
}
