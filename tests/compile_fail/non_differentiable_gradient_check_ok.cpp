// Twin of non_differentiable_gradient_check_ko.cpp: the same net and check with relu, which has
// a derivative, in place of step; the forward pass through step compiles in both.
#include <ctnn/ctnn.hpp>

using net = ctnn::network<ctnn::input<4>, ctnn::dense<8>, ctnn::tanh, ctnn::dense<6>, ctnn::relu,
                          ctnn::dense<1>>;
using step_net = ctnn::network<ctnn::input<4>, ctnn::dense<8>, ctnn::tanh, ctnn::dense<6>,
                               ctnn::step, ctnn::dense<1>>;

template <class Net>
constexpr ctnn::parameters<Net, double> weights() {
  ctnn::parameters<Net, double> p{};
  for (std::size_t k = 0; k < p.size(); ++k) p[k] = 0.01 * double(k % 17) - 0.08;
  return p;
}
constexpr std::array<double, 4> x = {0.5, -0.25, 1.0, 0.75};
constexpr std::array<double, 1> t = {0.5};

static_assert(ctnn::forward(weights<step_net>(), x)[0] != 12345.0);
constexpr auto report = ctnn::gradient_check(weights<net>(), ctnn::squared_error{}, x, t);
static_assert(report.worst_error < 1e-6);

int main() { return 0; }
