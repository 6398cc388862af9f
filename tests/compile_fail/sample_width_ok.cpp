// The twin of sample_width_ko.cpp with a sample of the right width: it compiles.
#include <array>
#include <ctnn/inference.hpp>
using net = ctnn::network<ctnn::input<2>, ctnn::dense<8>, ctnn::tanh, ctnn::dense<1>, ctnn::sigmoid>;
int main() {
  ctnn::parameters<net, float> p;
  ctnn::initialize(p, 1);
  const auto y = ctnn::forward(p, std::array<float, 2>{0.f, 1.f});
  return static_cast<int>(y[0]);
}
