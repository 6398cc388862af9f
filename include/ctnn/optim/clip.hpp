#pragma once
// Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_ with the 2-norm:
//
//   ‖g‖ = √(Σₖ gₖ²)   over the whole block (all layers together)
//   s   = max_norm / ‖g‖  if ‖g‖ > max_norm, else 1
//
// The norm is one reduction pass; the scale is then folded into the optimizer's own pass
// (opt.step(p, g, lr, s)), so a clipped step still reads the block only twice and writes nothing
// extra. clip_grad_norm scales g in place instead, for code that wants the clipped gradient.
// Unlike PyTorch, which divides by ‖g‖ + 1e-6, the scale divides by ‖g‖ itself (it is
// > max_norm > 0 when we divide), so a clipped gradient has exactly the norm max_norm.

#include <cmath>
#include <cstddef>
#include <string>
#include <type_traits>

#include "../detail/contract.hpp"
#include "../nn/network.hpp"
#include "../simd/elementwise.hpp"
#include "../simd/pack.hpp"

namespace ctnn {

namespace detail {
// A threshold of 0 would zero every gradient and a negative one flip it; NaN would clip nothing
// silently. +inf is allowed (it never clips).
inline void require_max_norm(const char* where, double max_norm) {
  if (!(max_norm > 0))
    contract_failed(where, "max_norm must be > 0, got " + std::to_string(max_norm));
}
}  // namespace detail

// ‖g‖₂ of the whole block, state blocks (core/op.hpp: state_parameter; their entries are next values,
// not derivatives) left out.
template <class Arch = simd::default_arch, class Net, class T>
T global_norm(const gradient<Net, T>& g) {
  const auto squares = [&](std::size_t from, std::size_t to) {
    return simd::sum_map<Arch>(g.data() + from, g.data() + from, to - from,
                               [](const auto& a, const auto& b) { return a * b; });
  };
  if constexpr (!Net::has_state) {
    return std::sqrt(squares(0, g.size()));
  } else {
    T sum = T(0);
    for (std::size_t b = 0; b < Net::block_count; ++b)
      if (!Net::block_is_state(b)) sum += squares(Net::layout::offset[b], Net::layout::offset[b + 1]);
    return std::sqrt(sum);
  }
}

// The factor that brings g's norm down to max_norm (1 when it is already within).
template <class Arch = simd::default_arch, class Net, class T>
T clip_scale(const gradient<Net, T>& g, std::type_identity_t<T> max_norm) {
  detail::require_max_norm("clip_scale", double(max_norm));
  const T norm = global_norm<Arch>(g);
  return norm > max_norm ? max_norm / norm : T(1);
}

// Scales g in place so that ‖g‖ <= max_norm; returns the norm before clipping (as PyTorch does).
template <class Arch = simd::default_arch, class Net, class T>
T clip_grad_norm(gradient<Net, T>& g, std::type_identity_t<T> max_norm) {
  detail::require_max_norm("clip_grad_norm", double(max_norm));
  const T norm = global_norm<Arch>(g);
  if (norm > max_norm) {
    const T s = max_norm / norm;
    // Called with packs and, for the tail, with scalars: V(s) broadcasts or converts.
    const auto scale = [&](std::size_t from, std::size_t to) {
      simd::map<Arch>(g.data() + from, g.data() + from, to - from,
                      [s](auto x) { return x * decltype(x)(s); });
    };
    if constexpr (!Net::has_state) {
      scale(0, g.size());
    } else {
      for (std::size_t b = 0; b < Net::block_count; ++b)
        if (!Net::block_is_state(b)) scale(Net::layout::offset[b], Net::layout::offset[b + 1]);
    }
  }
  return norm;
}

}  // namespace ctnn
