#pragma once
// Loops that apply a formula element by element (activations, their derivatives, loss terms).
// The formula is a generic callable: it is called with packs for the vector body and with plain
// scalars for the remainder, so one definition serves both.

#include <cstddef>

#include "pack.hpp"

namespace ctnn::simd {

// out[k] = f(x[k])
template <class Arch, class T, class F>
inline void map(const T* x, T* out, std::size_t count, F f) {
  using traits = pack_traits<T, Arch>;
  constexpr std::size_t L = traits::lanes;
  std::size_t k = 0;
  if constexpr (L > 1)  // the scalar architecture runs only the plain loop below
    for (; k + L <= count; k += L) traits::store(out + k, f(traits::load(x + k)));
  for (; k < count; ++k) out[k] = f(x[k]);
}

// out[k] = f(x[k], y[k])
template <class Arch, class T, class F>
inline void map2(const T* x, const T* y, T* out, std::size_t count, F f) {
  using traits = pack_traits<T, Arch>;
  constexpr std::size_t L = traits::lanes;
  std::size_t k = 0;
  if constexpr (L > 1)
    for (; k + L <= count; k += L)
      traits::store(out + k, f(traits::load(x + k), traits::load(y + k)));
  for (; k < count; ++k) out[k] = f(x[k], y[k]);
}

// out[k] = f(x[k], y[k], out[k])   (out may carry an incoming value, e.g. a δ to be scaled)
template <class Arch, class T, class F>
inline void map3(const T* x, const T* y, T* out, std::size_t count, F f) {
  using traits = pack_traits<T, Arch>;
  constexpr std::size_t L = traits::lanes;
  std::size_t k = 0;
  if constexpr (L > 1)
    for (; k + L <= count; k += L)
      traits::store(out + k, f(traits::load(x + k), traits::load(y + k), traits::load(out + k)));
  for (; k < count; ++k) out[k] = f(x[k], y[k], out[k]);
}

// Σ_k f(x[k], y[k])
template <class Arch, class T, class F>
inline T sum_map(const T* x, const T* y, std::size_t count, F f) {
  using traits = pack_traits<T, Arch>;
  constexpr std::size_t L = traits::lanes;
  std::size_t k = 0;
  T total = 0;
  if constexpr (L > 1) {
    auto acc = traits::broadcast(T(0));
    for (; k + L <= count; k += L) acc += f(traits::load(x + k), traits::load(y + k));
    total = traits::sum(acc);
  }
  for (; k < count; ++k) total += f(x[k], y[k]);
  return total;
}

}  // namespace ctnn::simd
