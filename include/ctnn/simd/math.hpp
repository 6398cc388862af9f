#pragma once
// Elementary functions with one spelling for scalars, SIMD packs and dual numbers. An activation
// or loss writes its formula once, as a template over V; V is float/double on the scalar path, an
// xsimd::batch on the SIMD path and a ctnn::dual (simd/dual.hpp) when a pass differentiates the
// rules themselves (Hessian-vector products), and overload resolution picks std::, xsimd's
// vectorised (exp, tanh, erf, ...) or the dual implementation.

#include <cmath>
#include <type_traits>
#include <xsimd/xsimd.hpp>

#include "../config.hpp"
#include "../detail/constexpr_math.hpp"
#include "dual.hpp"

namespace ctnn::math {

template <class T>
concept scalar = std::is_floating_point_v<T>;

// Scalars: the standard library at run time, ctnn's own constexpr versions during constant
// evaluation (so the same network code runs in static_assert).
namespace cm = detail::constexpr_math;
template <scalar T> constexpr T exp(T x) {
  return std::is_constant_evaluated() ? T(cm::exp(x)) : std::exp(x);
}
template <scalar T> constexpr T expm1(T x) {
  return std::is_constant_evaluated() ? T(cm::expm1(x)) : std::expm1(x);
}
template <scalar T> constexpr T log(T x) {
  return std::is_constant_evaluated() ? T(cm::log(x)) : std::log(x);
}
template <scalar T> constexpr T log1p(T x) {
  return std::is_constant_evaluated() ? T(cm::log1p(x)) : std::log1p(x);
}
template <scalar T> constexpr T tanh(T x) {
  return std::is_constant_evaluated() ? T(cm::tanh(x)) : std::tanh(x);
}
template <scalar T> constexpr T erf(T x) {
  return std::is_constant_evaluated() ? T(cm::erf(x)) : std::erf(x);
}
template <scalar T> constexpr T sin(T x) {
  return std::is_constant_evaluated() ? T(cm::sin(x)) : std::sin(x);
}
template <scalar T> constexpr T cos(T x) {
  return std::is_constant_evaluated() ? T(cm::cos(x)) : std::cos(x);
}
template <scalar T> constexpr T sqrt(T x) {
  return std::is_constant_evaluated() ? T(cm::sqrt(x)) : std::sqrt(x);
}
template <scalar T> constexpr T abs(T x) { return x < T(0) ? -x : x; }
template <scalar T> constexpr T max(T a, T b) { return a < b ? b : a; }
template <scalar T> constexpr T min(T a, T b) { return b < a ? b : a; }
template <scalar T> constexpr T select(bool condition, T if_true, T if_false) {
  return condition ? if_true : if_false;
}
// a·b + c: the compiler may fuse it (g++ contracts by default; clang within one expression).
template <scalar T> constexpr T fma(T a, T b, T c) { return a * b + c; }

// Dual numbers: f(v + t·ε) = f(v) + f'(v)·t·ε.
template <class T> constexpr dual<T> exp(const dual<T>& x) {
  const T e = math::exp(x.v);
  return {e, e * x.t};
}
template <class T> constexpr dual<T> expm1(const dual<T>& x) {
  return {math::expm1(x.v), math::exp(x.v) * x.t};
}
template <class T> constexpr dual<T> log(const dual<T>& x) { return {math::log(x.v), x.t / x.v}; }
template <class T> constexpr dual<T> log1p(const dual<T>& x) {
  return {math::log1p(x.v), x.t / (T(1) + x.v)};
}
template <class T> constexpr dual<T> tanh(const dual<T>& x) {
  const T y = math::tanh(x.v);
  return {y, (T(1) - y * y) * x.t};
}
template <class T> constexpr dual<T> erf(const dual<T>& x) {
  constexpr T two_over_sqrt_pi = T(1.12837916709551257390);
  return {math::erf(x.v), two_over_sqrt_pi * math::exp(-x.v * x.v) * x.t};
}
template <class T> constexpr dual<T> sin(const dual<T>& x) { return {math::sin(x.v), math::cos(x.v) * x.t}; }
template <class T> constexpr dual<T> cos(const dual<T>& x) { return {math::cos(x.v), -math::sin(x.v) * x.t}; }
template <class T> constexpr dual<T> sqrt(const dual<T>& x) {
  const T s = math::sqrt(x.v);
  return {s, x.t / (T(2) * s)};
}
template <class T> constexpr dual<T> abs(const dual<T>& x) { return x.v < T(0) ? -x : x; }
template <class T> constexpr dual<T> max(const dual<T>& a, const dual<T>& b) { return a.v < b.v ? b : a; }
template <class T> constexpr dual<T> min(const dual<T>& a, const dual<T>& b) { return b.v < a.v ? b : a; }
template <class T> constexpr dual<T> select(bool condition, const dual<T>& if_true, const dual<T>& if_false) {
  return condition ? if_true : if_false;
}
template <class T> constexpr dual<T> fma(const dual<T>& a, const dual<T>& b, const dual<T>& c) {
  return a * b + c;
}

// SIMD packs.
template <class T, class A> inline auto exp(const xsimd::batch<T, A>& x) { return xsimd::exp(x); }
template <class T, class A> inline auto expm1(const xsimd::batch<T, A>& x) { return xsimd::expm1(x); }
template <class T, class A> inline auto log(const xsimd::batch<T, A>& x) { return xsimd::log(x); }
template <class T, class A> inline auto log1p(const xsimd::batch<T, A>& x) { return xsimd::log1p(x); }
template <class T, class A> inline auto tanh(const xsimd::batch<T, A>& x);
template <class T, class A> inline auto erf(const xsimd::batch<T, A>& x) { return xsimd::erf(x); }
template <class T, class A> inline auto sin(const xsimd::batch<T, A>& x) { return xsimd::sin(x); }
template <class T, class A> inline auto cos(const xsimd::batch<T, A>& x) { return xsimd::cos(x); }
template <class T, class A> inline auto sqrt(const xsimd::batch<T, A>& x) { return xsimd::sqrt(x); }
template <class T, class A> inline auto abs(const xsimd::batch<T, A>& x) { return xsimd::abs(x); }
template <class T, class A>
inline auto max(const xsimd::batch<T, A>& a, const xsimd::batch<T, A>& b) { return xsimd::max(a, b); }
template <class T, class A>
inline auto min(const xsimd::batch<T, A>& a, const xsimd::batch<T, A>& b) { return xsimd::min(a, b); }
template <class T, class A>
inline auto select(const xsimd::batch_bool<T, A>& condition, const xsimd::batch<T, A>& if_true,
                   const xsimd::batch<T, A>& if_false) {
  return xsimd::select(condition, if_true, if_false);
}

// a·b + c in one rounding, for packs. xsimd 8.1 has no AVX-512 kernel for fma: its generic one
// is a·b + c, which g++ fuses (it contracts by default) and clang does not, so with clang every
// FMA of every AVX-512 kernel ran as a multiply and an add (16-32-32-1 forward, tanh: 157
// vmulps + 148 vaddps and no vfmadd). The AVX-512 instruction is therefore called by name.
template <class T, class A>
[[gnu::always_inline]] inline xsimd::batch<T, A> fma(const xsimd::batch<T, A>& a,
                                                     const xsimd::batch<T, A>& b,
                                                     const xsimd::batch<T, A>& c) {
#if defined(__AVX512F__)
  if constexpr (std::is_base_of_v<xsimd::avx512f, A> && std::is_same_v<T, float>)
    return _mm512_fmadd_ps(a, b, c);
  else if constexpr (std::is_base_of_v<xsimd::avx512f, A> && std::is_same_v<T, double>)
    return _mm512_fmadd_pd(a, b, c);
  else
#endif
    return xsimd::fma(a, b, c);
}

namespace detail {

// c[0] + c[1]·x + ... + c[N-1]·x^(N-1) by Estrin's scheme: pairs c[2k] + c[2k+1]·x, then the same
// in x², ...: depth log₂N instead of Horner's N, which is what a latency-bound pass needs.
template <std::size_t N, class V>
inline V estrin(const V& x, const V (&c)[N]) {
  if constexpr (N == 1) {
    return c[0];
  } else {
    V pairs[(N + 1) / 2];
    CTNN_UNROLL for (std::size_t k = 0; k < N / 2; ++k) pairs[k] = math::fma(c[2 * k + 1], x, c[2 * k]);
    if constexpr (N % 2 == 1) pairs[N / 2] = c[N - 1];
    return estrin(x * x, pairs);
  }
}

}  // namespace detail

// tanh of a float pack: x·P(x²)/Q(x²), deg P = 6, deg Q = 4, fitted for relative error
// (iteratively reweighted least squares on [0, 10]: 3.5e-10 in exact arithmetic, a few ulp once
// evaluated in float), and ±1 exactly from |x| = 8 on. One branch-free formula with a single
// division, built for latency, since it sits on the chain of every tanh layer (about 33 cycles
// on Zen 5, xsimd's two-path tanh about 41 for packs that mix small and large values): no clamp
// of x (for |x| ≥ 8 the rational may overflow to NaN, and the select discards it), and no clamp
// of the result (the fit first exceeds 1 in float at x = 8.0286, past the select). From 8 on, tanh
// x is within 4 ulp of 1. Double packs keep xsimd's.
// NaN propagates: it fails the comparison and flows through the rational.
template <class T, class A>
inline auto tanh(const xsimd::batch<T, A>& x) {
  using V = xsimd::batch<T, A>;
  if constexpr (!std::is_same_v<T, float>) {
    return xsimd::tanh(x);
  } else {
    const V p[7] = {V(1.0f), V(0.13822546528571023f), V(0.004051419824734779f),
                    V(3.205505649056842e-05f), V(4.285554698877872e-08f),
                    V(-2.80303956383292e-11f), V(2.089689454649287e-14f)};
    const V q[5] = {V(1.0f), V(0.47155879649092436f), V(0.027904356087580424f),
                    V(0.0004272515965387338f), V(1.597284554354524e-06f)};
    const V s = x * x;
    const V r = x * detail::estrin(s, p) / detail::estrin(s, q);
    const V unit = xsimd::bitwise_or(V(1.0f), xsimd::bitwise_and(x, V(-0.0f)));  // ±1, x's sign
    return xsimd::select(xsimd::abs(x) >= V(8.0f), unit, r);
  }
}

// Derived functions, written once for both.

// 1 / (1 + e^-x); saturates to 0 or 1 without producing NaN.
template <class V> constexpr V sigmoid(const V& x) { return V(1) / (V(1) + math::exp(-x)); }

// log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow for large |x|.
template <class V> constexpr V softplus(const V& x) {
  return math::max(x, V(0)) + math::log1p(math::exp(-math::abs(x)));
}

}  // namespace ctnn::math
