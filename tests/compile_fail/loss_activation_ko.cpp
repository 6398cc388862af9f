// softmax cross-entropy takes logits or a final softmax; after tanh it would compute nonsense.
// expect: loss<ctnn::softmax_cross_entropy ?>::cannot_follow_activation<ctnn::tanh ?>::at_layer_position<4>
// expect: this loss cannot take the output of the network's last activation
#include <ctnn/ctnn.hpp>

using net = ctnn::network<ctnn::input<4>, ctnn::dense<8>, ctnn::relu, ctnn::dense<3>, ctnn::tanh>;
int main() {
  ctnn::parameters<net, double> p;
  ctnn::gradient<net, double> g;
  std::array<double, 4> x{};
  std::array<double, 3> t{};
  return static_cast<int>(ctnn::loss_and_gradient(p, ctnn::softmax_cross_entropy{}, x, t, g));
}
