#pragma once
// The three products of backprop for a dense layer with W stored out×in row-major (PyTorch's
// nn.Linear layout), over a tile of n samples stored row-major (one sample per row):
//   forward          Z  = A·Wᵀ + b        Z[s,o]  = b[o] + Σ_i W[o,i] A[s,i]
//   weight gradient  ∂W += Δᵀ·A, ∂b += Σ_s Δ[s,:]
//   input delta      Δ' = Δ·W            Δ'[s,i] = Σ_o Δ[s,o] W[o,i]
// Sizes In and Out are compile-time constants; the loops are register-blocked over several
// samples and several rows of W so that each loaded vector feeds several FMAs.

#include <cstddef>

#include "elementwise.hpp"
#include "pack.hpp"

namespace ctnn::simd {

namespace detail {

// Dot products of SB rows of A with OB rows of W (all of length In), SIMD along In.
template <std::size_t SB, std::size_t OB, std::size_t In, class Arch, class T>
constexpr void dot_block(const T* w, const T* a, std::size_t a_stride, T (&out)[SB][OB]) {
  using traits = pack_traits<T, Arch>;
  using P = pack<T, Arch>;
  constexpr std::size_t L = traits::lanes;
  constexpr std::size_t vector_end = In - In % L;
  P acc[SB][OB];
  for (std::size_t s = 0; s < SB; ++s)
    for (std::size_t o = 0; o < OB; ++o) acc[s][o] = traits::broadcast(T(0));
  for (std::size_t i = 0; i < vector_end; i += L) {
    P wv[OB];
    for (std::size_t o = 0; o < OB; ++o) wv[o] = traits::load(w + o * In + i);
    for (std::size_t s = 0; s < SB; ++s) {
      const P av = traits::load(a + s * a_stride + i);
      for (std::size_t o = 0; o < OB; ++o) acc[s][o] = multiply_add<T, Arch>(av, wv[o], acc[s][o]);
    }
  }
  for (std::size_t s = 0; s < SB; ++s)
    for (std::size_t o = 0; o < OB; ++o) {
      T total = traits::sum(acc[s][o]);
      for (std::size_t i = vector_end; i < In; ++i) total += w[o * In + i] * a[s * a_stride + i];
      out[s][o] = total;
    }
}

template <std::size_t SB, std::size_t In, std::size_t Out, class Arch, class T>
constexpr void affine_forward_rows(const T* w, const T* b, const T* a, std::size_t a_stride, T* z) {
  constexpr std::size_t OB = 4;
  constexpr std::size_t blocked_end = Out - Out % OB;
  for (std::size_t o = 0; o < blocked_end; o += OB) {
    T block[SB][OB];
    dot_block<SB, OB, In, Arch>(w + o * In, a, a_stride, block);
    for (std::size_t s = 0; s < SB; ++s)
      for (std::size_t k = 0; k < OB; ++k) z[s * Out + o + k] = block[s][k] + b[o + k];
  }
  for (std::size_t o = blocked_end; o < Out; ++o) {
    T block[SB][1];
    dot_block<SB, 1, In, Arch>(w + o * In, a, a_stride, block);
    for (std::size_t s = 0; s < SB; ++s) z[s * Out + o] = block[s][0] + b[o];
  }
}

}  // namespace detail

// Z (n×Out) = A (n×In, rows a_stride apart) · Wᵀ + b.
template <std::size_t In, std::size_t Out, class Arch, class T>
constexpr void affine_forward(const T* w, const T* b, const T* a, std::size_t a_stride, T* z,
                           std::size_t n) {
  constexpr std::size_t SB = 4;
  const std::size_t blocked_end = n - n % SB;
  for (std::size_t s = 0; s < blocked_end; s += SB)
    detail::affine_forward_rows<SB, In, Out, Arch>(w, b, a + s * a_stride, a_stride, z + s * Out);
  for (std::size_t s = blocked_end; s < n; ++s)
    detail::affine_forward_rows<1, In, Out, Arch>(w, b, a + s * a_stride, a_stride, z + s * Out);
}

// ∂W (Out×In) += Δᵀ (Out×n) · A (n×In);  ∂b (Out) += Σ_s Δ[s,:].
template <std::size_t In, std::size_t Out, class Arch, class T>
constexpr void affine_weight_gradient(const T* delta, const T* a, std::size_t a_stride, T* dw, T* db,
                                   std::size_t n) {
  using traits = pack_traits<T, Arch>;
  using P = pack<T, Arch>;
  constexpr std::size_t L = traits::lanes;
  constexpr std::size_t vector_end = In - In % L;
  constexpr std::size_t OB = 4;

  for (std::size_t s = 0; s < n; ++s)
    map3<Arch>(delta + s * Out, delta + s * Out, db, Out, [](auto d, auto, auto sum) { return sum + d; });

  auto rows = [&]<std::size_t Rows>(std::size_t o) {
    for (std::size_t i = 0; i < vector_end; i += L) {
      P acc[Rows];
      for (std::size_t r = 0; r < Rows; ++r) acc[r] = traits::load(dw + (o + r) * In + i);
      for (std::size_t s = 0; s < n; ++s) {
        const P av = traits::load(a + s * a_stride + i);
        for (std::size_t r = 0; r < Rows; ++r)
          acc[r] = multiply_add<T, Arch>(traits::broadcast(delta[s * Out + o + r]), av, acc[r]);
      }
      for (std::size_t r = 0; r < Rows; ++r) traits::store(dw + (o + r) * In + i, acc[r]);
    }
    for (std::size_t r = 0; r < Rows; ++r)
      for (std::size_t i = vector_end; i < In; ++i) {
        T total = dw[(o + r) * In + i];
        for (std::size_t s = 0; s < n; ++s) total += delta[s * Out + o + r] * a[s * a_stride + i];
        dw[(o + r) * In + i] = total;
      }
  };
  constexpr std::size_t blocked_end = Out - Out % OB;
  for (std::size_t o = 0; o < blocked_end; o += OB) rows.template operator()<OB>(o);
  for (std::size_t o = blocked_end; o < Out; ++o) rows.template operator()<1>(o);
}

// Δ' (n×In, rows d_stride apart) = Δ (n×Out) · W (Out×In).
template <std::size_t In, std::size_t Out, class Arch, class T>
constexpr void affine_input_delta(const T* delta, const T* w, T* d_prev, std::size_t d_stride,
                               std::size_t n) {
  using traits = pack_traits<T, Arch>;
  using P = pack<T, Arch>;
  constexpr std::size_t L = traits::lanes;
  constexpr std::size_t vector_end = In - In % L;
  constexpr std::size_t SB = 4;

  auto samples = [&]<std::size_t Rows>(std::size_t s0) {
    for (std::size_t i = 0; i < vector_end; i += L) {
      P acc[Rows];
      for (std::size_t r = 0; r < Rows; ++r) acc[r] = traits::broadcast(T(0));
      for (std::size_t o = 0; o < Out; ++o) {
        const P wv = traits::load(w + o * In + i);
        for (std::size_t r = 0; r < Rows; ++r)
          acc[r] = multiply_add<T, Arch>(traits::broadcast(delta[(s0 + r) * Out + o]), wv, acc[r]);
      }
      for (std::size_t r = 0; r < Rows; ++r) traits::store(d_prev + (s0 + r) * d_stride + i, acc[r]);
    }
    for (std::size_t r = 0; r < Rows; ++r)
      for (std::size_t i = vector_end; i < In; ++i) {
        T total = 0;
        for (std::size_t o = 0; o < Out; ++o) total += delta[(s0 + r) * Out + o] * w[o * In + i];
        d_prev[(s0 + r) * d_stride + i] = total;
      }
  };
  const std::size_t blocked_end = n - n % SB;
  for (std::size_t s = 0; s < blocked_end; s += SB) samples.template operator()<SB>(s);
  for (std::size_t s = blocked_end; s < n; ++s) samples.template operator()<1>(s);
}

}  // namespace ctnn::simd
