// Compiling is passing: backprop agrees with central differences, evaluated by the compiler,
// for every activation and every loss (ctnn::gradient_check in double; see nn/gradient_check.hpp).
#include <array>
#include <cstdint>
#include <ctnn/ctnn.hpp>

namespace {

// Deterministic, sign-mixed values in [-scale, scale] without a random generator.
template <class Net>
constexpr ctnn::parameters<Net, double> parameters_from(std::uint64_t seed, double scale) {
  ctnn::parameters<Net, double> p{};
  for (std::size_t k = 0; k < p.size(); ++k) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    p[k] = (static_cast<double>(seed >> 40) / 16777216.0 * 2.0 - 1.0) * scale;
  }
  return p;
}

template <class Activation, class Loss, std::size_t Outputs = 3>
constexpr double worst_error() {
  using net = ctnn::network<ctnn::input<4>, ctnn::dense<5>, Activation, ctnn::dense<Outputs>>;
  const auto p = parameters_from<net>(7, 0.8);
  const std::array<double, 4> x{0.3, -0.9, 0.45, 1.2};
  std::array<double, Outputs> t{};
  t[1] = 1.0;  // a one-hot target fits every loss
  return ctnn::gradient_check(p, Loss{}, x, t).worst_error;
}

// Hidden activations, each through the δ recursion into an affine output with squared error.
static_assert(worst_error<ctnn::identity, ctnn::squared_error>() < 1e-6);
static_assert(worst_error<ctnn::sigmoid, ctnn::squared_error>() < 1e-6);
static_assert(worst_error<ctnn::tanh, ctnn::squared_error>() < 1e-6);
static_assert(worst_error<ctnn::relu, ctnn::squared_error>() < 1e-6);
static_assert(worst_error<ctnn::leaky_relu<>, ctnn::squared_error>() < 1e-6);
static_assert(worst_error<ctnn::leaky_relu<std::ratio<1, 5>>, ctnn::squared_error>() < 1e-6);
static_assert(worst_error<ctnn::elu<>, ctnn::squared_error>() < 1e-6);
static_assert(worst_error<ctnn::elu<std::ratio<1, 2>>, ctnn::squared_error>() < 1e-6);
static_assert(worst_error<ctnn::softplus, ctnn::squared_error>() < 1e-6);
static_assert(worst_error<ctnn::swish, ctnn::squared_error>() < 1e-6);
static_assert(worst_error<ctnn::mish, ctnn::squared_error>() < 1e-6);
static_assert(worst_error<ctnn::gelu, ctnn::squared_error>() < 1e-6);
static_assert(worst_error<ctnn::softmax, ctnn::squared_error>() < 1e-6);

// Losses, on logits and fused with their activation.
template <class Last, class Loss>
constexpr double loss_error() {
  using net = ctnn::network<ctnn::input<4>, ctnn::dense<6>, ctnn::tanh, ctnn::dense<3>, Last>;
  const auto p = parameters_from<net>(11, 1.5);
  const std::array<double, 4> x{-0.2, 0.7, 1.1, -1.4};
  const std::array<double, 3> t{0.0, 0.0, 1.0};
  return ctnn::gradient_check(p, Loss{}, x, t).worst_error;
}
static_assert(loss_error<ctnn::identity, ctnn::squared_error>() < 1e-6);
static_assert(loss_error<ctnn::sigmoid, ctnn::squared_error>() < 1e-6);
static_assert(loss_error<ctnn::identity, ctnn::softmax_cross_entropy>() < 1e-6);
static_assert(loss_error<ctnn::softmax, ctnn::softmax_cross_entropy>() < 1e-6);
static_assert(loss_error<ctnn::identity, ctnn::binary_cross_entropy>() < 1e-6);
static_assert(loss_error<ctnn::sigmoid, ctnn::binary_cross_entropy>() < 1e-6);

// Sanity of the comparison itself: two losses with different gradients are far apart, so a wrong
// gradient cannot hide under the tolerance above.
constexpr double gap_between_losses() {
  using net = ctnn::network<ctnn::input<2>, ctnn::dense<2>, ctnn::sigmoid>;
  const auto p = parameters_from<net>(3, 1.0);
  const std::array<double, 2> x{0.5, -0.5};
  const std::array<double, 2> t{1.0, 0.0};
  ctnn::gradient<net, double> squared{}, cross_entropy{};
  ctnn::loss_and_gradient(p, ctnn::squared_error{}, x, t, squared);
  ctnn::loss_and_gradient(p, ctnn::binary_cross_entropy{}, x, t, cross_entropy);
  double gap = 0;
  for (std::size_t k = 0; k < p.size(); ++k) {
    const double d = squared[k] - cross_entropy[k];
    gap = d > gap ? d : (-d > gap ? -d : gap);
  }
  return gap;
}
static_assert(gap_between_losses() > 1e-2);

// Where the worst entry is reported: the report names a valid parameter or input index.
constexpr auto report = [] {
  using net = ctnn::network<ctnn::input<3>, ctnn::dense<4>, ctnn::tanh, ctnn::dense<2>>;
  const auto p = parameters_from<net>(5, 0.5);
  return ctnn::gradient_check(p, ctnn::squared_error{}, std::array<double, 3>{1, 2, 3},
                              std::array<double, 2>{0.5, -0.5});
}();
static_assert(report.checked == 3 * 4 + 4 + 4 * 2 + 2 + 3);
static_assert(report.worst_at_input ? report.worst_index < 3 : report.worst_index < 26);

}  // namespace
