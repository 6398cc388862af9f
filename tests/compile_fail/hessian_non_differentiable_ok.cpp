// Twin of hessian_non_differentiable_ko.cpp: the same product through ctnn::relu, whose derivative
// exists (and whose second derivative is 0 away from its kink), in place of step.
#include <ctnn/ctnn.hpp>
#include <span>

using net = ctnn::network<ctnn::input<2>, ctnn::dense<3>, ctnn::tanh, ctnn::dense<3>, ctnn::relu,
                          ctnn::dense<1>>;

int main() {
  ctnn::parameters<net, double> p{}, u{};
  ctnn::gradient<net, double> hu{};
  static ctnn::hessian_workspace<net, double, 4> hws;
  const double x[2] = {0.5, -0.25}, t[1] = {0.5};
  return ctnn::hessian_vector(p, ctnn::squared_error{}, std::span<const double>(x), std::span<const double>(t), u,
                              hu, hws) > 1e9;
}
