// Twin of loss_activation_ko.cpp: softmax cross-entropy fused with a final softmax.
#include <ctnn/ctnn.hpp>

using net = ctnn::network<ctnn::input<4>, ctnn::dense<8>, ctnn::relu, ctnn::dense<3>, ctnn::softmax>;
int main() {
  ctnn::parameters<net, double> p;
  ctnn::gradient<net, double> g;
  std::array<double, 4> x{};
  std::array<double, 3> t{};
  return static_cast<int>(ctnn::loss_and_gradient(p, ctnn::softmax_cross_entropy{}, x, t, g));
}
