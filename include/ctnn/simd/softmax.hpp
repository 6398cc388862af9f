#pragma once
// softmax over one row, shifted by the row's maximum so that exp never overflows.

#include <cmath>
#include <cstddef>

#include "elementwise.hpp"
#include "math.hpp"

namespace ctnn::simd {

// p = softmax(z) for one row of `width` values; returns log Σ_k e^{z_k} (log-sum-exp), which the
// fused cross-entropy needs anyway.
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
