#pragma once
// Products over shifted rows: the kernels of a direct convolution at stride 1. With the input
// zero-padded and each output row as wide as a padded input row, output position t and kernel
// tap k = (c, p, q) read the input at t + offset[k]: every tap is the same row shifted, so the
// convolution is a matrix product whose right operand's rows are windows of one buffer, read in
// place (no patch matrix is gathered):
//   shifted_products   C[r, j] (+)= Σ_k X[r·x_row + x_offset[k]] · Y[y_offset[k] + j]
//                      (forward: X = W; input adjoint: X = W read per input channel, Y = δy)
//   shifted_dots       C[i, k] += Σ_j A[i·a_row + j] · B[b_offset[k] + j]     (∂W, few outputs)
//   shifted_outer      C[r, j] += Σ_t A[a_offset[r] + t] · B[t'·Width + j]    (∂Wᵀ, B = δyᵀ; t runs
//                      over the valid output positions, t' counts them)
// Register blocks as in affine.hpp: 4 rows × 4 packs of broadcast products, 4 × 4 dot products.

#include <array>
#include <cstddef>

#include "../config.hpp"
#include "affine.hpp"
#include "pack.hpp"

namespace ctnn::simd {

namespace detail {

// R rows × V packs (the last of Width ≤ L lanes when V = 1) of C from column j on.
template <std::size_t R, std::size_t V, std::size_t Width, std::size_t K, class Arch, class T>
constexpr void shifted_block(const T* x, std::size_t x_row, const std::array<std::size_t, K>& x_offset,
                             const T* y, const std::array<std::size_t, K>& y_offset, T* c,
                             std::size_t c_row, bool accumulate) {
  using traits = pack_traits<T, Arch>;
  using P = pack<T, Arch>;
  constexpr std::size_t L = traits::lanes;
  alignas(local_alignment<P>) P acc[R][V];
  CTNN_UNROLL for (std::size_t r = 0; r < R; ++r)
    CTNN_UNROLL for (std::size_t v = 0; v < V; ++v)
      acc[r][v] = accumulate ? load_part<Width, Arch>(c + r * c_row + v * L) : traits::broadcast(T(0));
  for (std::size_t k = 0; k < K; ++k) {
    alignas(local_alignment<P>) P yv[V];
    CTNN_UNROLL for (std::size_t v = 0; v < V; ++v)
      yv[v] = traits::pin(load_part<Width, Arch>(y + y_offset[k] + v * L));
    CTNN_UNROLL for (std::size_t r = 0; r < R; ++r) {
      const P xv = traits::pin(traits::broadcast(x[r * x_row + x_offset[k]]));
      CTNN_UNROLL for (std::size_t v = 0; v < V; ++v) acc[r][v] = multiply_add<T, Arch>(xv, yv[v], acc[r][v]);
    }
  }
  CTNN_UNROLL for (std::size_t r = 0; r < R; ++r)
    CTNN_UNROLL for (std::size_t v = 0; v < V; ++v) store_part<Width, Arch>(c + r * c_row + v * L, acc[r][v]);
}

}  // namespace detail

// All Rows × Width values of C (rows c_row apart): chunks of 4 packs with blocks of 4 rows (or
// all of up to 6), then
// single packs with blocks of 8 rows (8 independent sums cover the FMA latency), then one part
// pack.
template <std::size_t Rows, std::size_t Width, std::size_t K, class Arch, class T>
constexpr void shifted_products(const T* x, std::size_t x_row, const std::array<std::size_t, K>& x_offset,
                                const T* y, const std::array<std::size_t, K>& y_offset, T* c,
                                std::size_t c_row, bool accumulate) {
  constexpr std::size_t L = pack_traits<T, Arch>::lanes;
  constexpr std::size_t vector_end = Width - Width % L;
  constexpr std::size_t wide_end = vector_end - vector_end % (4 * L);
  const auto every_row = [&]<std::size_t R, std::size_t V, std::size_t W>(std::size_t j) {
    constexpr std::size_t blocked_end = Rows - Rows % R;
    for (std::size_t r = 0; r < blocked_end; r += R)
      detail::shifted_block<R, V, W, K, Arch>(x + r * x_row, x_row, x_offset, y + j, y_offset,
                                              c + r * c_row + j, c_row, accumulate);
    if constexpr (blocked_end < Rows)
      detail::shifted_block<Rows - blocked_end, V, W, K, Arch>(
          x + blocked_end * x_row, x_row, x_offset, y + j, y_offset, c + blocked_end * c_row + j,
          c_row, accumulate);
  };
  // Up to 6 rows go in one block (24 sums): a remainder block of 1 or 2 rows would load as many
  // packs as it computes.
  constexpr std::size_t wide_rows = Rows <= 6 ? Rows : 4;
  for (std::size_t j = 0; j < wide_end; j += 4 * L) every_row.template operator()<wide_rows, 4, L>(j);
  for (std::size_t j = wide_end; j < vector_end; j += L) every_row.template operator()<8, 1, L>(j);
  if constexpr (vector_end < Width) every_row.template operator()<8, 1, Width - vector_end>(vector_end);
}

namespace detail {

// c[u·c_row + v] += the lanes of acc[u][v] summed: L sums at a time where BM·BN is a multiple of
// L (pack_traits::sum_rows, as affine.hpp's dot_sums), else one horizontal sum each.
template <std::size_t BM, std::size_t BN, class Arch, class T>
constexpr void add_dot_sums(const pack<T, Arch> (&acc)[BM][BN], T* c, std::size_t c_row) {
  using traits = pack_traits<T, Arch>;
  using P = pack<T, Arch>;
  constexpr std::size_t L = traits::lanes;
  if constexpr (L > 1 && (BM * BN) % L == 0) {
    alignas(local_alignment<P>) P flat[BM * BN];
    CTNN_UNROLL for (std::size_t u = 0; u < BM; ++u)
      CTNN_UNROLL for (std::size_t v = 0; v < BN; ++v) flat[u * BN + v] = acc[u][v];
    alignas(64) T sums[BM * BN];
    CTNN_UNROLL for (std::size_t q = 0; q < BM * BN / L; ++q) traits::store(sums + q * L, traits::sum_rows(flat + q * L));
    CTNN_UNROLL for (std::size_t u = 0; u < BM; ++u)
      CTNN_UNROLL for (std::size_t v = 0; v < BN; ++v) c[u * c_row + v] += sums[u * BN + v];
  } else {
    CTNN_UNROLL for (std::size_t u = 0; u < BM; ++u)
      CTNN_UNROLL for (std::size_t v = 0; v < BN; ++v) c[u * c_row + v] += traits::sum(acc[u][v]);
  }
}

}  // namespace detail

// C[i, k] (M × N, rows c_row apart) += Σ_j A[i·a_row + j] · B[b_offset[k] + j], j < Width.
template <std::size_t M, std::size_t N, std::size_t Width, class Arch, class T>
constexpr void shifted_dots(const T* a, std::size_t a_row, const T* b,
                            const std::array<std::size_t, N>& b_offset, T* c, std::size_t c_row) {
  using traits = pack_traits<T, Arch>;
  using P = pack<T, Arch>;
  constexpr std::size_t L = traits::lanes;
  constexpr std::size_t vector_end = Width - Width % L;
  constexpr std::size_t B = 4, m_end = M - M % B, n_end = N - N % B;
  const auto block = [&]<std::size_t BM, std::size_t BN>(std::size_t i, std::size_t k) {
    alignas(local_alignment<P>) P acc[BM][BN];
    CTNN_UNROLL for (std::size_t u = 0; u < BM; ++u)
      CTNN_UNROLL for (std::size_t v = 0; v < BN; ++v) acc[u][v] = traits::broadcast(T(0));
    const auto step = [&]<std::size_t W>(std::size_t j) CTNN_INLINE_LAMBDA {
      alignas(local_alignment<P>) P bv[BN];
      CTNN_UNROLL for (std::size_t v = 0; v < BN; ++v)
        bv[v] = traits::pin(detail::load_part<W, Arch>(b + b_offset[k + v] + j));
      CTNN_UNROLL for (std::size_t u = 0; u < BM; ++u) {
        const P av = traits::pin(detail::load_part<W, Arch>(a + (i + u) * a_row + j));
        CTNN_UNROLL for (std::size_t v = 0; v < BN; ++v) acc[u][v] = multiply_add<T, Arch>(av, bv[v], acc[u][v]);
      }
    };
    for (std::size_t j = 0; j < vector_end; j += L) step.template operator()<L>(j);
    if constexpr (vector_end < Width) step.template operator()<Width - vector_end>(vector_end);
    detail::add_dot_sums<BM, BN, Arch>(acc, c + i * c_row + k, c_row);
  };
  for (std::size_t i = 0; i < m_end; i += B) {
    for (std::size_t k = 0; k < n_end; k += B) block.template operator()<B, B>(i, k);
    if constexpr (n_end < N) block.template operator()<B, N - n_end>(i, n_end);
  }
  if constexpr (m_end < M) {
    for (std::size_t k = 0; k < n_end; k += B) block.template operator()<M - m_end, B>(m_end, k);
    if constexpr (n_end < N) block.template operator()<M - m_end, N - n_end>(m_end, n_end);
  }
}

namespace detail {

// R rows × V packs (the last of Width lanes) of C from column j on, accumulated in place. The
// sum runs over Segments runs of Length positions: position u of run g reads A at
// g·Gap + u (A's row layout) and B's row g·Length + u (B holds the runs back to back).
template <std::size_t R, std::size_t V, std::size_t Width, std::size_t Segments, std::size_t Length,
          std::size_t Gap, std::size_t Stride, std::size_t Rows, class Arch, class T>
constexpr void outer_block(const T* a, const std::array<std::size_t, Rows>& a_offset,
                           std::size_t r0, const T* b, T* c) {
  using traits = pack_traits<T, Arch>;
  using P = pack<T, Arch>;
  constexpr std::size_t L = traits::lanes;
  alignas(local_alignment<P>) P acc[R][V];
  const T* rows[R];
  CTNN_UNROLL for (std::size_t r = 0; r < R; ++r) {
    rows[r] = a + a_offset[r0 + r];
    CTNN_UNROLL for (std::size_t v = 0; v < V; ++v)
      acc[r][v] = v + 1 == V ? load_part<Width, Arch>(c + (r0 + r) * Stride + v * L)
                             : load_part<L, Arch>(c + (r0 + r) * Stride + v * L);
  }
  for (std::size_t g = 0; g < Segments; ++g) {
    const T* bg = b + g * Length * Stride;
    const std::size_t ag = g * Gap;
    for (std::size_t u = 0; u < Length; ++u) {
      alignas(local_alignment<P>) P bv[V];
      CTNN_UNROLL for (std::size_t v = 0; v < V; ++v)
        bv[v] = traits::pin(v + 1 == V ? load_part<Width, Arch>(bg + u * Stride + v * L)
                                       : load_part<L, Arch>(bg + u * Stride + v * L));
      CTNN_UNROLL for (std::size_t r = 0; r < R; ++r) {
        const P av = traits::pin(traits::broadcast(rows[r][ag + u]));
        CTNN_UNROLL for (std::size_t v = 0; v < V; ++v) acc[r][v] = multiply_add<T, Arch>(av, bv[v], acc[r][v]);
      }
    }
  }
  CTNN_UNROLL for (std::size_t r = 0; r < R; ++r)
    CTNN_UNROLL for (std::size_t v = 0; v < V; ++v)
      if (v + 1 == V) store_part<Width, Arch>(c + (r0 + r) * Stride + v * L, acc[r][v]);
      else store_part<L, Arch>(c + (r0 + r) * Stride + v * L, acc[r][v]);
}

}  // namespace detail

// C[r, j] (Rows × Width, row-major) += Σ_{g < Segments, u < Length} A[a_offset[r] + g·Gap + u] ·
// B[(g·Length + u)·Width + j]: for ∂Wᵀ with A the padded input (row r = tap r's window, read
// along the output positions in padded-width rows: Gap apart) and B = δyᵀ (a row per output
// position, Length per output row, the dropped columns left out), accumulated over the samples
// without a reduction per sample. Width up to 2 packs per block with 8 rows (8 or 16 independent
// sums), wider in chunks of 2 packs.
template <std::size_t Rows, std::size_t Width, std::size_t Segments, std::size_t Length,
          std::size_t Gap, class Arch, class T>
constexpr void shifted_outer(const T* a, const std::array<std::size_t, Rows>& a_offset, const T* b,
                             T* c) {
  constexpr std::size_t L = pack_traits<T, Arch>::lanes;
  constexpr std::size_t R = 8, blocked_end = Rows - Rows % R;
  const auto columns = [&]<std::size_t RB>(std::size_t r0) {
    constexpr std::size_t chunk = 2 * L, chunk_end = Width - Width % chunk;
    for (std::size_t j = 0; j < chunk_end; j += chunk)
      detail::outer_block<RB, 2, L, Segments, Length, Gap, Width, Rows, Arch>(a, a_offset, r0, b + j,
                                                                            c + j);
    if constexpr (chunk_end < Width) {
      constexpr std::size_t rest = Width - chunk_end;
      constexpr std::size_t packs = (rest + L - 1) / L;
      detail::outer_block<RB, packs, rest - (packs - 1) * L, Segments, Length, Gap, Width, Rows, Arch>(
          a, a_offset, r0, b + chunk_end, c + chunk_end);
    }
  };
  for (std::size_t r = 0; r < blocked_end; r += R) columns.template operator()<R>(r);
  if constexpr (blocked_end < Rows) columns.template operator()<Rows - blocked_end>(blocked_end);
}

}  // namespace ctnn::simd
