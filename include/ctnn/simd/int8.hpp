#pragma once
// One sample through a dense layer with int8 weights and uint8 inputs, int32 sums:
//   acc_o = start_o + Σ_i w_oi · x_i      (w int8, x uint8, exact in int32)
//   z_o   = b_o + scale_o · acc_o,        a = f(z)
// (ctnn::quantized_weights, nn/quantized.hpp, picks start, scale and the quantization of x.)
//
// The weights are stored in groups of four inputs: group g holds, for every output o (padded to
// a multiple of int8_output_pad), the four bytes w[o][4g .. 4g+4). One 64-byte row of a group is
// then 16 outputs × 4 inputs, the operand of one AVX-512 VNNI instruction (vpdpbusd: four u8·s8
// products summed into each int32 lane), with the group's four input bytes broadcast to every
// lane. This is the column layout of simd/column_forward.hpp with four inputs per column: no sum
// across lanes, a quarter of the float kernel's instructions and of its bytes.
//
// How the four products are summed, per architecture (int8_method):
//   vnni     one vpdpbusd (AVX-512 VNNI, or AVX-VNNI / AVX-512 VNNI+VL on 256-bit registers);
//   nibbles  AVX2 or AVX-512BW without VNNI: vpmaddubsw saturates 16-bit pair sums, and
//            255·127·2 does not fit, so x is split into its two 4-bit halves (15·128·2 fits),
//            each half goes through vpmaddubsw and vpmaddwd, and acc += lo + 16·hi: exact;
//   plain    loops over the same layout (the scalar architecture, other instruction sets, and
//            constant evaluation, so that a baked net can be quantized at compile time).
// The intrinsics xsimd 8.1 does not wrap are named here and nowhere else.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "matvec.hpp"
#include "pack.hpp"

namespace ctnn::simd {

// Outputs are padded to 16 (64 bytes of int32 sums) and inputs to groups of 4.
inline constexpr std::size_t int8_output_pad = 16;
inline constexpr std::size_t int8_group = 4;
constexpr std::size_t int8_padded_outputs(std::size_t out) {
  return (out + int8_output_pad - 1) / int8_output_pad * int8_output_pad;
}
constexpr std::size_t int8_groups(std::size_t in) { return (in + int8_group - 1) / int8_group; }

enum class int8_method { plain, nibbles, vnni };

namespace detail {

template <class Arch>
inline constexpr bool int8_on_avx512 = std::is_base_of_v<xsimd::avx512f, Arch>;
template <class Arch>
inline constexpr bool int8_on_avx2 = std::is_base_of_v<xsimd::avx2, Arch>;

}  // namespace detail

// Whether method M can run on Arch in this build (the instruction set flags it was compiled with).
template <class Arch, int8_method M>
inline constexpr bool int8_method_available = [] {
  if constexpr (M == int8_method::plain) {
    return true;
  } else if constexpr (detail::int8_on_avx512<Arch>) {
#if defined(__AVX512BW__)
    if (M == int8_method::nibbles) return true;
#endif
#if defined(__AVX512BW__) && defined(__AVX512VNNI__)
    if (M == int8_method::vnni) return true;
#endif
    return false;
  } else if constexpr (detail::int8_on_avx2<Arch>) {
#if defined(__AVX2__)
    if (M == int8_method::nibbles) return true;
#endif
#if defined(__AVX2__) && (defined(__AVXVNNI__) || (defined(__AVX512VNNI__) && defined(__AVX512VL__)))
    if (M == int8_method::vnni) return true;
#endif
    return false;
  } else {
    return false;
  }
}();

// The fastest method on Arch.
template <class Arch>
inline constexpr int8_method best_int8_method =
    int8_method_available<Arch, int8_method::vnni>      ? int8_method::vnni
    : int8_method_available<Arch, int8_method::nibbles> ? int8_method::nibbles
                                                        : int8_method::plain;

// Rounds to the nearest integer, ties to even (as the SIMD conversions do in the default rounding
// mode); v is already clamped to the int8/uint8 range. constexpr, unlike std::nearbyint.
constexpr std::int32_t round_to_int(float v) {
  const auto t = static_cast<std::int32_t>(v);  // toward zero
  const float fraction = v - static_cast<float>(t);
  if (fraction > 0.5f || (fraction == 0.5f && (t & 1))) return t + 1;
  if (fraction < -0.5f || (fraction == -0.5f && (t & 1))) return t - 1;
  return t;
}

// One value of x as its quantized byte: round(clamp(v · inv_scale, low, high)) + zero_point.
// A NaN becomes `low`.
constexpr std::uint8_t quantize_value(float v, float inv_scale, float low, float high,
                                      std::int32_t zero_point) {
  float s = v * inv_scale;
  if (!(s >= low)) s = low;
  if (s > high) s = high;
  return static_cast<std::uint8_t>(round_to_int(s) + zero_point);
}

namespace detail {

// The four-products step of each method on Arch. `prepared` is the group's four input bytes made
// ready once (broadcast, and split for nibbles); step adds w's products to acc.
template <class Arch, int8_method M>
struct int8_dot;

#if defined(__AVX512BW__)
template <class Arch>
struct int8_dot<Arch, int8_method::nibbles> {
  using sums = xsimd::batch<std::int32_t, Arch>;
  struct prepared {
    __m512i low, high;
  };
  static prepared prepare(std::uint32_t bytes) {
    return {_mm512_set1_epi32(static_cast<int>(bytes & 0x0F0F0F0Fu)),
            _mm512_set1_epi32(static_cast<int>((bytes >> 4) & 0x0F0F0F0Fu))};
  }
  [[gnu::always_inline]] static sums step(const sums& acc, const prepared& x, const std::int8_t* w) {
    const __m512i ones = _mm512_set1_epi16(1);
    const __m512i wv = _mm512_loadu_si512(w);
    const __m512i low = _mm512_madd_epi16(_mm512_maddubs_epi16(x.low, wv), ones);
    const __m512i high = _mm512_madd_epi16(_mm512_maddubs_epi16(x.high, wv), ones);
    return _mm512_add_epi32(_mm512_add_epi32(acc, low), _mm512_slli_epi32(high, 4));
  }
};
#endif
#if defined(__AVX512BW__) && defined(__AVX512VNNI__)
template <class Arch>
  requires int8_on_avx512<Arch>
struct int8_dot<Arch, int8_method::vnni> {
  using sums = xsimd::batch<std::int32_t, Arch>;
  using prepared = __m512i;
  static prepared prepare(std::uint32_t bytes) { return _mm512_set1_epi32(static_cast<int>(bytes)); }
  [[gnu::always_inline]] static sums step(const sums& acc, const prepared& x, const std::int8_t* w) {
    const __m512i sums = acc;
    return _mm512_dpbusd_epi32(sums, x, _mm512_loadu_si512(w));
  }
};
#endif
#if defined(__AVX2__)
template <class Arch>
  requires int8_on_avx2<Arch>
struct int8_dot<Arch, int8_method::nibbles> {
  using sums = xsimd::batch<std::int32_t, Arch>;
  struct prepared {
    __m256i low, high;
  };
  static prepared prepare(std::uint32_t bytes) {
    return {_mm256_set1_epi32(static_cast<int>(bytes & 0x0F0F0F0Fu)),
            _mm256_set1_epi32(static_cast<int>((bytes >> 4) & 0x0F0F0F0Fu))};
  }
  [[gnu::always_inline]] static sums step(const sums& acc, const prepared& x, const std::int8_t* w) {
    const __m256i ones = _mm256_set1_epi16(1);
    const __m256i wv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w));
    const __m256i low = _mm256_madd_epi16(_mm256_maddubs_epi16(x.low, wv), ones);
    const __m256i high = _mm256_madd_epi16(_mm256_maddubs_epi16(x.high, wv), ones);
    return _mm256_add_epi32(_mm256_add_epi32(acc, low), _mm256_slli_epi32(high, 4));
  }
};
#endif
#if defined(__AVX2__) && (defined(__AVXVNNI__) || (defined(__AVX512VNNI__) && defined(__AVX512VL__)))
template <class Arch>
  requires int8_on_avx2<Arch>
struct int8_dot<Arch, int8_method::vnni> {
  using sums = xsimd::batch<std::int32_t, Arch>;
  using prepared = __m256i;
  static prepared prepare(std::uint32_t bytes) { return _mm256_set1_epi32(static_cast<int>(bytes)); }
  [[gnu::always_inline]] static sums step(const sums& acc, const prepared& x, const std::int8_t* w) {
    const __m256i wv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w));
    const __m256i sums = acc;
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
    return _mm256_dpbusd_epi32(sums, x, wv);
#else
    return _mm256_dpbusd_avx_epi32(sums, x, wv);
#endif
  }
};
#endif

}  // namespace detail

// The plain kernel: the reference for the others and the one constant evaluation runs.
template <std::size_t In, std::size_t Out, class Activation>
constexpr void dense_forward_int8_plain(const std::int8_t* w, const std::int32_t* start,
                                        const float* scale, const float* b, const std::uint8_t* x,
                                        float* z, float* a) {
  constexpr std::size_t padded = int8_padded_outputs(Out);
  for (std::size_t o = 0; o < Out; ++o) {
    std::int32_t acc = start[o];
    for (std::size_t i = 0; i < In; ++i)
      acc += static_cast<std::int32_t>(w[(i / int8_group * padded + o) * int8_group + i % int8_group]) *
             static_cast<std::int32_t>(x[i]);
    z[o] = b[o] + scale[o] * static_cast<float>(acc);
    if constexpr (std::is_void_v<Activation>) a[o] = z[o];
    else if constexpr (Activation::elementwise) a[o] = Activation::value(z[o]);
  }
  if constexpr (!std::is_void_v<Activation>) {
    if constexpr (!Activation::elementwise) Activation::template forward_rows<scalar_arch>(z, a, Out, 1);
  }
}

// The SIMD kernel: the register blocking of the float column kernel (matvec.hpp,
// column_accumulators), over groups of 4 inputs instead of columns.
template <std::size_t In, std::size_t Out, class Activation, class Arch,
          int8_method M = best_int8_method<Arch>>
CTNN_INLINE_KERNEL void dense_forward_int8(const std::int8_t* w, const std::int32_t* start,
                                           const float* scale, const float* b,
                                           const std::uint8_t* x, float* z, float* a) {
  if constexpr (M == int8_method::plain) {
    dense_forward_int8_plain<In, Out, Activation>(w, start, scale, b, x, z, a);
  } else {
    static_assert(int8_method_available<Arch, M>, "ctnn: this int8 method needs instruction sets "
                                                  "the build does not enable");
    using dot = detail::int8_dot<Arch, M>;
    using S = typename dot::sums;
    using F = pack_traits<float, Arch>;
    constexpr std::size_t L = S::size;
    static_assert(F::lanes == L);
    constexpr std::size_t padded = int8_padded_outputs(Out);
    constexpr std::size_t packs = (Out + L - 1) / L;
    constexpr std::size_t groups = int8_groups(In);
    constexpr std::size_t chunk_packs = detail::column_chunk_packs(packs);

    detail::unrolled<(packs + chunk_packs - 1) / chunk_packs>([&](auto chunk) CTNN_INLINE_LAMBDA {
      constexpr std::size_t k0 = decltype(chunk)::value * chunk_packs;
      constexpr std::size_t n = packs - k0 < chunk_packs ? packs - k0 : chunk_packs;
      constexpr std::size_t A = detail::column_accumulators(n, groups);
      S acc[A][n];
      detail::unrolled<n>([&](auto k) CTNN_INLINE_LAMBDA {
        acc[0][k] = S::load_unaligned(start + (k0 + k) * L);
        detail::unrolled<A - 1>([&](auto c) CTNN_INLINE_LAMBDA { acc[c + 1][k] = S(0); });
      });
      auto group = [&](std::size_t g, auto c) CTNN_INLINE_LAMBDA {
        std::uint32_t bytes;
        std::memcpy(&bytes, x + g * int8_group, sizeof bytes);
        const auto xg = dot::prepare(bytes);
        detail::unrolled<n>([&](auto k) CTNN_INLINE_LAMBDA {
          acc[c][k] = dot::step(acc[c][k], xg, w + (g * padded + (k0 + k) * L) * int8_group);
        });
      };
      constexpr std::size_t grouped_end = groups - groups % A;
      for (std::size_t g = 0; g < grouped_end; g += A)
        detail::unrolled<A>([&](auto c) CTNN_INLINE_LAMBDA { group(g + c, c); });
      detail::unrolled<groups - grouped_end>(
          [&](auto c) CTNN_INLINE_LAMBDA { group(grouped_end + c, c); });
      detail::unrolled<n>([&](auto k) CTNN_INLINE_LAMBDA {
        detail::unrolled<A - 1>([&](auto c) CTNN_INLINE_LAMBDA { acc[0][k] += acc[c + 1][k]; });
        constexpr std::size_t o = (k0 + k) * L;
        constexpr std::size_t width = detail::pack_width<Out, L>(k0 + k);
        const auto zk = math::fma(F::load(scale + o), xsimd::batch_cast<float>(acc[0][k]), F::load(b + o));
        if constexpr (std::is_void_v<Activation>)
          detail::store_part<width, Arch>(a + o, zk);
        else if constexpr (Activation::elementwise)
          detail::store_part<width, Arch>(a + o, Activation::value(zk));
        else
          detail::store_part<width, Arch>(z + o, zk);
      });
    });
    if constexpr (!std::is_void_v<Activation>) {
      if constexpr (!Activation::elementwise) Activation::template forward_rows<Arch>(z, a, Out, 1);
    }
  }
}

// x (In floats) → In bytes quantize_value(x_i, inverse_scale_i, low_i, high_i, zero_point_i),
// then zeros up to a whole group of 4. The four arrays hold In values each (padded to whole packs).
template <std::size_t In, class Arch>
CTNN_INLINE_KERNEL constexpr void quantize_input(const float* x, const float* inverse_scale,
                                                 const float* low, const float* high,
                                                 const std::int32_t* zero_point, std::uint8_t* q) {
  constexpr std::size_t padded = int8_groups(In) * int8_group;
  constexpr std::size_t L = lanes<float, Arch>;
  constexpr std::size_t whole = L > 1 ? In - In % L : 0;
  if constexpr (whole > 0) {
    if (!std::is_constant_evaluated()) {
      using F = pack_traits<float, Arch>;
      using I = xsimd::batch<std::int32_t, Arch>;
      for (std::size_t i = 0; i < whole; i += L) {
        auto s = F::load(x + i) * F::load(inverse_scale + i);
        s = xsimd::min(xsimd::max(s, F::load(low + i)), F::load(high + i));  // max: NaN → low
        const I v = xsimd::nearbyint_as_int(s) + I::load_unaligned(zero_point + i);
#if defined(__AVX512F__)
        if constexpr (detail::int8_on_avx512<Arch>) {
          _mm_storeu_si128(reinterpret_cast<__m128i*>(q + i), _mm512_cvtepi32_epi8(v));
          continue;
        }
#endif
        alignas(64) std::int32_t lanes_of_v[L];
        v.store_aligned(lanes_of_v);
        for (std::size_t k = 0; k < L; ++k) q[i + k] = static_cast<std::uint8_t>(lanes_of_v[k]);
      }
    }
  }
  for (std::size_t i = std::is_constant_evaluated() ? 0 : whole; i < In; ++i)
    q[i] = quantize_value(x[i], inverse_scale[i], low[i], high[i], zero_point[i]);
  for (std::size_t i = In; i < padded; ++i) q[i] = 0;
}

}  // namespace ctnn::simd
