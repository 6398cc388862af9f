// Levenberg–Marquardt (optim/levenberg_marquardt.hpp) and its Cholesky solver:
//   - the solver against a known solution of an SPD system, and its refusal of a matrix that is
//     not positive definite;
//   - on a zero-residual problem (targets made by a "teacher" net of the same shape) LM drives the
//     loss from ~0.5 to below 1e-12 within 40 steps (Gauss–Newton's fast local convergence),
//     where the same number of Adam steps does not come near;
//   - every step's loss is at most the one before (refused trials leave θ alone), the damping
//     stays in its bounds, and at a minimum it reports convergence;
//   - fit_levenberg_marquardt's history and stop; the contracts; and no allocation in step
//     (this binary replaces operator new).

#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <ctnn/ctnn.hpp>
#include <ctnn/train/fit_full_batch.hpp>
#include <memory>
#include <sstream>
#include <vector>

#include "../support/counting_new.hpp"

namespace {

using net = ctnn::network<ctnn::input<3>, ctnn::dense<6>, ctnn::tanh, ctnn::dense<1>>;
constexpr std::size_t n = 40;

struct teacher_problem {
  std::vector<double> x, t;
  teacher_problem() : x(n * 3), t(n) {
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.7 * double(i) + 0.2);
    ctnn::parameters<net, double> teacher;
    ctnn::initialize(teacher, 99);
    ctnn::workspace<net, double> ws;
    ctnn::forward_batch(teacher, x, std::span<double>(t), ws);
  }
};

}  // namespace

TEST_CASE("the Cholesky solver solves an SPD system and refuses one that is not positive definite") {
  constexpr std::size_t m = 37;
  std::vector<double> b(m * m), a(m * m, 0.0), x(m), rhs(m, 0.0);
  for (std::size_t i = 0; i < m * m; ++i) b[i] = std::sin(1.3 * double(i) + 0.5);
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t j = 0; j < m; ++j) {
      for (std::size_t k = 0; k < m; ++k) a[i * m + j] += b[k * m + i] * b[k * m + j];
      if (i == j) a[i * m + j] += 0.1;
    }
  for (std::size_t i = 0; i < m; ++i) x[i] = std::cos(0.4 * double(i));
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t j = 0; j < m; ++j) rhs[i] += a[i * m + j] * x[j];
  std::vector<double> factor = a;
  REQUIRE(ctnn::detail::cholesky_factor(factor.data(), m));
  ctnn::detail::cholesky_solve(factor.data(), m, rhs.data());
  double worst = 0;
  for (std::size_t i = 0; i < m; ++i) worst = std::max(worst, std::abs(rhs[i] - x[i]));
  CHECK(worst < 1e-9);
  // The scalar architecture's loops give the same factor.
  std::vector<double> scalar = a;
  REQUIRE(ctnn::detail::cholesky_factor<ctnn::simd::scalar_arch>(scalar.data(), m));
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t j = 0; j <= i; ++j) CHECK(scalar[i * m + j] == doctest::Approx(factor[i * m + j]).epsilon(1e-12));

  std::vector<double> indefinite = a;
  indefinite[5 * m + 5] = -1;
  CHECK_FALSE(ctnn::detail::cholesky_factor(indefinite.data(), m));
}

TEST_CASE("LM fits a zero-residual problem to 1e-12 in 40 steps, monotonically; Adam does not") {
  const teacher_problem prob;
  ctnn::parameters<net, double> p;
  ctnn::initialize(p, 1);
  const auto start = p;
  ctnn::workspace<net, double> ws;
  const double initial = ctnn::loss_batch(p, ctnn::squared_error{}, prob.x, prob.t, ws);
  CHECK(initial > 1e-2);

  ctnn::levenberg_marquardt<net, double> lm(n);
  double previous = initial;
  double last = initial;
  for (int k = 0; k < 40; ++k) {
    const ctnn::lm_iteration it = lm.step(p, prob.x, prob.t);
    CHECK(it.loss_before == doctest::Approx(previous).epsilon(1e-12));
    CHECK(it.loss <= it.loss_before);
    CHECK(it.damping >= lm.options().min_damping);
    CHECK(it.damping <= lm.options().max_damping);
    CHECK(it.tries >= 1);
    previous = last = it.loss;
    if (it.converged) break;
  }
  CHECK(last < 1e-12);
  CHECK(ctnn::loss_batch(p, ctnn::squared_error{}, prob.x, prob.t, ws) == doctest::Approx(last).epsilon(1e-6));

  auto q = start;
  ctnn::adam<net, double> adam;
  ctnn::gradient<net, double> g;
  for (int k = 0; k < 40; ++k) {
    ctnn::loss_and_gradient_batch(q, ctnn::squared_error{}, prob.x, prob.t, g, ws);
    adam.step(q, g, 0.01);
  }
  CHECK(ctnn::loss_batch(q, ctnn::squared_error{}, prob.x, prob.t, ws) > 1e-4);
}

TEST_CASE("at a minimum LM reports convergence and leaves the parameters alone") {
  const teacher_problem prob;
  ctnn::parameters<net, double> p;
  ctnn::initialize(p, 99);  // the teacher itself: loss 0
  const auto before = p;
  ctnn::levenberg_marquardt<net, double> lm(n, {.initial_damping = 1, .max_damping = 1e4});
  ctnn::lm_iteration it;
  for (int k = 0; k < 10 && !it.converged; ++k) it = lm.step(p, prob.x, prob.t);
  CHECK(it.converged);
  CHECK_FALSE(it.taken);
  CHECK(p == before);
}

TEST_CASE("fit_levenberg_marquardt: one step per epoch, validation loss, lines, early stop") {
  const teacher_problem prob;
  ctnn::parameters<net, double> p;
  ctnn::initialize(p, 1);
  ctnn::levenberg_marquardt<net, double> lm(n - 10);
  const ctnn::labelled_data<double> train{std::span<const double>(prob.x.data(), (n - 10) * 3),
                                          std::span<const double>(prob.t.data(), n - 10)};
  const ctnn::labelled_data<double> val{std::span<const double>(prob.x.data() + (n - 10) * 3, 30),
                                        std::span<const double>(prob.t.data() + n - 10, 10)};
  std::ostringstream out;
  ctnn::lm_fit_options o;
  o.epochs = 8;
  o.output = &out;
  const auto result = ctnn::fit_levenberg_marquardt(p, lm, train, val, o);
  REQUIRE(result.history.size() == 8);
  CHECK(result.history.back().train_loss < result.history.front().train_loss);
  for (const auto& e : result.history) {
    CHECK(std::isfinite(e.validation_loss));
    CHECK(e.samples == n - 10);
  }
  CHECK(out.str().find("epoch 8/8") != std::string::npos);

  o.on_epoch_end = [](const ctnn::epoch_stats& e) {
    return e.epoch == 3 ? ctnn::fit_control::stop : ctnn::fit_control::proceed;
  };
  const auto stopped = ctnn::fit_levenberg_marquardt(p, lm, train, o);
  CHECK(stopped.history.size() == 3);
  CHECK(stopped.stopped == ctnn::fit_stop::callback);
}

TEST_CASE("LM checks its options and data sizes, and a step allocates nothing") {
  using options = ctnn::levenberg_marquardt_options;
  CHECK_THROWS_AS((ctnn::levenberg_marquardt<net, double>(0)), ctnn::contract_error);
  CHECK_THROWS_AS((ctnn::levenberg_marquardt<net, double>(n, options{.initial_damping = 0})), ctnn::contract_error);
  CHECK_THROWS_AS((ctnn::levenberg_marquardt<net, double>(n, options{.increase = 1})), ctnn::contract_error);
  CHECK_THROWS_AS((ctnn::levenberg_marquardt<net, double>(n, options{.max_tries = 0})), ctnn::contract_error);

  const teacher_problem prob;
  ctnn::parameters<net, double> p;
  ctnn::initialize(p, 1);
  ctnn::levenberg_marquardt<net, double> lm(n);
  const std::vector<double> short_t(prob.t.begin(), prob.t.end() - 1);
  CHECK_THROWS_AS(lm.step(p, prob.x, short_t), ctnn::contract_error);
#if CTNN_TEST_COUNTS_ALLOCATIONS
  lm.step(p, prob.x, prob.t);
  const std::size_t before = ctnn_test::allocation_count();
  for (int k = 0; k < 3; ++k) lm.step(p, prob.x, prob.t);
  CHECK(ctnn_test::allocation_count() == before);
#endif
}
