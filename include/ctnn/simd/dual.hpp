#pragma once
// Dual numbers: a value v and a tangent t standing for v + t·ε with ε² = 0. Arithmetic on them
// carries, beside each value, its derivative along one direction, exactly (no step size). The
// ops' rules are templates over the number type, so the reverse pass run on dual numbers whose
// parameters carry a direction u in their tangents returns the gradient in its values and the
// gradient's derivative along u, H·u, in its tangents: forward mode over reverse mode, from the
// rules the ops declare and nothing else (nn/hessian.hpp). Elementary functions of duals are in
// simd/math.hpp beside the scalar and pack ones.
//
// Comparisons compare values only, so a branch (ReLU, max, the loss's clamps) takes the side the
// value takes, as the derivative of a piecewise formula does away from its kinks.

#include <type_traits>

namespace ctnn {

template <class T>
struct dual {
  using value_type = T;
  T v{};  // the value
  T t{};  // its derivative along the direction

  constexpr dual() = default;
  // Constants (literals in the rules, T(0), a loss's weight) have no tangent.
  constexpr dual(T value) : v(value) {}  // NOLINT(google-explicit-constructor): constants mix in
  constexpr dual(T value, T tangent) : v(value), t(tangent) {}

  constexpr dual& operator+=(const dual& b) {
    v += b.v;
    t += b.t;
    return *this;
  }
  constexpr dual& operator-=(const dual& b) {
    v -= b.v;
    t -= b.t;
    return *this;
  }
  constexpr dual& operator*=(const dual& b) { return *this = *this * b; }
  constexpr dual& operator/=(const dual& b) { return *this = *this / b; }

  // Hidden friends: found for duals only, and a T on either side converts.
  friend constexpr dual operator+(const dual& a) { return a; }
  friend constexpr dual operator-(const dual& a) { return {-a.v, -a.t}; }
  friend constexpr dual operator+(const dual& a, const dual& b) { return {a.v + b.v, a.t + b.t}; }
  friend constexpr dual operator-(const dual& a, const dual& b) { return {a.v - b.v, a.t - b.t}; }
  friend constexpr dual operator*(const dual& a, const dual& b) {
    return {a.v * b.v, a.t * b.v + a.v * b.t};
  }
  friend constexpr dual operator/(const dual& a, const dual& b) {
    const T q = a.v / b.v;
    return {q, (a.t - q * b.t) / b.v};
  }
  friend constexpr bool operator==(const dual& a, const dual& b) { return a.v == b.v; }
  friend constexpr bool operator!=(const dual& a, const dual& b) { return a.v != b.v; }
  friend constexpr bool operator<(const dual& a, const dual& b) { return a.v < b.v; }
  friend constexpr bool operator>(const dual& a, const dual& b) { return a.v > b.v; }
  friend constexpr bool operator<=(const dual& a, const dual& b) { return a.v <= b.v; }
  friend constexpr bool operator>=(const dual& a, const dual& b) { return a.v >= b.v; }

  // What a double accumulator (the objective's sum) reads: the value.
  template <class U>
    requires std::is_arithmetic_v<U>
  explicit constexpr operator U() const {
    return static_cast<U>(v);
  }
};

template <class T>
inline constexpr bool is_dual = false;
template <class T>
inline constexpr bool is_dual<dual<T>> = true;

}  // namespace ctnn
