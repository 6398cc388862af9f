// op::dropout and the run rules of nn/run_mode.hpp:
//   (a) the evaluation rule is the identity, and it is what output passes run by default;
//   (b) the training rule drops a fraction p of the values (within five binomial standard
//       deviations) and scales the others by exactly 1 / (1 − p);
//   (c) a draw depends on the seed, the draw's number and the sample's place in the batch only:
//       the same on any tile size, thread count and architecture, another for another draw;
//   (d) each gradient pass takes a new draw, and its gradient is the gradient of the training
//       loss of that draw (central differences of loss_batch under the training rule, double);
//   (e) training: fit with dropout learns a separable problem, and its evaluation is repeatable.

#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <ctnn/ctnn.hpp>
#include <memory>
#include <ratio>
#include <span>
#include <vector>

namespace {

namespace op = ctnn::op;

constexpr std::size_t width = 500;
using wide_x = op::input<"x", width>;
using wide_net = ctnn::graph<ctnn::outputs<op::dropout<wide_x, std::ratio<3, 10>>>>;

std::vector<double> ramp(std::size_t n, std::size_t w) {
  std::vector<double> v(n * w);
  for (std::size_t k = 0; k < v.size(); ++k) v[k] = 1.0 + 0.001 * double(k);
  return v;
}

template <class Net, std::size_t Tile = 32>
std::vector<double> outputs(const std::vector<double>& x, std::size_t n, ctnn::run_rule rule,
                            std::uint64_t seed, std::uint64_t draw) {
  ctnn::parameters<Net, double> p;
  auto ws = std::make_unique<ctnn::workspace<Net, double, Tile>>();
  ws->rule = rule;
  ws->seed = seed;
  ws->draw = draw;
  std::vector<double> y(n * Net::output_size);
  ctnn::forward_batch(p, std::span<const double>(x), std::span<double>(y), *ws);
  return y;
}

TEST_CASE("dropout: the evaluation rule is the identity, and output passes evaluate by default") {
  const std::size_t n = 7;
  const auto x = ramp(n, width);
  CHECK(outputs<wide_net>(x, n, ctnn::run_rule::by_pass, 5, 3) == x);
  CHECK(outputs<wide_net>(x, n, ctnn::run_rule::evaluation, 5, 3) == x);
  CHECK(outputs<wide_net>(x, n, ctnn::run_rule::training, 5, 3) != x);
}

TEST_CASE("dropout: the training rule drops p of the values and scales the rest by 1/(1-p)") {
  const std::size_t n = 40;  // 20,000 values
  const auto x = ramp(n, width);
  const auto y = outputs<wide_net>(x, n, ctnn::run_rule::training, 11, 1);
  std::size_t dropped = 0;
  for (std::size_t k = 0; k < y.size(); ++k) {
    if (y[k] == 0) ++dropped;
    else CHECK(y[k] == x[k] * (10.0 / 7.0));
  }
  const double count = double(y.size()), p = 0.3;
  const double sd = std::sqrt(count * p * (1 - p));
  CHECK(std::abs(double(dropped) - p * count) < 5 * sd);
  // Each sample's row is its own draw: no two rows have the same mask.
  std::size_t same_rows = 0;
  for (std::size_t s = 1; s < n; ++s) {
    bool same = true;
    for (std::size_t i = 0; i < width; ++i)
      same = same && ((y[s * width + i] == 0) == (y[i] == 0));
    same_rows += same;
  }
  CHECK(same_rows == 0);
}

TEST_CASE("dropout: a draw is the same on any tile size, thread count and architecture") {
  const std::size_t n = 37;
  const auto x = ramp(n, width);
  const auto tile32 = outputs<wide_net, 32>(x, n, ctnn::run_rule::training, 2, 9);
  CHECK(outputs<wide_net, 32>(x, n, ctnn::run_rule::training, 2, 9) == tile32);
  CHECK(outputs<wide_net, 5>(x, n, ctnn::run_rule::training, 2, 9) == tile32);
  CHECK(outputs<wide_net, 32>(x, n, ctnn::run_rule::training, 2, 10) != tile32);
  CHECK(outputs<wide_net, 32>(x, n, ctnn::run_rule::training, 3, 9) != tile32);

  ctnn::parameters<wide_net, double> p;
  {
    auto ws = std::make_unique<ctnn::workspace<wide_net, double>>();
    ws->rule = ctnn::run_rule::training;
    ws->seed = 2;
    ws->draw = 9;
    std::vector<double> y(n * width);
    ctnn::forward_batch<ctnn::simd::scalar_arch>(p, std::span<const double>(x), std::span<double>(y), *ws);
    CHECK(y == tile32);
  }
  for (std::size_t threads : {2, 3}) {
    ctnn::thread_pool pool(threads);
    auto pws = std::make_unique<ctnn::parallel_workspace<wide_net, double>>(pool);
    pws->rule = ctnn::run_rule::training;
    pws->seed = 2;
    pws->draw = 9;
    std::vector<double> y(n * width);
    ctnn::forward_batch(pool, p, std::span<const double>(x), std::span<double>(y), *pws);
    CHECK(y == tile32);
  }
}

// A small net with dropout between two dense layers, and one after an activation (whose
// derivative the dropout's adjoint store applies).
using x3 = op::input<"x", 6>;
using hidden = op::dropout<op::tanh<op::dense<"fc1", 9, x3>>, std::ratio<1, 3>>;
using small_net = ctnn::graph<ctnn::outputs<op::dense<"fc2", 4, op::dropout<op::dense<"mid", 8, hidden>, std::ratio<1, 4>>>>>;

template <class T>
struct small_problem {
  static constexpr std::size_t n = 11;
  ctnn::parameters<small_net, T> p;
  std::vector<T> x = std::vector<T>(n * 6), t = std::vector<T>(n * 4);
  small_problem() {
    ctnn::initialize(p, 3);
    for (std::size_t k = 0; k < x.size(); ++k) x[k] = T(std::sin(0.7 * double(k)));
    for (std::size_t k = 0; k < t.size(); ++k) t[k] = T(std::cos(0.3 * double(k)));
  }
};

TEST_CASE("dropout: each gradient pass takes a new draw, whose training loss it differentiates") {
  small_problem<double> s;
  auto ws = std::make_unique<ctnn::workspace<small_net, double, 4>>();
  ws->seed = 42;
  ctnn::gradient<small_net, double> g1, g2;
  const double l1 = ctnn::loss_and_gradient_batch(s.p, ctnn::squared_error{}, std::span<const double>(s.x),
                                                  std::span<const double>(s.t), g1, *ws);
  CHECK(ws->draw == 1);

  // The loss of the same draw under the training rule is the gradient pass's loss; its central
  // differences are the gradient.
  ws->rule = ctnn::run_rule::training;
  auto loss_at = [&](const ctnn::parameters<small_net, double>& q) {
    return ctnn::loss_batch(q, ctnn::squared_error{}, std::span<const double>(s.x),
                            std::span<const double>(s.t), *ws);
  };
  CHECK(loss_at(s.p) == l1);
  double worst = 0;
  for (std::size_t k = 0; k < s.p.size(); ++k) {
    auto up = s.p, down = s.p;
    const double h = 1e-6;
    up[k] += h;
    down[k] -= h;
    const double fd = (loss_at(up) - loss_at(down)) / (2 * h);
    worst = std::max(worst, std::abs(fd - g1[k]) / std::max(1e-3, std::abs(fd)));
  }
  CHECK(worst < 1e-6);
  CHECK(ws->draw == 1);  // passes that only evaluate take no draw

  // The evaluation rule's loss differs (no dropout), and the next gradient pass draws anew.
  ws->rule = ctnn::run_rule::by_pass;
  CHECK(loss_at(s.p) != l1);
  const double l2 = ctnn::loss_and_gradient_batch(s.p, ctnn::squared_error{}, std::span<const double>(s.x),
                                                  std::span<const double>(s.t), g2, *ws);
  CHECK(ws->draw == 2);
  CHECK(l2 != l1);
  CHECK(g2 != g1);

  // Under the evaluation rule, a gradient pass has no dropout and takes no draw.
  ws->rule = ctnn::run_rule::evaluation;
  ctnn::gradient<small_net, double> g3;
  const double l3 = ctnn::loss_and_gradient_batch(s.p, ctnn::squared_error{}, std::span<const double>(s.x),
                                                  std::span<const double>(s.t), g3, *ws);
  CHECK(ws->draw == 2);
  CHECK(l3 == loss_at(s.p));
}

TEST_CASE("dropout: the threaded gradient draws what one thread draws") {
  small_problem<double> s;
  auto ws = std::make_unique<ctnn::workspace<small_net, double, 4>>();
  ws->seed = 8;
  ctnn::gradient<small_net, double> g1, g2;
  const double l1 = ctnn::loss_and_gradient_batch(s.p, ctnn::squared_error{}, std::span<const double>(s.x),
                                                  std::span<const double>(s.t), g1, *ws);
  ctnn::thread_pool pool(2);
  auto pws = std::make_unique<ctnn::parallel_workspace<small_net, double, 4>>(pool);
  pws->seed = 8;
  const double l2 = ctnn::loss_and_gradient_batch(pool, s.p, ctnn::squared_error{}, std::span<const double>(s.x),
                                                  std::span<const double>(s.t), g2, *pws);
  CHECK(std::abs(l1 - l2) <= 1e-12 * std::abs(l1));
  for (std::size_t k = 0; k < g1.size(); ++k) CHECK(std::abs(g1[k] - g2[k]) <= 1e-12);
}

TEST_CASE("dropout: one-sample training steps take a new draw each step") {
  small_problem<float> s;
  ctnn::sgd<small_net, float> opt;
  std::array<float, 6> x{};
  std::array<float, 4> t{};
  for (std::size_t i = 0; i < 6; ++i) x[i] = s.x[i];
  for (std::size_t i = 0; i < 4; ++i) t[i] = s.t[i];
  // With a learning rate of 0 the parameters stay; only the draw changes the loss.
  const float a = ctnn::train_step(s.p, ctnn::squared_error{}, std::span<const float, 6>(x),
                                   std::span<const float, 4>(t), opt, 0.0);
  const float b = ctnn::train_step(s.p, ctnn::squared_error{}, std::span<const float, 6>(x),
                                   std::span<const float, 4>(t), opt, 0.0);
  CHECK(a != b);
}

TEST_CASE("dropout: fit learns with it, and its evaluation is repeatable") {
  using x2 = op::input<"x", 2>;
  using net = ctnn::graph<ctnn::outputs<op::dense<"out", 2, op::dropout<op::relu<op::dense<"h", 32, x2>>, std::ratio<1, 5>>>>>;
  const std::size_t n = 400;
  std::vector<float> x(n * 2), t(n * 2, 0.f);
  for (std::size_t s = 0; s < n; ++s) {
    const float a = std::sin(0.37f * float(s)), b = std::cos(1.3f * float(s));
    x[2 * s] = a;
    x[2 * s + 1] = b;
    t[2 * s + (a + b > 0 ? 1 : 0)] = 1.f;
  }
  ctnn::parameters<net, float> p;
  ctnn::initialize(p, 1);
  ctnn::adam<net, float> opt;
  ctnn::fit_options o;
  o.epochs = 30;
  o.batch_size = 32;
  o.seed = 4;
  o.output = nullptr;
  ctnn::fit(p, ctnn::softmax_cross_entropy{}, opt, ctnn::constant_lr(3e-3), {x, t}, o);
  auto ws = std::make_unique<ctnn::workspace<net, float>>();
  const float e1 = ctnn::loss_batch(p, ctnn::softmax_cross_entropy{}, std::span<const float>(x),
                                    std::span<const float>(t), *ws);
  const float e2 = ctnn::loss_batch(p, ctnn::softmax_cross_entropy{}, std::span<const float>(x),
                                    std::span<const float>(t), *ws);
  CHECK(e1 == e2);
  CHECK(e1 < 0.2f);
}

}  // namespace

namespace {

// The same net with another probability: another architecture for model files.
using other_hidden = op::dropout<op::tanh<op::dense<"fc1", 9, x3>>, std::ratio<1, 2>>;
using other_net = ctnn::graph<ctnn::outputs<op::dense<"fc2", 4, op::dropout<op::dense<"mid", 8, other_hidden>, std::ratio<1, 4>>>>>;

TEST_CASE("dropout: printed, spelled and signed with its probability") {
  const std::string eq(ctnn::inspect::equations<small_net, ctnn::squared_error>().view());
  CHECK(eq.find("⊙ m / (1 − 1/3)") != std::string::npos);
  CHECK(eq.find("⊙ m / (1 − 1/4)") != std::string::npos);
  ctnn::parameters<small_net, float> p;
  ctnn::initialize(p, 3);
  const std::string text = ctnn::io::header_text(p, "exported");
  CHECK(text.find("ctnn::op::dropout<n2, std::ratio<1, 3>>") != std::string::npos);
  CHECK(ctnn::io::architecture_signature<small_net> != ctnn::io::architecture_signature<other_net>);
}

}  // namespace
