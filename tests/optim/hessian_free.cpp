// Hessian-free steps (optim/hessian_free.hpp): conjugate gradients on (G + λI) d = −∇C with
// Gauss–Newton products (and with Hessian products), a line search and λ's adaptation.
//   - On a 3-class problem (4-12-3 softmax, 150 samples), 15 steps take the loss from 1.43 to
//     below 1e-3, every step lowering it; 375 Adam steps (25 per Hessian-free step: more
//     gradients than the products CG used) stay above that.
//   - fit_hessian_free runs one step per epoch, with the validation loss after it.
//   - At a zero gradient the step reports convergence and leaves the parameters alone.
//   - Contracts; no allocation in step (this binary replaces operator new).

#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <ctnn/ctnn.hpp>
#include <span>
#include <vector>

#include "../support/counting_new.hpp"

namespace {

using net = ctnn::network<ctnn::input<4>, ctnn::dense<12>, ctnn::tanh, ctnn::dense<3>, ctnn::softmax>;
constexpr std::size_t n = 150;

struct three_classes {
  std::vector<double> x = std::vector<double>(n * 4), t = std::vector<double>(n * 3, 0.0);
  three_classes() {
    for (std::size_t s = 0; s < n; ++s) {
      const std::size_t c = s % 3;
      for (std::size_t i = 0; i < 4; ++i) x[s * 4 + i] = std::sin(1.7 * double(s) + 0.3 * double(i)) + (i == c ? 1.5 : 0.0);
      t[s * 3 + c] = 1;
    }
  }
};

}  // namespace

TEST_CASE_TEMPLATE("Hessian-free steps drive a classifier's loss below 1e-3 in 15 steps, monotonically",
                   Curvature, std::integral_constant<ctnn::curvature_product, ctnn::curvature_product::gauss_newton>,
                   std::integral_constant<ctnn::curvature_product, ctnn::curvature_product::hessian>) {
  const three_classes d;
  ctnn::parameters<net, double> p;
  ctnn::initialize(p, 3);
  ctnn::hessian_free_options o;
  o.curvature = Curvature::value;
  ctnn::hessian_free<net, double> hf(o);
  double previous = 0;
  ctnn::lm_iteration it;
  for (int k = 0; k < 15; ++k) {
    it = hf.step(p, ctnn::softmax_cross_entropy{}, d.x, d.t);
    if (k == 0) CHECK(it.loss_before > 1);
    else CHECK(it.loss_before == doctest::Approx(previous).epsilon(1e-12));
    CHECK(it.taken);
    CHECK(it.loss < it.loss_before);
    CHECK(it.tries >= 1);
    CHECK(it.tries <= o.cg_iterations);
    previous = it.loss;
  }
  CHECK(it.loss < 1e-3);

  ctnn::parameters<net, double> q;
  ctnn::initialize(q, 3);
  ctnn::adam<net, double> adam;
  ctnn::gradient<net, double> g;
  ctnn::workspace<net, double> ws;
  for (int k = 0; k < 15 * 25; ++k) {
    ctnn::loss_and_gradient_batch(q, ctnn::softmax_cross_entropy{}, d.x, d.t, g, ws);
    adam.step(q, g, 0.01);
  }
  CHECK(ctnn::loss_batch(q, ctnn::softmax_cross_entropy{}, d.x, d.t, ws) > 1e-3);
}

TEST_CASE("fit_hessian_free: one step per epoch on the training set, the validation loss after it") {
  const three_classes d;
  ctnn::parameters<net, double> p;
  ctnn::initialize(p, 3);
  ctnn::hessian_free<net, double> hf;
  const ctnn::labelled_data<double> train{std::span<const double>(d.x.data(), 120 * 4),
                                          std::span<const double>(d.t.data(), 120 * 3)};
  const ctnn::labelled_data<double> val{std::span<const double>(d.x.data() + 120 * 4, 30 * 4),
                                        std::span<const double>(d.t.data() + 120 * 3, 30 * 3)};
  ctnn::full_batch_fit_options o;
  o.epochs = 5;
  o.output = nullptr;
  const auto r = ctnn::fit_hessian_free(p, hf, ctnn::softmax_cross_entropy{}, train, val, o);
  REQUIRE(r.history.size() == 5);
  for (std::size_t k = 1; k < 5; ++k) CHECK(r.history[k].train_loss < r.history[k - 1].train_loss);
  CHECK(r.history.back().validation_loss < r.history.front().validation_loss);
  CHECK(r.steps == 5);
}

TEST_CASE("at a zero gradient a Hessian-free step reports convergence; contracts; no allocation") {
  using linear = ctnn::network<ctnn::input<2>, ctnn::dense<1>>;
  ctnn::parameters<linear, double> p{};  // y = 0 fits t = 0 exactly: ∇C = 0
  const std::vector<double> x{1, 2, -1, 0.5}, t{0, 0};
  ctnn::hessian_free<linear, double> hf;
  const auto it = hf.step(p, ctnn::squared_error{}, x, t);
  CHECK(it.converged);
  CHECK_FALSE(it.taken);
  CHECK(p == ctnn::parameters<linear, double>{});

  CHECK_THROWS_AS((ctnn::hessian_free<net, double>({.cg_iterations = 0})), ctnn::contract_error);
  CHECK_THROWS_AS((ctnn::hessian_free<net, double>({.initial_damping = -1})), ctnn::contract_error);

#if CTNN_TEST_COUNTS_ALLOCATIONS
  const three_classes d;
  ctnn::parameters<net, double> q;
  ctnn::initialize(q, 3);
  ctnn::hessian_free<net, double> hf2;
  hf2.step(q, ctnn::softmax_cross_entropy{}, d.x, d.t);
  const std::size_t before = ctnn_test::allocation_count();
  for (int k = 0; k < 2; ++k) hf2.step(q, ctnn::softmax_cross_entropy{}, d.x, d.t);
  CHECK(ctnn_test::allocation_count() == before);
#endif
}
