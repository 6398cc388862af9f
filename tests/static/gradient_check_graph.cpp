// Compiling is passing: the gradient law on a DAG, run by the compiler. The graph has a fan-out
// (h read by two nodes), a residual add, concat and slice, a loss on an inner node and a weighted
// objective; its parameters come from ctnn::initialize, which runs in constant evaluation too.
#include <ctnn/ctnn.hpp>

namespace {

namespace op = ctnn::op;
using x = op::input<"x", 3>;
using h = op::tanh<op::dense<"fc1", 4, x>>;
using r = op::add<h, op::sigmoid<op::dense<"fc2", 4, h>>>;
using y = op::dense<"head", 2, op::concat<r, op::slice<x, 0, 2>>>;
using net = ctnn::graph<ctnn::outputs<y>,
                        ctnn::objective<op::add<op::softmax_cross_entropy<y>,
                                                op::scale<op::squared_error<r>, std::ratio<1, 4>>>>>;

constexpr auto parameters = [] {
  ctnn::parameters<net, double> p;
  ctnn::initialize(p, 5);
  for (std::size_t k = 0; k < p.size(); ++k) p[k] += 0.01 * double(k % 7);  // nonzero biases
  return p;
}();
constexpr std::array<double, 3> x0{0.5, -0.25, 1.0};
constexpr std::array<double, 2> t_head{0.3, 0.7};
constexpr std::array<double, 4> t_inner{0.1, 0.2, 0.3, 0.4};
constexpr ctnn::gradient_check_report report = ctnn::gradient_check(parameters, x0, {t_head, t_inner});
static_assert(report.checked == net::parameter_count + 3, "every parameter and input entry");
static_assert(report.worst_error < 1e-6, "backprop agrees with central differences");

}  // namespace
