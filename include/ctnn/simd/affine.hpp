#pragma once
// The three products of backprop for a dense layer with W stored out×in row-major (PyTorch's
// nn.Linear layout), over a tile of n samples stored row-major (one sample per row):
//   forward          Z  = A·Wᵀ + b        Z[s,o]  = b[o] + Σ_i W[o,i] A[s,i]
//   weight gradient  ∂W (+)= Δᵀ·A, ∂b (+)= Σ_s Δ[s,:]
//   input delta      Δ' = Δ·W            Δ'[s,i] = Σ_o Δ[s,o] W[o,i]
// Sizes In and Out are compile-time constants; the loops are register-blocked over several
// samples and several rows of W so that each loaded vector feeds several FMAs. Loads that feed
// several FMAs go through pack_traits::pin, so the compiler keeps them in registers.

#include <cstddef>
#include <type_traits>

#include "../config.hpp"
#include "pack.hpp"
#include "sink.hpp"

namespace ctnn::simd {

namespace detail {

// Dot products of SB rows of A with OB rows of W (all of length In), SIMD along In, left as
// lane-wise partial sums: the lanes of acc[s][o] add up to row s of A · row o of W. A remainder
// shorter than a pack comes in as a part pack (zeros after it): no scalar tail loop.
template <std::size_t SB, std::size_t OB, std::size_t In, class Arch, class T>
constexpr void dot_accumulators(const T* w, const T* a, std::size_t a_stride,
                                pack<T, Arch> (&acc)[SB][OB]) {
  using traits = pack_traits<T, Arch>;
  using P = pack<T, Arch>;
  constexpr std::size_t L = traits::lanes;
  constexpr std::size_t vector_end = In - In % L;
  CTNN_UNROLL for (std::size_t s = 0; s < SB; ++s)
    CTNN_UNROLL for (std::size_t o = 0; o < OB; ++o) acc[s][o] = traits::broadcast(T(0));
  for (std::size_t i = 0; i < vector_end; i += L) {
    alignas(local_alignment<P>) P wv[OB];
    CTNN_UNROLL for (std::size_t o = 0; o < OB; ++o) wv[o] = traits::pin(traits::load(w + o * In + i));
    CTNN_UNROLL for (std::size_t s = 0; s < SB; ++s) {
      const P av = traits::pin(traits::load(a + s * a_stride + i));
      CTNN_UNROLL for (std::size_t o = 0; o < OB; ++o) acc[s][o] = multiply_add<T, Arch>(av, wv[o], acc[s][o]);
    }
  }
  if constexpr (vector_end < In) {
    constexpr std::size_t width = In - vector_end;
    CTNN_UNROLL for (std::size_t s = 0; s < SB; ++s) {
      const P av = load_part<width, Arch>(a + s * a_stride + vector_end);
      CTNN_UNROLL for (std::size_t o = 0; o < OB; ++o) {
        const P wv = load_part<width, Arch>(w + o * In + vector_end);
        acc[s][o] = multiply_add<T, Arch>(av, wv, acc[s][o]);
      }
    }
  }
}

// The SB·OB dot products, reduced L accumulators at a time (pack_traits::sum_rows: a tree of
// shuffles and adds, about 3 instructions per accumulator): lane j of sums[k] is product
// k·L + j in the order s·OB + o. SB·OB must be a multiple of L. always_inline: as a call, GCC
// hands the sums back through memory.
template <std::size_t SB, std::size_t OB, std::size_t In, class Arch, class T>
[[gnu::always_inline]] constexpr void dot_sums(const T* w, const T* a, std::size_t a_stride,
                        pack<T, Arch> (&sums)[SB * OB / lanes<T, Arch>]) {
  using traits = pack_traits<T, Arch>;
  using P = pack<T, Arch>;
  constexpr std::size_t L = traits::lanes;
  static_assert(L > 1 && (SB * OB) % L == 0);
  alignas(local_alignment<P>) P acc[SB][OB];
  dot_accumulators<SB, OB, In, Arch>(w, a, a_stride, acc);
  alignas(local_alignment<P>) P flat[SB * OB];
  CTNN_UNROLL for (std::size_t s = 0; s < SB; ++s)
    CTNN_UNROLL for (std::size_t o = 0; o < OB; ++o) flat[s * OB + o] = acc[s][o];
  CTNN_UNROLL for (std::size_t k = 0; k < SB * OB / L; ++k) sums[k] = traits::sum_rows(flat + k * L);
}

// The SB·OB dot products as out[s][o]: through dot_sums where SB·OB is a multiple of L, else one
// horizontal sum each (about 8 instructions).
template <std::size_t SB, std::size_t OB, std::size_t In, class Arch, class T>
constexpr void dot_block(const T* w, const T* a, std::size_t a_stride, T (&out)[SB][OB]) {
  using traits = pack_traits<T, Arch>;
  using P = pack<T, Arch>;
  constexpr std::size_t L = traits::lanes;
  if constexpr (L > 1 && (SB * OB) % L == 0) {
    alignas(local_alignment<P>) P packs[SB * OB / L];
    dot_sums<SB, OB, In, Arch>(w, a, a_stride, packs);
    alignas(64) T sums[SB * OB];
    CTNN_UNROLL for (std::size_t k = 0; k < SB * OB / L; ++k) traits::store(sums + k * L, packs[k]);
    CTNN_UNROLL for (std::size_t s = 0; s < SB; ++s)
      CTNN_UNROLL for (std::size_t o = 0; o < OB; ++o) out[s][o] = sums[s * OB + o];
  } else {
    alignas(local_alignment<P>) P acc[SB][OB];
    dot_accumulators<SB, OB, In, Arch>(w, a, a_stride, acc);
    CTNN_UNROLL for (std::size_t s = 0; s < SB; ++s)
      CTNN_UNROLL for (std::size_t o = 0; o < OB; ++o) out[s][o] = traits::sum(acc[s][o]);
  }
}

// Z rows = SB rows of A times Wᵀ, plus b, OB = 4 rows of W at a time. With AVX-512 and whole
// packs of sums, each pack of sums holds 4 outputs of 4 (float) or 2 (double) samples: the bias
// goes on in one add and each sample's 4 outputs in one store, instead of 16 scalar steps.
template <std::size_t SB, std::size_t In, std::size_t Out, class Arch, class T>
constexpr void affine_forward_rows(const T* w, const T* b, const T* a, std::size_t a_stride, T* z) {
  using P = pack<T, Arch>;
  constexpr std::size_t L = lanes<T, Arch>;
  constexpr std::size_t OB = 4;  // avx512_add_store_quads takes groups of 4 outputs
  constexpr std::size_t blocked_end = Out - Out % OB;
  for (std::size_t o = 0; o < blocked_end; o += OB) {
    if constexpr (is_avx512<Arch> && (SB * OB) % L == 0) {
      alignas(local_alignment<P>) P sums[SB * OB / L];
      dot_sums<SB, OB, In, Arch>(w + o * In, a, a_stride, sums);
      CTNN_UNROLL for (std::size_t k = 0; k < SB * OB / L; ++k)
        avx512_add_store_quads(z + k * L / OB * Out + o, Out, sums[k], b + o);
    } else {
      alignas(local_alignment<T>) T block[SB][OB];
      dot_block<SB, OB, In, Arch>(w + o * In, a, a_stride, block);
      CTNN_UNROLL for (std::size_t s = 0; s < SB; ++s)
        CTNN_UNROLL for (std::size_t k = 0; k < OB; ++k) z[s * Out + o + k] = block[s][k] + b[o + k];
    }
  }
  for (std::size_t o = blocked_end; o < Out; ++o) {
    alignas(local_alignment<T>) T block[SB][1];
    dot_block<SB, 1, In, Arch>(w + o * In, a, a_stride, block);
    CTNN_UNROLL for (std::size_t s = 0; s < SB; ++s) z[s * Out + o] = block[s][0] + b[o];
  }
}

// One sample, SIMD architectures only: z = W a + b, L output rows at a time. The L dot products
// are reduced together (haddp: L packs → one pack of their L sums), the bias is added to that
// pack, and it is stored in one go.
template <std::size_t In, std::size_t Out, class Arch, class T>
void affine_forward_one(const T* w, const T* b, const T* a, T* z) {
  using traits = pack_traits<T, Arch>;
  using P = pack<T, Arch>;
  constexpr std::size_t L = traits::lanes;
  constexpr std::size_t vector_end = In - In % L;
  constexpr std::size_t blocked_end = Out - Out % L;
  for (std::size_t o = 0; o < blocked_end; o += L) {
    alignas(local_alignment<P>) P acc[L];
    CTNN_UNROLL for (std::size_t r = 0; r < L; ++r) acc[r] = traits::broadcast(T(0));
    for (std::size_t i = 0; i < vector_end; i += L) {
      const P av = traits::pin(traits::load(a + i));
      CTNN_UNROLL for (std::size_t r = 0; r < L; ++r)
        acc[r] = multiply_add<T, Arch>(traits::load(w + (o + r) * In + i), av, acc[r]);
    }
    if constexpr (vector_end < In) {
      constexpr std::size_t width = In - vector_end;
      const P av = load_part<width, Arch>(a + vector_end);
      CTNN_UNROLL for (std::size_t r = 0; r < L; ++r) {
        const P wv = load_part<width, Arch>(w + (o + r) * In + vector_end);
        acc[r] = multiply_add<T, Arch>(wv, av, acc[r]);
      }
    }
    traits::store(z + o, traits::sum_rows(acc) + traits::load(b + o));
  }
  if constexpr (blocked_end < Out) affine_forward_rows<1, In, Out - blocked_end, Arch>(
      w + blocked_end * In, b + blocked_end, a, In, z + blocked_end);
}

// The kernel of both backward products: for R rows r and V·Width columns j,
//   C[r, j] = [C_in[r·c_row + j] +] Σ_k X[r·x_row + k·x_k] · Y[k·y_k + j]
// with X broadcast one scalar at a time and Y loaded as packs: each k costs R broadcasts and V
// loads for R·V FMAs. C[r, j] goes to sink as value c_at + r·c_row + j (sink.hpp); when
// accumulate, c_in[c_at + r·c_row + j] holds the sums so far (for a store_sink, the same memory).
// Width is the pack width L, or for the last columns of a row (V = 1) the fewer that are left:
// part packs, so no column is done one value at a time.
template <std::size_t R, std::size_t V, class Arch, class T, class Sink,
          std::size_t Width = pack_traits<T, Arch>::lanes>
constexpr void broadcast_block(const T* x, std::size_t x_row, std::size_t x_k, const T* y,
                               std::size_t y_k, std::size_t k_count, const T* c_in,
                               const Sink& sink, std::size_t c_at, std::size_t c_row,
                               bool accumulate) {
  using traits = pack_traits<T, Arch>;
  using P = pack<T, Arch>;
  constexpr std::size_t L = traits::lanes;
  static_assert(Width == L || V == 1);
  alignas(local_alignment<P>) P acc[R][V];
  CTNN_UNROLL for (std::size_t r = 0; r < R; ++r)
    CTNN_UNROLL for (std::size_t v = 0; v < V; ++v)
      acc[r][v] = accumulate ? load_part<Width, Arch>(c_in + c_at + r * c_row + v * L)
                             : traits::broadcast(T(0));
  for (std::size_t k = 0; k < k_count; ++k) {
    alignas(local_alignment<P>) P yv[V];
    CTNN_UNROLL for (std::size_t v = 0; v < V; ++v)
      yv[v] = traits::pin(load_part<Width, Arch>(y + k * y_k + v * L));
    CTNN_UNROLL for (std::size_t r = 0; r < R; ++r) {
      const P xv = traits::pin(traits::broadcast(x[r * x_row + k * x_k]));
      CTNN_UNROLL for (std::size_t v = 0; v < V; ++v) acc[r][v] = multiply_add<T, Arch>(xv, yv[v], acc[r][v]);
    }
  }
  CTNN_UNROLL for (std::size_t r = 0; r < R; ++r)
    CTNN_UNROLL for (std::size_t v = 0; v < V; ++v)
      sink.template put<Width, Arch>(c_at + r * c_row + v * L, acc[r][v]);
}

// All Rows × Width values of C: column chunks of V packs outer (then single packs, then one
// part pack for the columns left), blocks of R rows inner. A chunk of Y (k_count rows
// × V·L values, 8 kB for 32 float rows) stays in L1 while every row of C takes it; rows outer
// would stream the whole of Y (100 kB for a tile of 32 samples of 784 inputs) from L2 once per
// block of R rows. The weight gradient hands over all its rows at once; the input delta one block
// of samples at a time, which sweeps its Y (= W) per block: taking all rows at once there made
// the demo's 784-256-128-10 3% slower.
template <std::size_t Rows, std::size_t Width, class Arch, class T, class Sink>
constexpr void broadcast_columns(const T* x, std::size_t x_row, std::size_t x_k, const T* y,
                                 std::size_t y_k, std::size_t k_count, const T* c_in,
                                 const Sink& sink, std::size_t c_at, std::size_t c_row,
                                 bool accumulate) {
  constexpr std::size_t L = pack_traits<T, Arch>::lanes;
  constexpr std::size_t R = 4, V = 4;
  constexpr std::size_t blocked_end = Rows - Rows % R;
  constexpr std::size_t vector_end = Width - Width % L;
  constexpr std::size_t wide_end = vector_end - vector_end % (V * L);
  auto every_row = [&]<std::size_t Packs, std::size_t PackWidth>(std::size_t j) {
    for (std::size_t r = 0; r < blocked_end; r += R)
      broadcast_block<R, Packs, Arch, T, Sink, PackWidth>(x + r * x_row, x_row, x_k, y + j, y_k,
                                                          k_count, c_in, sink,
                                                          c_at + r * c_row + j, c_row, accumulate);
    if constexpr (blocked_end < Rows)
      broadcast_block<Rows - blocked_end, Packs, Arch, T, Sink, PackWidth>(
          x + blocked_end * x_row, x_row, x_k, y + j, y_k, k_count, c_in, sink,
          c_at + blocked_end * c_row + j, c_row, accumulate);
  };
  for (std::size_t j = 0; j < wide_end; j += V * L) every_row.template operator()<V, L>(j);
  for (std::size_t j = wide_end; j < vector_end; j += L) every_row.template operator()<1, L>(j);
  if constexpr (vector_end < Width)
    every_row.template operator()<1, Width - vector_end>(vector_end);
}

}  // namespace detail

// Z (n×Out) = A (n×In, rows a_stride apart) · Wᵀ + b.
template <std::size_t In, std::size_t Out, class Arch, class T>
constexpr void affine_forward(const T* w, const T* b, const T* a, std::size_t a_stride, T* z,
                           std::size_t n) {
  if constexpr (pack_traits<T, Arch>::lanes > 1 && Out >= pack_traits<T, Arch>::lanes) {
    if (n == 1) return detail::affine_forward_one<In, Out, Arch>(w, b, a, z);
  }
  constexpr std::size_t SB = 4;
  const std::size_t blocked_end = n - n % SB;
  for (std::size_t s = 0; s < blocked_end; s += SB)
    detail::affine_forward_rows<SB, In, Out, Arch>(w, b, a + s * a_stride, a_stride, z + s * Out);
  for (std::size_t s = blocked_end; s < n; ++s)
    detail::affine_forward_rows<1, In, Out, Arch>(w, b, a + s * a_stride, a_stride, z + s * Out);
}

// ∂W (Out×In) = [∂W_in +] Δᵀ (Out×n) · A (n×In);  ∂b (Out) = [∂b_in +] Σ_s Δ[s,:], handed to
// sink as the values from w_at and b_at on. g_in holds the sums so far (∂W_in from g_in + w_at,
// ∂b_in from g_in + b_at), read only when accumulate: the first tile of a batch starts from 0, so
// no one has to zero the gradient first. With a store_sink on g_in the sums stay in place.
template <std::size_t In, std::size_t Out, class Arch, class T, class Sink>
constexpr void affine_weight_gradient(const T* delta, const T* a, std::size_t a_stride,
                                      const T* g_in, const Sink& sink, std::size_t w_at,
                                      std::size_t b_at, std::size_t n, bool accumulate) {
  // ∂b in registers, one pack of outputs at a time (the last one a part pack), the samples in
  // order.
  using traits = pack_traits<T, Arch>;
  constexpr std::size_t L = traits::lanes;
  auto bias_pack = [&]<std::size_t Count>(std::size_t o, std::integral_constant<std::size_t, Count>) {
    auto sum = accumulate ? detail::load_part<Count, Arch>(g_in + b_at + o)
                          : detail::load_part<Count, Arch>(delta + o);
    for (std::size_t s = accumulate ? 0 : 1; s < n; ++s)
      sum += detail::load_part<Count, Arch>(delta + s * Out + o);
    sink.template put<Count, Arch>(b_at + o, sum);
  };
  constexpr std::size_t full_end = Out - Out % L;
  for (std::size_t o = 0; o < full_end; o += L) bias_pack(o, std::integral_constant<std::size_t, L>{});
  if constexpr (full_end < Out)
    bias_pack(full_end, std::integral_constant<std::size_t, Out - full_end>{});

  // Rows o of ∂W: x = Δ (x[o + s·Out]), y = A (row s), k runs over the samples.
  detail::broadcast_columns<Out, In, Arch>(delta, 1, Out, a, a_stride, n, g_in, sink, w_at, In,
                                           accumulate);
}

// Δ' (n×In) = Δ (n×Out) · W (Out×In), handed to sink (sink.hpp) row by row: value i of sample s
// as s·In + i.
template <std::size_t In, std::size_t Out, class Arch, class T, class Sink>
constexpr void affine_input_delta(const T* delta, const T* w, const Sink& sink, std::size_t n) {
  // Rows s of Δ': x = Δ (x[s·Out + o]), y = W (row o), k runs over the outputs.
  constexpr std::size_t R = 4;
  const std::size_t blocked_end = n - n % R;
  const T* no_sums = nullptr;  // nothing accumulates here: the sink adds if it must
  for (std::size_t s = 0; s < blocked_end; s += R)
    detail::broadcast_columns<R, In, Arch>(delta + s * Out, Out, 1, w, In, Out, no_sums, sink,
                                           s * In, In, false);
  for (std::size_t s = blocked_end; s < n; ++s)
    detail::broadcast_columns<1, In, Arch>(delta + s * Out, Out, 1, w, In, Out, no_sums, sink,
                                           s * In, In, false);
}

}  // namespace ctnn::simd
