#pragma once
// Elementary functions that evaluate in constant expressions (std::exp and friends are not
// constexpr in C++20). They are used only during constant evaluation; at run time simd/math.hpp
// calls std:: and xsimd. All work in double (float arguments are widened, then rounded once), with
// range reduction and series chosen so that the result is within a few ulp of the standard
// library's (exp, log, sqrt ≤ 2; expm1, log1p, tanh ≤ 3; erf ≤ 11), as
// tests/detail/constexpr_math.cpp measures.

#include <bit>
#include <cstdint>
#include <limits>

namespace ctnn::detail::constexpr_math {

inline constexpr double ln2_hi = 6.93147180369123816490e-01;  // ln 2, upper bits (exact product with k)
inline constexpr double ln2_lo = 1.90821492927058770002e-10;  // ln 2 - ln2_hi
inline constexpr double inv_ln2 = 1.44269504088896338700e+00;
inline constexpr double infinity = std::numeric_limits<double>::infinity();
inline constexpr double quiet_nan = std::numeric_limits<double>::quiet_NaN();

constexpr bool is_nan(double x) { return x != x; }

// 2^k for any integer k, exact while representable (subnormals included).
constexpr double power_of_two(int k) {
  if (k > 1023) return infinity;
  if (k < -1074) return 0.0;
  if (k < -1022) return power_of_two(k + 64) * 0x1.0p-64;
  return std::bit_cast<double>(static_cast<std::uint64_t>(k + 1023) << 52);
}

constexpr double exp(double x) {
  if (is_nan(x)) return x;
  if (x > 709.782712893384) return infinity;
  if (x < -745.1332191019412) return 0.0;
  // x = k ln2 + r with |r| <= ln2 / 2, then e^x = 2^k e^r.
  const double kd = x * inv_ln2;
  const int k = static_cast<int>(kd < 0 ? kd - 0.5 : kd + 0.5);
  const double r = (x - k * ln2_hi) - k * ln2_lo;
  // Taylor series of e^r, Horner form; the 14th term is below 2^-60 relative for |r| <= 0.35.
  double sum = 1.0;
  for (int n = 17; n >= 1; --n) sum = 1.0 + sum * r / n;
  // Scale in two steps so that results near the subnormal range keep their bits.
  return sum * power_of_two(k / 2) * power_of_two(k - k / 2);
}

// e^x - 1 without cancellation for small |x|.
constexpr double expm1(double x) {
  if (is_nan(x)) return x;
  if (x > -0.35 && x < 0.35) {
    double sum = 1.0;
    for (int n = 18; n >= 2; --n) sum = 1.0 + sum * x / n;
    return x * sum;
  }
  return exp(x) - 1.0;
}

constexpr double log(double x) {
  if (is_nan(x) || x < 0) return quiet_nan;
  if (x == 0) return -infinity;
  if (x == infinity) return infinity;
  int e = 0;
  if (x < 0x1.0p-1022) {  // subnormal: scale into the normal range first
    x *= 0x1.0p54;
    e = -54;
  }
  const std::uint64_t bits = std::bit_cast<std::uint64_t>(x);
  e += static_cast<int>((bits >> 52) & 0x7ff) - 1023;
  double m = std::bit_cast<double>((bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull);
  if (m > 1.4142135623730951) {  // keep m in [√½, √2) so that s below is small
    m *= 0.5;
    ++e;
  }
  // log m = 2 atanh(s) = 2 (s + s³/3 + s⁵/5 + ...), s = (m-1)/(m+1), |s| < 0.172.
  const double s = (m - 1.0) / (m + 1.0);
  const double s2 = s * s;
  double sum = 0.0;
  for (int n = 23; n >= 3; n -= 2) sum = (1.0 / n + sum) * s2;
  const double log_m = 2.0 * s + 2.0 * s * sum;
  return e * ln2_hi + (e * ln2_lo + log_m);
}

// log(1 + x), accurate for small |x| (Goldberg's correction: the rounding of 1 + x is undone).
constexpr double log1p(double x) {
  if (is_nan(x)) return x;
  const double u = 1.0 + x;
  if (u == 1.0) return x;
  if (u == infinity) return infinity;
  return log(u) * (x / (u - 1.0));
}

constexpr double tanh(double x) {
  if (is_nan(x)) return x;
  const double ax = x < 0 ? -x : x;
  if (ax > 22.0) return x < 0 ? -1.0 : 1.0;  // tanh(22) rounds to 1
  // tanh |x| = e / (e + 2) with e = expm1(2|x|): no cancellation anywhere.
  const double e = expm1(2.0 * ax);
  const double t = e / (e + 2.0);
  return x < 0 ? -t : t;
}

// e^{-x²} with x² taken exactly: x = hi + lo with hi's low 27 bits cleared, so hi² is exact; the
// rounding of x² would otherwise be amplified by 2x² relative in the result.
constexpr double exp_minus_square(double x) {
  const double hi = std::bit_cast<double>(std::bit_cast<std::uint64_t>(x) & ~((1ull << 27) - 1));
  const double lo = x - hi;
  return exp(-hi * hi) * exp(-(2.0 * hi * lo + lo * lo));
}

// erf x for |x| < 2 from the series 2/√π · e^{-x²} · Σ_n 2ⁿ x^{2n+1} / (1·3·5···(2n+1)), whose
// terms are all positive (no cancellation). Beyond, the series' rounding accumulates over ~x²
// terms, so erf = 1 - erfc with erfc from its continued fraction
//   erfc x = e^{-x²}/√π · 1/(x + (1/2)/(x + (2/2)/(x + (3/2)/(x + ...)))),
// whose few-ulp relative error is negligible next to 1 (erfc(2) < 4.7e-3). erf rounds to ±1
// beyond |x| = 6. Measured: within 11 ulp of glibc (the series' term recurrence accumulates
// rounding near |x| = 2; doing better would take double-double arithmetic).
constexpr double erf(double x) {
  if (is_nan(x)) return x;
  const double ax = x < 0 ? -x : x;
  if (ax >= 6.0) return x < 0 ? -1.0 : 1.0;
  double result = 0;
  if (ax < 2.0) {
    const double x2 = ax * ax;
    double term = ax, sum = ax;
    for (int n = 1; n < 200; ++n) {
      term *= 2.0 * x2 / (2 * n + 1);
      sum += term;
      if (term < sum * 0x1.0p-60) break;
    }
    result = 1.1283791670955126 * exp_minus_square(ax) * sum;  // 2/√π
  } else {
    double fraction = ax;
    for (int n = 120; n >= 1; --n) fraction = ax + (n * 0.5) / fraction;
    result = 1.0 - 0.5641895835477563 * exp_minus_square(ax) / fraction;  // 1/√π
  }
  return x < 0 ? -result : result;
}

constexpr double sqrt(double x) {
  if (is_nan(x) || x < 0) return quiet_nan;
  if (x == 0 || x == infinity) return x;
  // Newton's iteration from a start with the right exponent; converges in a few steps.
  const int e = static_cast<int>((std::bit_cast<std::uint64_t>(x) >> 52) & 0x7ff) - 1023;
  double y = power_of_two(e / 2);
  for (int n = 0; n < 60; ++n) {
    const double next = 0.5 * (y + x / y);
    if (next == y) break;
    y = next;
  }
  return y;
}

// sin and cos: x = k·π/2 + r with |r| <= π/4, π/2 in three parts whose first has 33 significant
// bits (so k·part is exact for |k| < 2^20: |x| up to about 1.6e6; beyond, the reduction loses
// digits and the result is NaN rather than quietly wrong), then the Taylor series of sin r or
// cos r by the quadrant k mod 4. The series' terms fall below 2^-60 of the first by r^23.
// Measured: within 2 ulp of glibc up to |x| = 1e5, except next to the zeros, where the result is
// tiny and the reduction's absolute error (below 1e-20) is many of its ulps.
inline constexpr double pio2_1 = 1.57079632673412561417e+00;
inline constexpr double pio2_2 = 6.07710050630396597660e-11;
inline constexpr double pio2_3 = 2.02226624871116645580e-21;

constexpr double sin_reduced(double r) {
  const double r2 = r * r;
  double sum = 1.0;
  for (int n = 22; n >= 2; n -= 2) sum = 1.0 - sum * r2 / (n * (n + 1));
  return r * sum;
}
constexpr double cos_reduced(double r) {
  const double r2 = r * r;
  double sum = 1.0;
  for (int n = 22; n >= 2; n -= 2) sum = 1.0 - sum * r2 / ((n - 1) * n);
  return sum;
}

// sin (quarter 0) or cos (quarter 1) of x: cos x = sin(x + π/2).
constexpr double sin_quarter(double x, int quarter) {
  if (is_nan(x) || x == infinity || x == -infinity) return quiet_nan;
  if (x > 1.6e6 || x < -1.6e6) return quiet_nan;
  const double kd = x * 0.63661977236758134308;  // 2/π
  const long k = static_cast<long>(kd < 0 ? kd - 0.5 : kd + 0.5);
  const double r = ((x - double(k) * pio2_1) - double(k) * pio2_2) - double(k) * pio2_3;
  switch (static_cast<int>(((k + quarter) % 4 + 4) % 4)) {
    case 0: return sin_reduced(r);
    case 1: return cos_reduced(r);
    case 2: return -sin_reduced(r);
    default: return -cos_reduced(r);
  }
}
constexpr double sin(double x) { return x == 0 ? x : sin_quarter(x, 0); }  // keeps -0
constexpr double cos(double x) { return sin_quarter(x, 1); }

}  // namespace ctnn::detail::constexpr_math
