// Gauss–Newton products (gauss_newton_vector) and Jacobians (jacobian, jacobian_batch):
//   - J against central differences of the outputs;
//   - G·u against (1/n) Σ_s J_sᵀ H_L J_s u assembled from jacobian_batch (squared error: H_L = I);
//   - G·u against forward mode then reverse mode, without the dual pass: ẏ = J·u by
//     jacobian_vector_product_batch, H_L·ẏ by hand, Jᵀ(H_L·ẏ) as the gradient of the loss at
//     targets shifted so that its δ is H_L·ẏ (softmax cross-entropy on softmax: ṗ is already
//     H_L·ż; the two-loss DAG: softmax of the logits by hand, and ṗ of the sigmoid head);
//   - G symmetric and positive semi-definite (uᵀGu ≥ 0, uᵀGv = vᵀGu), and G = H on a net whose
//     output is linear in the parameters (one dense layer), where the net has no curvature.

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <ctnn/ctnn.hpp>
#include <memory>
#include <span>
#include <vector>

#include "curvature_data.hpp"
#include "two_head_dag.hpp"

namespace {

using namespace curvature_test;

// Its output is a tanh that squared error reads: the tanh's own vjp must see no tangent of it.
using regression = ctnn::network<ctnn::input<4>, ctnn::dense<6>, ctnn::tanh, ctnn::dense<5>, ctnn::gelu,
                                 ctnn::dense<3>, ctnn::tanh>;
using classifier = ctnn::network<ctnn::input<5>, ctnn::dense<8>, ctnn::mish, ctnn::dense<4>, ctnn::softmax>;
using dag = two_head_dag::net;

}  // namespace

TEST_CASE("jacobian matches central differences of the outputs; jacobian_batch stacks the samples") {
  using net = regression;
  constexpr std::size_t P = net::parameter_count, O = net::output_size;
  const auto p = make_parameters<net>(3, 0.1);
  const auto x = wave<double>(4 * 3, 0.4);
  ctnn::workspace<net, double, 1> ws;
  auto J = std::make_unique<ctnn::jacobian_matrix<net, double>>();
  ctnn::jacobian(*p, std::span<const double, 4>(x.data(), 4), *J, ws);
  std::vector<double> reference(O * P);
  for (std::size_t k = 0; k < P; ++k) {
    auto q = *p;
    const double h = 1e-6;
    q[k] += h;
    const auto plus = ctnn::forward(q, std::span<const double, 4>(x.data(), 4));
    q[k] -= 2 * h;
    const auto minus = ctnn::forward(q, std::span<const double, 4>(x.data(), 4));
    for (std::size_t o = 0; o < O; ++o) reference[o * P + k] = (plus[o] - minus[o]) / (2 * h);
  }
  CHECK(relative_error(*J, reference) < 1e-7);

  std::vector<double> rows(3 * O * P);
  ctnn::jacobian_batch(*p, x, std::span<double>(rows), ws);
  for (std::size_t k = 0; k < O * P; ++k) CHECK(rows[k] == (*J)[k]);
  auto J2 = std::make_unique<ctnn::jacobian_matrix<net, double>>();
  ctnn::jacobian(*p, std::span<const double, 4>(x.data() + 8, 4), *J2, ws);
  for (std::size_t k = 0; k < O * P; ++k) CHECK(rows[2 * O * P + k] == (*J2)[k]);

  std::vector<double> short_rows(3 * O * P - 1);
  CHECK_THROWS_AS(ctnn::jacobian_batch(*p, x, std::span<double>(short_rows), ws), ctnn::contract_error);
}

TEST_CASE("G·u with squared error is (1/n) Σ J_sᵀ J_s u, from jacobian_batch; G is symmetric and PSD") {
  using net = regression;
  constexpr std::size_t P = net::parameter_count, O = net::output_size, n = 37;
  const auto p = make_parameters<net>(5, 0.1);
  const auto u = make_parameters<net>(6, 0.3);
  const auto v = make_parameters<net>(7, 0.3);
  const auto x = wave<double>(4 * n, 0.2), t = wave<double>(O * n, 1.1);
  auto gu = std::make_unique<ctnn::gradient<net, double>>(), gv = std::make_unique<ctnn::gradient<net, double>>();
  auto hws = std::make_unique<ctnn::hessian_workspace<net, double>>();
  ctnn::gauss_newton_vector(*p, ctnn::squared_error{}, x, t, *u, *gu, *hws);
  ctnn::gauss_newton_vector(*p, ctnn::squared_error{}, x, t, *v, *gv, *hws);

  std::vector<double> rows(n * O * P), reference(P, 0.0);
  ctnn::workspace<net, double, 1> ws;
  ctnn::jacobian_batch(*p, x, std::span<double>(rows), ws);
  for (std::size_t r = 0; r < n * O; ++r) {
    const double* row = rows.data() + r * P;
    double ju = 0;
    for (std::size_t k = 0; k < P; ++k) ju += row[k] * (*u)[k];
    for (std::size_t k = 0; k < P; ++k) reference[k] += row[k] * ju / double(n);
  }
  CHECK(relative_error(*gu, reference) < 1e-12);
  CHECK(dot(*u, *gu) > 0);
  CHECK(std::abs(dot(*u, *gv) - dot(*v, *gu)) < 1e-12 * std::abs(dot(*u, *gv)) + 1e-15);

  // Not the Hessian: the net's own curvature (tanh'', gelu'') is left out.
  auto hu = std::make_unique<ctnn::gradient<net, double>>();
  ctnn::hessian_vector(*p, ctnn::squared_error{}, x, t, *u, *hu, *hws);
  CHECK(relative_error(*gu, *hu) > 1e-3);
}

TEST_CASE("G·u = H·u for one dense layer (no curvature in the net), and with softmax cross-entropy") {
  using linear = ctnn::network<ctnn::input<5>, ctnn::dense<4>>;
  const auto p = make_parameters<linear>(9, 0.1);
  const auto u = make_parameters<linear>(10, 0.3);
  const auto x = wave<double>(5 * 6, 0.5), t = one_hot<double>(6, 4), r = wave<double>(4 * 6, 0.9);
  auto gu = std::make_unique<ctnn::gradient<linear, double>>(), hu = std::make_unique<ctnn::gradient<linear, double>>();
  auto hws = std::make_unique<ctnn::hessian_workspace<linear, double>>();
  ctnn::gauss_newton_vector(*p, ctnn::squared_error{}, x, r, *u, *gu, *hws);
  ctnn::hessian_vector(*p, ctnn::squared_error{}, x, r, *u, *hu, *hws);
  CHECK(relative_error(*gu, *hu) < 1e-14);
  ctnn::gauss_newton_vector(*p, ctnn::softmax_cross_entropy{}, x, t, *u, *gu, *hws);
  ctnn::hessian_vector(*p, ctnn::softmax_cross_entropy{}, x, t, *u, *hu, *hws);
  CHECK(relative_error(*gu, *hu) < 1e-13);
}

TEST_CASE("G·u with softmax cross-entropy matches forward mode, then reverse mode") {
  using net = classifier;
  constexpr std::size_t n = 9, O = net::output_size;
  const auto p = make_parameters<net>(11, 0.1);
  const auto u = make_parameters<net>(12, 0.3);
  const auto x = wave<double>(5 * n, 0.3), t = one_hot<double>(n, O);
  auto gu = std::make_unique<ctnn::gradient<net, double>>();
  auto hws = std::make_unique<ctnn::hessian_workspace<net, double>>();
  ctnn::gauss_newton_vector(*p, ctnn::softmax_cross_entropy{}, x, t, *u, *gu, *hws);

  // ṗ = (diag p − p pᵀ) ż = H_L ż; the loss's δz is p − t, so targets p − ṗ make it ṗ (Σ = 1).
  std::vector<double> dx(x.size(), 0.0), y(n * O), dy(n * O), shifted(n * O);
  auto tws = std::make_unique<ctnn::tangent_workspace<net, double>>();
  ctnn::jacobian_vector_product_batch(*p, *u, x, dx, y, dy, *tws);
  for (std::size_t i = 0; i < n * O; ++i) shifted[i] = y[i] - dy[i];
  auto reference = std::make_unique<ctnn::gradient<net, double>>();
  auto ws = std::make_unique<ctnn::workspace<net, double>>();
  ctnn::loss_and_gradient_batch(*p, ctnn::softmax_cross_entropy{}, x, shifted, *reference, *ws);
  CHECK(relative_error(*gu, *reference) < 1e-10);
  CHECK(dot(*u, *gu) > 0);
}

TEST_CASE("G·u of the two-loss DAG matches forward mode, then reverse mode") {
  constexpr std::size_t n = 37;  // two tiles
  const auto p = make_parameters<dag>(13, 0.05);
  const auto u = make_parameters<dag>(14, 0.3);
  // Forward mode stops tangents at a stop_gradient; the dual pass stops only adjoints there
  // (docs/reference.md). With no direction on the frozen block the two agree.
  for (std::size_t b = 0; b < dag::block_count; ++b)
    if (dag::block_owner(b) == "frozen")
      for (std::size_t k = dag::layout::offset[b]; k < dag::layout::offset[b + 1]; ++k) (*u)[k] = 0;
  const auto x = wave<double>(19 * n, 0.4), xu = wave<double>(5 * n, 2.1), t1 = one_hot<double>(n, 10);
  std::vector<double> t2(3 * n);
  for (std::size_t i = 0; i < t2.size(); ++i) t2[i] = i % 4 == 1 ? 1.0 : 0.0;
  const std::array<std::span<const double>, 2> xs{std::span<const double>(x), std::span<const double>(xu)};
  auto gu = std::make_unique<ctnn::gradient<dag, double>>();
  auto hws = std::make_unique<ctnn::hessian_workspace<dag, double>>();
  ctnn::gauss_newton_vector(*p, xs, {std::span<const double>(t1), std::span<const double>(t2)}, *u, *gu, *hws);

  // ½·CE(y1) on logits: H_L ẏ1 = (diag p − p pᵀ) ẏ1, p = softmax(y1), and δ = p − t, so targets
  // p − H_L ẏ1. BCE(y2) on a sigmoid: ẏ2 = σ'·ż2 is H_L ż2 already, and δz = y2 − t: targets
  // y2 − ẏ2. Then the gradient of the objective at those targets is Jᵀ H_L J u.
  std::vector<double> y1(10 * n), y2(3 * n), y3(2 * n), d1(10 * n), d2(3 * n), d3(2 * n);
  std::vector<double> dx(x.size(), 0.0), du(xu.size(), 0.0);
  auto tws = std::make_unique<ctnn::tangent_workspace<dag, double>>();
  ctnn::jacobian_vector_product_batch(
      *p, *u, xs, {std::span<const double>(dx), std::span<const double>(du)},
      {std::span<double>(y1), std::span<double>(y2), std::span<double>(y3)},
      {std::span<double>(d1), std::span<double>(d2), std::span<double>(d3)}, *tws);
  std::vector<double> s1(10 * n), s2(3 * n);
  for (std::size_t s = 0; s < n; ++s) {
    const double* z = y1.data() + s * 10;
    const double top = *std::max_element(z, z + 10);
    double sum = 0, pd = 0;
    std::array<double, 10> prob{};
    for (std::size_t k = 0; k < 10; ++k) sum += prob[k] = std::exp(z[k] - top);
    for (std::size_t k = 0; k < 10; ++k) prob[k] /= sum, pd += prob[k] * d1[s * 10 + k];
    for (std::size_t k = 0; k < 10; ++k) s1[s * 10 + k] = prob[k] - prob[k] * (d1[s * 10 + k] - pd);
  }
  for (std::size_t i = 0; i < 3 * n; ++i) s2[i] = y2[i] - d2[i];
  auto reference = std::make_unique<ctnn::gradient<dag, double>>();
  auto ws = std::make_unique<ctnn::workspace<dag, double>>();
  ctnn::loss_and_gradient_batch(*p, xs, {std::span<const double>(s1), std::span<const double>(s2)}, *reference,
                                *ws);
  CHECK(relative_error(*gu, *reference) < 1e-10);
  CHECK(dot(*u, *gu) > 0);
}
