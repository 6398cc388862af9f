// Progress output (train/progress.hpp): the bar's text for given numbers, the epoch line, the
// styles a fit prints in (lines when the stream is not a terminal, the bar redrawn with \r when
// asked for, nothing when silent).

#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <ctnn/ctnn.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::string bar(const ctnn::progress_snapshot& s, std::size_t width = 20) {
  std::array<char, 256> buf{};
  const std::size_t n = ctnn::format_progress_bar(buf, s, width);
  CHECK(n == std::string(buf.data()).size());  // the returned length is the text's
  return std::string(buf.data(), n);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

using net = ctnn::network<ctnn::input<2>, ctnn::dense<8>, ctnn::tanh, ctnn::dense<1>, ctnn::sigmoid>;

// XOR's four samples, twice: 8 samples.
struct xor_data {
  std::vector<float> x = {0, 0, 0, 1, 1, 0, 1, 1, 0, 0, 0, 1, 1, 0, 1, 1};
  std::vector<float> t = {0, 1, 1, 0, 0, 1, 1, 0};
};

std::string fit_output(ctnn::progress_style style, std::size_t epochs, ctnn::fit_result* out = nullptr) {
  const xor_data d;
  ctnn::parameters<net, float> p;
  ctnn::initialize(p, 1);
  ctnn::adam<net, float> opt;
  std::ostringstream text;
  ctnn::fit_options o;
  o.epochs = epochs;
  o.batch_size = 2;
  o.output = &text;
  o.progress = style;
  const auto r = ctnn::fit(p, ctnn::binary_cross_entropy{}, opt, ctnn::constant_lr(0.05),
                           {d.x, d.t}, o);
  if (out != nullptr) *out = r;
  return text.str();
}

}  // namespace

TEST_CASE("progress bar: the text for given numbers") {
  // Half way through: 10 of 20 cells, the arrow in the 11th; 27000 samples in 2 s is 13500/s,
  // and the remaining 27000 take 2 s more.
  CHECK(bar({3, 10, 27000, 54000, 2.0, 0.43214}) ==
        "epoch 3/10 [==========>.........]  27000/54000  13500 samples/s  ETA 0:02  loss 0.4321");
  // At the start nothing is known about the speed.
  CHECK(bar({1, 5, 0, 60000, 0.0, 0.0}) ==
        "epoch 1/5 [>...................]  0/60000  0 samples/s  ETA -:--  loss 0.0000");
  // Done: every cell filled, no arrow.
  CHECK(bar({5, 5, 600, 600, 3.0, 1.5}) ==
        "epoch 5/5 [====================]  600/600  200 samples/s  ETA 0:00  loss 1.5000");
  // Long ETAs as h:mm:ss: 100 of 1e6 samples in 1 s leaves 999900 samples at 100/s, 9999 s.
  CHECK(bar({1, 1, 100, 1000000, 1.0, 2.0}, 4) ==
        "epoch 1/1 [>...]  100/1000000  100 samples/s  ETA 2:46:39  loss 2.0000");
  // A quarter with 8 cells: 2 filled.
  CHECK(bar({2, 3, 25, 100, 5.0, 0.125}, 8) ==
        "epoch 2/3 [==>.....]  25/100  5 samples/s  ETA 0:15  loss 0.1250");
}

TEST_CASE("progress bar: a short buffer is cut, never overrun") {
  std::array<char, 16> buf;
  buf.fill('#');
  const std::size_t n = ctnn::format_progress_bar(std::span<char>(buf.data(), 12), {3, 10, 1, 2, 1, 1});
  CHECK(n == 11);
  CHECK(std::string(buf.data()) == "epoch 3/10 ");
  CHECK(buf[12] == '#');
}

TEST_CASE("epoch line: measured fields only") {
  ctnn::epoch_stats e;
  e.epoch = 3;
  e.epochs = 10;
  e.train_loss = 0.43214;
  e.train_accuracy = 0.87654;
  e.learning_rate = 0.001;
  e.seconds = 2.06;
  e.samples_per_second = 25714.2;
  CHECK(ctnn::epoch_line(e) == "epoch 3/10  loss 0.4321  accuracy 0.8765  lr 0.001  2.1 s  25714 samples/s");
  e.validation_loss = 0.40123;
  e.validation_accuracy = 0.88119;
  e.skipped_batches = 2;
  CHECK(ctnn::epoch_line(e) ==
        "epoch 3/10  loss 0.4321  accuracy 0.8765  val_loss 0.4012  val_accuracy 0.8812  lr 0.001  "
        "2.1 s  25714 samples/s  (2 non-finite batches skipped)");
}

TEST_CASE("fit output: one plain line per epoch when the stream is not a terminal") {
  ctnn::fit_result r;
  const std::string text = fit_output(ctnn::progress_style::automatic, 4, &r);
  CHECK(text.find('\r') == std::string::npos);
  CHECK(text.find('\x1b') == std::string::npos);
  const auto lines = lines_of(text);
  REQUIRE(lines.size() == 4);
  const std::regex line(
      R"(epoch ([0-9]+)/4  loss ([0-9.]+)  accuracy ([0-9.]+)  lr 0\.05  [0-9.]+ s  [0-9]+ samples/s)");
  for (std::size_t k = 0; k < 4; ++k) {
    std::smatch m;
    REQUIRE_MESSAGE(std::regex_match(lines[k], m, line), lines[k]);
    CHECK(std::stoul(m[1]) == k + 1);
    // The printed numbers are the history's, rounded to 4 places.
    CHECK(std::abs(std::stod(m[2]) - r.history[k].train_loss) <= 0.00005 + 1e-12);
    CHECK(std::abs(std::stod(m[3]) - r.history[k].train_accuracy) <= 0.00005 + 1e-12);
  }
}

TEST_CASE("fit output: the bar style redraws in place and ends each epoch with its line") {
  const std::string text = fit_output(ctnn::progress_style::bar, 2);
  // Each epoch: at least the final redraw (all samples done) "\r<bar>\x1b[K", then
  // "\r<epoch line>\x1b[K\n".
  CHECK(text.find("\repoch 1/2 [====================]  8/8") != std::string::npos);
  CHECK(text.find("\repoch 2/2 [====================]  8/8") != std::string::npos);
  const auto lines = lines_of(text);
  REQUIRE(lines.size() == 2);
  for (std::size_t k = 0; k < 2; ++k) {
    // What a terminal shows at the end of the line: the epoch line after the last \r.
    const std::string shown = lines[k].substr(lines[k].rfind('\r') + 1);
    CHECK(shown.rfind("epoch " + std::to_string(k + 1) + "/2  loss ", 0) == 0);
    CHECK(shown.size() >= 3);
    CHECK(shown.substr(shown.size() - 3) == "\x1b[K");
  }
}

TEST_CASE("progress printer: a bar interrupted by an error ends its line") {
  std::ostringstream s;
  ctnn::progress_printer bar(&s, ctnn::progress_style::bar);
  bar.begin_epoch(1, 2, 10);
  bar.update(10, 0.5);
  bar.interrupt();
  const std::string text = s.str();
  CHECK(text.rfind("\repoch 1/2 [====================]  10/10", 0) == 0);
  CHECK(text.back() == '\n');
  bar.interrupt();  // nothing drawn since: nothing written
  CHECK(s.str() == text);
}

TEST_CASE("fit output: silent with progress none or no stream") {
  CHECK(fit_output(ctnn::progress_style::none, 3).empty());
  ctnn::progress_printer quiet(nullptr, ctnn::progress_style::bar);
  CHECK(quiet.style() == ctnn::progress_style::none);
  quiet.begin_epoch(1, 1, 10);
  quiet.update(10, 1.0);
  quiet.end_epoch({});
  quiet.note("nothing");  // no stream: nothing to write to, and no crash
}

TEST_CASE("progress printer: automatic is the lines style for a string stream") {
  std::ostringstream s;
  CHECK(ctnn::progress_printer(&s).style() == ctnn::progress_style::lines);
}
