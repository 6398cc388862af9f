// Activations without a derivative (step, sign): forward passes only.
//   - their values against the definitions, at 0, around it and at ±infinity, on the scalar and
//     the SIMD path;
//   - a hand-wired threshold network (XOR from step units) gives the truth table;
//   - forward passes of a random step/sign network against a naive reference in double, single
//     sample and batches over several tiles, SIMD and scalar, and at compile time;
//   - the mean loss (squared error), one-thread and threaded, against the reference;
//   - the compile-time traits that the gradient passes use say which networks and graphs can be
//     differentiated. (That differentiating one is refused, with the layer named, is
//     tests/compile_fail/non_differentiable_gradient_check_ko.cpp.)

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <ctnn/ctnn.hpp>
#include <limits>
#include <span>
#include <type_traits>
#include <vector>

namespace {

double step_ref(double z) { return z > 0 ? 1.0 : 0.0; }
double sign_ref(double z) { return z > 0 ? 1.0 : (z < 0 ? -1.0 : 0.0); }

template <class A>
double reference(double z) {
  if constexpr (std::is_same_v<A, ctnn::step>) return step_ref(z);
  else return sign_ref(z);
}

template <class T>
std::vector<T> probe_points() {
  const T inf = std::numeric_limits<T>::infinity();
  const T tiny = std::numeric_limits<T>::denorm_min();
  return {T(0), -T(0), tiny, -tiny, T(1e-30), T(-1e-30), T(0.5), T(-0.5), T(3), T(-3),
          T(1e30),  T(-1e30), inf, -inf, std::numeric_limits<T>::max(), -std::numeric_limits<T>::max(),
          T(7), T(-7), T(0.25)};
}

// One dense layer with W = identity and b = 0 (so z = x exactly), followed by A: the forward pass
// then shows A's values on whatever path the architecture selects.
template <class A, class Arch, class T>
void check_values() {
  constexpr std::size_t n = 19;
  using net = ctnn::network<ctnn::input<1>, ctnn::dense<1>, A>;
  ctnn::parameters<net, T> p;
  p[0] = T(1);
  p[1] = T(0);
  const std::vector<T> z = probe_points<T>();
  REQUIRE(z.size() == n);
  std::vector<T> y(n);
  ctnn::workspace<net, T, 8> ws;  // n spans three tiles
  ctnn::forward_batch<Arch>(p, z, y, ws);
  for (std::size_t k = 0; k < n; ++k) {
    CAPTURE(k);
    CAPTURE(z[k]);
    CHECK(static_cast<double>(y[k]) == reference<A>(static_cast<double>(z[k])));
  }
}

TEST_CASE_TEMPLATE("step and sign: values at 0, around it and at infinity", T, float, double) {
  check_values<ctnn::step, ctnn::simd::default_arch, T>();
  check_values<ctnn::step, ctnn::simd::scalar_arch, T>();
  check_values<ctnn::sign, ctnn::simd::default_arch, T>();
  check_values<ctnn::sign, ctnn::simd::scalar_arch, T>();
}

// XOR as a threshold network: hidden units "x1 OR x2" (x1 + x2 > 0.5) and "x1 AND x2"
// (x1 + x2 > 1.5), output "OR and not AND" (h1 - h2 > 0.5).
using threshold_xor =
    ctnn::network<ctnn::input<2>, ctnn::dense<2>, ctnn::step, ctnn::dense<1>, ctnn::step>;

template <class T>
constexpr ctnn::parameters<threshold_xor, T> threshold_xor_weights() {
  ctnn::parameters<threshold_xor, T> p{};
  auto hidden = p.template layer<0>();
  hidden.weight(0, 0) = 1, hidden.weight(0, 1) = 1, hidden.bias(0) = T(-0.5);
  hidden.weight(1, 0) = 1, hidden.weight(1, 1) = 1, hidden.bias(1) = T(-1.5);
  auto out = p.template layer<1>();
  out.weight(0, 0) = 1, out.weight(0, 1) = -1, out.bias(0) = T(-0.5);
  return p;
}

constexpr float threshold_xor_of(float a, float b) {
  const auto p = threshold_xor_weights<float>();
  const std::array<float, 2> x{a, b};
  return ctnn::forward(p, std::span<const float, 2>(x))[0];
}

// The same network evaluated by the compiler.
static_assert(threshold_xor_of(0, 0) == 0 && threshold_xor_of(0, 1) == 1 &&
              threshold_xor_of(1, 0) == 1 && threshold_xor_of(1, 1) == 0);

TEST_CASE_TEMPLATE("a threshold network of step units computes XOR", T, float, double) {
  const auto p = threshold_xor_weights<T>();
  const std::array<T, 8> x = {0, 0, 0, 1, 1, 0, 1, 1};
  const std::array<T, 4> expected = {0, 1, 1, 0};
  for (std::size_t s = 0; s < 4; ++s) {
    const std::array<T, 2> xs = {x[2 * s], x[2 * s + 1]};
    CHECK(ctnn::forward(p, std::span<const T, 2>(xs))[0] == expected[s]);
  }
  std::array<T, 4> y{};
  ctnn::workspace<threshold_xor, T> ws;
  ctnn::forward_batch(p, x, y, ws);
  CHECK(y == expected);
}

// A deeper network with both: 5 -> 7 (sign) -> 6 (step) -> 3 (tanh).
using mixed_net = ctnn::network<ctnn::input<5>, ctnn::dense<7>, ctnn::sign, ctnn::dense<6>,
                                ctnn::step, ctnn::dense<3>, ctnn::tanh>;

// y = tanh(W3 step(W2 sign(W1 x + b1) + b2) + b3), in double with plain loops; `margin` is the
// smallest |z| met before a step or sign (how far the sample is from a jump).
struct mixed_output {
  std::array<double, 3> y;
  double margin;
};

mixed_output mixed_reference(const std::vector<double>& p, const double* x) {
  std::size_t offset = 0;
  double margin = std::numeric_limits<double>::infinity();
  auto affine = [&](const std::vector<double>& in, std::size_t out) {
    std::vector<double> z(out);
    const std::size_t n_in = in.size();
    for (std::size_t o = 0; o < out; ++o) {
      double sum = p[offset + out * n_in + o];
      for (std::size_t i = 0; i < n_in; ++i) sum += p[offset + o * n_in + i] * in[i];
      z[o] = sum;
    }
    offset += out * n_in + out;
    return z;
  };
  std::vector<double> a(x, x + 5);
  a = affine(a, 7);
  for (double& v : a) margin = std::min(margin, std::abs(v)), v = sign_ref(v);
  a = affine(a, 6);
  for (double& v : a) margin = std::min(margin, std::abs(v)), v = step_ref(v);
  a = affine(a, 3);
  return {{std::tanh(a[0]), std::tanh(a[1]), std::tanh(a[2])}, margin};
}

TEST_CASE_TEMPLATE("step and sign inside a network: forward passes against a naive reference", T,
                   float, double) {
  ctnn::parameters<mixed_net, T> p;
  ctnn::initialize(p, 7);
  // Biases away from 0, so that the pre-activations are not at the jump of step or sign.
  for (std::size_t k = 0; k < p.size(); ++k)
    if (p[k] == T(0)) p[k] = T(0.125);
  std::vector<double> pd(p.size());
  for (std::size_t k = 0; k < p.size(); ++k) pd[k] = static_cast<double>(p[k]);

  constexpr std::size_t n = 70;  // three tiles of 32
  std::vector<T> x(n * 5);
  for (std::size_t k = 0; k < x.size(); ++k)
    x[k] = static_cast<T>(std::sin(0.37 * static_cast<double>(k) + 0.1) * 2.0);
  std::vector<double> xd(x.begin(), x.end());

  std::vector<T> y(n * 3), y_scalar(n * 3);
  ctnn::workspace<mixed_net, T> ws;
  ctnn::forward_batch(p, x, y, ws);
  ctnn::forward_batch<ctnn::simd::scalar_arch>(p, x, y_scalar, ws);

  // step/sign make the output piecewise constant in x: one rounding difference before a jump
  // would change a hidden unit entirely, so compare only samples whose pre-activations (in
  // double) are not within 1e-3 of 0. With these weights that excludes none, and the test
  // checks that it does.
  const double tolerance = std::is_same_v<T, float> ? 1e-5 : 1e-12;
  for (std::size_t s = 0; s < n; ++s) {
    CAPTURE(s);
    const mixed_output reference = mixed_reference(pd, xd.data() + 5 * s);
    REQUIRE(reference.margin > 1e-3);
    const std::array<double, 3>& expected = reference.y;
    const std::array<T, 5> xs = {x[5 * s], x[5 * s + 1], x[5 * s + 2], x[5 * s + 3], x[5 * s + 4]};
    const std::array<T, 3> single = ctnn::forward(p, std::span<const T, 5>(xs));
    for (std::size_t k = 0; k < 3; ++k) {
      CHECK(std::abs(static_cast<double>(y[3 * s + k]) - expected[k]) <= tolerance);
      // The three passes sum in different orders, so they agree to rounding, not bit for bit.
      CHECK(std::abs(static_cast<double>(y_scalar[3 * s + k]) - expected[k]) <= tolerance);
      CHECK(std::abs(static_cast<double>(single[k]) - expected[k]) <= tolerance);
    }
  }

  // The loss passes run too, on one thread and on a pool: the mean squared error against the
  // reference outputs (loss needs no derivative, so it must compile for these networks).
  const std::vector<T> targets(n * 3, T(0.25));
  double expected_loss = 0;
  for (std::size_t s = 0; s < n; ++s) {
    const mixed_output reference = mixed_reference(pd, xd.data() + 5 * s);
    for (std::size_t k = 0; k < 3; ++k)
      expected_loss += 0.5 * (reference.y[k] - 0.25) * (reference.y[k] - 0.25);
  }
  expected_loss /= static_cast<double>(n);
  ctnn::thread_pool pool(2);
  ctnn::parallel_workspace<mixed_net, T> pws(pool);
  const T one_thread = ctnn::loss_batch(p, ctnn::squared_error{}, x, targets, ws);
  const T threaded = ctnn::loss_batch(pool, p, ctnn::squared_error{}, x, targets, pws);
  CHECK(std::abs(static_cast<double>(one_thread) - expected_loss) <= tolerance);
  CHECK(std::abs(static_cast<double>(threaded) - expected_loss) <= tolerance);
  std::vector<T> y_threaded(n * 3);
  ctnn::forward_batch(pool, p, x, y_threaded, pws);
  for (std::size_t k = 0; k < y.size(); ++k)
    CHECK(std::abs(static_cast<double>(y_threaded[k]) - static_cast<double>(y[k])) <= tolerance);
}

// The traits the gradient passes and gradient_check use: has_derivative per activation, and
// detail::differentiable on the graph that a gradient pass runs (the network with the loss as its
// objective), which asks whether any node the backward pass needs lacks a derivative.
static_assert(!ctnn::has_derivative<ctnn::step>());
static_assert(!ctnn::has_derivative<ctnn::sign>());
static_assert(ctnn::has_derivative<ctnn::relu>());
static_assert(ctnn::has_derivative<ctnn::softmax>());

template <class Net, class Loss = ctnn::squared_error>
constexpr bool differentiable() {
  return ctnn::detail::differentiable<ctnn::detail::objective_graph<Net, Loss>>();
}
static_assert(!differentiable<threshold_xor>());
static_assert(!differentiable<mixed_net>());
static_assert(differentiable<
              ctnn::network<ctnn::input<784>, ctnn::dense<128>, ctnn::relu, ctnn::dense<10>>,
              ctnn::softmax_cross_entropy>());

// On graphs, only the nodes the objective's gradient passes through count: a step behind a
// stop_gradient, or on a branch that only feeds an output, needs no derivative; the same step on
// the path from the parameters to the loss does.
namespace op = ctnn::op;
using gx = op::input<"x", 3>;
using gated = op::step<op::dense<"gate", 3, gx>>;
using through_gate = op::dense<"head", 2, op::mul<op::relu<op::dense<"fc", 3, gx>>, gated>>;
using behind_stop =
    op::dense<"head", 2, op::mul<op::relu<op::dense<"fc", 3, gx>>, op::stop_gradient<gated>>>;
using smooth_head = op::dense<"head", 2, op::relu<op::dense<"fc", 3, gx>>>;
static_assert(!ctnn::detail::differentiable<
              ctnn::graph<ctnn::outputs<through_gate>, ctnn::objective<op::squared_error<through_gate>>>>());
static_assert(ctnn::detail::differentiable<
              ctnn::graph<ctnn::outputs<behind_stop>, ctnn::objective<op::squared_error<behind_stop>>>>());
static_assert(ctnn::detail::differentiable<ctnn::graph<
                  ctnn::outputs<smooth_head, gated>, ctnn::objective<op::squared_error<smooth_head>>>>());

}  // namespace
