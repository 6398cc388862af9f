// Learning-rate schedules at chosen steps against values worked out by hand (the literals below
// were computed from the closed forms of PyTorch's schedulers, not by calling ctnn).

#include <doctest/doctest.h>

#include <cstddef>
#include <ctnn/ctnn.hpp>

namespace {
// Schedules are a handful of double operations: a few ulp.
doctest::Approx near(double x) { return doctest::Approx(x).epsilon(1e-14); }
}  // namespace

TEST_CASE("constant_lr") {
  const ctnn::constant_lr s(0.25);
  CHECK(s(0) == 0.25);
  CHECK(s(1) == 0.25);
  CHECK(s(1000000) == 0.25);
}

TEST_CASE("step_lr: multiplied by gamma every step_size steps") {
  const ctnn::step_lr s(0.1, 3, 0.5);
  CHECK(s(0) == near(0.1));
  CHECK(s(2) == near(0.1));
  CHECK(s(3) == near(0.05));
  CHECK(s(5) == near(0.05));
  CHECK(s(6) == near(0.025));
  CHECK(s(10) == near(0.0125));
  const ctnn::step_lr pytorch_default(1.0, 2);  // gamma = 0.1
  CHECK(pytorch_default(1) == near(1.0));
  CHECK(pytorch_default(2) == near(0.1));
  CHECK(pytorch_default(5) == near(0.01));
  CHECK_THROWS_AS(ctnn::step_lr(0.1, 0), ctnn::contract_error);
}

TEST_CASE("exponential_lr: multiplied by gamma every step") {
  const ctnn::exponential_lr s(0.1, 0.9);
  CHECK(s(0) == near(0.1));
  CHECK(s(1) == near(0.09));
  CHECK(s(2) == near(0.081));
  CHECK(s(5) == near(0.059049));
}

TEST_CASE("cosine_lr: half a cosine from the rate to the minimum, then the minimum") {
  const ctnn::cosine_lr s(0.1, 4, 0.01);
  CHECK(s(0) == near(0.1));
  // 0.01 + 0.09 (1 + cos(π/4)) / 2, cos(π/4) = 0.70710678118654752
  CHECK(s(1) == near(0.086819805153394639));
  CHECK(s(2) == near(0.055));
  CHECK(s(3) == near(0.023180194846605361));  // 0.01 + 0.09 (1 − 0.7071...) / 2
  CHECK(s(4) == near(0.01));
  CHECK(s(5) == near(0.01));  // stays at the minimum (PyTorch's closed form would climb again)
  CHECK(s(100) == near(0.01));
  const ctnn::cosine_lr to_zero(1.0, 3);
  CHECK(to_zero(1) == near(0.75));  // (1 + cos(π/3)) / 2
  CHECK(to_zero(2) == near(0.25));
  CHECK(to_zero(3) == 0.0);
  CHECK_THROWS_AS(ctnn::cosine_lr(0.1, 0), ctnn::contract_error);
}

TEST_CASE("linear_warmup: a ramp to the wrapped schedule's start, which then begins") {
  const ctnn::linear_warmup constant(ctnn::constant_lr(0.3), 3);  // start factor 1/3 (LinearLR)
  CHECK(constant(0) == near(0.1));
  CHECK(constant(1) == near(0.3 * 5 / 9));  // 1/3 + (2/3)(1/3)
  CHECK(constant(2) == near(0.3 * 7 / 9));
  CHECK(constant(3) == near(0.3));
  CHECK(constant(50) == near(0.3));

  const ctnn::linear_warmup cosine(ctnn::cosine_lr(0.1, 4), 2, 0.0);
  CHECK(cosine(0) == 0.0);
  CHECK(cosine(1) == near(0.05));
  CHECK(cosine(2) == near(0.1));                   // the cosine's step 0
  CHECK(cosine(3) == near(0.085355339059327376));  // its step 1: 0.1 (1 + cos(π/4)) / 2
  CHECK(cosine(4) == near(0.05));
  CHECK(cosine(6) == 0.0);
  CHECK(cosine(60) == 0.0);

  const ctnn::linear_warmup steps(ctnn::step_lr(0.2, 2, 0.5), 4, 0.5);
  CHECK(steps(0) == near(0.1));
  CHECK(steps(2) == near(0.15));
  CHECK(steps(4) == near(0.2));
  CHECK(steps(6) == near(0.1));  // the step schedule's step 2
  CHECK_THROWS_AS(ctnn::linear_warmup(ctnn::constant_lr(1), 2, 1.5), ctnn::contract_error);
}

// Any callable from a step count to a number is a schedule; other things are not.
static_assert(ctnn::learning_rate_schedule<ctnn::cosine_lr>);
static_assert(ctnn::learning_rate_schedule<ctnn::linear_warmup<ctnn::exponential_lr>>);
static_assert(
    ctnn::learning_rate_schedule<decltype([](std::size_t k) { return 1.0 / double(k + 1); })>);
static_assert(!ctnn::learning_rate_schedule<double>);
static_assert(!ctnn::learning_rate_schedule<decltype([](const char*) { return 1.0; })>);
