// The machine code behind a 784-128-10 network: three entry points with plain (extern "C") names
// that scripts/asm.sh disassembles and summarises (instruction count, SIMD share and widths,
// calls, allocations; see docs/assembly.md):
//
//   ctnn_forward_784_128_10    forward pass of one tile of 32 samples
//   ctnn_gradient_784_128_10   mean softmax cross-entropy of the tile and its gradient
//   ctnn_inference_784_128_10  one sample from ctnn::inference_weights (the inference layout)
//
// The batch ones work on exactly one tile, so the sizes the batch passes check at run time are
// constants here and the checks fold away. main() runs all three once on seeded data and compares
// them with a naive evaluation in double written below (plain loops, the textbook formulas), and
// exits non-zero if they disagree; it is run as the test example/assembly.
//
// Usage: assembly

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <ctnn/ctnn.hpp>
#include <memory>
#include <span>
#include <vector>

// [network]
using mnist_net = ctnn::network<ctnn::input<784>, ctnn::dense<128>, ctnn::relu, ctnn::dense<10>>;
// [network]

namespace {
constexpr std::size_t tile = 32;
constexpr std::size_t in = 784, hidden = 128, out = 10;
}  // namespace

using mnist_parameters = ctnn::parameters<mnist_net, float>;
using mnist_workspace = ctnn::workspace<mnist_net, float, tile>;

// [entry_points]
// output (32×10) = network(input (32×784)).
extern "C" [[gnu::noinline]] void ctnn_forward_784_128_10(const mnist_parameters* parameters,
                                                          const float* input, float* output,
                                                          mnist_workspace* workspace) {
  ctnn::forward_batch(*parameters, std::span<const float>(input, tile * in),
                      std::span<float>(output, tile * out), *workspace);
}

// Returns the mean loss over the 32 samples; gradient receives its gradient.
extern "C" [[gnu::noinline]] float ctnn_gradient_784_128_10(const mnist_parameters* parameters,
                                                            const float* input,
                                                            const float* target,
                                                            mnist_parameters* gradient,
                                                            mnist_workspace* workspace) {
  return ctnn::loss_and_gradient_batch(*parameters, ctnn::softmax_cross_entropy{},
                                       std::span<const float>(input, tile * in),
                                       std::span<const float>(target, tile * out), *gradient,
                                       *workspace);
}

using mnist_inference = ctnn::inference_weights<mnist_net, float>;

// output (10) = network(input (784)) for one sample.
extern "C" [[gnu::noinline]] void ctnn_inference_784_128_10(const mnist_inference* weights,
                                                            const float* input, float* output) {
  ctnn::forward(*weights, std::span<const float, in>(input, in), std::span<float, out>(output, out));
}
// [entry_points]

namespace {

// ---- the naive evaluation, in double ------------------------------------------------------------

struct naive_pass {
  std::vector<double> z1, a1, z2;  // per sample: hidden pre-activation and activation, logits
};

naive_pass naive_forward(const std::vector<double>& p, const std::vector<double>& x) {
  const double* w1 = p.data();
  const double* b1 = w1 + hidden * in;
  const double* w2 = b1 + hidden;
  const double* b2 = w2 + out * hidden;
  naive_pass r{std::vector<double>(tile * hidden), std::vector<double>(tile * hidden),
               std::vector<double>(tile * out)};
  for (std::size_t s = 0; s < tile; ++s) {
    for (std::size_t h = 0; h < hidden; ++h) {
      double sum = b1[h];
      for (std::size_t i = 0; i < in; ++i) sum += w1[h * in + i] * x[s * in + i];
      r.z1[s * hidden + h] = sum;
      r.a1[s * hidden + h] = sum > 0 ? sum : 0.0;
    }
    for (std::size_t o = 0; o < out; ++o) {
      double sum = b2[o];
      for (std::size_t h = 0; h < hidden; ++h) sum += w2[o * hidden + h] * r.a1[s * hidden + h];
      r.z2[s * out + o] = sum;
    }
  }
  return r;
}

// Mean over samples of -Σ t log softmax(z).
double naive_loss(const std::vector<double>& z2, const std::vector<double>& t) {
  double total = 0;
  for (std::size_t s = 0; s < tile; ++s) {
    double m = z2[s * out];
    for (std::size_t o = 1; o < out; ++o) m = std::max(m, z2[s * out + o]);
    double sum = 0;
    for (std::size_t o = 0; o < out; ++o) sum += std::exp(z2[s * out + o] - m);
    for (std::size_t o = 0; o < out; ++o) total -= t[s * out + o] * (z2[s * out + o] - m - std::log(sum));
  }
  return total / double(tile);
}

double relative_error(double a, double b) {
  return std::abs(a - b) / std::max({std::abs(a), std::abs(b), 1e-3});
}

}  // namespace

int main() {
  // ~400 KiB each: on the heap, once, outside the entry points.
  auto p = std::make_unique<mnist_parameters>();
  auto g = std::make_unique<mnist_parameters>();
  auto ws = std::make_unique<mnist_workspace>();
  ctnn::initialize(*p, 2024);
  // Non-zero biases, so that they take part in the comparison.
  for (std::size_t h = 0; h < hidden; ++h) p->layer<0>().bias(h) = 0.01f * float(int(h % 7) - 3);
  for (std::size_t o = 0; o < out; ++o) p->layer<1>().bias(o) = 0.02f * float(int(o) - 5);

  std::vector<float> x(tile * in), t(tile * out, 0.0f), y(tile * out);
  for (std::size_t k = 0; k < x.size(); ++k)
    x[k] = float(0.5 + 0.5 * std::sin(0.013 * double(k) + 0.7));  // pixel-like values in [0, 1]
  for (std::size_t s = 0; s < tile; ++s) t[s * out + (s * 7) % out] = 1.0f;  // one-hot labels

  ctnn_forward_784_128_10(p.get(), x.data(), y.data(), ws.get());
  const auto frozen = std::make_unique<mnist_inference>(*p);
  std::array<float, out> y_one{};
  ctnn_inference_784_128_10(frozen.get(), x.data() + in, y_one.data());  // the tile's sample 1
  const float loss = ctnn_gradient_784_128_10(p.get(), x.data(), t.data(), g.get(), ws.get());

  std::vector<double> pd(p->size()), xd(x.begin(), x.end()), td(t.begin(), t.end());
  for (std::size_t k = 0; k < p->size(); ++k) pd[k] = double((*p)[k]);
  const naive_pass reference = naive_forward(pd, xd);
  const double reference_loss = naive_loss(reference.z2, td);

  double worst_output = 0;
  for (std::size_t k = 0; k < y.size(); ++k)
    worst_output = std::max(worst_output, relative_error(double(y[k]), reference.z2[k]));
  double worst_inference = 0;
  for (std::size_t o = 0; o < out; ++o)
    worst_inference = std::max(worst_inference, relative_error(double(y_one[o]), reference.z2[out + o]));

  // Gradient entries against central differences of the naive loss, spread over both layers
  // (first weights, a bias, second-layer weights and biases).
  const std::array<std::size_t, 8> probes = {0, 784 * 64 + 400, 784 * 128 - 1, 784 * 128 + 5,
                                             784 * 128 + 128, 784 * 128 + 128 + 640,
                                             784 * 128 + 128 + 1279, 784 * 128 + 128 + 1285};
  double worst_gradient = 0;
  for (std::size_t k : probes) {
    const double saved = pd[k], h = 1e-4;
    pd[k] = saved + h;
    const double up = naive_loss(naive_forward(pd, xd).z2, td);
    pd[k] = saved - h;
    const double down = naive_loss(naive_forward(pd, xd).z2, td);
    pd[k] = saved;
    const double fd = (up - down) / (2 * h);
    worst_gradient = std::max(worst_gradient, relative_error(double((*g)[k]), fd));
  }

  double gradient_sum = 0;
  for (std::size_t k = 0; k < g->size(); ++k) gradient_sum += double((*g)[k]);
  std::printf("assembly: 784-128-10, one tile of %zu samples\n", tile);
  std::printf("  output[0][0..2] = %.6f %.6f %.6f\n", double(y[0]), double(y[1]), double(y[2]));
  std::printf("  mean loss %.6f (naive, double: %.6f)\n", double(loss), reference_loss);
  std::printf("  sum of the gradient %.6e over %zu parameters\n", gradient_sum, g->size());
  std::printf("  worst relative error: outputs %.2e, loss %.2e, gradient (8 entries) %.2e, "
              "one sample from the inference layout %.2e\n",
              worst_output, relative_error(double(loss), reference_loss), worst_gradient,
              worst_inference);

  const bool ok = worst_output < 1e-4 && relative_error(double(loss), reference_loss) < 1e-5 &&
                  worst_gradient < 1e-3 && worst_inference < 1e-4;
  std::printf("%s\n", ok ? "ok" : "MISMATCH");
  return ok ? 0 : 1;
}
