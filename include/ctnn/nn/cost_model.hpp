#pragma once
// What a graph type costs, as compile-time constants, so a budget can be a static_assert:
//
//   using cost = ctnn::cost_model<net, float>;
//   static_assert(cost::forward_flops <= 250'000 && cost::parameter_bytes <= 512 * 1024);
//
// FLOPs follow the performance model: a multiply-add counts 2, an addition 1; each op states its
// own (core/op.hpp: forward_flops, vjp_flops); activations and losses count 0 (a handful of
// operations per value, against 2·in per output of a dense layer). Per sample:
//   forward   Σ over computed nodes of their forward FLOPs
//   gradient  forward + Σ over the backward steps of their vjp FLOPs, with the input adjoints of
//             the edges that carry one (for a dense node: 2·in·out for ∂W, out for ∂b, and
//             2·in·out for δx where δx is needed; the first layer's δx only with ∇ₓC)
// Bytes: the parameter block, and the workspace as the buffer plan lays it out (buffers whose
// lifetimes do not overlap share memory; unshared_workspace_bytes is what it would take without).

#include <cstddef>

#include "../autodiff/plan.hpp"
#include "../autodiff/reverse.hpp"
#include "../core/op.hpp"
#include "network.hpp"

namespace ctnn {

namespace detail {
template <class N>
constexpr std::size_t input_vjp_flops() {
  if constexpr (requires { N::input_vjp_flops; }) return N::input_vjp_flops;
  else return 0;
}
}  // namespace detail

template <class Net, class T = float, std::size_t Tile = 32>
struct cost_model {
 private:
  using G = typename autodiff::planning_graph<Net>::type;
  using R = autodiff::reverse<G>;
  using table = typename G::table;
  static constexpr bool computed(std::size_t k) {
    return !table::input[k] && !table::view[k] && !G::objective_part[k];
  }
  template <class F>
  static constexpr std::size_t sum_over_nodes(F f) {
    return [&]<class... N>(core::list<N...>) {
      std::size_t k = 0, total = 0;
      ((total += f.template operator()<N>(k), ++k), ...);
      return total;
    }(typename G::nodes{});
  }
  // δx FLOPs of node k's edges into nodes that are (input_node: are not) graph inputs.
  template <class N>
  static constexpr std::size_t adjoint_flops(std::size_t k, bool input_node) {
    std::size_t total = 0;
    for (std::size_t e = table::edge_begin[k]; e < table::edge_begin[k + 1]; ++e)
      if (R::mode[e] != autodiff::contribution::skip && table::input[R::target(e)] == input_node)
        total += detail::input_vjp_flops<N>();
    return total;
  }

 public:
  static constexpr std::size_t parameter_count = Net::parameter_count;

  static constexpr std::size_t forward_flops = sum_over_nodes([]<class N>(std::size_t k) {
    return computed(k) ? core::forward_flops<N>() : std::size_t{0};
  });

  static constexpr std::size_t gradient_flops =
      forward_flops + sum_over_nodes([]<class N>(std::size_t k) {
        return R::step_of[k] == core::none ? std::size_t{0}
                                           : core::vjp_flops<N>() + adjoint_flops<N>(k, false);
      });

  static constexpr std::size_t input_gradient_flops = sum_over_nodes([]<class N>(std::size_t k) {
    return R::step_of[k] == core::none ? std::size_t{0} : adjoint_flops<N>(k, true);
  });

  // The objects a program holds: parameters (and as much again for a gradient), and a workspace.
  static constexpr std::size_t parameter_bytes = sizeof(parameters<Net, T>);
  static constexpr std::size_t workspace_bytes = sizeof(workspace<Net, T, Tile>);
  static constexpr std::size_t unshared_workspace_bytes = [] {
    std::size_t total = 0;
    for (const auto& i : workspace<Net, T, Tile>::plan::intervals) total += i.length;
    return total * sizeof(T);
  }();
};

}  // namespace ctnn
