#pragma once
// The forward and backward passes the compiler generates for a graph, written out as equations
// in the seeds' notation (notation.hpp):
//
//   constexpr auto& text = ctnn::inspect::equations<xor_net, ctnn::binary_cross_entropy>();
//   constexpr auto& text = ctnn::inspect::equations<graph_with_objective>();
//   std::cout << text;                                        // or text.view()
//
// The result is a reference to a fixed_string (fixed_string.hpp) computed at compile time, so
// tests can static_assert on it. For network<input<2>, dense<8>, tanh, dense<1>, sigmoid> it reads:
//
//   forward
//     z¹ = W¹ x + b¹   [W¹: 8×2, b¹: 8, z¹: 8]
//     a¹ = tanh(z¹)
//     z² = W² a¹ + b²   [W²: 1×8, b²: 1, z²: 1]
//     a² = σ(z²)
//     C = Σ (softplus(z²) − t ⊙ z²)   (binary_cross_entropy)
//   backward
//     δ² = a² − t   (binary_cross_entropy fused with sigmoid)
//     ∂W² = δ² a¹ᵀ   [1×8]
//     ∂b² = δ²   [1]
//     δa¹ = W²ᵀ δ²   [8]
//     δ¹ = tanh'(z¹) ⊙ δa¹   (tanh'(z) = 1 − a²)
//     ∂W¹ = δ¹ xᵀ   [8×2]
//     ∂b¹ = δ¹   [8]
//     ∇ₓC = W¹ᵀ δ¹   [2]   (on request)
//
// Format: UTF-8, lines end in '\n'. A line is "  <lhs> = <rhs>", optionally followed by three
// spaces and the shapes in [...] (W: out×in), then by three spaces and a note in (...).
//   forward:  one line per node in topological order (its op's notation), then the losses and,
//             for several, the objective C as their weighted sum.
//   backward: the derivation's steps in execution order (autodiff/reverse.hpp): a loss's δ, then
//             for every other step its parameter gradients ∂θ and its inputs' adjoints. An adjoint
//             that sums several contributions shows "+=" for every one after the first (a node
//             used twice, a shared parameter). An elementwise input that the step takes through
//             its derivative shows two lines (δa = ..., then δz = f'(z) ⊙ δa), as the seeds
//             write the recursion, though δa is never stored. ∇ₓ is computed only when the
//             caller asks for it (on request).

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "../autodiff/reverse.hpp"
#include "../nn/losses.hpp"
#include "../nn/network.hpp"
#include "../nn/passes.hpp"
#include "fixed_string.hpp"
#include "notation.hpp"

namespace ctnn::inspect {

namespace detail {

// A weight of the objective: "2", "0.5", "−1".
template <class Out>
constexpr void put_weight(Out& out, double w) {
  if (w < 0) {
    put(out, "−");
    w = -w;
  }
  const auto micro = static_cast<std::intmax_t>(w * 1e6 + 0.5);
  put(out, number{micro / 1000000});
  std::intmax_t rest = micro % 1000000;
  if (rest == 0) return;
  put(out, ".");
  std::intmax_t scale = 100000;
  while (rest > 0) {
    put(out, number{rest / scale});
    rest %= scale;
    scale /= 10;
  }
}

template <class G>
struct graph_writer {
  using table = typename G::table;
  using R = autodiff::reverse<G>;
  using name = naming<G>;
  static constexpr std::size_t N = G::node_count;

  template <std::size_t K>
  using node = typename G::template node_at<K>;

  template <std::size_t K>
  static constexpr bool identity_node() {
    if constexpr (requires { typename node<K>::elementwise_function; })
      return std::is_same_v<typename node<K>::elementwise_function, identity>;
    else
      return false;
  }
  template <std::size_t K>
  static constexpr bool activation_node() {
    return requires { typename node<K>::function; } && !core::is_loss<node<K>>();
  }

  // "   (tanh'(z) = 1 − a²)": the note after an activation's adjoint.
  template <std::size_t K, class Out>
  static constexpr void put_activation_note(Out& out) {
    using M = node<K>;
    put(out, "   (");
    if constexpr (identity_node<K>()) put(out, "no activation");
    else if constexpr (requires { typename M::elementwise_function; })
      put_derivative_rule<typename M::elementwise_function>(out);
    else put(out, M::op_name);
    put(out, ")");
  }

  // The right-hand side of node K's value.
  template <std::size_t K, class Out>
  static constexpr void put_value(Out& out) {
    if constexpr (identity_node<K>()) put_symbol<G>(out, table::edge[table::edge_begin[K]]);
    else put_pattern<G, K>(out, node<K>::notation::value);
  }

  template <std::size_t K, class Out>
  static constexpr void forward_line(Out& out) {
    using M = node<K>;
    put(out, "  ");
    put_symbol<G>(out, K);
    put(out, " = ");
    put_value<K>(out);
    constexpr std::size_t P = core::parameters_of<M>::size;
    if constexpr (P > 0) {
      put(out, "   [");
      for (std::size_t j = 0; j < P; ++j) {
        put_parameter<G>(out, K, j);
        put(out, ": ");
        put_parameter_shape<G>(out, K, j);
        put(out, ", ");
      }
      put_symbol<G>(out, K);
      put(out, ": ", number{static_cast<std::intmax_t>(table::size[K])}, "]");
    } else if constexpr (identity_node<K>()) {
      put(out, "   (no activation)");
    } else if constexpr (!activation_node<K>()) {
      put(out, "   [", number{static_cast<std::intmax_t>(table::size[K])}, "]");
    }
    put(out, "\n");
  }

  // A loss's prediction a and logits z.
  template <std::size_t K, class Out>
  static constexpr auto loss_symbols(Out& out) {
    constexpr std::size_t u = table::edge[table::edge_begin[K]];
    constexpr std::size_t z = node<K>::reads_through ? table::edge[table::edge_begin[u]] : u;
    return std::pair{[&out] { put_symbol<G>(out, u); }, [&out] { put_symbol<G>(out, z); }};
  }

  template <std::size_t K, class Out>
  static constexpr void loss_line(Out& out) {
    using M = node<K>;
    put(out, "  ");
    put_symbol<G>(out, K);
    put(out, " = ");
    const auto [a, z] = loss_symbols<K>(out);
    put_loss_value<typename M::function, typename M::activation>(out, a, z);
    put(out, "   (", M::function::name, ")\n");
  }

  template <class Out>
  static constexpr void objective_line(Out& out) {
    if constexpr (G::target_count > 1 || (G::target_count == 1 && G::loss_weight[G::loss_index[0]] != 1)) {
      put(out, "  C = ");
      for (std::size_t j = 0; j < G::target_count; ++j) {
        const double w = G::loss_weight[G::loss_index[j]];
        if (j > 0) put(out, w < 0 ? " − " : " + ");
        const double magnitude = j > 0 && w < 0 ? -w : w;
        if (magnitude != 1) {
          put_weight(out, magnitude);
          put(out, " ");
        }
        put_symbol<G>(out, G::loss_index[j]);
      }
      put(out, "\n");
    }
  }

  // "δs = " or "δs += ", for a contribution to node t.
  template <class Out>
  static constexpr void put_target(Out& out, std::size_t t, autodiff::contribution m) {
    put(out, "  ");
    put_adjoint<G>(out, t);
    put(out, m == autodiff::contribution::add ? " += " : " = ");
  }
  template <class Out>
  static constexpr void put_shape_note(Out& out, std::size_t t, bool shape) {
    if (shape) put(out, "   [", number{static_cast<std::intmax_t>(table::size[t])}, "]");
    if (table::input[t]) put(out, "   (on request)");
    put(out, "\n");
  }

  template <std::size_t K, class Out>
  static constexpr void backward_lines(Out& out) {
    using M = node<K>;
    if constexpr (core::is_loss<M>()) {
      constexpr std::size_t e = table::edge_begin[K];
      constexpr bool fused = R::fused[e] == core::fusion::yes;
      put_target(out, R::target(e), R::mode[e]);
      const auto [a, z] = loss_symbols<K>(out);
      put_output_delta<typename M::function, typename M::activation, fused>(out, a, z);
      put(out, "   (");
      put_output_delta_note<typename M::function, typename M::activation, fused>(out);
      put(out, ")\n");
    } else {
      constexpr std::size_t P = core::parameters_of<M>::size;
      if constexpr (P > 0)
      for (std::size_t j = 0; j < P; ++j) {
        put(out, "  ∂");
        put_parameter<G>(out, K, j);
        put(out, R::adds_to_block[table::record_begin[K] + j] ? " += " : " = ");
        put_pattern<G, K>(out, M::notation::gradient[j]);
        put(out, "   [");
        put_parameter_shape<G>(out, K, j);
        put(out, "]\n");
      }
      constexpr std::size_t patterns = std::size(M::notation::adjoint);
      for (std::size_t j = 0; j < table::input_count[K]; ++j) {
        const std::size_t e = table::edge_begin[K] + j, u = table::edge[e];
        if (R::mode[e] == autodiff::contribution::skip) continue;
        const std::string_view pattern = M::notation::adjoint[j < patterns ? j : patterns - 1];
        const bool activation = activation_node<K>();
        if (R::fused[e] == core::fusion::yes) {
          // δu, then u's own adjoint rule into its input.
          put_target(out, u, autodiff::contribution::write);
          put_pattern<G, K>(out, pattern, j);
          put_shape_note(out, u, true);
          put_target(out, R::target(e), R::mode[e]);
          with_node<G>(u, [&]<std::size_t U>() {
            // Only elementwise nodes are absorbed; views (flatten before a dense head) have a
            // notation without adjoint patterns, and this walk instantiates every node.
            if constexpr (requires { node<U>::notation::adjoint[0]; }) {
              if constexpr (identity_node<U>()) put_adjoint<G>(out, U);
              else put_pattern<G, U>(out, node<U>::notation::adjoint[0]);
              put_activation_note<U>(out);
            }
          });
          if (table::input[R::target(e)]) put(out, "   (on request)");
          put(out, "\n");
        } else {
          put_target(out, R::target(e), R::mode[e]);
          if constexpr (identity_node<K>()) put_adjoint<G>(out, K);
          else put_pattern<G, K>(out, pattern, j);
          if (activation) {
            put_activation_note<K>(out);
            if (table::input[R::target(e)]) put(out, "   (on request)");
            put(out, "\n");
          } else {
            put_shape_note(out, u, true);
          }
        }
      }
    }
  }

  static constexpr bool shown(std::size_t k) {
    return !table::input[k] && !G::objective_part[k];
  }

  template <class Out>
  static constexpr void write(Out& out) {
    put(out, "forward\n");
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (
          [&] {
            if constexpr (shown(K)) forward_line<K>(out);
          }(),
          ...);
      (
          [&] {
            if constexpr (table::loss[K]) loss_line<K>(out);
          }(),
          ...);
    }(std::make_index_sequence<N>{});
    objective_line(out);
    put(out, "backward\n");
    [&]<std::size_t... S>(std::index_sequence<S...>) {
      (backward_lines<R::steps[S]>(out), ...);
    }(std::make_index_sequence<R::step_count>{});
  }
};

template <class G>
struct equations_text {
  template <class Out>
  static constexpr void write(Out& out) {
    graph_writer<G>::write(out);
  }
};

// The graph the printouts show: Net with Loss on its output, or Net when it has an objective.
template <class Net, class Loss>
struct shown_graph {
  using type = ctnn::detail::objective_graph<Net, Loss>;
};
template <class Net>
struct shown_graph<Net, void> {
  using type = Net;
};

}  // namespace detail

// The text, built once per graph at compile time and stored as a constant.
template <class G>
inline constexpr auto equations_text_v = detail::build_text<detail::equations_text<G>>();

// The equations of Net's forward and backward passes under Loss (format above): a reference to a
// compile-time fixed_string, so nothing is built or copied at run time. A loss that cannot take
// Net's output fails to compile with the library's message (as the passes do).
template <class Net, loss_function Loss>
constexpr const auto& equations() {
  static_assert(ctnn::detail::loss_fits<Net, Loss>());
  return equations_text_v<typename detail::shown_graph<Net, Loss>::type>;
}

// The same for a graph with an objective.
template <class Net>
  requires(Net::has_objective)
constexpr const auto& equations() {
  return equations_text_v<Net>;
}

}  // namespace ctnn::inspect
