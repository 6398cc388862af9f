// softmax cross-entropy on a 1-wide output: a softmax over one class is constant.
// expect: needs_at_least_outputs<2>::but_the_network_outputs<1>
// expect: this loss cannot take the network's output width
#include <ctnn/ctnn.hpp>

using net = ctnn::network<ctnn::input<4>, ctnn::dense<8>, ctnn::relu, ctnn::dense<1>>;
int main() {
  ctnn::parameters<net, float> p;
  ctnn::gradient<net, float> g;
  std::array<float, 4> x{};
  std::array<float, 1> t{};
  return static_cast<int>(ctnn::loss_and_gradient(p, ctnn::softmax_cross_entropy{}, x, t, g));
}
