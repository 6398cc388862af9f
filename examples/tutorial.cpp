// The tutorial (docs/tutorial.md) as one program: every code block of the tutorial is a region of
// this file, so what the tutorial shows compiles and runs (the test example/tutorial runs it; the
// test docs/snippets checks that the tutorial's copies are verbatim).
//
// A net learns which points of the square [-1, 1]² lie inside a disc, is trained with fit,
// evaluated, checked against finite differences, saved, loaded, baked into C++ source, printed
// as equations and as a graph, and finally run in a hot loop from its inference layout.
// Exits 1 if any step does not do what the tutorial says it does.
//
// Usage: tutorial [DIR]   (where it writes its files; default: the system's temporary directory)

#include <array>
#include <cmath>
#include <cstdio>
#include <ctnn/ctnn.hpp>
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>
#include <span>
#include <vector>

// [topology]
// 2 inputs (a point), two hidden layers of 16 tanh units, 1 output: the probability that the
// point lies inside the disc.
using net = ctnn::network<ctnn::input<2>, ctnn::dense<16>, ctnn::tanh, ctnn::dense<16>,
                          ctnn::tanh, ctnn::dense<1>, ctnn::sigmoid>;
static_assert(net::parameter_count == 2 * 16 + 16 + 16 * 16 + 16 + 16 * 1 + 1);
// [topology]

namespace {

bool expect(bool ok, const char* what) {
  if (!ok) std::fprintf(stderr, "tutorial: %s\n", what);
  return ok;
}

// [data]
// n points, uniformly in [-1, 1]², as n rows of 2 values; targets: n rows of 1 value.
struct samples {
  std::vector<float> x, t;
};

samples disc(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  samples s;
  for (std::size_t i = 0; i < n; ++i) {
    const float a = u(rng), b = u(rng);
    s.x.insert(s.x.end(), {a, b});
    s.t.push_back(a * a + b * b < 0.5f ? 1.0f : 0.0f);
  }
  return s;
}
// [data]

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path dir = argc > 1 ? argv[1] : std::filesystem::temp_directory_path();
  bool ok = true;
  const samples train = disc(2000, 1), test = disc(500, 2);

  // [train]
  ctnn::parameters<net, float> p;     // all weights and biases, one aligned block
  ctnn::initialize(p, /*seed=*/42);   // Xavier/He by activation, zero biases

  ctnn::adam<net, float> opt;         // β₁ 0.9, β₂ 0.999 (ctnn::adam_options to change them)
  ctnn::fit_options o;
  o.epochs = 40;
  o.batch_size = 32;
  o.seed = 7;                         // the order of the samples in each epoch
  o.validation_fraction = 0.1;        // 10% held out, evaluated after every epoch
  o.output = nullptr;                 // silent; the default prints one line per epoch
  const ctnn::fit_result r =
      ctnn::fit(p, ctnn::binary_cross_entropy{}, opt, ctnn::constant_lr(0.01),
                ctnn::labelled_data<float>{train.x, train.t}, o);
  std::printf("trained %zu epochs, %zu steps: validation loss %.3f, accuracy %.3f\n",
              r.history.size(), r.steps, r.history.back().validation_loss,
              r.history.back().validation_accuracy);
  // [train]
  ok &= expect(r.history.size() == 40 && r.history.back().validation_accuracy > 0.9,
               "fit did not learn the disc (validation accuracy <= 0.9)");

  // [evaluate]
  const ctnn::evaluation e = ctnn::evaluate(p, ctnn::binary_cross_entropy{},
                                            std::span<const float>(test.x),
                                            std::span<const float>(test.t));
  std::printf("test: loss %.3f, accuracy %.3f on %zu points\n", e.loss, e.accuracy, e.samples);
  const auto inside = ctnn::forward(p, std::array<float, 2>{0.1f, -0.2f});   // one sample
  const auto outside = ctnn::forward(p, std::array<float, 2>{0.9f, 0.8f});
  std::printf("p(inside) at (0.1, -0.2): %.3f, at (0.9, 0.8): %.3f\n", inside[0], outside[0]);
  // [evaluate]
  ok &= expect(e.accuracy > 0.9 && inside[0] > 0.5f && outside[0] < 0.5f,
               "the trained net does not separate the disc on the test points");

  // [check]
  // Backprop against central differences in double, for one sample, at the trained weights.
  // Relative errors: a trained net has gradients near the comparison floor (1e-5), where the
  // differences' rounding shows in the sixth digit; 1e-4 is a safe pass mark, a wrong
  // derivative is off by far more.
  ctnn::parameters<net, double> pd;
  for (std::size_t k = 0; k < p.size(); ++k) pd[k] = p[k];
  const ctnn::gradient_check_report report = ctnn::gradient_check(
      pd, ctnn::binary_cross_entropy{}, std::array<double, 2>{0.5, 0.5}, std::array<double, 1>{1});
  std::printf("gradient check: %zu entries, worst relative error %.2e\n", report.checked,
              report.worst_error);
  // [check]
  ok &= expect(report.worst_error < 1e-4 && report.checked == net::parameter_count + 2,
               "backprop disagrees with finite differences");

  // [save]
  const std::filesystem::path file = dir / "disc.ctnn";
  ctnn::io::save_model(file, p);      // written to a temporary file, then renamed: never half
  ctnn::parameters<net, float> loaded;
  ctnn::io::load_model(file, loaded); // checks the format, the network and a checksum
  // [save]
  bool same = true;
  for (std::size_t k = 0; k < p.size(); ++k) same &= loaded[k] == p[k];
  ok &= expect(same, "the loaded parameters differ from the saved ones");

  // [bake]
  // The weights as C++ constants: a program that includes the header runs the net with no file
  // to read (see tests/static/baked_xor.cpp, which also runs it in a static_assert).
  ctnn::io::export_header(dir / "disc_model.hpp", p, "disc_model");
  // [bake]
  ok &= expect(std::filesystem::file_size(dir / "disc_model.hpp") > 1000,
               "export_header wrote no header");

  // [inspect]
  std::cout << ctnn::inspect::equations<net, ctnn::binary_cross_entropy>() << "\n";
  const std::string dot(ctnn::inspect::dot<net, ctnn::binary_cross_entropy>().view());
  std::printf("the graph in DOT: %zu characters (render with: dot -Tsvg)\n", dot.size());
  // [inspect]
  ok &= expect(dot.find("digraph") != std::string::npos, "dot printed no graph");

  // [embed]
  // The inference layout: the weights rearranged once for the one-sample forward pass. In the
  // loop nothing allocates, locks or calls through a pointer.
  const auto w = std::make_unique<ctnn::inference_weights<net, float>>(p);
  std::size_t inside_count = 0;
  for (int i = 0; i < 100; ++i)
    for (int j = 0; j < 100; ++j) {
      const std::array<float, 2> point{-1.0f + 0.02f * float(i), -1.0f + 0.02f * float(j)};
      inside_count += ctnn::forward(*w, point)[0] > 0.5f;
    }
  std::printf("%zu of 10000 grid points inside (the disc covers %.0f)\n", inside_count,
              10000 * 3.14159265 * 0.5 / 4);
  // [embed]
  ok &= expect(std::abs(double(inside_count) - 10000 * 3.14159265 * 0.5 / 4) < 500,
               "the embedded net's disc is far from the true one");

  // [int8]
  // int8 weights: calibrated on the training points, then the same grid. Near the circle, where
  // the net is steepest, the inputs' 8-bit steps can move the answer: a tiny net gains no speed
  // from int8 (wide layers do), so this is to show the trade, not to recommend it.
  ctnn::quantization_ranges<net> ranges;
  for (std::size_t r = 0; r < 500; ++r)
    ctnn::observe(ranges, *w, std::span<const float, 2>(train.x.data() + 2 * r, 2));
  const auto q = std::make_unique<ctnn::quantized_weights<net>>(p, ranges);
  std::size_t agree = 0;
  for (int i = 0; i < 100; ++i)
    for (int j = 0; j < 100; ++j) {
      const std::array<float, 2> point{-1.0f + 0.02f * float(i), -1.0f + 0.02f * float(j)};
      agree += (ctnn::forward(*w, point)[0] > 0.5f) == (ctnn::forward(*q, point)[0] > 0.5f);
    }
  // A proven bound on |int8 − float| at one point (a box of one point; a box [low, high] of
  // inputs works too, and in a static_assert for a baked net).
  const std::array<double, 2> near{0.5, 0.3};
  const double bound = ctnn::quantization_error_bound(*q, p, std::span<const double>(near),
                                                      std::span<const double>(near));
  const std::array<float, 2> at{0.5f, 0.3f};
  const double gap = std::abs(double(ctnn::forward(*q, at)[0]) - double(ctnn::forward(*w, at)[0]));
  std::printf("int8: the same answer at %zu of 10000 points; at (0.5, 0.3) |int8 - float| = %.2g, "
              "proven <= %.2g\n", agree, gap, bound);
  // [int8]
  ok &= expect(agree >= 9900 && gap <= bound + 1e-6, "the int8 net strays from the float net");

  std::filesystem::remove(file);
  std::filesystem::remove(dir / "disc_model.hpp");
  std::printf("%s\n", ok ? "tutorial: every step did what the tutorial says" : "tutorial: FAILED");
  return ok ? 0 : 1;
}
