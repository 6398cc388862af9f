// Hessian-vector products (nn/hessian.hpp): H·u against Richardson-extrapolated central
// differences of the gradient (loss_and_gradient_batch in double, an independent computation: the
// SIMD reverse pass, not the dual one), on a chain through every smooth activation and on a
// two-input, two-loss DAG with every op kind; the Hessian's symmetry (uᵀHv = vᵀHu, and the whole
// Hessian of a small net assembled from H·eᵢ); float against double; the gradient it returns
// against loss_and_gradient_batch; its contract; and no allocation. This binary replaces operator
// new (support/counting_new.hpp).

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <ctnn/ctnn.hpp>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "../support/contract_message.hpp"
#include "../support/counting_new.hpp"
#include "curvature_data.hpp"
#include "two_head_dag.hpp"

namespace {

using namespace curvature_test;

// A chain through every activation with a second derivative (and softmax), squared error.
using chain = ctnn::network<ctnn::input<5>, ctnn::dense<7>, ctnn::tanh, ctnn::dense<6>, ctnn::gelu,
                            ctnn::dense<6>, ctnn::mish, ctnn::dense<5>, ctnn::softplus, ctnn::dense<5>,
                            ctnn::swish, ctnn::dense<4>, ctnn::sigmoid, ctnn::dense<4>, ctnn::softmax,
                            ctnn::dense<3>>;
// The same shapes' classifier: softmax with cross-entropy (fused: δz = p − t, its derivative the
// softmax Jacobian).
using classifier = ctnn::network<ctnn::input<5>, ctnn::dense<8>, ctnn::tanh, ctnn::dense<4>, ctnn::softmax>;
using dag = two_head_dag::net;

struct dag_data {
  std::size_t n;
  std::vector<double> x, u, t1, t2;
  explicit dag_data(std::size_t samples)
      : n(samples), x(wave<double>(19 * n, 0.4)), u(wave<double>(5 * n, 2.1)), t1(one_hot<double>(n, 10)) {
    for (std::size_t i = 0; i < 3 * n; ++i) t2.push_back(i % 4 == 1 ? 1.0 : 0.0);
  }
  template <class T>
  std::vector<T> as(const std::vector<double>& v) const {
    return std::vector<T>(v.begin(), v.end());
  }
};

// A problem: the gradient of the mean objective at p (in double), and H·u at p (in T).
struct chain_problem {
  std::vector<double> x = wave<double>(5 * 9, 0.2), t = wave<double>(3 * 9, 1.3);
  template <class T>
  static auto gradient(const ctnn::parameters<chain, T>& p, const std::vector<T>& x, const std::vector<T>& t) {
    auto g = std::make_unique<ctnn::gradient<chain, T>>();
    auto ws = std::make_unique<ctnn::workspace<chain, T>>();
    ctnn::loss_and_gradient_batch(p, ctnn::squared_error{}, x, t, *g, *ws);
    return g;
  }
};

// Richardson-extrapolated central difference of the gradient along u:
// (4·D(h/2) − D(h)) / 3 with D(h) = (∇C(p + h·u) − ∇C(p − h·u)) / 2h; error O(h⁴). h is small
// (10⁻⁶) because the DAG has a ReLU: a larger step may carry some pre-activation across 0, where
// the gradient jumps (at h = 10⁻⁴ one does, and the difference is off by 20).
template <class Net, class Gradient>
std::vector<double> gradient_difference(const ctnn::parameters<Net, double>& p,
                                        const ctnn::parameters<Net, double>& u, Gradient gradient_at) {
  const auto central = [&](double h) {
    auto q = std::make_unique<ctnn::parameters<Net, double>>();
    for (std::size_t k = 0; k < p.size(); ++k) (*q)[k] = p[k] + h * u[k];
    const auto plus = gradient_at(*q);
    for (std::size_t k = 0; k < p.size(); ++k) (*q)[k] = p[k] - h * u[k];
    const auto minus = gradient_at(*q);
    std::vector<double> d(p.size());
    for (std::size_t k = 0; k < p.size(); ++k) d[k] = ((*plus)[k] - (*minus)[k]) / (2 * h);
    return d;
  };
  const auto coarse = central(2e-6), fine = central(1e-6);
  std::vector<double> d(p.size());
  for (std::size_t k = 0; k < p.size(); ++k) d[k] = (4 * fine[k] - coarse[k]) / 3;
  return d;
}

}  // namespace

TEST_CASE("H·u of a chain through every smooth activation matches differences of the gradient") {
  const chain_problem prob;
  const auto p = make_parameters<chain, double>(7, 0.05);
  const auto u = make_parameters<chain, double>(8, 0.3);
  auto hu = std::make_unique<ctnn::gradient<chain, double>>();
  auto g = std::make_unique<ctnn::gradient<chain, double>>();
  auto hws = std::make_unique<ctnn::hessian_workspace<chain, double>>();
  const double loss = ctnn::hessian_vector(*p, ctnn::squared_error{}, prob.x, prob.t, *u, *hu, *hws, g.get());
  const auto reference = gradient_difference<chain>(
      *p, *u, [&](const auto& q) { return chain_problem::gradient<double>(q, prob.x, prob.t); });
  CHECK(relative_error(*hu, reference) < 1e-6);
  // A non-trivial product (a Hessian of zero would pass the comparison with a zero reference).
  CHECK(*std::max_element(reference.begin(), reference.end()) > 1e-3);

  // The loss and the gradient it returns are loss_and_gradient_batch's.
  auto ws = std::make_unique<ctnn::workspace<chain, double>>();
  auto g_ref = std::make_unique<ctnn::gradient<chain, double>>();
  const double loss_ref = ctnn::loss_and_gradient_batch(*p, ctnn::squared_error{}, prob.x, prob.t, *g_ref, *ws);
  CHECK(loss == doctest::Approx(loss_ref).epsilon(1e-12));
  CHECK(relative_error(*g, *g_ref) < 1e-12);
}

TEST_CASE("H·u of softmax with cross-entropy (fused into δz = p − t) matches differences of the gradient") {
  const auto x = wave<double>(5 * 6, 0.5);
  const auto t = one_hot<double>(6, 4);
  const auto p = make_parameters<classifier, double>(3, 0.1);
  const auto u = make_parameters<classifier, double>(4, 0.2);
  auto hu = std::make_unique<ctnn::gradient<classifier, double>>();
  auto hws = std::make_unique<ctnn::hessian_workspace<classifier, double>>();
  ctnn::hessian_vector(*p, ctnn::softmax_cross_entropy{}, x, t, *u, *hu, *hws);
  const auto reference = gradient_difference<classifier>(*p, *u, [&](const auto& q) {
    auto g = std::make_unique<ctnn::gradient<classifier, double>>();
    auto ws = std::make_unique<ctnn::workspace<classifier, double>>();
    ctnn::loss_and_gradient_batch(q, ctnn::softmax_cross_entropy{}, x, t, *g, *ws);
    return g;
  });
  CHECK(relative_error(*hu, reference) < 1e-6);
}

TEST_CASE("H·u of a DAG (two inputs, shared block, residual, mul, softmax, concat/slice, stop_gradient, "
          "two losses) matches differences of the gradient; float agrees") {
  const dag_data data(37);  // two tiles of 32
  const auto p = make_parameters<dag, double>(11, 0.05);
  const auto u = make_parameters<dag, double>(12, 0.3);
  const auto run = [&]<class T>(const ctnn::parameters<dag, T>& pt, const ctnn::parameters<dag, T>& ut,
                                ctnn::gradient<dag, T>& hu) {
    const auto x = data.as<T>(data.x), xu = data.as<T>(data.u), t1 = data.as<T>(data.t1), t2 = data.as<T>(data.t2);
    auto hws = std::make_unique<ctnn::hessian_workspace<dag, T>>();
    return ctnn::hessian_vector(pt, {std::span<const T>(x), std::span<const T>(xu)},
                                {std::span<const T>(t1), std::span<const T>(t2)}, ut, hu, *hws);
  };
  auto hu = std::make_unique<ctnn::gradient<dag, double>>();
  run(*p, *u, *hu);
  const auto reference = gradient_difference<dag>(*p, *u, [&](const auto& q) {
    auto g = std::make_unique<ctnn::gradient<dag, double>>();
    auto ws = std::make_unique<ctnn::workspace<dag, double>>();
    ctnn::loss_and_gradient_batch(q, {std::span<const double>(data.x), std::span<const double>(data.u)},
                                  {std::span<const double>(data.t1), std::span<const double>(data.t2)}, *g,
                                  *ws);
    return g;
  });
  CHECK(relative_error(*hu, reference) < 1e-6);

  // The frozen branch (behind stop_gradient) gets no curvature: its block's row of H is 0.
  for (std::size_t b = 0; b < dag::block_count; ++b)
    if (dag::block_owner(b) == "frozen")
      for (std::size_t k = dag::layout::offset[b]; k < dag::layout::offset[b + 1]; ++k) CHECK((*hu)[k] == 0.0);

  auto pf = std::make_unique<ctnn::parameters<dag, float>>(), uf = std::make_unique<ctnn::parameters<dag, float>>();
  for (std::size_t k = 0; k < p->size(); ++k) (*pf)[k] = float((*p)[k]), (*uf)[k] = float((*u)[k]);
  auto huf = std::make_unique<ctnn::gradient<dag, float>>();
  run(*pf, *uf, *huf);
  CHECK(relative_error(*huf, *hu) < 1e-4);
}

TEST_CASE("the Hessian is symmetric: uᵀHv = vᵀHu on the DAG, and H assembled from H·eᵢ on a small net") {
  const dag_data data(5);
  const auto p = make_parameters<dag, double>(21, 0.05);
  const auto u = make_parameters<dag, double>(22, 0.3);
  const auto v = make_parameters<dag, double>(23, 0.3);
  // Parameters behind a stop_gradient are constants to the gradient, so H·u is the Jacobian of a
  // gradient without their rows: symmetric on the other parameters. Directions leave them out.
  for (std::size_t b = 0; b < dag::block_count; ++b)
    if (dag::block_owner(b) == "frozen")
      for (std::size_t k = dag::layout::offset[b]; k < dag::layout::offset[b + 1]; ++k) (*u)[k] = (*v)[k] = 0;
  auto hu = std::make_unique<ctnn::gradient<dag, double>>(), hv = std::make_unique<ctnn::gradient<dag, double>>();
  auto hws = std::make_unique<ctnn::hessian_workspace<dag, double>>();
  const std::array<std::span<const double>, 2> x{std::span<const double>(data.x), std::span<const double>(data.u)};
  const std::array<std::span<const double>, 2> t{std::span<const double>(data.t1), std::span<const double>(data.t2)};
  ctnn::hessian_vector(*p, x, t, *u, *hu, *hws);
  ctnn::hessian_vector(*p, x, t, *v, *hv, *hws);
  const double uhv = dot(*u, *hv), vhu = dot(*v, *hu);
  CHECK(std::abs(uhv - vhu) <= 1e-12 * std::max(1.0, std::abs(uhv)));
  CHECK(std::abs(uhv) > 1e-3);

  using small = ctnn::network<ctnn::input<3>, ctnn::dense<4>, ctnn::tanh, ctnn::dense<2>, ctnn::softmax>;
  constexpr std::size_t P = small::parameter_count;
  const auto ps = make_parameters<small, double>(5, 0.2);
  const auto xs = wave<double>(3 * 4, 0.1);
  const auto ts = one_hot<double>(4, 2);
  auto hws_small = std::make_unique<ctnn::hessian_workspace<small, double>>();
  std::vector<double> H(P * P);
  ctnn::parameters<small, double> e{};
  ctnn::gradient<small, double> column{};
  for (std::size_t i = 0; i < P; ++i) {
    e[i] = 1;
    ctnn::hessian_vector(*ps, ctnn::squared_error{}, xs, ts, e, column, *hws_small);
    e[i] = 0;
    for (std::size_t j = 0; j < P; ++j) H[j * P + i] = column[j];
  }
  double asymmetry = 0, size = 0;
  for (std::size_t i = 0; i < P; ++i)
    for (std::size_t j = 0; j < P; ++j) {
      asymmetry = std::max(asymmetry, std::abs(H[i * P + j] - H[j * P + i]));
      size = std::max(size, std::abs(H[i * P + j]));
    }
  CHECK(size > 1e-2);
  CHECK(asymmetry <= 1e-14 * size);
}

TEST_CASE("hessian_vector checks its buffers, and allocates nothing") {
  const chain_problem prob;
  const auto p = make_parameters<chain, double>(7, 0.05);
  const auto u = make_parameters<chain, double>(8, 0.3);
  auto hu = std::make_unique<ctnn::gradient<chain, double>>();
  auto hws = std::make_unique<ctnn::hessian_workspace<chain, double>>();
  const std::vector<double> short_t(prob.t.begin(), prob.t.end() - 1);
  const std::string message = ctnn_test::contract_message(
      [&] { ctnn::hessian_vector(*p, ctnn::squared_error{}, prob.x, short_t, *u, *hu, *hws); });
  CHECK(message.find("hessian_vector") != std::string::npos);
  CHECK(message.find("target") != std::string::npos);
#if CTNN_TEST_COUNTS_ALLOCATIONS
  const std::size_t before = ctnn_test::allocation_count();
  for (int r = 0; r < 3; ++r) ctnn::hessian_vector(*p, ctnn::squared_error{}, prob.x, prob.t, *u, *hu, *hws);
  CHECK(ctnn_test::allocation_count() == before);
#endif
}
