// Compiling is passing: the gradient law on a small CNN, run by the compiler. A 4 × 4 image through a padded conv (the direct lowering) and a strided one (the patch lowering), a
// max pool and an average pool, to a dense head: every rule of the convolution and pooling ops
// runs in constant evaluation on the scalar architecture, against central differences.
// (c1: 2 × 1 × 3 × 3 + 2, c2: 2 × 2 × 2 × 2, head: 2 × 8 + 2 values.)
#include <ctnn/ctnn.hpp>

namespace {

namespace op = ctnn::op;
using x = op::input<"x", 1, 4, 4>;
using c1 = op::tanh<op::conv2d<"c1", 2, op::kernel<3>, x, op::padding<1>>>;
using p1 = op::max_pool2d<c1, op::kernel<2>, op::stride<1>>;
using c2 = op::conv2d<"c2", 2, op::kernel<2>, p1, op::stride<2>, op::no_bias>;
using y = op::dense<"head", 2, op::flatten<op::avg_pool2d<c2, op::kernel<2>, op::stride<1>, op::padding<1>>>>;
using net = ctnn::graph<ctnn::outputs<y>, ctnn::objective<op::squared_error<y>>>;

constexpr auto parameters = [] {
  ctnn::parameters<net, double> p;
  ctnn::initialize(p, 3);
  for (std::size_t k = 0; k < p.size(); ++k) p[k] += 0.01 * double(k % 5);  // nonzero biases
  return p;
}();
constexpr auto x0 = [] {
  std::array<double, 16> v{};
  for (std::size_t k = 0; k < v.size(); ++k) v[k] = 0.37 * double(k % 11) - 1.6 + 0.013 * double(k);
  return v;
}();
constexpr std::array<double, 2> t{0.25, -0.5};
// Sampled (entries spread evenly over all four blocks and the input) to stay inside clang's
// default budget of constant-evaluation steps.
constexpr ctnn::gradient_check_report report =
    ctnn::gradient_check(parameters, x0, t, {.max_entries = 12});
static_assert(report.checked >= 12, "a sample of parameter and input entries");
static_assert(report.worst_error < 1e-6, "backprop agrees with central differences");

}  // namespace
