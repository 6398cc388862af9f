#pragma once
// Shared by the three translation units of the link test 'hygiene/odr' (see odr_main.cpp).

#include <array>
#include <ctnn/ctnn.hpp>
#include <vector>

namespace odr {

using net = ctnn::network<ctnn::input<3>, ctnn::dense<4>, ctnn::tanh, ctnn::dense<2>>;

// What one translation unit computed for the same network, seed and sample.
struct outcome {
  std::vector<float> parameters, output, gradient, input_gradient;
  float loss = 0;
  friend bool operator==(const outcome&, const outcome&) = default;
};

// Instantiates initialize, forward and loss_and_gradient in the translation unit that calls it.
inline outcome run_network() {
  ctnn::parameters<net, float> p;
  ctnn::initialize(p, /*seed=*/7);
  const std::array<float, 3> x{0.5f, -1.0f, 0.25f};
  const std::array<float, 2> target{0.3f, -0.7f};
  ctnn::gradient<net, float> g;
  std::array<float, 3> dx{};

  outcome r;
  const auto y = ctnn::forward(p, x);
  r.loss = ctnn::loss_and_gradient(p, ctnn::squared_error{}, x, target, g, dx);
  r.parameters.assign(p.values.begin(), p.values.end());
  r.output.assign(y.begin(), y.end());
  r.gradient.assign(g.values.begin(), g.values.end());
  r.input_gradient.assign(dx.begin(), dx.end());
  return r;
}

outcome run_in_a();  // odr_a.cpp
outcome run_in_b();  // odr_b.cpp

}  // namespace odr
