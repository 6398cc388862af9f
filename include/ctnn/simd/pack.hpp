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

template <class T, class Arch>
struct pack_traits {
  using type = xsimd::batch<T, Arch>;
  static constexpr std::size_t lanes = type::size;
  static type load(const T* p) { return type::load_unaligned(p); }
  static void store(T* p, const type& v) { v.store_unaligned(p); }
  static type broadcast(T x) { return type(x); }
  // xsimd 8.1 calls the horizontal sum `hadd`; newer releases call it `reduce_add` and deprecate
  // `hadd`. This is the one line an upgrade touches.
  static T sum(const type& v) { return xsimd::hadd(v); }
  // rows[0..lanes) → one pack whose lane r is the sum of rows[r], by xsimd::haddp (in 8.1 and
  // later). xsimd 8.1's AVX-512 float haddp returns the sums in a permuted lane order (1 2 5 6 3 4
  // 7 8 ...), so the order is probed once, and the rows are handed over in the order that puts
  // each sum in its own lane; a release with the fix needs no change.
  static type sum_rows(const type* rows) {
    static const std::array<std::size_t, lanes> slot_of_lane = [] {
      type probe[lanes];
      for (std::size_t j = 0; j < lanes; ++j) probe[j] = type(static_cast<T>(j));
      alignas(64) T sums[lanes];
      xsimd::haddp(probe).store_unaligned(sums);
      std::array<std::size_t, lanes> slots{};
      for (std::size_t k = 0; k < lanes; ++k)
        slots[k] = static_cast<std::size_t>(sums[k] / static_cast<T>(lanes) + T(0.5)) % lanes;
      return slots;
    }();
    type ordered[lanes];
    for (std::size_t k = 0; k < lanes; ++k) ordered[slot_of_lane[k]] = rows[k];
    return xsimd::haddp(ordered);
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

// a·b + c in one rounding where the hardware has it.
template <class T, class Arch>
constexpr pack<T, Arch> multiply_add(const pack<T, Arch>& a, const pack<T, Arch>& b, const pack<T, Arch>& c) {
  if constexpr (std::is_same_v<Arch, scalar_arch>)
    return a * b + c;
  else
    return xsimd::fma(a, b, c);
}

}  // namespace ctnn::simd
