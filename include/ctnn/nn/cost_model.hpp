#pragma once
// What a network type costs, as compile-time constants, so a budget can be a static_assert:
//
//   using cost = ctnn::cost_model<net, float>;
//   static_assert(cost::forward_flops <= 250'000 && cost::parameter_bytes <= 512 * 1024);
//
// FLOPs follow the DESIGN's performance model: a multiply-add counts 2, a bias add 1; activations
// and losses are not counted (a handful of operations per output, against 2·in per output for
// the affine map). Per sample:
//   forward   Σ_l 2·in·out + out
//   gradient  forward + Σ_l (2·in·out + out)  for ∂W and ∂b
//                     + Σ_{l>1} 2·in·out      for δ_prev (the first layer's only with ∇ₓC)

#include <boost/hana/fold_left.hpp>
#include <cstddef>

#include "network.hpp"

namespace ctnn {

template <class Net, class T = float, std::size_t Tile = 32>
struct cost_model {
 private:
  template <class F>
  static constexpr std::size_t sum_over_stages(F f) {
    return boost::hana::fold_left(Net::stages, std::size_t{0}, [f](std::size_t total, auto stage) {
      return total + f(typename decltype(stage)::type{});
    });
  }

 public:
  static constexpr std::size_t parameter_count = Net::parameter_count;

  static constexpr std::size_t forward_flops =
      sum_over_stages([](auto s) { return 2 * s.in * s.out + s.out; });

  static constexpr std::size_t gradient_flops =
      forward_flops + sum_over_stages([](auto s) {
        return 2 * s.in * s.out + s.out + (s.index > 0 ? 2 * s.in * s.out : 0);
      });

  static constexpr std::size_t input_gradient_flops =
      2 * Net::template stage<0>::in * Net::template stage<0>::out;

  // The objects a program holds: parameters (and as much again for a gradient), and a workspace.
  static constexpr std::size_t parameter_bytes = sizeof(parameters<Net, T>);
  static constexpr std::size_t workspace_bytes = sizeof(workspace<Net, T, Tile>);
};

}  // namespace ctnn
