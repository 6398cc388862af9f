#pragma once
// Dropout (inverted, as PyTorch's nn.Dropout): op::dropout<x, std::ratio<1, 2>> zeroes each
// value with probability p and scales the kept ones by 1 / (1 − p) under the training rule, and
// is the identity under the evaluation rule (core/op.hpp: run_mode; nn/run_mode.hpp says which
// pass runs which).
//
//   training    y = x ⊙ m / (1 − p),  m_i = 1 with probability 1 − p
//               vjp: δx = δy ⊙ m / (1 − p);   jvp: ẏ = ẋ ⊙ m / (1 − p)
//   evaluation  y = x;  δx = δy;  ẏ = ẋ
//
// The mask is not stored: each rule draws m_i again from (the pass's seed, the sample's place in
// the batch, i), a counter-based draw, so the backward pass sees the forward pass's mask, a
// sample's mask does not depend on the tile or thread that runs it, and nothing is kept between
// the passes. PyTorch's masks come from its own generator: equal masks are not a goal.

#include <array>
#include <cstddef>
#include <cstdint>
#include <ratio>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "../core/list.hpp"
#include "../core/op.hpp"
#include "../core/shape.hpp"
#include "../detail/random.hpp"
#include "shape_checks.hpp"
#include "structure.hpp"

namespace ctnn::op {

namespace detail {

// The draw of one sample: keeps(i) for its values i. SplitMix64's finaliser (detail/random.hpp)
// over the sample's key and the value's index (bits 32-63, whose distribution is the best).
struct dropout_draw {
  std::uint64_t key;

  static constexpr std::uint64_t mix(std::uint64_t z) { return ctnn::detail::mix64(z); }
  constexpr dropout_draw(std::uint64_t seed, std::size_t sample)
      : key(mix(seed ^ mix(0x9e3779b97f4a7c15ULL * (std::uint64_t(sample) + 1)))) {}
  // Whether value i is kept: its 32-bit draw is at least the threshold p · 2³².
  constexpr bool keeps(std::size_t i, std::uint64_t threshold) const {
    return (mix(key + 0x9e3779b97f4a7c15ULL * std::uint64_t(i)) >> 32) >= threshold;
  }
};

}  // namespace detail

template <class X, class P = std::ratio<1, 2>>
struct dropout {
  static_assert(shape_error::dropout_of<dropout>::template probability_is<P::num, P::den>::
                    template check<(P::num >= 0 && P::num < P::den)>::ok);
  using inputs = core::list<X>;
  using shape = core::shape_of<X>;
  static constexpr std::size_t size = shape::size;
  static constexpr std::string_view op_name = "dropout";
  static constexpr std::array<std::size_t, 2> signature_numbers{std::size_t(P::num),
                                                                std::size_t(P::den)};
  static constexpr std::string_view spelling = "ctnn::op::dropout<{in0}, std::ratio<{n0}, {n1}>>";
  struct notation {
    static constexpr std::string_view value = "{x0} ⊙ m / (1 − {n0}/{n1})";
    static constexpr std::string_view adjoint[1] = {"{dy} ⊙ m / (1 − {n0}/{n1})"};
  };
  template <std::size_t K>
  static constexpr bool absorbs_input = true;
  static constexpr bool vjp_reads_inputs = false;
  static constexpr bool vjp_reads_output = false;
  static constexpr std::size_t forward_flops = size;
  static constexpr std::size_t vjp_flops = size;

  // p · 2³², the draws below which a value is dropped.
  static constexpr std::uint64_t threshold =
      std::uint64_t(double(P::num) / double(P::den) * 4294967296.0);

  // to[i] = from[i] ⊙ m_i / (1 − p) for the n samples of a tile, or to = from when not training.
  template <class T>
  static constexpr void masked(const core::run_mode& mode, std::size_t n, const T* from, T* to) {
    if (!mode.training || P::num == 0) {
      for (std::size_t k = 0; k < n * size; ++k) to[k] = from[k];
      return;
    }
    const T scale = T(P::den) / T(P::den - P::num);
    for (std::size_t s = 0; s < n; ++s) {
      const detail::dropout_draw draw(mode.seed, mode.first_sample + s);
      for (std::size_t i = 0; i < size; ++i)
        to[s * size + i] = draw.keeps(i, threshold) ? from[s * size + i] * scale : T(0);
    }
  }

  template <class Arch, class T>
  static constexpr void forward(const core::forward_args<T, 1, 0>& a) {
    masked(a.mode, a.n, a.in[0], a.out);
  }

  // δx through the sink, a block of values at a time (the sink may multiply by the input's
  // derivative: absorbs_input).
  template <class Arch, class A>
  static constexpr void vjp(const A& a) {
    using T = std::remove_cvref_t<decltype(*a.dout)>;
    const auto& dx = std::get<0>(a.din);
    if (!dx.active()) return;
    if (!a.mode.training || P::num == 0) {
      detail::put_row<Arch, T>(a.dout, a.n * size, dx, 0);
      return;
    }
    constexpr std::size_t block = 64;
    const T scale = T(P::den) / T(P::den - P::num);
    for (std::size_t s = 0; s < a.n; ++s) {
      const detail::dropout_draw draw(a.mode.seed, a.mode.first_sample + s);
      for (std::size_t i0 = 0; i0 < size; i0 += block) {
        const std::size_t m = size - i0 < block ? size - i0 : block;
        std::array<T, block> row{};
        for (std::size_t i = 0; i < m; ++i)
          row[i] = draw.keeps(i0 + i, threshold) ? a.dout[s * size + i0 + i] * scale : T(0);
        detail::put_row<Arch, T>(row.data(), m, dx, s * size + i0);
      }
    }
  }

  template <class Arch, class T>
  static constexpr void jvp(const core::jvp_args<T, 1, 0>& a) {
    masked(a.mode, a.n, a.tin[0], a.tout);
  }
};

}  // namespace ctnn::op
