#pragma once
// The architecture is a type. `pack<T, Arch>` is what one SIMD register of T holds on Arch:
// an xsimd::batch for a real instruction set, or the plain scalar T for `scalar_arch`. Every loop
// in ctnn is written once against this interface, so the scalar build is the same code with one
// lane, and one binary can instantiate several architectures side by side.
// This folder (simd/) is the only place that includes xsimd.

#include <array>
#include <cstddef>
#include <type_traits>
#include <xsimd/xsimd.hpp>

#include "../config.hpp"
#include "math.hpp"

namespace ctnn::simd {

// One lane, plain C++ arithmetic: the reference and the no-SIMD build.
struct scalar_arch {
  static constexpr const char* name() { return "scalar"; }
};

#if CTNN_NO_SIMD
using default_arch = scalar_arch;
#else
using default_arch = xsimd::default_arch;
#endif

// The alignment the kernels declare for their local arrays of packs or values. A pack of the
// scalar architecture is one T, and g++ 12 -O2 -march=native vectorises loops over such an
// array with aligned vector stores after raising the array's alignment itself, which its frame
// layout then does not honour in a leaf function's red zone: the scalar build crashed in the batch
// input-delta kernel (vmovaps into a slot 8 bytes off). An alignment declared in the source is
// laid out correctly; a real pack keeps its own.
template <class V>
inline constexpr std::size_t local_alignment = std::is_arithmetic_v<V> ? 64 : alignof(V);

namespace detail {

#if !defined(__AVX512F__)
// Without AVX-512 the helpers below are only declared: the branches that call them are discarded.
template <class Arch>
inline constexpr bool is_avx512 = false;
template <class V>
V sum_rows_avx512(const V* rows);
template <std::size_t Count, class T>
T avx512_load_first(const T* p);
template <std::size_t Count, class T, class V>
void avx512_store_first(T* p, const V& v);
template <std::size_t Count, class V>
V avx512_keep_first(const V& v);
template <class T, class V>
void avx512_add_store_quads(T* p, std::size_t stride, V v, const T* b);
#else
template <class Arch>
inline constexpr bool is_avx512 = std::is_base_of_v<xsimd::avx512f, Arch>;

// Lane sums of 16 float rows in one pack: four levels of (two shuffles, one add), each halving
// the lanes per row: 256-bit halves, 128-bit blocks, then pairs and single lanes inside blocks.
// The levels leave row k in lane σ(k) with σ = (0 2 1 3 8 10 9 11 4 6 5 7 12 14 13 15), an
// involution, so the rows are taken in that order and come out in their own lanes.
// always_inline: GCC left it a call in the batch forward pass, which cost about 5% of a training
// step of 784-128-10 (its 16 inputs and the result went through memory).
template <class A>
[[gnu::always_inline]] inline xsimd::batch<float, A> sum_rows_avx512(
    const xsimd::batch<float, A>* rows) {
  constexpr int order[16] = {0, 2, 1, 3, 8, 10, 9, 11, 4, 6, 5, 7, 12, 14, 13, 15};
  __m512 t[8], s[4], c[2];
  CTNN_UNROLL for (int k = 0; k < 8; ++k) {
    const __m512 a = rows[order[k]], b = rows[order[k + 8]];
    t[k] = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(1, 0, 1, 0)),
                         _mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(3, 2, 3, 2)));
  }
  CTNN_UNROLL for (int k = 0; k < 4; ++k)
    s[k] = _mm512_add_ps(_mm512_shuffle_f32x4(t[k], t[k + 4], _MM_SHUFFLE(2, 0, 2, 0)),
                         _mm512_shuffle_f32x4(t[k], t[k + 4], _MM_SHUFFLE(3, 1, 3, 1)));
  CTNN_UNROLL for (int k = 0; k < 2; ++k)
    c[k] = _mm512_add_ps(_mm512_shuffle_ps(s[k], s[k + 2], _MM_SHUFFLE(1, 0, 1, 0)),
                         _mm512_shuffle_ps(s[k], s[k + 2], _MM_SHUFFLE(3, 2, 3, 2)));
  return _mm512_add_ps(_mm512_shuffle_ps(c[0], c[1], _MM_SHUFFLE(2, 0, 2, 0)),
                       _mm512_shuffle_ps(c[0], c[1], _MM_SHUFFLE(3, 1, 3, 1)));
}

// The same for 8 double rows: three levels; row k ends in lane σ(k), σ = (0 1 4 5 2 3 6 7).
template <class A>
[[gnu::always_inline]] inline xsimd::batch<double, A> sum_rows_avx512(
    const xsimd::batch<double, A>* rows) {
  constexpr int order[8] = {0, 1, 4, 5, 2, 3, 6, 7};
  __m512d t[4], s[2];
  CTNN_UNROLL for (int k = 0; k < 4; ++k) {
    const __m512d a = rows[order[k]], b = rows[order[k + 4]];
    t[k] = _mm512_add_pd(_mm512_shuffle_f64x2(a, b, _MM_SHUFFLE(1, 0, 1, 0)),
                         _mm512_shuffle_f64x2(a, b, _MM_SHUFFLE(3, 2, 3, 2)));
  }
  CTNN_UNROLL for (int k = 0; k < 2; ++k)
    s[k] = _mm512_add_pd(_mm512_shuffle_f64x2(t[k], t[k + 2], _MM_SHUFFLE(2, 0, 2, 0)),
                         _mm512_shuffle_f64x2(t[k], t[k + 2], _MM_SHUFFLE(3, 1, 3, 1)));
  return _mm512_add_pd(_mm512_shuffle_pd(s[0], s[1], 0x00), _mm512_shuffle_pd(s[0], s[1], 0xFF));
}

template <std::size_t Count>
inline __m512 avx512_load_first(const float* p) {
  return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << Count) - 1), p);
}
template <std::size_t Count>
inline __m512d avx512_load_first(const double* p) {
  return _mm512_maskz_loadu_pd(static_cast<__mmask8>((1u << Count) - 1), p);
}
// One value is stored as a scalar: a later scalar load of it (a loss reading a 1-wide output)
// is then forwarded from the store, which AMD cores do not do for masked stores.
template <std::size_t Count>
inline void avx512_store_first(float* p, __m512 v) {
  if constexpr (Count == 1) _mm_store_ss(p, _mm512_castps512_ps128(v));
  else _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << Count) - 1), v);
}
template <std::size_t Count>
inline void avx512_store_first(double* p, __m512d v) {
  if constexpr (Count == 1) _mm_store_sd(p, _mm512_castpd512_pd128(v));
  else _mm512_mask_storeu_pd(p, static_cast<__mmask8>((1u << Count) - 1), v);
}
template <std::size_t Count>
inline __m512 avx512_keep_first(__m512 v) {
  return _mm512_maskz_mov_ps(static_cast<__mmask16>((1u << Count) - 1), v);
}
template <std::size_t Count>
inline __m512d avx512_keep_first(__m512d v) {
  return _mm512_maskz_mov_pd(static_cast<__mmask8>((1u << Count) - 1), v);
}
// v's lanes in groups of 4 (four groups of floats, two of doubles), each plus b[0..4), group g
// stored at p + g·stride: 4 outputs of several samples (sum_rows of a 4-row dot block) going to
// their rows of Z in one add and one store per sample.
[[gnu::always_inline]] inline void avx512_add_store_quads(float* p, std::size_t stride, __m512 v,
                                                          const float* b) {
  v = _mm512_add_ps(v, _mm512_broadcast_f32x4(_mm_loadu_ps(b)));
  _mm_storeu_ps(p, _mm512_castps512_ps128(v));
  _mm_storeu_ps(p + stride, _mm512_extractf32x4_ps(v, 1));
  _mm_storeu_ps(p + 2 * stride, _mm512_extractf32x4_ps(v, 2));
  _mm_storeu_ps(p + 3 * stride, _mm512_extractf32x4_ps(v, 3));
}
[[gnu::always_inline]] inline void avx512_add_store_quads(double* p, std::size_t stride, __m512d v,
                                                          const double* b) {
  v = _mm512_add_pd(v, _mm512_broadcast_f64x4(_mm256_loadu_pd(b)));
  _mm256_storeu_pd(p, _mm512_castpd512_pd256(v));
  _mm256_storeu_pd(p + stride, _mm512_extractf64x4_pd(v, 1));
}
#endif

}  // namespace detail

template <class T, class Arch>
struct pack_traits {
  using arch = Arch;
  using type = xsimd::batch<T, Arch>;
  static constexpr std::size_t lanes = type::size;
  static type load(const T* p) { return type::load_unaligned(p); }
  static void store(T* p, const type& v) { v.store_unaligned(p); }
  static type broadcast(T x) { return type(x); }
  // xsimd 8.1 calls the horizontal sum `hadd`; newer releases call it `reduce_add` and deprecate
  // `hadd`. This is the one line an upgrade touches.
  static T sum(const type& v) { return xsimd::hadd(v); }
  // rows[0..lanes) → one pack whose lane r is the sum of rows[r]. AVX-512 has its own reduction
  // tree (detail::sum_rows_avx512, below): shuffles and adds in registers, lane order fixed at
  // compile time. Elsewhere xsimd::haddp (in 8.1 and later); 8.1's AVX-512 float haddp returns
  // the sums in a permuted lane order, so for other architectures the order is probed once, and
  // the rows are handed over in the order that puts each sum in its own lane.
  static type sum_rows(const type* rows) {
    if constexpr (detail::is_avx512<Arch>) {
      return detail::sum_rows_avx512(rows);
    } else {
      static const std::array<std::size_t, lanes> slot_of_lane = [] {
        type probe[lanes];
        CTNN_UNROLL for (std::size_t j = 0; j < lanes; ++j) probe[j] = type(static_cast<T>(j));
        alignas(64) T sums[lanes];
        xsimd::haddp(probe).store_unaligned(sums);
        std::array<std::size_t, lanes> slots{};
        CTNN_UNROLL for (std::size_t k = 0; k < lanes; ++k)
          slots[k] = static_cast<std::size_t>(sums[k] / static_cast<T>(lanes) + T(0.5)) % lanes;
        return slots;
      }();
      type ordered[lanes];
      CTNN_UNROLL for (std::size_t k = 0; k < lanes; ++k) ordered[slot_of_lane[k]] = rows[k];
      return xsimd::haddp(ordered);
    }
  }
  // The first Count lanes (0 < Count < lanes) of p, the other lanes 0; and the store of the first
  // Count lanes. Remainders of rows that are not a multiple of the pack width go through these:
  // one masked instruction on AVX-512, a small aligned copy elsewhere. Nothing past p + Count is
  // read or written.
  template <std::size_t Count>
  static type load_first(const T* p) {
    static_assert(Count > 0 && Count < lanes);
    if constexpr (detail::is_avx512<Arch>) {
      return detail::avx512_load_first<Count>(p);
    } else {
      alignas(64) T buffer[lanes] = {};
      CTNN_UNROLL for (std::size_t k = 0; k < Count; ++k) buffer[k] = p[k];
      return type::load_aligned(buffer);
    }
  }
  template <std::size_t Count>
  static void store_first(T* p, const type& v) {
    static_assert(Count > 0 && Count < lanes);
    if constexpr (detail::is_avx512<Arch>) {
      detail::avx512_store_first<Count>(p, v);
    } else {
      alignas(64) T buffer[lanes];
      v.store_aligned(buffer);
      CTNN_UNROLL for (std::size_t k = 0; k < Count; ++k) p[k] = buffer[k];
    }
  }
  // v with lanes [Count, lanes) set to 0 (0 < Count < lanes).
  template <std::size_t Count>
  static type keep_first(const type& v) {
    static_assert(Count > 0 && Count < lanes);
    if constexpr (detail::is_avx512<Arch>) {
      return detail::avx512_keep_first<Count>(v);
    } else {
      alignas(64) T buffer[lanes];
      v.store_aligned(buffer);
      CTNN_UNROLL for (std::size_t k = Count; k < lanes; ++k) buffer[k] = T(0);
      return type::load_aligned(buffer);
    }
  }
  // Keeps a loaded value in a register. In register-blocked kernels GCC otherwise folds each
  // load into every FMA that uses it (one load per FMA instead of one per row), which halves the
  // speed of the 784-wide forward pass. An empty asm statement hides the value's origin.
  static type pin(const type& v) {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    auto r = static_cast<typename type::register_type>(v);
    asm("" : "+v"(r));
    return type(r);
#else
    return v;
#endif
  }
};

template <class T>
struct pack_traits<T, scalar_arch> {
  using arch = scalar_arch;
  using type = T;
  static constexpr std::size_t lanes = 1;
  static constexpr T load(const T* p) { return *p; }
  static constexpr void store(T* p, T v) { *p = v; }
  static constexpr T broadcast(T x) { return x; }
  static constexpr T sum(T v) { return v; }
  static constexpr T pin(T v) { return v; }
};

template <class T, class Arch>
using pack = typename pack_traits<T, Arch>::type;

template <class T, class Arch>
inline constexpr std::size_t lanes = pack_traits<T, Arch>::lanes;

namespace detail {

// The first Count (1 ≤ Count ≤ lanes) values at p as a pack (the other lanes 0), and their store.
template <std::size_t Count, class Arch, class T>
constexpr pack<T, Arch> load_part(const T* p) {
  using traits = pack_traits<T, Arch>;
  if constexpr (Count == traits::lanes) return traits::load(p);
  else return traits::template load_first<Count>(p);
}
template <std::size_t Count, class Arch, class T>
constexpr void store_part(T* p, const pack<T, Arch>& v) {
  using traits = pack_traits<T, Arch>;
  if constexpr (Count == traits::lanes) traits::store(p, v);
  else traits::template store_first<Count>(p, v);
}

}  // namespace detail

// a·b + c in one rounding where the hardware has it.
template <class T, class Arch>
constexpr pack<T, Arch> multiply_add(const pack<T, Arch>& a, const pack<T, Arch>& b, const pack<T, Arch>& c) {
  if constexpr (std::is_same_v<Arch, scalar_arch>)
    return a * b + c;
  else
    return math::fma(a, b, c);
}

}  // namespace ctnn::simd
