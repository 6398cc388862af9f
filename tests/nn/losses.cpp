// Every loss: its value against a naive double formula (its gradient through the gradient law is
// in tests/laws/gradcheck_losses.cpp), its numerical stability for logits up to ±1000 against the
// analytic limits, the fused softmax/logits equivalence, and the batch conventions (the mean over
// samples, whose gradient is the mean of the single-sample gradients).

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <ctnn/ctnn.hpp>
#include <limits>
#include <memory>
#include <span>
#include <type_traits>
#include <vector>

#include "../laws/gradcheck.hpp"

namespace {

// ---- naive formulas, in double ------------------------------------------------------------------

double sigmoid_naive(double z) { return 1 / (1 + std::exp(-z)); }

// ½‖a - t‖²
double squared_error_naive(std::span<const double> a, std::span<const double> t) {
  double c = 0;
  for (std::size_t k = 0; k < a.size(); ++k) c += 0.5 * (a[k] - t[k]) * (a[k] - t[k]);
  return c;
}
// -Σ t_k log p_k with p = exp(z) / Σ exp(z), straight from the definition (moderate z only).
double softmax_cross_entropy_naive(std::span<const double> z, std::span<const double> t) {
  double total = 0;
  for (const double v : z) total += std::exp(v);
  double c = 0;
  for (std::size_t k = 0; k < z.size(); ++k) c -= t[k] * std::log(std::exp(z[k]) / total);
  return c;
}
// -Σ t log σ(z) + (1 - t) log(1 - σ(z)), straight from the definition (moderate z only).
double binary_cross_entropy_naive(std::span<const double> z, std::span<const double> t) {
  double c = 0;
  for (std::size_t k = 0; k < z.size(); ++k) {
    const double p = sigmoid_naive(z[k]);
    c -= t[k] * std::log(p) + (1 - t[k]) * std::log(1 - p);
  }
  return c;
}

constexpr std::size_t in = 4, out = 3;
using logits_net = ctnn::network<ctnn::input<in>, ctnn::dense<out>>;
using sigmoid_net = ctnn::network<ctnn::input<in>, ctnn::dense<out>, ctnn::sigmoid>;
using softmax_net = ctnn::network<ctnn::input<in>, ctnn::dense<out>, ctnn::softmax>;

template <class Net>
constexpr int output_kind() {  // 0 identity, 1 sigmoid, 2 softmax
  using A = typename Net::template stage<0>::activation;
  return std::is_same_v<A, ctnn::sigmoid> ? 1 : std::is_same_v<A, ctnn::softmax> ? 2 : 0;
}

// The loss of one sample of a one-layer network, naively from the T values.
template <class Net, class Loss, class T>
double naive_loss(const ctnn::parameters<Net, T>& p, const T* x, const T* t) {
  const auto layer = p.template layer<0>();
  std::array<double, out> z{}, a{}, target{};
  for (std::size_t o = 0; o < out; ++o) {
    z[o] = layer.bias(o);
    for (std::size_t i = 0; i < in; ++i) z[o] += double(layer.weight(o, i)) * double(x[i]);
    target[o] = t[o];
  }
  if constexpr (output_kind<Net>() == 1) {
    for (std::size_t o = 0; o < out; ++o) a[o] = sigmoid_naive(z[o]);
  } else if constexpr (output_kind<Net>() == 2) {
    double total = 0;
    for (const double v : z) total += std::exp(v);
    for (std::size_t o = 0; o < out; ++o) a[o] = std::exp(z[o]) / total;
  } else {
    a = z;
  }
  if constexpr (std::is_same_v<Loss, ctnn::squared_error>)
    return squared_error_naive(a, target);
  else if constexpr (std::is_same_v<Loss, ctnn::softmax_cross_entropy>)
    return softmax_cross_entropy_naive(z, target);
  else
    return binary_cross_entropy_naive(z, target);
}

template <class Net, class Loss, class T>
void check_loss_value(std::uint64_t seed) {
  CAPTURE(Loss::name);
  CAPTURE(laws::describe_network<Net>());
  const auto p = laws::random_parameters<Net, T>(seed);
  constexpr std::size_t n = 37;  // a tile and a part
  const auto x = laws::random_values<T>(n * in, seed + 1, -2, 2);
  const auto t = laws::random_targets<Loss, T>(n, out, seed + 2);
  // The loss is a handful of exp/log of z, whose rounding in T dominates: a relative 1e-5 in
  // float (~80 ulp) and 1e-13 in double. Dropping ½, a term, or the batch mean is off by ≥ 1/37.
  const double tolerance = std::is_same_v<T, float> ? 1e-5 : 1e-13;
  double mean = 0;
  for (std::size_t s = 0; s < n; ++s) {
    const double expected = naive_loss<Net, Loss>(*p, x.data() + s * in, t.data() + s * out);
    mean += expected / n;
    if (s < 5) {
      const double c = ctnn::loss(*p, Loss{}, std::span<const T, in>(x.data() + s * in, in),
                                  std::span<const T, out>(t.data() + s * out, out));
      CHECK(std::abs(c - expected) <= tolerance * std::max(1.0, expected));
    }
  }
  auto ws = std::make_unique<ctnn::workspace<Net, T>>();
  const double batch = ctnn::loss_batch(*p, Loss{}, x, t, *ws);
  CHECK(std::abs(batch - mean) <= tolerance * std::max(1.0, mean));
}

}  // namespace

TEST_CASE_TEMPLATE("each loss's value matches its naive formula, per sample and as a batch mean", T,
                   float, double) {
  check_loss_value<logits_net, ctnn::squared_error, T>(10);
  check_loss_value<sigmoid_net, ctnn::squared_error, T>(20);
  check_loss_value<softmax_net, ctnn::squared_error, T>(30);
  check_loss_value<logits_net, ctnn::softmax_cross_entropy, T>(40);
  check_loss_value<softmax_net, ctnn::softmax_cross_entropy, T>(50);
  check_loss_value<logits_net, ctnn::binary_cross_entropy, T>(60);
  check_loss_value<sigmoid_net, ctnn::binary_cross_entropy, T>(70);
}

// ---- numerical stability ----------------------------------------------------------------------

namespace {

// z = x exactly: W = I, b = 0, so the logits are whatever the input says.
template <class Net, class T>
ctnn::parameters<Net, T> identity_layer() {
  ctnn::parameters<Net, T> p{};
  constexpr std::size_t width = Net::input_size;
  static_assert(width == Net::output_size);
  for (std::size_t k = 0; k < width; ++k) p.template layer<0>().weight(k, k) = T(1);
  return p;
}

// |actual - expected| ≤ 1e-6·max(1, |expected|): the values below are exact or nearly so
// (e^-1000 underflows to 0 in both precisions).
template <class T>
void check_near(T actual, double expected) {
  CHECK(std::isfinite(actual));
  CHECK(std::abs(double(actual) - expected) <= 1e-6 * std::max(1.0, std::abs(expected)));
}

template <class Net, class T>
void check_softmax_cross_entropy_at_1000() {
  CAPTURE(laws::describe_network<Net>());
  const auto p = identity_layer<Net, T>();
  const std::array<T, 3> z{1000, -1000, 0};
  // C = logsumexp(z)·Σt - ⟨t, z⟩ with logsumexp(z) = 1000 (+ log(1 + e^-1000 + e^-2000) = 0);
  // δz = softmax(z)·Σt - t = (1, 0, 0)·Σt - t; ∂W = δz xᵀ, ∂b = δz, ∇ₓC = Wᵀδz = δz.
  const std::array<std::array<T, 3>, 5> targets{{
      {1, 0, 0},          // C = 0
      {0, 1, 0},          // C = 2000
      {0, 0, 1},          // C = 1000
      {0.5, 0.25, 0.25},  // C = 0.25·2000 + 0.25·1000 = 750
      {0.5, 0.5, 1},      // Σt = 2: C = 2·1000 - (500 - 500 + 0) = 2000
  }};
  for (const auto& t : targets) {
    CAPTURE(t[0]);
    CAPTURE(t[1]);
    CAPTURE(t[2]);
    const double mass = double(t[0]) + double(t[1]) + double(t[2]);
    const double expected = 1000 * mass - (1000 * double(t[0]) - 1000 * double(t[1]));
    const std::array<double, 3> delta{mass - t[0], -double(t[1]), -double(t[2])};
    ctnn::gradient<Net, T> g;
    std::array<T, 3> dx{};
    check_near(ctnn::loss(p, ctnn::softmax_cross_entropy{}, z, t), expected);
    check_near(ctnn::loss_and_gradient(p, ctnn::softmax_cross_entropy{}, z, t, g, dx), expected);
    for (std::size_t o = 0; o < 3; ++o) {
      check_near(g.template layer<0>().bias(o), delta[o]);
      check_near(dx[o], delta[o]);
      for (std::size_t i = 0; i < 3; ++i)
        check_near(g.template layer<0>().weight(o, i), delta[o] * double(z[i]));
    }
  }
}

template <class Net, class T>
void check_binary_cross_entropy_at_1000() {
  CAPTURE(laws::describe_network<Net>());
  const auto p = identity_layer<Net, T>();
  for (const double zd : {-1000.0, -100.0, -30.0, -1.0, 0.0, 2.0, 30.0, 100.0, 1000.0}) {
    for (const double td : {0.0, 1.0, 0.25}) {
      CAPTURE(zd);
      CAPTURE(td);
      const std::array<T, 1> z{T(zd)}, t{T(td)};
      // C = softplus(z) - t z = max(z, 0) - t z + log1p(e^-|z|): 1000 for (z, t) = (1000, 0) or
      // (-1000, 1), 0 for (1000, 1) or (-1000, 0). δz = σ(z) - t.
      const double expected = std::max(zd, 0.0) - td * zd + std::log1p(std::exp(-std::abs(zd)));
      const double sigma = zd >= 0 ? 1 / (1 + std::exp(-zd)) : std::exp(zd) / (1 + std::exp(zd));
      const double delta = sigma - td;
      ctnn::gradient<Net, T> g;
      std::array<T, 1> dx{};
      check_near(ctnn::loss(p, ctnn::binary_cross_entropy{}, z, t), expected);
      check_near(ctnn::loss_and_gradient(p, ctnn::binary_cross_entropy{}, z, t, g, dx), expected);
      check_near(g.template layer<0>().bias(0), delta);
      check_near(g.template layer<0>().weight(0, 0), delta * zd);
      check_near(dx[0], delta);
    }
  }
}

}  // namespace

TEST_CASE_TEMPLATE("softmax_cross_entropy is finite and exact for logits ±1000", T, float, double) {
  check_softmax_cross_entropy_at_1000<ctnn::network<ctnn::input<3>, ctnn::dense<3>>, T>();
  check_softmax_cross_entropy_at_1000<ctnn::network<ctnn::input<3>, ctnn::dense<3>, ctnn::softmax>,
                                      T>();
}

TEST_CASE_TEMPLATE("binary_cross_entropy is finite and exact for |z| up to 1000", T, float,
                   double) {
  check_binary_cross_entropy_at_1000<ctnn::network<ctnn::input<1>, ctnn::dense<1>>, T>();
  check_binary_cross_entropy_at_1000<ctnn::network<ctnn::input<1>, ctnn::dense<1>, ctnn::sigmoid>,
                                     T>();
}

// ---- softmax_cross_entropy: logits or a last softmax, same loss and gradient -------------------

namespace {

// |a - b| ≤ tolerance · max|b| over the block: entry-wise agreement at the block's own scale.
template <class T>
void check_same_block(std::span<const T> a, std::span<const T> b, double tolerance,
                      const char* what) {
  REQUIRE(a.size() == b.size());
  double scale = 0;
  for (const T v : b) scale = std::max(scale, std::abs(double(v)));
  for (std::size_t k = 0; k < a.size(); ++k) {
    INFO(what, " entry ", k, ": ", double(a[k]), " vs ", double(b[k]));
    CHECK(std::abs(double(a[k]) - double(b[k])) <= tolerance * scale);
  }
}

template <class T>
constexpr double same_tolerance = std::is_same_v<T, float> ? 1e-5 : 1e-13;

}  // namespace

TEST_CASE_TEMPLATE(
    "softmax_cross_entropy gives the same loss and gradient on logits and on a "
    "last softmax",
    T, float, double) {
  using logits = ctnn::network<ctnn::input<5>, ctnn::dense<6>, ctnn::tanh, ctnn::dense<4>>;
  using softmax =
      ctnn::network<ctnn::input<5>, ctnn::dense<6>, ctnn::tanh, ctnn::dense<4>, ctnn::softmax>;
  static_assert(logits::parameter_count == softmax::parameter_count);
  const auto pl = laws::random_parameters<logits, T>(7);
  ctnn::parameters<softmax, T> ps;
  ps.values = pl->values;
  const ctnn::softmax_cross_entropy loss;

  constexpr std::size_t n = 70;
  const auto x = laws::random_values<T>(n * 5, 8, -3, 3);
  const auto t = laws::random_targets<ctnn::softmax_cross_entropy, T>(n, 4, 9);
  {
    ctnn::gradient<logits, T> gl;
    ctnn::gradient<softmax, T> gs;
    std::array<T, 5> dxl{}, dxs{};
    const auto x0 = std::span<const T, 5>(x.data(), 5);
    const auto t0 = std::span<const T, 4>(t.data(), 4);
    const T cl = ctnn::loss_and_gradient(*pl, loss, x0, t0, gl, dxl);
    const T cs = ctnn::loss_and_gradient(ps, loss, x0, t0, gs, dxs);
    CHECK(std::abs(double(cl) - double(cs)) <= same_tolerance<T> * double(cl));
    check_same_block<T>(gs.flat(), gl.flat(), same_tolerance<T>, "∂C/∂parameters (one sample)");
    check_same_block<T>(dxs, dxl, same_tolerance<T>, "∇ₓC (one sample)");
  }
  {
    auto gl = std::make_unique<ctnn::gradient<logits, T>>();
    auto gs = std::make_unique<ctnn::gradient<softmax, T>>();
    auto wl = std::make_unique<ctnn::workspace<logits, T>>();
    auto wsm = std::make_unique<ctnn::workspace<softmax, T>>();
    std::vector<T> dxl(x.size()), dxs(x.size());
    const T cl = ctnn::loss_and_gradient_batch(*pl, loss, x, t, *gl, *wl, dxl);
    const T cs = ctnn::loss_and_gradient_batch(ps, loss, x, t, *gs, *wsm, dxs);
    CHECK(std::abs(double(cl) - double(cs)) <= same_tolerance<T> * double(cl));
    check_same_block<T>(gs->flat(), gl->flat(), same_tolerance<T>, "∂C/∂parameters (batch)");
    check_same_block<T>(dxs, dxl, same_tolerance<T>, "∇ₓC (batch)");
  }
}

// ---- batch conventions --------------------------------------------------------------------------

TEST_CASE_TEMPLATE("squared_error's batch loss is the mean over samples of ½‖y - t‖²", T, float,
                   double) {
  using net = ctnn::network<ctnn::input<5>, ctnn::dense<8>, ctnn::gelu, ctnn::dense<3>>;
  const auto p = laws::random_parameters<net, T>(11);
  for (const std::size_t n : {1, 3, 32, 33, 70}) {
    CAPTURE(n);
    const auto x = laws::random_values<T>(n * 5, 12 + n);
    const auto t = laws::random_targets<ctnn::squared_error, T>(n, 3, 13 + n);
    auto ws = std::make_unique<ctnn::workspace<net, T>>();
    std::vector<T> y(n * 3);
    ctnn::forward_batch(*p, x, y, *ws);
    double mean = 0;
    for (std::size_t s = 0; s < n; ++s)
      for (std::size_t k = 0; k < 3; ++k) {
        const double e = double(y[s * 3 + k]) - double(t[s * 3 + k]);
        mean += 0.5 * e * e / double(n);
      }
    const double c = ctnn::loss_batch(*p, ctnn::squared_error{}, x, t, *ws);
    CHECK(std::abs(c - mean) <= same_tolerance<T> * mean);
  }
}

namespace {

// The batch gradient against the mean of single-sample gradients (a consistency check of the
// batch path, tiles and 1/n; the law above checks each against central differences).
template <class Net, class Loss, class T>
void check_batch_is_mean_of_samples(std::uint64_t seed) {
  CAPTURE(Loss::name);
  constexpr std::size_t i = Net::input_size, o = Net::output_size;
  const auto p = laws::random_parameters<Net, T>(seed);
  for (const std::size_t n : {1, 3, 33, 70}) {
    CAPTURE(n);
    const auto x = laws::random_values<T>(n * i, seed + n);
    const auto t = laws::random_targets<Loss, T>(n, o, seed + 2 * n);
    auto ws = std::make_unique<ctnn::workspace<Net, T>>();
    auto gb = std::make_unique<ctnn::gradient<Net, T>>();
    std::vector<T> dxb(n * i);
    const double cb = ctnn::loss_and_gradient_batch(*p, Loss{}, x, t, *gb, *ws, dxb);

    std::vector<double> mean(Net::parameter_count, 0.0);
    std::vector<T> mean_t(Net::parameter_count), dx_expected(n * i);
    double c_mean = 0;
    auto g = std::make_unique<ctnn::gradient<Net, T>>();
    for (std::size_t s = 0; s < n; ++s) {
      std::array<T, i> dx{};
      c_mean +=
          double(ctnn::loss_and_gradient(*p, Loss{}, std::span<const T, i>(x.data() + s * i, i),
                                         std::span<const T, o>(t.data() + s * o, o), *g, dx)) /
          double(n);
      for (std::size_t k = 0; k < Net::parameter_count; ++k) mean[k] += double((*g)[k]) / double(n);
      for (std::size_t j = 0; j < i; ++j) dx_expected[s * i + j] = T(double(dx[j]) / double(n));
    }
    for (std::size_t k = 0; k < Net::parameter_count; ++k) mean_t[k] = T(mean[k]);
    CHECK(std::abs(cb - c_mean) <= same_tolerance<T> * c_mean);
    check_same_block<T>(gb->flat(), mean_t, same_tolerance<T>, "batch ∂C/∂parameters");
    check_same_block<T>(dxb, dx_expected, same_tolerance<T>, "batch ∇ₓC");
  }
}

}  // namespace

TEST_CASE_TEMPLATE("a batch's gradient is the mean of its samples' gradients, for every loss", T,
                   float, double) {
  using net = ctnn::network<ctnn::input<5>, ctnn::dense<8>, ctnn::swish, ctnn::dense<3>>;
  check_batch_is_mean_of_samples<net, ctnn::squared_error, T>(600);
  check_batch_is_mean_of_samples<net, ctnn::softmax_cross_entropy, T>(700);
  check_batch_is_mean_of_samples<net, ctnn::binary_cross_entropy, T>(800);
}
