#pragma once
// The forward and backward graphs of a graph type, as Graphviz DOT text:
//
//   constexpr auto& graph = ctnn::inspect::dot<xor_net, ctnn::binary_cross_entropy>();
//   constexpr auto& graph = ctnn::inspect::dot<graph_with_objective>();
//   std::ofstream("xor.dot") << graph;                 // then: dot -Tsvg xor.dot -o xor.svg
//
// A compile-time fixed_string, like equations<...>(), and written in the same notation
// (notation.hpp). Nodes (ids in ASCII, labels in UTF-8 with the equation and the shape):
//   x, ...          inputs (by name)                     t (t1, t2, ...)  targets
//   n<k>            node k's values (zˡ, aˡ, vₖ)         p<b>             parameter block b
//   C (C1, ...)     the losses, C their objective        d<k>             δ of node k (∇ₓC)
//   g<b>            ∂ of parameter block b
// Edges: forward solid black; backward (the adjoint flow, the derivation's steps) dashed red, a
// contribution added to earlier ones labelled "+="; a backward step reading a forward value or a
// parameter dotted grey. An adjoint that sums several contributions says so in its label
// (Σ of n). An elementwise input that a step takes through its derivative appears between the
// two, as in equations<...>() (its δ is never stored).

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "../autodiff/reverse.hpp"
#include "../nn/losses.hpp"
#include "../nn/network.hpp"
#include "equations.hpp"
#include "fixed_string.hpp"
#include "notation.hpp"

namespace ctnn::inspect {

namespace detail {

template <class G>
struct dot_text {
  using table = typename G::table;
  using R = autodiff::reverse<G>;
  using W = graph_writer<G>;
  static constexpr std::size_t N = G::node_count;
  template <std::size_t K>
  using node = typename G::template node_at<K>;

  static constexpr std::string_view backward_edge = " [style=dashed, color=\"#c0392b\"];\n";
  static constexpr std::string_view added_edge = " [style=dashed, color=\"#c0392b\", label=\"+=\"];\n";
  static constexpr std::string_view reads_edge = " [style=dotted, color=gray50];\n";
  static constexpr std::string_view parameter_style =
      ", shape=box, style=filled, fillcolor=\"#dde8f5\"];\n";
  static constexpr std::string_view gradient_style =
      ", shape=box, style=filled, fillcolor=\"#f7dcd8\"];\n";
  static constexpr std::string_view delta_style = ", color=\"#c0392b\"];\n";

  template <class Out>
  static constexpr void id(Out& out, std::size_t k) {
    if (table::input[k]) {
      with_node<G>(k, [&]<std::size_t K>() {
        if constexpr (core::is_input<node<K>>()) put(out, node<K>::label.view());
      });
    } else if (table::loss[k]) {
      if (G::target_count == 1) put(out, "C");
      else put(out, "C", number{static_cast<std::intmax_t>(G::loss_slot[k] + 1)});
    } else {
      put(out, "n", number{static_cast<std::intmax_t>(k)});
    }
  }
  template <class Out>
  static constexpr void target_id(Out& out, std::size_t slot) {
    if (G::target_count == 1) put(out, "t");
    else put(out, "t", number{static_cast<std::intmax_t>(slot + 1)});
  }
  static constexpr std::size_t contributions(std::size_t t) {
    std::size_t n = 0;
    for (std::size_t e = 0; e < table::edge_count; ++e)
      if (R::mode[e] != autodiff::contribution::skip && R::target(e) == t) ++n;
    return n;
  }
  // An adjoint node: "δs\n[size]", with "Σ of n" where it sums n contributions.
  template <class Out>
  static constexpr void adjoint_node(Out& out, std::size_t t) {
    put(out, "  d", number{static_cast<std::intmax_t>(t)}, " [label=\"");
    put_adjoint<G>(out, t);
    const std::size_t n = contributions(t);
    if (n > 1) put(out, " = Σ of ", number{static_cast<std::intmax_t>(n)});
    put(out, "\\n[", number{static_cast<std::intmax_t>(table::size[t])}, "]");
    if (table::input[t]) put(out, " (on request)");
    put(out, "\"", table::input[t] ? gradient_style : delta_style);
  }

  template <std::size_t K, class Out>
  static constexpr void forward_node(Out& out) {
    using M = node<K>;
    put(out, "  ");
    id(out, K);
    put(out, " [label=\"");
    put_symbol<G>(out, K);
    put(out, " = ");
    W::template put_value<K>(out);
    put(out, "\\n[", number{static_cast<std::intmax_t>(table::size[K])}, "]\"];\n");
    for (std::size_t e = table::edge_begin[K]; e < table::edge_begin[K + 1]; ++e) {
      put(out, "  ");
      id(out, table::edge[e]);
      put(out, " -> ");
      id(out, K);
      put(out, ";\n");
    }
    for (std::size_t j = 0; j < core::parameters_of<M>::size; ++j) {
      put(out, "  p", number{static_cast<std::intmax_t>(G::block_of(K, j))}, " -> ");
      id(out, K);
      put(out, ";\n");
    }
  }

  template <std::size_t K, class Out>
  static constexpr void loss_node(Out& out) {
    using M = node<K>;
    put(out, "  ");
    id(out, K);
    put(out, " [label=\"");
    put_symbol<G>(out, K);
    put(out, " = ");
    const auto [a, z] = W::template loss_symbols<K>(out);
    put_loss_value<typename M::function, typename M::activation>(out, a, z);
    put(out, "\\n", M::function::name, "\", shape=doubleoctagon];\n  ");
    id(out, table::edge[table::edge_begin[K]]);
    put(out, " -> ");
    id(out, K);
    put(out, ";\n  ");
    target_id(out, G::loss_slot[K]);
    put(out, " -> ");
    id(out, K);
    put(out, ";\n");
  }

  // The edge of a contribution from step K (its adjoint node, or the loss) into node t.
  template <std::size_t K, class Out>
  static constexpr void contribution_edge(Out& out, std::size_t t, autodiff::contribution m) {
    put(out, "  ");
    if constexpr (core::is_loss<node<K>>()) id(out, K);
    else put(out, "d", number{static_cast<std::intmax_t>(K)});
    put(out, " -> d", number{static_cast<std::intmax_t>(t)});
    put(out, m == autodiff::contribution::add ? added_edge : backward_edge);
  }

  template <std::size_t K, class Out>
  static constexpr void backward_step(Out& out) {
    using M = node<K>;
    if constexpr (!core::is_loss<M>() && core::parameters_of<M>::size > 0) {
      for (std::size_t j = 0; j < core::parameters_of<M>::size; ++j) {
        const std::size_t b = G::block_of(K, j);
        if (!R::adds_to_block[table::record_begin[K] + j]) {
          put(out, "  g", number{static_cast<std::intmax_t>(b)}, " [label=\"∂");
          put_parameter<G>(out, K, j);
          put(out, " = ");
          put_pattern<G, K>(out, M::notation::gradient[j]);
          put(out, "\\n[");
          put_parameter_shape<G>(out, K, j);
          put(out, "]\"", gradient_style);
        }
        put(out, "  d", number{static_cast<std::intmax_t>(K)}, " -> g", number{static_cast<std::intmax_t>(b)});
        put(out, R::adds_to_block[table::record_begin[K] + j] ? added_edge : backward_edge);
        // ∂θ reads the op's inputs when its rule says so (∂W = δ inputᵀ).
        if (table::reads_inputs[K])
          for (std::size_t e = table::edge_begin[K]; e < table::edge_begin[K + 1]; ++e) {
            put(out, "  ");
            id(out, table::edge[e]);
            put(out, " -> g", number{static_cast<std::intmax_t>(b)}, reads_edge);
          }
      }
    }
    for (std::size_t e = table::edge_begin[K]; e < table::edge_begin[K + 1]; ++e) {
      if (R::mode[e] == autodiff::contribution::skip) continue;
      const std::size_t u = table::edge[e], t = R::target(e);
      // What the δ of this input reads: the op's parameters (δ input = Wᵀ δ), its own values
      // (softmax, an unfused sigmoid), the other inputs (a product).
      if constexpr (!core::is_loss<M>()) {
        const std::size_t written = R::fused[e] == core::fusion::yes ? u : t;
        for (std::size_t j = 0; j < core::parameters_of<M>::size; ++j) {
          put(out, "  p", number{static_cast<std::intmax_t>(G::block_of(K, j))});
          put(out, " -> d", number{static_cast<std::intmax_t>(written)}, reads_edge);
        }
        if (table::reads_output[K]) {
          put(out, "  ");
          id(out, K);
          put(out, " -> d", number{static_cast<std::intmax_t>(written)}, reads_edge);
        }
        if (table::reads_inputs[K] && core::parameters_of<M>::size == 0)
          for (std::size_t f = table::edge_begin[K]; f < table::edge_begin[K + 1]; ++f)
            if (f != e) {
              put(out, "  ");
              id(out, table::edge[f]);
              put(out, " -> d", number{static_cast<std::intmax_t>(written)}, reads_edge);
            }
      }
      if (R::fused[e] == core::fusion::yes && !core::is_loss<M>()) {
        // through u: δu (never stored), then its derivative into t
        adjoint_node(out, u);
        contribution_edge<K>(out, u, autodiff::contribution::write);
        put(out, "  d", number{static_cast<std::intmax_t>(u)}, " -> d", number{static_cast<std::intmax_t>(t)});
        put(out, R::mode[e] == autodiff::contribution::add ? added_edge : backward_edge);
        put(out, "  ");
        id(out, u);
        put(out, " -> d", number{static_cast<std::intmax_t>(t)}, reads_edge);
      } else {
        contribution_edge<K>(out, t, R::mode[e]);
      }
      if constexpr (core::is_loss<M>()) {
        put(out, "  ");
        target_id(out, G::loss_slot[K]);
        put(out, " -> d", number{static_cast<std::intmax_t>(t)}, reads_edge);
      }
    }
  }

  template <class Out>
  static constexpr void write(Out& out) {
    put(out, "digraph ctnn {\n");
    put(out, "  // forward: solid; backward (autodiff/reverse.hpp): dashed red; reads: dotted\n");
    put(out, "  graph [fontname=\"Helvetica\", label=\"forward (solid) and backward (dashed) passes\"];\n");
    put(out, "  node [fontname=\"Helvetica\", shape=box, style=rounded];\n");
    for (std::size_t k = 0; k < G::input_count; ++k) {
      const std::size_t i = G::input_index[k];
      put(out, "  ");
      id(out, i);
      put(out, " [label=\"");
      put_symbol<G>(out, i);
      put(out, "\\n[", number{static_cast<std::intmax_t>(table::size[i])}, "]\", shape=ellipse];\n");
    }
    for (std::size_t j = 0; j < G::target_count; ++j) {
      put(out, "  ");
      target_id(out, j);
      put(out, " [label=\"t");
      if (G::target_count > 1) put(out, subscript{j + 1});
      put(out, "\\n[", number{static_cast<std::intmax_t>(G::target_sizes[j])}, "]\", shape=ellipse];\n");
    }
    for (std::size_t b = 0; b < G::block_count; ++b) {
      const auto& r = table::records[G::layout::first_record[b]];
      put(out, "  p", number{static_cast<std::intmax_t>(b)}, " [label=\"");
      put_parameter<G>(out, r.node, G::layout::first_record[b] - table::record_begin[r.node]);
      put(out, "\\n[");
      put_parameter_shape<G>(out, r.node, G::layout::first_record[b] - table::record_begin[r.node]);
      put(out, "]\"", parameter_style);
    }
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (
          [&] {
            if constexpr (W::shown(K)) forward_node<K>(out);
            else if constexpr (table::loss[K]) loss_node<K>(out);
          }(),
          ...);
    }(std::make_index_sequence<N>{});
    if constexpr (G::target_count > 1) {
      put(out, "  C [label=\"C\", shape=doubleoctagon];\n");
      for (std::size_t j = 0; j < G::target_count; ++j) {
        put(out, "  C", number{static_cast<std::intmax_t>(j + 1)}, " -> C [label=\"");
        put_weight(out, G::loss_weight[G::loss_index[j]]);
        put(out, "\"];\n");
      }
    }
    // The adjoints the backward pass holds, then its steps in execution order.
    for (std::size_t k = 0; k < N; ++k)
      if (contributions(k) > 0) adjoint_node(out, k);
    [&]<std::size_t... S>(std::index_sequence<S...>) {
      (backward_step<R::steps[S]>(out), ...);
    }(std::make_index_sequence<R::step_count>{});
    put(out, "}\n");
  }
};

}  // namespace detail

// The text, built once per graph at compile time and stored as a constant.
template <class G>
inline constexpr auto dot_text_v = detail::build_text<detail::dot_text<G>>();

// Net's forward and backward graphs under Loss as Graphviz DOT text: a reference to a
// compile-time fixed_string, so nothing is built or copied at run time.
template <class Net, loss_function Loss>
constexpr const auto& dot() {
  static_assert(ctnn::detail::loss_fits<Net, Loss>());
  return dot_text_v<typename detail::shown_graph<Net, Loss>::type>;
}

// The same for a graph with an objective.
template <class Net>
  requires(Net::has_objective)
constexpr const auto& dot() {
  return dot_text_v<Net>;
}

}  // namespace ctnn::inspect
