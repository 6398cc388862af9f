#pragma once
// Elementary functions with one spelling for scalars and SIMD packs. An activation or loss writes
// its formula once, as a template over V; V is float/double on the scalar path and an
// xsimd::batch on the SIMD path, and overload resolution picks std:: or xsimd's vectorised
// (exp, tanh, erf, ...) implementation.

#include <cmath>
#include <type_traits>
#include <xsimd/xsimd.hpp>

#include "../detail/constexpr_math.hpp"

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
template <scalar T> constexpr T sqrt(T x) {
  return std::is_constant_evaluated() ? T(cm::sqrt(x)) : std::sqrt(x);
}
template <scalar T> constexpr T abs(T x) { return x < T(0) ? -x : x; }
template <scalar T> constexpr T max(T a, T b) { return a < b ? b : a; }
template <scalar T> constexpr T min(T a, T b) { return b < a ? b : a; }
template <scalar T> constexpr T select(bool condition, T if_true, T if_false) {
  return condition ? if_true : if_false;
}

// SIMD packs.
template <class T, class A> inline auto exp(const xsimd::batch<T, A>& x) { return xsimd::exp(x); }
template <class T, class A> inline auto expm1(const xsimd::batch<T, A>& x) { return xsimd::expm1(x); }
template <class T, class A> inline auto log(const xsimd::batch<T, A>& x) { return xsimd::log(x); }
template <class T, class A> inline auto log1p(const xsimd::batch<T, A>& x) { return xsimd::log1p(x); }
template <class T, class A> inline auto tanh(const xsimd::batch<T, A>& x) { return xsimd::tanh(x); }
template <class T, class A> inline auto erf(const xsimd::batch<T, A>& x) { return xsimd::erf(x); }
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

// Derived functions, written once for both.

// 1 / (1 + e^-x); saturates to 0 or 1 without producing NaN.
template <class V> constexpr V sigmoid(const V& x) { return V(1) / (V(1) + math::exp(-x)); }

// log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow for large |x|.
template <class V> constexpr V softplus(const V& x) {
  return math::max(x, V(0)) + math::log1p(math::exp(-math::abs(x)));
}

}  // namespace ctnn::math
