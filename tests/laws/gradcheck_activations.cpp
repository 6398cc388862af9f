// Every activation against the gradient law (gradcheck.hpp), and each elementwise activation's
// derivative rule against central differences of its forward rule, and its SIMD evaluation
// against its scalar evaluation.
//
// The law runs on input<5>, dense<7>, A, dense<3>, A: the activation A both in a hidden layer
// (where only the δ arriving from above reaches it) and in the output layer (where the loss meets
// it: squared_error goes through A's derivative; softmax_cross_entropy and binary_cross_entropy
// are fused with softmax and sigmoid). It runs in float and double, for one sample and for
// batches of 1, 3, 33 and 70 (one sample, less than a tile, one past the 32-sample tile, two tiles
// and a part), and checks both ∂C/∂parameters and ∇ₓC.

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ctnn/ctnn.hpp>
#include <limits>
#include <ratio>
#include <span>
#include <tuple>
#include <type_traits>
#include <vector>

#include "gradcheck.hpp"

namespace {

using leaky_relu_fifth = ctnn::leaky_relu<std::ratio<1, 5>>;
using elu_three_halves = ctnn::elu<std::ratio<3, 2>>;

using elementwise_activations =
    std::tuple<ctnn::identity, ctnn::sigmoid, ctnn::tanh, ctnn::relu, ctnn::leaky_relu<>,
               leaky_relu_fifth, ctnn::elu<>, elu_three_halves, ctnn::softplus, ctnn::swish,
               ctnn::mish, ctnn::gelu>;

// f.template operator()<A>() for each type A of the tuple.
template <class Tuple>
struct each_type;
template <class... A>
struct each_type<std::tuple<A...>> {
  template <class F>
  static void apply(F f) {
    (f.template operator()<A>(), ...);
  }
};
template <class Tuple, class F>
void for_each_type(F f) {
  each_type<Tuple>::apply(f);
}

template <class A>
using hidden_and_output = ctnn::network<ctnn::input<5>, ctnn::dense<7>, A, ctnn::dense<3>, A>;
// Logits: a last dense layer without activation, as the cross-entropies take it.
using logits = ctnn::network<ctnn::input<5>, ctnn::dense<7>, ctnn::tanh, ctnn::dense<3>>;

// The law for one network and loss: one sample, then batches of 1, 3, 33 and 70.
template <class Net, class Loss, class T, class Arch = ctnn::simd::default_arch,
          bool SingleSample = true>
void check_law(std::uint64_t seed) {
  constexpr std::size_t in = Net::input_size, out = Net::output_size;
  const auto p = laws::random_parameters<Net, T>(seed);
  if constexpr (SingleSample) {
    const auto x = laws::random_values<T>(in, seed + 1);
    const auto t = laws::random_targets<Loss, T>(1, out, seed + 2);
    const laws::gradcheck_report r = laws::check_gradient<Arch>(
        *p, Loss{}, std::span<const T, in>(x.data(), in), std::span<const T, out>(t.data(), out));
    CHECK_MESSAGE(r.ok(), r.describe());
  }
  for (const std::size_t n : {1, 3, 33, 70}) {
    const auto x = laws::random_values<T>(n * in, seed + 10 * n + 3);
    const auto t = laws::random_targets<Loss, T>(n, out, seed + 10 * n + 4);
    const laws::gradcheck_report r = laws::check_gradient_batch<Arch>(*p, Loss{}, x, t);
    CHECK_MESSAGE(r.ok(), r.describe());
  }
}

}  // namespace

TEST_CASE_TEMPLATE("every activation passes the gradient law, hidden and at the output", T, float,
                   double) {
  std::uint64_t seed = 100;
  for_each_type<elementwise_activations>(
      [&]<class A>() { check_law<hidden_and_output<A>, ctnn::squared_error, T>(seed += 100); });
  check_law<hidden_and_output<ctnn::softmax>, ctnn::squared_error, T>(seed += 100);
}

TEST_CASE_TEMPLATE("the cross-entropies pass the gradient law, fused and on logits", T, float,
                   double) {
  check_law<hidden_and_output<ctnn::softmax>, ctnn::softmax_cross_entropy, T>(31);
  check_law<hidden_and_output<ctnn::sigmoid>, ctnn::binary_cross_entropy, T>(32);
  check_law<logits, ctnn::softmax_cross_entropy, T>(33);
  check_law<logits, ctnn::binary_cross_entropy, T>(34);
}

TEST_CASE_TEMPLATE("the gradient law runs the scalar architecture explicitly", T, float, double) {
  // Batches only, and one single-sample case: each instantiation of a network for one more
  // architecture costs about half a second of compile time, and the single-sample path differs
  // from a batch of 1 only by its workspace.
  using scalar = ctnn::simd::scalar_arch;
  check_law<hidden_and_output<ctnn::mish>, ctnn::squared_error, T, scalar, false>(41);
  check_law<hidden_and_output<ctnn::softmax>, ctnn::softmax_cross_entropy, T, scalar,
            std::is_same_v<T, double>>(42);
}

// ---- the law itself can fail ----------------------------------------------------------------

namespace {

// tanh with a derivative 10% too small: a user-defined activation (any elementwise_activation
// works in a network), so the law's failure can be shown without breaking the library.
struct wrong_tanh : ctnn::elementwise_activation {
  static constexpr std::string_view name = "wrong_tanh";
  template <class V>
  static V value(const V& z) {
    return ctnn::tanh::value(z);
  }
  template <class V>
  static V derivative(const V& z, const V& a) {
    return V(0.9) * ctnn::tanh::derivative(z, a);
  }
};

}  // namespace

TEST_CASE_TEMPLATE("the gradient law catches a derivative that is 10% off", T, float, double) {
  using net = hidden_and_output<wrong_tanh>;
  const auto p = laws::random_parameters<net, T>(51);
  const auto x = laws::random_values<T>(3 * net::input_size, 52);
  const auto t = laws::random_targets<ctnn::squared_error, T>(3, net::output_size, 53);
  const laws::gradcheck_report r = laws::check_gradient_batch(*p, ctnn::squared_error{}, x, t);
  CHECK_MESSAGE(!r.ok(), r.describe());
  CHECK(r.worst_error > 0.05);
  CHECK(r.worst_input_error > 0.05);  // ∇ₓC flows through both wrong derivatives
}

TEST_CASE("the gradient law skips entries whose step crosses a relu kink, and counts them") {
  // z₀ = W[0,:]·x + b[0] is put 1e-7 above 0, far inside the step h ≈ 7.6e-6: the differences
  // for W[0, i], b[0] and every x_i (all move z₀ by more than 1e-7) straddle the kink.
  using net = ctnn::network<ctnn::input<3>, ctnn::dense<4>, ctnn::relu, ctnn::dense<2>>;
  auto p = laws::random_parameters<net, double>(61);
  const std::array<double, 3> x{0.5, -0.75, 1.0};
  const std::array<double, 2> t{0.25, -0.5};
  auto first = p->layer<0>();
  double z0 = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    first.weight(0, i) = 0.5 + 0.25 * double(i);  // |W[0, i]| ≥ 0.5: every x_i crosses too
    z0 += first.weight(0, i) * x[i];
  }
  first.bias(0) = 1e-7 - z0;
  const laws::gradcheck_report r = laws::check_gradient(*p, ctnn::squared_error{}, x, t);
  CHECK_MESSAGE(r.skipped == 7, r.describe());         // W[0, 0..2], b[0], x₀..x₂
  CHECK_MESSAGE(r.worst_error <= 1e-6, r.describe());  // everything else still agrees
  CHECK_MESSAGE(!r.ok(), r.describe());  // but 7 of 29 entries skipped is more than allowed
}

// ---- derivative rules against central differences of the value rules ---------------------------

namespace {

template <class A>
constexpr bool kinked_at_zero = laws::is_kinked<A>::value;

// z from -30 to 30 in steps of 1/8 (saturated tails included), and points near 0 and ±1.
std::vector<double> z_grid() {
  std::vector<double> z;
  for (int k = -240; k <= 240; ++k) z.push_back(k / 8.0);
  for (double v : {1e-3, 3e-2, 0.3, 0.7, 1.19, 2.5, 5.0, 13.0, 21.0})
    for (double s : {-1.0, 1.0}) z.push_back(s * v);
  return z;
}

struct derivative_mismatch {
  double worst = 0;  // max |derivative − fd| / max(1, |fd|)
  double at = 0;
};

// Central differences of A::value in double with h = 2⁻¹⁷·max(1, |z|): truncation h²f'''/6
// ≲ 1e-11, rounding 1e-16·|f|/h ≲ 3e-11 at |z| = 30. Kinked activations skip |z| ≤ 2h.
template <class A>
derivative_mismatch check_derivative() {
  derivative_mismatch m;
  for (const double z : z_grid()) {
    const double h = 0x1p-17 * std::max(1.0, std::abs(z));
    if (kinked_at_zero<A> && std::abs(z) <= 2 * h) continue;
    const double fd = (A::value(z + h) - A::value(z - h)) / ((z + h) - (z - h));
    const double d = A::derivative(z, A::value(z));
    const double error = std::isfinite(d) ? std::abs(d - fd) / std::max(1.0, std::abs(fd))
                                          : std::numeric_limits<double>::infinity();
    if (error > m.worst) m = {error, z};
  }
  return m;
}

}  // namespace

TEST_CASE("each elementwise derivative rule matches central differences of its value rule") {
  for_each_type<elementwise_activations>([]<class A>() {
    const derivative_mismatch m = check_derivative<A>();
    INFO(A::name, ": worst |f' − fd| / max(1, |fd|) = ", m.worst, " at z = ", m.at);
    CHECK(m.worst <= 1e-8);
  });
  // And the check can fail: a 10% error is far above the bound.
  CHECK(check_derivative<wrong_tanh>().worst > 1e-2);
}

TEST_CASE("at the kink z = 0 the derivative rules take PyTorch's one-sided values") {
  // relu'(0) = 0, leaky_relu'(0) = slope, elu'(0) = α (the z ≤ 0 side throughout).
  CHECK(ctnn::relu::derivative(0.0, 0.0) == 0.0);
  CHECK(ctnn::leaky_relu<>::derivative(0.0, 0.0) == 0.01);
  CHECK(leaky_relu_fifth::derivative(0.0, 0.0) == 0.2);
  CHECK(ctnn::elu<>::derivative(0.0, ctnn::elu<>::value(0.0)) == 1.0);
  CHECK(elu_three_halves::derivative(0.0, elu_three_halves::value(0.0)) == 1.5);
}

// ---- SIMD packs against scalars ---------------------------------------------------------------

namespace {

// Distance in units in the last place (adjacent floats are 1 apart; +0 and -0 are 0 apart).
template <class T>
std::uint64_t ulp_distance(T a, T b) {
  using bits = std::conditional_t<sizeof(T) == 4, std::int32_t, std::int64_t>;
  auto ordered = [](T v) {
    bits i;
    std::memcpy(&i, &v, sizeof v);
    return i < 0 ? std::int64_t(std::numeric_limits<bits>::min()) - std::int64_t(i)
                 : std::int64_t(i);
  };
  const std::int64_t x = ordered(a), y = ordered(b);
  return x > y ? std::uint64_t(x - y) : std::uint64_t(y - x);
}

// "Within a few ulp": 4 ulp of the result, or 4 ulp of 1 + |z|, the size of the terms of every
// formula here. xsimd's and libm's exp, expm1, tanh and erf each round on their own (an ulp or
// two), and a formula that subtracts nearly equal terms turns that into many ulps of a small
// result but never more than an ulp or two of the terms: 1 + erf(z/√2) in gelu for z < 0 (3820
// ulp of gelu(-3.7) in float), a + α in elu' for z ≪ 0, a(1 - a) and 1 - a² when saturated, and
// mish' near its zero at z ≈ -1.19.
// One exception, measured and not ctnn's: xsimd 8.1's erf for double packs is off by up to 63 ulp
// (near |u| = 2.2, against long double erfl; glibc's erf: 0.6 ulp), so gelu in double gets 128 ulp
// of its terms. Its float erf is within 1.6 ulp.
template <class A, class T>
constexpr double term_ulps = std::is_same_v<A, ctnn::gelu>&& std::is_same_v<T, double> ? 128 : 4;

template <class A, class T>
bool within_a_few_ulp(T simd, T scalar, T z) {
  if (std::isnan(simd) || std::isnan(scalar)) return std::isnan(simd) && std::isnan(scalar);
  if (ulp_distance(simd, scalar) <= 4) return true;
  const double terms = 1.0 + std::abs(double(z));
  return std::abs(double(simd) - double(scalar)) <=
         term_ulps<A, T> * double(std::numeric_limits<T>::epsilon()) * terms;
}

template <class A, class T>
void check_simd_matches_scalar() {
  using traits = ctnn::simd::pack_traits<T, ctnn::simd::default_arch>;
  constexpr std::size_t lanes = traits::lanes;
  std::vector<T> z;
  for (const double v : z_grid()) z.push_back(T(v));
  for (const double v : {-1000.0, -100.0, -88.0, 88.0, 100.0, 1000.0}) z.push_back(T(v));
  while (z.size() % lanes != 0) z.push_back(T(0.5));
  std::vector<T> value(z.size()), derivative(z.size());
  for (std::size_t k = 0; k < z.size(); k += lanes) {
    const auto zp = traits::load(z.data() + k);
    const auto ap = A::value(zp);
    traits::store(value.data() + k, ap);
    traits::store(derivative.data() + k, A::derivative(zp, ap));
  }
  std::size_t bad = 0;
  for (std::size_t k = 0; k < z.size(); ++k) {
    const T a = A::value(z[k]);
    const T d = A::derivative(z[k], a);
    const bool ok =
        within_a_few_ulp<A>(value[k], a, z[k]) && within_a_few_ulp<A>(derivative[k], d, z[k]);
    if (!ok && bad++ < 3)  // the first few, not hundreds
      FAIL_CHECK(A::name, " at z = ", z[k], ": SIMD value ", value[k], " vs scalar ", a, " (",
                 ulp_distance(value[k], a), " ulp), SIMD derivative ", derivative[k], " vs scalar ",
                 d, " (", ulp_distance(derivative[k], d), " ulp)");
  }
  CHECK_MESSAGE(bad == 0, A::name, ": ", bad, " of ", z.size(), " points differ");
}

}  // namespace

TEST_CASE_TEMPLATE("SIMD evaluation of each elementwise activation equals scalar evaluation", T,
                   float, double) {
  for_each_type<elementwise_activations>([]<class A>() { check_simd_matches_scalar<A, T>(); });
}
