#pragma once
// One sample through a dense layer, on a SIMD architecture, with In and Out known at compile
// time. W is out×in row-major (PyTorch's layout), so
//   forward   z = W x + b, a = f(z)     dot products along W's rows: L rows at a time are
//                                       multiplied with x into L packs, reduced together into
//                                       one pack of L sums (pack_traits::sum_rows), the bias
//                                       added and the activation applied to that pack before it
//                                       is stored;
//   backward  ∂W = δ xᵀ, ∂b = δ,        one pass over W's rows: row r is loaded once, and
//             δx = Wᵀ δ                 feeds δx += δ_r W_r (broadcast FMAs into accumulators
//                                       along In, several row groups for independent chains)
//                                       while ∂W's row r = δ_r x is stored beside it.
// Remainders (In or Out not a multiple of the pack width) go through masked loads and stores of
// one narrower pack (pack_traits::load_first/store_first), never through scalar loops.
// The scalar architecture and constant evaluation do not come here: they take the tile loops of
// affine.hpp, which these kernels must agree with (tests/simd/scalar_vs_simd.cpp).

#include <bit>
#include <cstddef>
#include <type_traits>
#include <utility>

#include "../config.hpp"
#include "pack.hpp"
#include "sink.hpp"

namespace ctnn::simd {

namespace detail {

// f(integral_constant<K>) for K = 0 .. N-1, unrolled. always_inline, the helper and its inner
// lambda: clang 14 left them calls, one per unrolled loop of every kernel (clang -O3, 16-32-32-1
// one sample: forward 176 -> 53 ns, gradient 433 -> 280 ns); g++ inlined them already.
template <std::size_t N, class F>
[[gnu::always_inline]] inline void unrolled(F&& f) {
  [&]<std::size_t... K>(std::index_sequence<K...>) __attribute__((always_inline)) {
    (f(std::integral_constant<std::size_t, K>{}), ...);
  }(std::make_index_sequence<N>{});
}

// Width of the J-th pack of a vector of N values: L, except for the last one.
template <std::size_t N, std::size_t L>
inline constexpr std::size_t pack_width(std::size_t j) {
  return (j + 1) * L <= N ? L : N - j * L;
}

// Register blocking of the column kernels (column_forward.hpp, int8.hpp): output packs go in
// chunks of up to 8, and each pack of a chunk of n gets up to 4 accumulators that take the
// columns in turn (16 in all, of 32 registers; never more than the `steps` columns), so the chain
// of dependent multiply-adds is steps / 4 long, not steps. With whole_up_to > 8 (the float
// kernel on AVX-512's 32 registers), a layer of up to that many packs is one chunk: each column
// is then read as one contiguous run and W from start to end, which the hardware prefetcher
// follows (784-256-128-10 one sample: 9.3 → 7.1 µs; a GRU step of 128 units: 2.0 → 1.4 µs),
// where chunks of 8 packs read W in strips, a column's part at a time.
inline constexpr std::size_t column_chunk_packs(std::size_t packs, std::size_t whole_up_to = 8) {
  return packs <= whole_up_to ? packs : 8;
}
inline constexpr std::size_t column_accumulators(std::size_t n, std::size_t steps) {
  const std::size_t by_units = 16 / n < 1 ? 1 : (16 / n > 4 ? 4 : 16 / n);
  return by_units < steps ? by_units : steps;
}

}  // namespace detail

// A vector of N values held as packs (lanes past N are 0): how one stage hands its activations
// to the next in registers, instead of a store and a reload on the latency chain of the pass.
template <class T, class Arch, std::size_t N>
struct vector_packs {
  static constexpr std::size_t count = (N + pack_traits<T, Arch>::lanes - 1) / pack_traits<T, Arch>::lanes;
  alignas(local_alignment<pack<T, Arch>>) pack<T, Arch> v[count];
};

template <std::size_t N, class Arch, class T>
inline vector_packs<T, Arch, N> load_vector(const T* p) {
  constexpr std::size_t L = pack_traits<T, Arch>::lanes;
  vector_packs<T, Arch, N> x;
  detail::unrolled<vector_packs<T, Arch, N>::count>([&](auto k) CTNN_INLINE_LAMBDA {
    x.v[k] = detail::load_part<detail::pack_width<N, L>(decltype(k)::value), Arch>(p + k * L);
  });
  return x;
}

namespace detail {

// R rows (R ≤ L) of W starting at w, each dotted with x along In: acc[r] holds row r's products,
// to be summed across lanes; acc[R..L) are 0.
template <std::size_t In, std::size_t R, class Arch, class T>
CTNN_INLINE_KERNEL inline void row_products(const T* w, const vector_packs<T, Arch, In>& x,
                         pack<T, Arch> (&acc)[pack_traits<T, Arch>::lanes]) {
  using traits = pack_traits<T, Arch>;
  constexpr std::size_t L = traits::lanes;
  // The first pack of each row starts its accumulator (a product, not an FMA into zeros).
  // Short rows (up to 4 packs) are unrolled, all R side by side; long ones go in groups (below).
  constexpr std::size_t packs = (In + L - 1) / L;
  auto step = [&](auto width, std::size_t i, bool first) CTNN_INLINE_LAMBDA {
    const auto xv = x.v[i / L];
    CTNN_UNROLL for (std::size_t r = 0; r < R; ++r) {
      const auto wv = load_part<decltype(width)::value, Arch>(w + r * In + i);
      acc[r] = first ? wv * xv : multiply_add<T, Arch>(wv, xv, acc[r]);
    }
  };
  if constexpr (packs <= 4) {
    unrolled<packs>([&](auto k) CTNN_INLINE_LAMBDA {
      constexpr std::size_t width = pack_width<In, L>(decltype(k)::value);
      step(std::integral_constant<std::size_t, width>{}, k * L, k == 0);
    });
  } else {
    // Long rows (e.g. 784 inputs) go 8 at a time, each over all its packs with two accumulators:
    // each pack of x, which lives on the stack at this length, is loaded once for 8 rows, and the
    // 16 FMA chains are independent. (All R rows side by side, one accumulator each, was 11%
    // slower for 784-128-10; 4 at a time 7%.)
    constexpr std::size_t full_end = In - In % L;
    constexpr std::size_t pair_end = full_end - full_end % (2 * L);
    constexpr std::size_t G = 8;
    auto group = [&]<std::size_t Rows>(std::size_t r0, std::integral_constant<std::size_t, Rows>)
                     CTNN_INLINE_LAMBDA {
      alignas(local_alignment<pack<T, Arch>>) pack<T, Arch> even[Rows], odd[Rows];
      CTNN_UNROLL for (std::size_t r = 0; r < Rows; ++r) {
        even[r] = load_part<L, Arch>(w + (r0 + r) * In) * x.v[0];
        odd[r] = load_part<L, Arch>(w + (r0 + r) * In + L) * x.v[1];
      }
      for (std::size_t i = 2 * L; i < pair_end; i += 2 * L) {
        const auto x0 = x.v[i / L], x1 = x.v[i / L + 1];
        CTNN_UNROLL for (std::size_t r = 0; r < Rows; ++r) {
          even[r] = multiply_add<T, Arch>(load_part<L, Arch>(w + (r0 + r) * In + i), x0, even[r]);
          odd[r] = multiply_add<T, Arch>(load_part<L, Arch>(w + (r0 + r) * In + i + L), x1, odd[r]);
        }
      }
      CTNN_UNROLL for (std::size_t r = 0; r < Rows; ++r) {
        if constexpr (pair_end < full_end)
          even[r] = multiply_add<T, Arch>(load_part<L, Arch>(w + (r0 + r) * In + pair_end),
                                          x.v[pair_end / L], even[r]);
        if constexpr (full_end < In)
          odd[r] = multiply_add<T, Arch>(load_part<In - full_end, Arch>(w + (r0 + r) * In + full_end),
                                         x.v[full_end / L], odd[r]);
        acc[r0 + r] = even[r] + odd[r];
      }
    };
    for (std::size_t r0 = 0; r0 + G <= R; r0 += G) group(r0, std::integral_constant<std::size_t, G>{});
    if constexpr (R % G != 0) group(R - R % G, std::integral_constant<std::size_t, R % G>{});
  }
  CTNN_UNROLL for (std::size_t r = R; r < L; ++r) acc[r] = traits::broadcast(T(0));
}

// z[o..o+R) = W[o..o+R) x + b[o..o+R), a = f(z) for an elementwise f, one pack; returns a's
// pack (lanes past R are 0).
template <std::size_t In, std::size_t R, class Activation, class Arch, class T>
CTNN_INLINE_KERNEL inline pack<T, Arch> forward_block(const T* w, const T* b, const vector_packs<T, Arch, In>& x,
                                   T* z, T* a) {
  using traits = pack_traits<T, Arch>;
  alignas(local_alignment<pack<T, Arch>>) pack<T, Arch> acc[traits::lanes];
  row_products<In, R, Arch>(w, x, acc);
  pack<T, Arch> sums;
  if constexpr (R == 1) sums = traits::broadcast(traits::sum(acc[0]));
  else sums = traits::sum_rows(acc);
  const pack<T, Arch> zv = sums + load_part<R, Arch>(b);
  store_part<R, Arch>(z, zv);
  if constexpr (std::is_void_v<Activation>) {
    return zv;
  } else if constexpr (Activation::elementwise) {
    pack<T, Arch> av = Activation::value(zv);
    store_part<R, Arch>(a, av);
    if constexpr (R < traits::lanes) av = traits::template keep_first<R>(av);
    return av;
  } else {
    return zv;
  }
}

}  // namespace detail

// z = W x + b and a = f(z) for one sample (x: In values, z and a: Out values, stored); returns
// a as packs for the next stage. Activation void: z alone (a is not touched), returned as packs.
template <std::size_t In, std::size_t Out, class Activation, class Arch, class T>
CTNN_INLINE_KERNEL vector_packs<T, Arch, Out> dense_forward_one(const T* w, const T* b,
                                             const vector_packs<T, Arch, In>& x, T* z, T* a) {
  constexpr std::size_t L = pack_traits<T, Arch>::lanes;
  static_assert(L > 1, "ctnn: the single-sample kernels are for SIMD architectures");
  constexpr std::size_t blocks = Out / L;
  vector_packs<T, Arch, Out> result;
  auto block = [&](std::size_t k) CTNN_INLINE_LAMBDA {
    const std::size_t o = k * L;
    result.v[k] = detail::forward_block<In, L, Activation, Arch>(w + o * In, b + o, x, z + o, a + o);
  };
  if constexpr (blocks <= 8) detail::unrolled<blocks>(block);  // result stays in registers
  else for (std::size_t k = 0; k < blocks; ++k) block(k);
  if constexpr (Out % L != 0) {
    constexpr std::size_t o = blocks * L;
    result.v[blocks] =
        detail::forward_block<In, Out % L, Activation, Arch>(w + o * In, b + o, x, z + o, a + o);
  }
  if constexpr (!std::is_void_v<Activation>) {
    if constexpr (!Activation::elementwise) {
      Activation::template forward_rows<Arch>(z, a, Out, 1);
      result = load_vector<Out, Arch>(a);
    }
  }
  return result;
}

// One sample's backward step through a dense layer, δ = δz (Out values), x = the layer's input
// (In values):  ∂W = δ xᵀ and ∂b = δ, handed to sink (sink.hpp) as the values from w_at and
// b_at on (a store_sink overwrites them), and, when Propagate, δx = Wᵀ δ, handed over pack by
// pack as finish(pack, i, integral_constant<width>) for the values i .. i + width (the caller
// applies the previous activation's derivative and stores). Each row of W is loaded once, before
// its ∂W goes to the sink: a sink that updates W in place (the fused training step) is safe.
template <std::size_t In, std::size_t Out, bool Propagate, class Arch, class T, class Sink,
          class Finish>
CTNN_INLINE_KERNEL void dense_backward_one(const T* w, const T* delta, const T* x, const Sink& sink, std::size_t w_at,
                        std::size_t b_at, Finish&& finish) {
  using traits = pack_traits<T, Arch>;
  using P = pack<T, Arch>;
  constexpr std::size_t L = traits::lanes;
  static_assert(L > 1, "ctnn: the single-sample kernels are for SIMD architectures");

  detail::unrolled<(Out + L - 1) / L>([&](auto k) CTNN_INLINE_LAMBDA {
    constexpr std::size_t o = decltype(k)::value * L;
    constexpr std::size_t width = detail::pack_width<Out, L>(decltype(k)::value);
    sink.template put<width, Arch>(b_at + o, detail::load_part<width, Arch>(delta + o));
  });

  // Columns in chunks of up to J packs; rows in groups of G, each group with its own
  // accumulators so that the FMA chains are Out / G long, not Out.
  constexpr std::size_t packs = (In + L - 1) / L;
  constexpr std::size_t J = packs < 4 ? packs : 4;
  constexpr std::size_t G0 = 16 / J < 8 ? 16 / J : 8;
  constexpr std::size_t G = Propagate ? (G0 < Out ? G0 : Out) : 1;
  constexpr std::size_t grouped_end = Out - Out % G;
  constexpr std::size_t tail_width = In % L == 0 ? L : In % L;

  // Packs [j0, j0 + n) of x: n and whether the chunk is the last one (whose last pack may be a
  // part pack) are known at compile time, j0 is not, so that every chunk of J whole packs runs
  // the same code (a 784-wide layer would otherwise be 13 copies of the row loop, which is what
  // a flattened one-sample training step spends most of its compile time on).
  auto chunk = [&](std::size_t j0, auto count, auto last) CTNN_INLINE_LAMBDA {
    constexpr std::size_t n = decltype(count)::value;
    constexpr bool ends_row = decltype(last)::value;
    alignas(local_alignment<P>) P xv[n];
    alignas(local_alignment<P>) P acc[G][n];
    detail::unrolled<n>([&](auto jj) CTNN_INLINE_LAMBDA {
      constexpr std::size_t width = ends_row && decltype(jj)::value + 1 == n ? tail_width : L;
      xv[jj] = traits::pin(detail::load_part<width, Arch>(x + (j0 + jj) * L));
      CTNN_UNROLL for (std::size_t g = 0; g < G; ++g) acc[g][jj] = traits::broadcast(T(0));
    });
    // Row r: ∂W_r = δ_r x and, when propagating, acc += δ_r W_r.
    auto row = [&](std::size_t r, std::size_t g) CTNN_INLINE_LAMBDA {
      const P d = traits::broadcast(delta[r]);
      detail::unrolled<n>([&](auto jj) CTNN_INLINE_LAMBDA {
        constexpr std::size_t width = ends_row && decltype(jj)::value + 1 == n ? tail_width : L;
        const std::size_t i = (j0 + jj) * L;
        if constexpr (Propagate) {
          const P wv = detail::load_part<width, Arch>(w + r * In + i);
          acc[g][jj] = multiply_add<T, Arch>(d, wv, acc[g][jj]);
        }
        sink.template put<width, Arch>(w_at + r * In + i, d * xv[jj]);
      });
    };
    // g is a compile-time index everywhere, so the accumulators stay in registers. Short
    // layers are unrolled whole: as a loop of few trips, GCC keeps some accumulators on the
    // stack, and every trip then waits for their store to reach the next load.
    if constexpr (Out * n <= 64) {
      detail::unrolled<grouped_end / G>([&](auto k) CTNN_INLINE_LAMBDA {
        detail::unrolled<G>(
            [&](auto g) CTNN_INLINE_LAMBDA { row(decltype(k)::value * G + g, g); });
      });
    } else {
      for (std::size_t r = 0; r < grouped_end; r += G)
        detail::unrolled<G>([&](auto g) CTNN_INLINE_LAMBDA { row(r + g, g); });
    }
    detail::unrolled<Out - grouped_end>(
        [&](auto g) CTNN_INLINE_LAMBDA { row(grouped_end + g, g); });
    if constexpr (Propagate) {
      detail::unrolled<n>([&](auto jj) CTNN_INLINE_LAMBDA {
        constexpr std::size_t width = ends_row && decltype(jj)::value + 1 == n ? tail_width : L;
        // Pairwise sum of the G group accumulators, unrolled (indices known at compile time).
        detail::unrolled<std::bit_width(G - 1)>([&](auto level) CTNN_INLINE_LAMBDA {
          constexpr std::size_t step = std::size_t(1) << decltype(level)::value;
          detail::unrolled<G>([&](auto g) CTNN_INLINE_LAMBDA {
            if constexpr (g % (2 * step) == 0 && g + step < G) acc[g][jj] += acc[g + step][jj];
          });
        });
        finish(acc[0][jj], (j0 + jj) * L, std::integral_constant<std::size_t, width>{});
      });
    }
  };
  constexpr std::size_t chunks = (packs + J - 1) / J;
  constexpr bool ragged = In % L != 0 || packs % J != 0;
  constexpr std::size_t whole = ragged ? chunks - 1 : chunks;
  for (std::size_t c = 0; c < whole; ++c)
    chunk(c * J, std::integral_constant<std::size_t, J>{}, std::false_type{});
  if constexpr (ragged)
    chunk(whole * J, std::integral_constant<std::size_t, packs - whole * J>{}, std::true_type{});
}

}  // namespace ctnn::simd
