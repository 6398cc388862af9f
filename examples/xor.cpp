// XOR: the smallest problem a linear model cannot solve. Trains a 2-8-1 network with plain
// full-batch gradient descent and prints the learned truth table.
//
// Usage: xor [--steps N] [--lr X] [--seed S]

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctnn/ctnn.hpp>
#include <string>

// [network]
using xor_net = ctnn::network<ctnn::input<2>, ctnn::dense<8>, ctnn::tanh, ctnn::dense<1>, ctnn::sigmoid>;
// [network]

namespace {

struct options {
  int steps = 2000;
  float learning_rate = 0.5f;
  unsigned long long seed = 1;
};

options parse(int argc, char** argv) {
  options o;
  for (int k = 1; k < argc; ++k) {
    const bool has_value = k + 1 < argc;
    if (std::strcmp(argv[k], "--steps") == 0 && has_value) o.steps = std::atoi(argv[++k]);
    else if (std::strcmp(argv[k], "--lr") == 0 && has_value) o.learning_rate = std::strtof(argv[++k], nullptr);
    else if (std::strcmp(argv[k], "--seed") == 0 && has_value) o.seed = std::strtoull(argv[++k], nullptr, 10);
    else {
      std::fprintf(stderr, "xor: unknown or incomplete option '%s'\nusage: xor [--steps N] [--lr X] [--seed S]\n", argv[k]);
      std::exit(2);
    }
  }
  if (o.steps <= 0 || !(o.learning_rate > 0.0f)) {
    std::fprintf(stderr, "xor: --steps and --lr must be positive\n");
    std::exit(2);
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const options opt = parse(argc, argv);

  // [train]
  const std::array<float, 8> inputs = {0, 0, 0, 1, 1, 0, 1, 1};
  const std::array<float, 4> targets = {0, 1, 1, 0};

  ctnn::parameters<xor_net, float> p;
  ctnn::initialize(p, opt.seed);
  ctnn::gradient<xor_net, float> g;
  ctnn::workspace<xor_net, float> ws;

  float loss = 0;
  for (int step = 0; step < opt.steps; ++step) {
    loss = ctnn::loss_and_gradient_batch(p, ctnn::binary_cross_entropy{}, inputs, targets, g, ws);
    for (std::size_t k = 0; k < p.size(); ++k) p[k] -= opt.learning_rate * g[k];
    if (step % (opt.steps / 5 > 0 ? opt.steps / 5 : 1) == 0)
      std::printf("step %5d  loss %.6f\n", step, static_cast<double>(loss));
  }
  // [train]

  std::printf("step %5d  loss %.6f\n\n  x1 x2 | target  output\n", opt.steps, static_cast<double>(loss));
  int correct = 0;
  for (int s = 0; s < 4; ++s) {
    const auto y = ctnn::forward(p, std::array<float, 2>{inputs[2 * s], inputs[2 * s + 1]});
    correct += (y[0] > 0.5f) == (targets[s] > 0.5f);
    std::printf("  %2.0f %2.0f | %6.0f  %6.4f\n", static_cast<double>(inputs[2 * s]),
                static_cast<double>(inputs[2 * s + 1]), static_cast<double>(targets[s]),
                static_cast<double>(y[0]));
  }
  std::printf("\n%d/4 correct, %zu parameters, SIMD: %s\n", correct, p.size(),
              ctnn::simd_enabled ? "on" : "off");
  return correct == 4 ? 0 : 1;
}
