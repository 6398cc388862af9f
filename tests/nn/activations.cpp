// Activation values against independent formulas written here with std:: functions in double,
// softmax against exp/Σexp, finiteness for |z| up to 1000, and the forward pass of one dense
// layer against the activation of W x + b computed naively. (Derivatives are checked against
// central differences in tests/laws/gradcheck_activations.cpp.)

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <random>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <ctnn/ctnn.hpp>
#include <limits>
#include <memory>
#include <numeric>
#include <ratio>
#include <span>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

namespace {

// ---- the independent formulas, in double ----------------------------------------------------

// Each branch is written so that nothing overflows and nothing cancels.
double sigmoid_ref(double z) {
  return z >= 0 ? 1 / (1 + std::exp(-z)) : std::exp(z) / (1 + std::exp(z));
}
// tanh|z| = (1 - e^{-2|z|}) / (1 + e^{-2|z|}), through expm1 so that small |z| keeps its digits.
double tanh_ref(double z) {
  const double e = std::expm1(-2 * std::abs(z));
  return std::copysign(-e / (2 + e), z);
}
double softplus_ref(double z) {
  return z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z));
}

template <class A>
struct reference;  // reference<A>::value(z): A's value by an independent formula

template <>
struct reference<ctnn::identity> {
  static double value(double z) { return z; }
};
template <>
struct reference<ctnn::sigmoid> {
  static double value(double z) { return sigmoid_ref(z); }
};
template <>
struct reference<ctnn::tanh> {
  static double value(double z) { return tanh_ref(z); }
};
template <>
struct reference<ctnn::relu> {
  static double value(double z) { return z > 0 ? z : 0.0; }
};
template <>
struct reference<ctnn::leaky_relu<>> {
  static double value(double z) { return z > 0 ? z : 0.01 * z; }
};
template <>
struct reference<ctnn::leaky_relu<std::ratio<1, 5>>> {
  static double value(double z) { return z > 0 ? z : 0.2 * z; }
};
template <>
struct reference<ctnn::elu<>> {
  static double value(double z) { return z > 0 ? z : std::expm1(z); }
};
template <>
struct reference<ctnn::elu<std::ratio<3, 2>>> {
  static double value(double z) { return z > 0 ? z : 1.5 * std::expm1(z); }
};
template <>
struct reference<ctnn::softplus> {
  static double value(double z) { return softplus_ref(z); }
};
template <>
struct reference<ctnn::swish> {
  static double value(double z) { return z * sigmoid_ref(z); }
};
template <>
struct reference<ctnn::mish> {
  // z·tanh(log1p(e^z)); for z > 700 e^z is inf, log1p(inf) = inf and tanh(inf) = 1: still right.
  static double value(double z) { return z * std::tanh(std::log1p(std::exp(z))); }
};
template <>
struct reference<ctnn::gelu> {
  // ½z(1 + erf(z/√2)) = ½z·erfc(-z/√2); erfc keeps the tail z ≪ 0 accurate.
  static double value(double z) { return 0.5 * z * std::erfc(-z / std::sqrt(2.0)); }
};

using elementwise_activations =
    std::tuple<ctnn::identity, ctnn::sigmoid, ctnn::tanh, ctnn::relu, ctnn::leaky_relu<>,
               ctnn::leaky_relu<std::ratio<1, 5>>, ctnn::elu<>, ctnn::elu<std::ratio<3, 2>>,
               ctnn::softplus, ctnn::swish, ctnn::mish, ctnn::gelu>;

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

// |v - ref| ≤ 16 ulp of ref: every formula here keeps its relative accuracy (softplus and
// sigmoid are written without cancellation, elu uses expm1), except gelu's 1 + erf(z/√2), which
// for z ≪ 0 adds nearly opposite terms; there the result keeps only the absolute accuracy of
// those terms, 16 ulp of ½|z|, in ctnn as in any implementation of the formula (PyTorch's too).
// Below T's smallest normal number (1.2e-38 in float) values underflow: σ(-100) is 3.7e-44 but 0
// in float, where e^100 overflows; so |z| times that much is allowed on top.
template <class A, class T>
bool close_to_reference(double v, double ref, double z) {
  const double eps = std::numeric_limits<T>::epsilon();
  const double terms = std::is_same_v<A, ctnn::gelu> ? 0.5 * std::abs(z) : 0.0;
  return std::abs(v - ref) <=
         16 * eps * (std::abs(ref) + terms) + std::numeric_limits<T>::min() * (1 + std::abs(z));
}

std::vector<double> z_grid() {
  std::vector<double> z;
  for (int k = -240; k <= 240; ++k) z.push_back(k / 8.0);  // -30 … 30
  for (double v : {1e-30, 1e-8, 1e-4, 0.3, 1.19, 37.5, 50.0, 88.5, 100.0, 700.0, 1000.0})
    for (double s : {-1.0, 1.0}) z.push_back(s * v);
  return z;
}

template <class A, class T>
void check_values() {
  std::size_t bad = 0;
  for (const double zd : z_grid()) {
    const T z = static_cast<T>(zd);
    const double v = static_cast<double>(A::value(z));
    const double ref = reference<A>::value(static_cast<double>(z));
    if (!std::isfinite(v) || !close_to_reference<A, T>(v, ref, z)) {
      if (bad++ < 3) FAIL_CHECK(A::name, " at z = ", double(z), ": ctnn ", v, ", reference ", ref);
    }
  }
  CHECK_MESSAGE(bad == 0, A::name, ": ", bad, " values differ from the reference");
}

}  // namespace

TEST_CASE_TEMPLATE("elementwise activation values match independent formulas", T, float, double) {
  for_each_type<elementwise_activations>([]<class A>() { check_values<A, T>(); });
}

TEST_CASE_TEMPLATE("saturating activations stay finite and reach their limits at |z| = 1000", T,
                   float, double) {
  // Scalars, and packs of the default architecture (what the network loops use).
  using traits = ctnn::simd::pack_traits<T, ctnn::simd::default_arch>;
  for (const T z : {T(-1000), T(-100), T(100), T(1000)}) {
    CAPTURE(z);
    std::vector<T> zs(traits::lanes, z), out(traits::lanes);
    auto pack_value = [&](auto f) {
      traits::store(out.data(), f(traits::load(zs.data())));
      return out[traits::lanes - 1];
    };
    for_each_type<elementwise_activations>([&]<class A>() {
      const T scalar = A::value(z);
      const T packed = pack_value([](auto v) { return A::value(v); });
      CHECK_MESSAGE(std::isfinite(scalar), A::name);
      CHECK_MESSAGE(std::isfinite(packed), A::name);
      if (std::abs(z) < 1000) return;
      // The exact limits at ±1000: σ → 1 or 0, tanh → ±1, softplus(z) → z or 0, in both
      // precisions (e^-1000 underflows to 0 even in double).
      const T sign = z > 0 ? T(1) : T(-1);
      const T positive_part = z > 0 ? z : T(0);
      if constexpr (std::is_same_v<A, ctnn::sigmoid>) {
        CHECK(scalar == (z > 0 ? T(1) : T(0)));
        CHECK(packed == (z > 0 ? T(1) : T(0)));
      } else if constexpr (std::is_same_v<A, ctnn::tanh>) {
        CHECK(scalar == sign);
        CHECK(packed == sign);
      } else if constexpr (std::is_same_v<A, ctnn::softplus>) {
        CHECK(scalar == positive_part);
        CHECK(packed == positive_part);
      }
    });
  }
}

// ---- softmax ------------------------------------------------------------------------------------

namespace {

// exp(z_k) / Σ_j exp(z_j), with the shift by max z that every implementation uses (it changes
// nothing mathematically and keeps exp finite).
std::vector<double> softmax_ref(std::span<const double> z) {
  const double m = *std::max_element(z.begin(), z.end());
  std::vector<double> p(z.size());
  double total = 0;
  for (std::size_t k = 0; k < z.size(); ++k) total += (p[k] = std::exp(z[k] - m));
  for (double& v : p) v /= total;
  return p;
}

template <class T, class Arch>
void check_softmax_rows(std::size_t width) {
  CAPTURE(width);
  constexpr std::size_t rows = 5;
  std::vector<T> z(rows * width), a(rows * width, T(-1));
  for (std::size_t k = 0; k < z.size(); ++k)  // spread over ±8, and one row of huge logits
    z[k] = static_cast<T>(std::sin(0.7 * double(k) + 0.3) * 8);
  for (std::size_t k = 0; k < width; ++k) z[4 * width + k] = static_cast<T>(k % 2 ? 1000 : -1000);
  ctnn::softmax::forward_rows<Arch>(z.data(), a.data(), width, rows);
  for (std::size_t s = 0; s < rows; ++s) {
    CAPTURE(s);
    std::vector<double> zs(z.begin() + s * width, z.begin() + (s + 1) * width);
    const std::vector<double> ref = softmax_ref(zs);
    double sum = 0;
    for (std::size_t k = 0; k < width; ++k) {
      const double v = a[s * width + k];
      sum += v;
      CHECK(std::isfinite(v));
      CHECK(std::abs(v - ref[k]) <= 8 * std::numeric_limits<T>::epsilon() * (ref[k] + 1e-30) +
                                        std::numeric_limits<T>::min());
    }
    CHECK(std::abs(sum - 1) <= 8 * double(width) * std::numeric_limits<T>::epsilon());
  }
}

}  // namespace

TEST_CASE_TEMPLATE("softmax rows sum to 1 and equal exp / Σ exp, for any width", T, float, double) {
  for (const std::size_t width : {1, 2, 3, 7, 8, 16, 17, 33}) {
    check_softmax_rows<T, ctnn::simd::default_arch>(width);
    check_softmax_rows<T, ctnn::simd::scalar_arch>(width);
  }
}

TEST_CASE_TEMPLATE("softmax of logits ±1000 is finite and exact", T, float, double) {
  const std::array<T, 3> z1{1000, -1000, 0};
  const std::array<T, 3> z2{1000, 1000, -1000};
  const std::array<T, 3> z3{-1000, -1000, -1000};
  std::array<T, 3> a{};
  ctnn::softmax::forward_rows<ctnn::simd::default_arch>(z1.data(), a.data(), 3, 1);
  CHECK(a == std::array<T, 3>{1, 0, 0});
  ctnn::softmax::forward_rows<ctnn::simd::default_arch>(z2.data(), a.data(), 3, 1);
  CHECK(a == std::array<T, 3>{0.5, 0.5, 0});
  ctnn::softmax::forward_rows<ctnn::simd::default_arch>(z3.data(), a.data(), 3, 1);
  for (const T v : a) CHECK(std::abs(double(v) - 1.0 / 3) <= 2 * std::numeric_limits<T>::epsilon());
}

// ---- one dense layer: forward equals f(W x + b) computed naively ------------------------------

namespace {

// 19 inputs and 17 outputs: neither fills whole SIMD registers (8 doubles, 16 floats on AVX-512;
// 4 and 8 on AVX2), so the vector bodies and the scalar remainders of the loops both run.
constexpr std::size_t in = 19, out = 17;

template <class A>
using one_layer = ctnn::network<ctnn::input<in>, ctnn::dense<out>, A>;

// Deterministic, varied values in [-1, 1).
template <class T>
std::vector<T> values(std::size_t count, std::uint64_t seed) {
  std::vector<T> v(count);
  std::uint64_t s = seed;
  for (auto& e : v) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    e = static_cast<T>(static_cast<double>(s >> 11) * 0x1p-52 - 1.0);
  }
  return v;
}

// z = W x + b in double from the T values, and |W| |x| + |b| (the scale of its rounding error).
template <class T>
void naive_affine(const std::vector<T>& w, const std::vector<T>& b, const T* x,
                  std::array<double, out>& z, std::array<double, out>& scale) {
  for (std::size_t o = 0; o < out; ++o) {
    z[o] = b[o];
    scale[o] = std::abs(double(b[o]));
    for (std::size_t i = 0; i < in; ++i) {
      z[o] += double(w[o * in + i]) * double(x[i]);
      scale[o] += std::abs(double(w[o * in + i]) * double(x[i]));
    }
  }
}

// Output y (in T) against the reference at the naive z: the dot product's rounding error is at
// most In·eps·scale (|f'| ≤ 1.13 for every activation here), plus f's own few ulp.
template <class T>
bool close_after_affine(double y, double ref, double z, double scale) {
  const double eps = std::numeric_limits<T>::epsilon();
  return std::isfinite(y) && std::abs(y - ref) <= 1.2 * double(in) * eps * scale +
                                                      16 * eps * (std::abs(ref) + 1 + std::abs(z));
}

template <class A, class T>
void check_one_layer() {
  using net = one_layer<A>;
  auto p = std::make_unique<ctnn::parameters<net, T>>();
  const std::vector<T> w = values<T>(in * out, 1), b = values<T>(out, 2);
  std::copy(w.begin(), w.end(), p->template layer<0>().weights().begin());
  std::copy(b.begin(), b.end(), p->template layer<0>().biases().begin());
  // Scale x so that z reaches about ±6: both tails of every activation.
  std::vector<T> x = values<T>(70 * in, 3);
  for (auto& v : x) v *= T(1.5);

  constexpr std::size_t n = 70;  // two tiles and a part
  std::vector<T> y(n * out);
  auto ws = std::make_unique<ctnn::workspace<net, T>>();
  ctnn::forward_batch(*p, x, y, *ws);

  std::size_t bad = 0;
  for (std::size_t s = 0; s < n; ++s) {
    std::array<double, out> z{}, scale{};
    naive_affine(w, b, x.data() + s * in, z, scale);
    std::array<double, out> ref{};
    if constexpr (std::is_same_v<A, ctnn::softmax>) {
      const std::vector<double> p_ref = softmax_ref(z);
      std::copy(p_ref.begin(), p_ref.end(), ref.begin());
    } else {
      for (std::size_t o = 0; o < out; ++o) ref[o] = reference<A>::value(z[o]);
    }
    // The single-sample entry point on the first samples.
    const std::array<T, out> single =
        s < 3 ? ctnn::forward(*p, std::span<const T, in>(x.data() + s * in, in))
              : std::array<T, out>{};
    for (std::size_t o = 0; o < out; ++o) {
      const double yb = y[s * out + o];
      bool ok = close_after_affine<T>(yb, ref[o], z[o], scale[o]);
      if (s < 3) ok = ok && close_after_affine<T>(single[o], ref[o], z[o], scale[o]);
      if (!ok && bad++ < 3)
        FAIL_CHECK(A::name, " sample ", s, " output ", o, ": forward_batch ", yb,
                   (s < 3 ? ", forward " : ""), (s < 3 ? double(single[o]) : 0.0), ", naive ",
                   ref[o], " (z = ", z[o], ")");
    }
  }
  CHECK_MESSAGE(bad == 0, A::name, ": ", bad, " outputs differ from f(W x + b)");
}

}  // namespace

TEST_CASE_TEMPLATE("the forward pass of one dense layer is f(W x + b)", T, float, double) {
  for_each_type<elementwise_activations>([]<class A>() { check_one_layer<A, T>(); });
  check_one_layer<ctnn::softmax, T>();
}

// What quantization_error_bound (nn/quantization_bound.hpp) relies on: |f'| ≤ lipschitz
// everywhere, f non-decreasing where `increasing` is declared, and |f'| ≤ max_slope(low, high) on
// [low, high]. f' here is the slope of the reference formula by central differences on a fine
// grid, independent of the activations' own derivative rules.
TEST_CASE("declared Lipschitz constants, monotony and slope bounds hold for the reference formulas") {
  for_each_type<elementwise_activations>([]<class A>() {
    INFO(A::name);
    const auto slope = [](double z) {
      const double h = 1e-5;
      return (reference<A>::value(z + h) - reference<A>::value(z - h)) / (2 * h);
    };
    for (double z = -12; z <= 12; z += 1.0 / 512) {
      const double d = slope(z);
      CHECK(std::abs(d) <= A::lipschitz * (1 + 1e-6));
      if constexpr (requires { requires bool(A::increasing); }) CHECK(d >= -1e-9);
    }
    if constexpr (requires { A::max_slope(0.0, 0.0); }) {
      const double edges[] = {-6, -2, -0.5, -0.01, 0, 0.01, 0.5, 2, 6};
      for (double low : edges)
        for (double high : edges) {
          if (high < low) continue;
          for (double z = low; z <= high; z += (high - low) / 64 + 1e-9)
            CHECK(std::abs(slope(z)) <= A::max_slope(low, high) * (1 + 1e-6) + 1e-9);
        }
    }
  });
}

// softmax's: |softmax(z̃) − softmax(z)|_∞ ≤ ½ |z̃ − z|_∞, on random logit pairs.
TEST_CASE("softmax moves by at most half the largest change of its logits") {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> u(-4, 4), d(-0.01, 0.01);
  for (int trial = 0; trial < 2000; ++trial) {
    std::array<double, 5> z{}, zt{}, a{}, at{};
    double change = 0;
    for (std::size_t i = 0; i < z.size(); ++i) {
      z[i] = u(rng);
      zt[i] = z[i] + d(rng);
      change = std::max(change, std::abs(zt[i] - z[i]));
    }
    ctnn::softmax::forward_rows<ctnn::simd::scalar_arch>(z.data(), a.data(), z.size(), 1);
    ctnn::softmax::forward_rows<ctnn::simd::scalar_arch>(zt.data(), at.data(), z.size(), 1);
    for (std::size_t i = 0; i < z.size(); ++i)
      CHECK(std::abs(at[i] - a[i]) <= ctnn::softmax::lipschitz * change * (1 + 1e-9) + 1e-15);
  }
}
