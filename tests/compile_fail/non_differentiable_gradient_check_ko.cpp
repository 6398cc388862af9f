// A gradient check through ctnn::step, which has a value but no derivative: refused at compile
// time, naming the layer's position (4) and the activation. Its forward pass is fine.
// expect: gradient_error::layer_at_position<4, ctnn::step ?>::is_not_differentiable
// expect: cannot differentiate through an activation that has no derivative
// expect: use it only in forward passes
#include <ctnn/ctnn.hpp>

using net = ctnn::network<ctnn::input<4>, ctnn::dense<8>, ctnn::tanh, ctnn::dense<6>, ctnn::step,
                          ctnn::dense<1>>;

template <class Net>
constexpr ctnn::parameters<Net, double> weights() {
  ctnn::parameters<Net, double> p{};
  for (std::size_t k = 0; k < p.size(); ++k) p[k] = 0.01 * double(k % 17) - 0.08;
  return p;
}
constexpr std::array<double, 4> x = {0.5, -0.25, 1.0, 0.75};
constexpr std::array<double, 1> t = {0.5};

static_assert(ctnn::forward(weights<net>(), x)[0] != 12345.0);  // forward through step compiles
constexpr auto report = ctnn::gradient_check(weights<net>(), ctnn::squared_error{}, x, t);
static_assert(report.worst_error < 1e-6);

int main() { return 0; }
