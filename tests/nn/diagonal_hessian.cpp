// The diagonal of the Hessian (nn/diagonal_hessian.hpp): second-order backpropagation against the
// exact diagonal e_kᵀ H e_k (hessian_vector, itself checked against differences of the gradient
// in nn/hessian). Where the seed's recursion is exact (one dense layer, any activation and loss;
// two layers ending in a loss whose Hessian is diagonal there) the two agree to rounding; on a
// three-layer net the first layer's entries differ (the dropped cross terms), while the last
// layer's still agree.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <ctnn/ctnn.hpp>
#include <ctnn/nn/diagonal_hessian.hpp>
#include <memory>
#include <vector>

namespace {

template <class Net, class Loss>
struct comparison {
  std::unique_ptr<ctnn::gradient<Net, double>> approx = std::make_unique<ctnn::gradient<Net, double>>();
  std::unique_ptr<ctnn::gradient<Net, double>> exact = std::make_unique<ctnn::gradient<Net, double>>();
  double largest = 0;

  explicit comparison(bool one_hot) {
    constexpr std::size_t n = 9, I = Net::input_size, O = Net::output_size;
    std::vector<double> x(n * I), t(n * O, 0.0);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.9 * double(i) + 0.2);
    for (std::size_t s = 0; s < n; ++s)
      for (std::size_t o = 0; o < O; ++o) t[s * O + o] = one_hot ? double(o == s % O) : std::cos(double(s) + 0.5 * double(o));
    auto p = std::make_unique<ctnn::parameters<Net, double>>();
    ctnn::initialize(*p, 4);
    for (std::size_t k = 0; k < p->size(); ++k) (*p)[k] += 0.1 * std::sin(1.3 * double(k));
    ctnn::diagonal_hessian(*p, Loss{}, x, t, *approx);
    auto hws = std::make_unique<ctnn::hessian_workspace<Net, double>>();
    ctnn::exact_diagonal_hessian(*p, Loss{}, x, t, *exact, *hws);
    for (std::size_t k = 0; k < p->size(); ++k) largest = std::max(largest, std::abs((*exact)[k]));
  }
  double difference(std::size_t from, std::size_t to) const {
    double worst = 0;
    for (std::size_t k = from; k < to; ++k) worst = std::max(worst, std::abs((*approx)[k] - (*exact)[k]));
    return worst;
  }
};

template <class Net, class Loss>
void check_exact(bool one_hot) {
  const comparison<Net, Loss> c(one_hot);
  CHECK(c.largest > 1e-2);
  CHECK(c.difference(0, Net::parameter_count) <= 1e-13 * c.largest);
}

}  // namespace

TEST_CASE("one dense layer: second-order backpropagation gives the exact diagonal, for every loss") {
  check_exact<ctnn::network<ctnn::input<3>, ctnn::dense<4>, ctnn::tanh>, ctnn::squared_error>(false);
  check_exact<ctnn::network<ctnn::input<3>, ctnn::dense<4>, ctnn::gelu>, ctnn::squared_error>(false);
  check_exact<ctnn::network<ctnn::input<3>, ctnn::dense<4>, ctnn::softmax>, ctnn::softmax_cross_entropy>(true);
  check_exact<ctnn::network<ctnn::input<3>, ctnn::dense<4>>, ctnn::softmax_cross_entropy>(true);
  check_exact<ctnn::network<ctnn::input<3>, ctnn::dense<2>, ctnn::sigmoid>, ctnn::binary_cross_entropy>(true);
}

TEST_CASE("two layers with squared error on a linear output: still exact (its Hessian is diagonal there)") {
  check_exact<ctnn::network<ctnn::input<3>, ctnn::dense<5>, ctnn::mish, ctnn::dense<2>>, ctnn::squared_error>(false);
}

TEST_CASE("three layers: the first layer's entries are approximate, the last layer's exact") {
  using net = ctnn::network<ctnn::input<3>, ctnn::dense<5>, ctnn::tanh, ctnn::dense<4>, ctnn::softplus, ctnn::dense<2>,
                            ctnn::softmax>;
  const comparison<net, ctnn::softmax_cross_entropy> c(true);
  const std::size_t first = 3 * 5 + 5, last = net::parameter_count - (4 * 2 + 2);
  CHECK(c.difference(0, first) > 1e-6 * c.largest);
  CHECK(c.difference(last, net::parameter_count) <= 1e-13 * c.largest);
}
