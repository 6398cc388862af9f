#pragma once
// softmax over one row, shifted by the row's maximum so that exp never overflows.

#include <cmath>
#include <cstddef>

#include "elementwise.hpp"
#include "math.hpp"

namespace ctnn::simd {

// A row's maximum m and Σ_k e^{z_k − m}: softmax(z)_k = e^{z_k − m} / total, and
// log Σ_k e^{z_k} = m + log total.
template <class T>
struct softmax_normaliser {
  T shift;
  T total;
};

template <class Arch, class T>
constexpr softmax_normaliser<T> normaliser(const T* z, std::size_t width) {
  T shift = z[0];
  for (std::size_t k = 1; k < width; ++k) shift = z[k] > shift ? z[k] : shift;
  const T total = sum_map<Arch>(z, z, width, [shift](auto v, auto) {
    using V = decltype(v);
    return math::exp(v - V(shift));
  });
  return {shift, total};
}

template <class Arch, class T>
constexpr T log_sum_exp(const T* z, std::size_t width) {
  const softmax_normaliser<T> s = normaliser<Arch>(z, width);
  return s.shift + math::log(s.total);
}

// p = softmax(z) for one row of `width` values; returns log Σ_k e^{z_k} (log-sum-exp).
template <class Arch, class T>
constexpr T softmax_row(const T* z, T* p, std::size_t width) {
  T shift = z[0];
  for (std::size_t k = 1; k < width; ++k) shift = z[k] > shift ? z[k] : shift;
  map<Arch>(z, p, width, [shift](auto v) {
    using V = decltype(v);
    return math::exp(v - V(shift));
  });
  const T total = sum_map<Arch>(p, p, width, [](auto v, auto) { return v; });
  const T inverse = T(1) / total;
  map<Arch>(p, p, width, [inverse](auto v) {
    using V = decltype(v);
    return v * V(inverse);
  });
  return shift + math::log(total);
}

}  // namespace ctnn::simd
