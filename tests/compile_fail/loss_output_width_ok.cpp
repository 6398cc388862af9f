// Twin of loss_output_width_ko.cpp: two classes fit softmax cross-entropy.
#include <ctnn/ctnn.hpp>

using net = ctnn::network<ctnn::input<4>, ctnn::dense<8>, ctnn::relu, ctnn::dense<2>>;
int main() {
  ctnn::parameters<net, float> p;
  ctnn::gradient<net, float> g;
  std::array<float, 4> x{};
  std::array<float, 2> t{};
  return static_cast<int>(ctnn::loss_and_gradient(p, ctnn::softmax_cross_entropy{}, x, t, g));
}
