#pragma once
// Forward mode: the values and the tangents of every node of a graph, in one pass over a tile.
// Given tangents θ̇ of the parameters and ẋ of the inputs, node k's tangent is the directional
// derivative of its values along (θ̇, ẋ): ẏ = J_x ẋ + J_θ θ̇, from the op's jvp rule (core/op.hpp)
// applied in topological order, after the node's forward rule. Views share their input's tangent;
// a stop_gradient's tangent is 0.
//
// Tangents live in a buffer of their own, one slot per computed node (no sharing: forward mode
// keeps every tangent to the end, where the outputs' are read), plus one slot of zeros.

#include <algorithm>
#include <array>
#include <cstddef>
#include <utility>

#include "../core/graph.hpp"
#include "../core/op.hpp"
#include "program.hpp"

namespace ctnn::exec {

template <class G, std::size_t Tile, std::size_t Align>
struct tangent_plan {
  using table = typename G::table;
  static constexpr std::size_t N = G::node_count;
  static constexpr std::size_t round_up(std::size_t n) { return (n + Align - 1) / Align * Align; }
  static constexpr bool computed(std::size_t k) {
    return !table::input[k] && !table::view[k] && !G::objective_part[k];
  }
  static constexpr std::size_t widest = [] {
    std::size_t w = 1;
    for (std::size_t k = 0; k < N; ++k) w = std::max(w, table::size[k]);
    return w;
  }();
  // Slot 0 holds zeros; node k's tangent follows at offset[k] (none for inputs and views).
  static constexpr std::array<std::size_t, N + 1> offset = [] {
    std::array<std::size_t, N + 1> o{};
    std::size_t at = round_up(Tile * widest);
    for (std::size_t k = 0; k < N; ++k) {
      o[k] = computed(k) ? at : core::none;
      if (computed(k)) at += round_up(Tile * table::size[k]);
    }
    o[N] = at;
    return o;
  }();
  static constexpr std::size_t size = offset[N];
};

template <class G, class Plan, class TangentPlan>
struct tangent_program {
  using base = program<G, Plan>;
  using table = typename G::table;
  template <std::size_t K>
  using node = typename G::template node_at<K>;

  // Node K's tangent: the caller's for an input, its input's for a view, zeros behind a
  // stop_gradient.
  template <std::size_t K, class T, class B>
  static constexpr const T* tangent(const B& b, const std::array<const T*, G::input_count>& dx, T* tws) {
    if constexpr (table::input[K]) {
      return dx[G::input_slot[K]];
    } else if constexpr (table::view[K]) {
      if constexpr (table::stops[K]) return tws;
      else return tangent<table::edge[table::edge_begin[K]], T>(b, dx, tws);
    } else {
      return tws + TangentPlan::offset[K];
    }
  }

  template <class Arch, std::size_t K, class T, class B>
  static constexpr void step(const B& b, const T* dparams, const std::array<const T*, G::input_count>& dx,
                             T* tws) {
    if constexpr (TangentPlan::computed(K) && !table::loss[K]) {
      base::template forward_node<Arch, K, T>(b);
      constexpr std::size_t I = table::input_count[K], P = core::parameters_of<node<K>>::size;
      const auto tin = [&]<std::size_t... J>(std::index_sequence<J...>) {
        return std::array<const T*, I>{tangent<table::edge[table::edge_begin[K] + J], T>(b, dx, tws)...};
      }(std::make_index_sequence<I>{});
      const auto tparam = [&]<std::size_t... J>(std::index_sequence<J...>) {
        return std::array<const T*, P>{(dparams + G::parameter_offset(K, J))...};
      }(std::make_index_sequence<P>{});
      const core::jvp_args<T, I, P> a{b.n,
                                      base::template input_values<K, T>(b),
                                      tin,
                                      base::template value<K, T>(b),
                                      tws + TangentPlan::offset[K],
                                      base::template parameter_values<K, T>(b),
                                      tparam,
                                      b.mode};
      node<K>::template jvp<Arch>(a);
    }
  }

  // Values into the workspace, tangents into tws (TangentPlan::size values).
  template <class Arch, class T, class B>
  static constexpr void run(const B& b, const T* dparams, const std::array<const T*, G::input_count>& dx,
                            T* tws) {
    std::fill_n(tws, b.n * TangentPlan::widest, T(0));
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (step<Arch, K, T>(b, dparams, dx, tws), ...);
    }(std::make_index_sequence<G::node_count>{});
  }
};

}  // namespace ctnn::exec
