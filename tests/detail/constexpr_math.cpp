// ctnn's constexpr elementary functions (used when a network is evaluated at compile time)
// against the standard library at run time, in units in the last place (ulp) of double.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <ctnn/detail/constexpr_math.hpp>
#include <ctnn/simd/math.hpp>
#include <initializer_list>
#include <limits>
#include <vector>

namespace cm = ctnn::detail::constexpr_math;

namespace {

// Distance in ulps between two doubles of the same sign (0 when equal, incl. both infinite).
double ulps(double a, double b) {
  if (a == b) return 0;
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b) ? 0 : 1e300;
  const double gap = std::abs(a - b);
  const double unit = std::nextafter(std::abs(b), std::numeric_limits<double>::infinity()) - std::abs(b);
  return gap / unit;
}

// Points spread log-uniformly over [lo, hi] (both signs when `symmetric`), plus edge cases.
std::vector<double> grid(double lo, double hi, bool symmetric, int count = 20000) {
  std::vector<double> xs;
  for (int k = 0; k < count; ++k) {
    const double x = lo * std::pow(hi / lo, double(k) / (count - 1));
    xs.push_back(x);
    if (symmetric) xs.push_back(-x);
  }
  return xs;
}

template <class F, class G>
double worst_ulps(const std::vector<double>& xs, F ours, G reference) {
  double worst = 0;
  for (double x : xs) worst = std::max(worst, ulps(ours(x), reference(x)));
  return worst;
}

}  // namespace

// Bounds as measured (constexpr_math.hpp says why erf is looser).
TEST_CASE("constexpr exp, expm1, log, log1p, tanh, erf, sqrt are within a few ulp of std") {
  const auto wide = grid(1e-300, 700, true);
  CHECK(worst_ulps(wide, cm::exp, [](double x) { return std::exp(x); }) <= 2);
  CHECK(worst_ulps(grid(1e-300, 700, true), cm::expm1, [](double x) { return std::expm1(x); }) <= 3);
  CHECK(worst_ulps(grid(1e-300, 1e300, false), cm::log, [](double x) { return std::log(x); }) <= 2);
  CHECK(worst_ulps(grid(1e-300, 1e300, false), cm::log1p, [](double x) { return std::log1p(x); }) <= 3);
  CHECK(worst_ulps(grid(1e-300, 0.999, true), cm::log1p, [](double x) { return std::log1p(x); }) <= 3);
  CHECK(worst_ulps(grid(1e-300, 30, true), cm::tanh, [](double x) { return std::tanh(x); }) <= 3);
  CHECK(worst_ulps(grid(1e-300, 7, true), cm::erf, [](double x) { return std::erf(x); }) <= 11);
  CHECK(worst_ulps(grid(1e-300, 1e300, false), cm::sqrt, [](double x) { return std::sqrt(x); }) <= 1);
}

TEST_CASE("constexpr sin and cos are within 2 ulp of std up to |x| = 1e5, NaN where they stop") {
  const auto xs = grid(1e-300, 1e5, true);
  CHECK(worst_ulps(xs, cm::sin, [](double x) { return std::sin(x); }) <= 2);
  CHECK(worst_ulps(xs, cm::cos, [](double x) { return std::cos(x); }) <= 2);
  std::vector<double> near_zero;  // around the zeros of sin and cos, where reduction matters
  for (int k = -2000; k <= 2000; ++k)
    for (double d : {-1e-9, 0.0, 1e-9}) near_zero.push_back(k * 1.5707963267948966 + d);
  // There the results are tiny and the error of the reduction shows relative to them: it is
  // absolute, far below the ulp of a result of order 1.
  double worst = 0;
  for (double x : near_zero)
    worst = std::max({worst, std::abs(cm::sin(x) - std::sin(x)), std::abs(cm::cos(x) - std::cos(x))});
  CHECK(worst <= 1e-20);
  CHECK(std::isnan(cm::sin(std::numeric_limits<double>::infinity())));
  CHECK(std::isnan(cm::cos(2e6)));
  CHECK(std::signbit(cm::sin(-0.0)));
  static_assert(ctnn::math::sin(0.5) > 0.4794255 && ctnn::math::sin(0.5) < 0.4794256);
  static_assert(ctnn::math::cos(3.0f) > -0.99000f && ctnn::math::cos(3.0f) < -0.98999f);
}

TEST_CASE("edge cases: infinities, NaN, zero, overflow and underflow") {
  constexpr double inf = std::numeric_limits<double>::infinity();
  CHECK(cm::exp(1000.0) == inf);
  CHECK(cm::exp(-1000.0) == 0.0);
  CHECK(cm::exp(0.0) == 1.0);
  CHECK(ulps(cm::exp(-744.0), std::exp(-744.0)) <= 1);  // subnormal result
  CHECK(cm::log(0.0) == -inf);
  CHECK(std::isnan(cm::log(-1.0)));
  CHECK(cm::log(inf) == inf);
  CHECK(ulps(cm::log(4.9406564584124654e-324), std::log(4.9406564584124654e-324)) <= 1);
  CHECK(cm::tanh(40.0) == 1.0);
  CHECK(cm::tanh(-40.0) == -1.0);
  CHECK(cm::erf(10.0) == 1.0);
  CHECK(cm::log1p(-1.0) == -inf);
  CHECK(std::isnan(cm::exp(std::numeric_limits<double>::quiet_NaN())));
}

// The dispatch in simd/math.hpp: constant evaluation uses the functions above, run time std::.
static_assert(ctnn::math::exp(0.0) == 1.0);
static_assert(ctnn::math::tanh(0.5f) > 0.46f && ctnn::math::tanh(0.5f) < 0.47f);
static_assert(ctnn::math::log(1.0) == 0.0);

TEST_CASE("float arguments: the constexpr path rounds once from double") {
  for (float x : {-20.0f, -1.5f, -1e-3f, 0.25f, 3.0f, 15.0f}) {
    CHECK(static_cast<float>(cm::exp(x)) == doctest::Approx(std::exp(x)).epsilon(1e-6));
    CHECK(static_cast<float>(cm::tanh(x)) == doctest::Approx(std::tanh(x)).epsilon(1e-6));
  }
}

// The float pack tanh is ctnn's own rational fit (simd/math.hpp), not xsimd's: every float in
// [-12, 12] in steps of 2⁻¹⁰ against std::tanh in double, in ulp of the float result.
TEST_CASE("float pack tanh: within 6 ulp of tanh, exactly ±1 from |x| = 8, odd, NaN stays NaN") {
  using V = xsimd::batch<float>;
  std::vector<float> xs;
  for (int k = -12 * 1024; k <= 12 * 1024; ++k) xs.push_back(static_cast<float>(k) / 1024.0f);
  for (float x : {1e-30f, 1e-7f, 3e-4f, 7.99f, 8.0f, 8.03f, 8.99f, 9.0f, 100.0f, 1e20f, std::numeric_limits<float>::max(),
                  std::numeric_limits<float>::infinity()}) {
    xs.push_back(x);
    xs.push_back(-x);
  }
  auto ulps_float = [](float a, float b) {
    if (a == b) return 0.0;
    const float unit = std::nextafter(std::abs(b), 2.0f) - std::abs(b);
    return std::abs(static_cast<double>(a) - b) / unit;
  };
  double worst = 0;
  for (const float x : xs) {
    CAPTURE(x);
    const float ours = ctnn::math::tanh(V(x)).get(0);
    const float reference = static_cast<float>(std::tanh(static_cast<double>(x)));
    worst = std::max(worst, ulps_float(ours, reference));
    CHECK(ctnn::math::tanh(V(-x)).get(0) == -ours);
    CHECK(std::abs(ours) <= 1.0f);
    if (std::abs(x) >= 8.0f) CHECK(std::abs(ours) == 1.0f);
  }
  MESSAGE("float pack tanh: worst ", worst, " ulp");
  CHECK(worst <= 6.0);
  CHECK(std::isnan(ctnn::math::tanh(V(std::numeric_limits<float>::quiet_NaN())).get(0)));
  CHECK(std::signbit(ctnn::math::tanh(V(-0.0f)).get(0)));
}
