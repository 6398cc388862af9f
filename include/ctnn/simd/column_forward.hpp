#pragma once
// One sample through a dense layer whose weights are stored column by column: wt holds Wᵀ, In
// columns of Out values, each column Stride values apart (the layout of ctnn::inference_weights;
// layers wider than 1536 bytes in bands of columns, see column_band_rows):
//   z = b + Σ_i x_i W[:, i],   a = f(z).
// Each input value is broadcast once and multiplied into every pack of its column. Nothing is
// summed across lanes: the row layout (matvec.hpp) ends every group of rows with a reduction
// tree, which costs more than the multiplications when a layer is only a few packs wide.
// The output packs go in chunks of up to 8 (a layer of up to 24 packs in one on AVX-512: see
// detail::column_chunk_packs), and each pack has up to 4 accumulators that take the
// columns in turn, so the chain of dependent FMAs is In / 4 long, not In: for narrow nets this
// chain, not the FMA count, is what one sample waits for (16-32-32-1: 34 ns against 52 ns for the
// row kernel, on Zen 5).
// The scalar architecture and constant evaluation do not come here (ctnn::inference_weights has
// a plain loop for them, which tests/nn/inference.cpp holds this kernel to).

#include <bit>
#include <cstddef>
#include <type_traits>

#include "matvec.hpp"
#include "pack.hpp"

namespace ctnn::simd {

// The column layout of a layer wider than band_rows values (1536 bytes: 384 floats, 192 doubles)
// is cut into bands of band_rows rows, each band's columns contiguous (then the next band's): a
// chunk of the kernel below then reads its part of W from start to end, which the prefetcher
// follows, however wide the layer. Up to band_rows rows it is one band of width Stride (the rows
// rounded up to 64 bytes), the plain Wᵀ layout.
template <class T>
inline constexpr std::size_t column_band_rows = 1536 / sizeof(T);
template <class T>
constexpr std::size_t column_round_up(std::size_t n) {
  constexpr std::size_t pad = 64 / sizeof(T);
  return (n + pad - 1) / pad * pad;
}
// The values of an Out × In block in the column layout, and where W[o][i] is (Stride: the
// single band's width, column_round_up(Out), when Out ≤ band_rows).
template <class T>
constexpr std::size_t column_block_size(std::size_t out, std::size_t in) {
  constexpr std::size_t band = column_band_rows<T>;
  if (out <= band) return in * column_round_up<T>(out);
  const std::size_t full = out / band, rest = out - full * band;
  return full * in * band + in * column_round_up<T>(rest);
}
template <class T>
constexpr std::size_t column_index(std::size_t out, std::size_t in, std::size_t stride, std::size_t o,
                                   std::size_t i) {
  constexpr std::size_t band = column_band_rows<T>;
  if (out <= band) return i * stride + o;
  const std::size_t j = o / band, first = j * band;
  const std::size_t width = out - first < band ? column_round_up<T>(out - first) : band;
  return j * in * band + i * width + (o - first);
}

// a = f(W x + b) for one sample, x: In values, a: Out values (only those are stored). z is
// scratch for an activation that is not elementwise (softmax), which runs on the stored z.
// Activation void: a = W x + b.
template <std::size_t In, std::size_t Out, std::size_t Stride, class Activation, class Arch, class T>
CTNN_INLINE_KERNEL void dense_forward_columns(const T* wt, const T* b, const T* x, T* z, T* a) {
  using traits = pack_traits<T, Arch>;
  using P = pack<T, Arch>;
  constexpr std::size_t L = traits::lanes;
  static_assert(L > 1, "ctnn: the single-sample kernels are for SIMD architectures");
  constexpr std::size_t packs = (Out + L - 1) / L;
  constexpr std::size_t band = column_band_rows<T>;
  static_assert(Out > band || Stride >= packs * L, "ctnn: a column must hold whole packs");
  static_assert(band % (8 * L) == 0, "ctnn: a band of the column layout holds whole chunks");
  constexpr std::size_t whole = detail::is_avx512<Arch> ? 24 : 8;
  constexpr std::size_t chunk_packs =
      Out <= band ? detail::column_chunk_packs(packs, whole) : (band / L <= whole ? band / L : 8);

  detail::unrolled<(packs + chunk_packs - 1) / chunk_packs>([&](auto chunk) CTNN_INLINE_LAMBDA {
    constexpr std::size_t k0 = decltype(chunk)::value * chunk_packs;
    constexpr std::size_t n = packs - k0 < chunk_packs ? packs - k0 : chunk_packs;
    // The chunk's band (none of them straddles two) and its columns' width there.
    constexpr std::size_t j = Out <= band ? 0 : k0 * L / band;
    constexpr std::size_t width =
        Out <= band ? Stride : (Out - j * band < band ? column_round_up<T>(Out - j * band) : band);
    const T* w0 = Out <= band ? wt + k0 * L : wt + j * In * band + (k0 * L - j * band);
    constexpr std::size_t A = detail::column_accumulators(n, In);
    alignas(local_alignment<P>) P acc[A][n];
    detail::unrolled<n>([&](auto k) CTNN_INLINE_LAMBDA {
      acc[0][k] = traits::load(b + (k0 + k) * L);
      detail::unrolled<A - 1>(
          [&](auto c) CTNN_INLINE_LAMBDA { acc[c + 1][k] = traits::broadcast(T(0)); });
    });
    auto column = [&](std::size_t i, auto c) CTNN_INLINE_LAMBDA {
      const P xi = traits::broadcast(x[i]);
      detail::unrolled<n>([&](auto k) CTNN_INLINE_LAMBDA {
        acc[c][k] =
            multiply_add<T, Arch>(xi, traits::load(w0 + i * width + k * L), acc[c][k]);
      });
    };
    // Narrow layers are unrolled whole; wide ones loop over groups of A columns.
    constexpr std::size_t grouped_end = In - In % A;
    if constexpr (In <= 64) {
      detail::unrolled<In>([&](auto i) CTNN_INLINE_LAMBDA {
        column(i, std::integral_constant<std::size_t, decltype(i)::value % A>{});
      });
    } else {
      for (std::size_t i = 0; i < grouped_end; i += A)
        detail::unrolled<A>([&](auto c) CTNN_INLINE_LAMBDA { column(i + c, c); });
      detail::unrolled<In - grouped_end>(
          [&](auto c) CTNN_INLINE_LAMBDA { column(grouped_end + c, c); });
    }
    // Pairwise sum of the accumulators (indices known at compile time).
    detail::unrolled<std::bit_width(A - 1)>([&](auto level) CTNN_INLINE_LAMBDA {
      constexpr std::size_t step = std::size_t(1) << decltype(level)::value;
      detail::unrolled<A>([&](auto c) CTNN_INLINE_LAMBDA {
        if constexpr (c % (2 * step) == 0 && c + step < A)
          detail::unrolled<n>([&](auto k) CTNN_INLINE_LAMBDA { acc[c][k] += acc[c + step][k]; });
      });
    });
    detail::unrolled<n>([&](auto k) CTNN_INLINE_LAMBDA {
      constexpr std::size_t o = (k0 + k) * L;
      constexpr std::size_t width = detail::pack_width<Out, L>(k0 + k);
      if constexpr (std::is_void_v<Activation>)
        detail::store_part<width, Arch>(a + o, acc[0][k]);
      else if constexpr (Activation::elementwise)
        detail::store_part<width, Arch>(a + o, Activation::value(acc[0][k]));
      else
        detail::store_part<width, Arch>(z + o, acc[0][k]);
    });
  });
  if constexpr (!std::is_void_v<Activation>) {
    if constexpr (!Activation::elementwise) Activation::template forward_rows<Arch>(z, a, Out, 1);
  }
}

}  // namespace ctnn::simd
