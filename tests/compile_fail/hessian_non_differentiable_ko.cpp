// A Hessian-vector product through ctnn::step, which has a value but no derivative (so no second
// derivative either): refused at compile time as the gradient is, naming the layer's position (4).
// expect: gradient_error::layer_at_position<4, ctnn::step ?>::is_not_differentiable
// expect: cannot differentiate through an activation that has no derivative
#include <ctnn/ctnn.hpp>
#include <span>

using net = ctnn::network<ctnn::input<2>, ctnn::dense<3>, ctnn::tanh, ctnn::dense<3>, ctnn::step,
                          ctnn::dense<1>>;

int main() {
  ctnn::parameters<net, double> p{}, u{};
  ctnn::gradient<net, double> hu{};
  static ctnn::hessian_workspace<net, double, 4> hws;
  const double x[2] = {0.5, -0.25}, t[1] = {0.5};
  return ctnn::hessian_vector(p, ctnn::squared_error{}, std::span<const double>(x), std::span<const double>(t), u,
                              hu, hws) > 1e9;
}
