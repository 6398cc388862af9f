#pragma once
// Loops that apply a formula element by element (activations, their derivatives, loss terms).
// The formula is a generic callable: it is called with packs for the vector body and with plain
// scalars for the remainder, so one definition serves both.

#include <cstddef>
#include <type_traits>
#include <utility>

#include "pack.hpp"

namespace ctnn::simd {


// out[k] = f(x[k])
template <class Arch, class T, class F>
constexpr void map(const T* x, T* out, std::size_t count, F f) {
  using traits = pack_traits<T, Arch>;
  constexpr std::size_t L = traits::lanes;
  // Loop ends are computed first (not `k + L <= count`): GCC can then bound every trip count.
  // The scalar architecture has no vector body (vector_end = 0): the plain loop does it all.
  const std::size_t vector_end = L > 1 ? count - count % L : 0;
  if constexpr (L > 1)  // the scalar architecture runs only the plain loop below
    for (std::size_t k = 0; k < vector_end; k += L) traits::store(out + k, f(traits::load(x + k)));
  for (std::size_t k = vector_end; k < count; ++k) out[k] = f(x[k]);
}

// out[k] = f(x[k], y[k])
template <class Arch, class T, class F>
constexpr void map2(const T* x, const T* y, T* out, std::size_t count, F f) {
  using traits = pack_traits<T, Arch>;
  constexpr std::size_t L = traits::lanes;
  const std::size_t vector_end = L > 1 ? count - count % L : 0;
  if constexpr (L > 1)
    for (std::size_t k = 0; k < vector_end; k += L)
      traits::store(out + k, f(traits::load(x + k), traits::load(y + k)));
  for (std::size_t k = vector_end; k < count; ++k) out[k] = f(x[k], y[k]);
}

// out[k] = f(x[k], y[k], out[k])   (out may carry an incoming value, e.g. a δ to be scaled)
template <class Arch, class T, class F>
constexpr void map3(const T* x, const T* y, T* out, std::size_t count, F f) {
  using traits = pack_traits<T, Arch>;
  constexpr std::size_t L = traits::lanes;
  const std::size_t vector_end = L > 1 ? count - count % L : 0;
  if constexpr (L > 1)
    for (std::size_t k = 0; k < vector_end; k += L)
      traits::store(out + k, f(traits::load(x + k), traits::load(y + k), traits::load(out + k)));
  for (std::size_t k = vector_end; k < count; ++k) out[k] = f(x[k], y[k], out[k]);
}

// Σ_k f(x[k], y[k])
template <class Arch, class T, class F>
constexpr T sum_map(const T* x, const T* y, std::size_t count, F f) {
  using traits = pack_traits<T, Arch>;
  constexpr std::size_t L = traits::lanes;
  const std::size_t vector_end = L > 1 ? count - count % L : 0;
  T total = 0;
  if constexpr (L > 1) {
    auto acc = traits::broadcast(T(0));
    for (std::size_t k = 0; k < vector_end; k += L)
      acc += f(traits::load(x + k), traits::load(y + k));
    total = traits::sum(acc);
  }
  for (std::size_t k = vector_end; k < count; ++k) total += f(x[k], y[k]);
  return total;
}

// f.template operator()<A>(k) over count values: A = Arch for k = 0, L, 2L, ... (whole packs),
// then A = scalar_arch for each value left. A formula written once over pack<T, A> serves both.
template <class Arch, class T, class F>
constexpr void for_each_pack(std::size_t count, F&& f) {
  constexpr std::size_t L = pack_traits<T, Arch>::lanes;
  const std::size_t vector_end = L > 1 ? count - count % L : 0;
  if constexpr (L > 1)
    for (std::size_t k = 0; k < vector_end; k += L) f.template operator()<Arch>(k);
  for (std::size_t k = vector_end; k < count; ++k) f.template operator()<scalar_arch>(k);
}

}  // namespace ctnn::simd
