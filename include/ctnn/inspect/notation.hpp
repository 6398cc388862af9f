#pragma once
// How inspect/ writes a graph's nodes, activations and losses, in the seeds' notation. Shared by
// equations.hpp and dot.hpp so that the printout and the graph say the same thing.
//   dense node l (1-based, in topological order):  zˡ = Wˡ x + bˡ, its parameters Wˡ and bˡ (a
//   node sharing them writes the first user's); an activation that alone reads zˡ: aˡ = f(zˡ);
//   an input: its name (x); a loss: C (Cⱼ for several, C their weighted sum); any other node:
//   vₖ (k its position in the graph); δˡ = ∂C/∂zˡ, δs = ∂C/∂s for any other symbol s, and
//   ∇ₓC for the input x.
//   f is written by its name (σ for sigmoid); f'(z) is named per activation, e.g.
//   tanh'(z) = 1 − a²,  σ'(z) = a(1 − a),  relu'(z) = [z > 0] (Iverson bracket).
// Each op writes itself through its notation patterns (core/op.hpp); this file fills them in.
// Internal (namespace detail): the public interface is equations<...>() and dot<...>().

#include <array>
#include <cstddef>
#include <cstdint>
#include <ratio>
#include <string_view>
#include <type_traits>
#include <utility>

#include "../core/graph.hpp"
#include "../core/op.hpp"
#include "../nn/activations.hpp"
#include "../nn/losses.hpp"
#include "../nn/softmax.hpp"
#include "fixed_string.hpp"

namespace ctnn::inspect::detail {

// The std::ratio parameter of leaky_relu (slope) and elu (α).
template <class A>
struct leaky_relu_slope : std::false_type {};
template <class R>
struct leaky_relu_slope<leaky_relu<R>> : std::true_type {
  using ratio = R;
};
template <class A>
struct elu_alpha : std::false_type {};
template <class R>
struct elu_alpha<elu<R>> : std::true_type {
  using ratio = R;
};

// A std::ratio as "p" or "p/q".
template <class R, class Out>
constexpr void put_ratio(Out& out) {
  put(out, number{R::num});
  if constexpr (R::den != 1) put(out, "/", number{std::intmax_t(R::den)});
}

template <class A>
constexpr std::string_view symbol() {
  if constexpr (std::is_same_v<A, sigmoid>)
    return "σ";
  else
    return A::name;
}

// "tanh'(z) = 1 − a²": the derivative rule of an elementwise activation. An activation this
// file does not know is named only ("name'(z)").
template <class A, class Out>
constexpr void put_derivative_rule(Out& out) {
  put(out, symbol<A>(), "'(z)");
  if constexpr (std::is_same_v<A, sigmoid>)
    put(out, " = a(1 − a)");
  else if constexpr (std::is_same_v<A, tanh>)
    put(out, " = 1 − a²");
  else if constexpr (std::is_same_v<A, relu>)
    put(out, " = [z > 0]");
  else if constexpr (std::is_same_v<A, softplus>)
    put(out, " = σ(z)");
  else if constexpr (std::is_same_v<A, swish>)
    put(out, " = σ(z) + a(1 − σ(z))");
  else if constexpr (std::is_same_v<A, mish>)
    put(out, " = τ + z(1 − τ²)σ(z), τ = tanh(softplus(z))");
  else if constexpr (std::is_same_v<A, gelu>)
    put(out, " = Φ(z) + z φ(z)");
  else if constexpr (leaky_relu_slope<A>::value) {
    put(out, " = [z > 0] + ");
    put_ratio<typename leaky_relu_slope<A>::ratio>(out);
    put(out, " [z ≤ 0]");
  } else if constexpr (elu_alpha<A>::value) {
    put(out, " = [z > 0] + (a + ");
    put_ratio<typename elu_alpha<A>::ratio>(out);
    put(out, ") [z ≤ 0]");
  }
}

// ---- naming the nodes of a graph --------------------------------------------------------------

template <class G>
struct naming {
  using table = typename G::table;
  static constexpr std::size_t N = G::node_count;
  static constexpr auto dense = []<class... M>(core::list<M...>) {
    return std::array<bool, sizeof...(M)>{requires { M::in; M::out; M::bias_at; }...};
  }(typename G::nodes{});
  static constexpr auto has_function = []<class... M>(core::list<M...>) {
    return std::array<bool, sizeof...(M)>{(requires { typename M::function; } && !core::is_loss<M>())...};
  }(typename G::nodes{});
  // Dense node k's layer number (1-based), 0 for other nodes.
  static constexpr std::array<std::size_t, N> layer = [] {
    std::array<std::size_t, N> l{};
    std::size_t count = 0;
    for (std::size_t k = 0; k < N; ++k)
      if (dense[k]) l[k] = ++count;
    return l;
  }();
  // The layer whose symbols node k's parameters take: the first node naming its first block.
  static constexpr std::array<std::size_t, N> parameter_layer = [] {
    std::array<std::size_t, N> l{};
    for (std::size_t k = 0; k < N; ++k)
      if (dense[k]) l[k] = layer[table::records[G::layout::first_record[G::block_of(k, 0)]].node];
    return l;
  }();
  static constexpr std::size_t behind(std::size_t k) { return table::edge[table::edge_begin[k]]; }
  // An activation that alone reads a dense node: aˡ.
  static constexpr std::size_t activation_layer(std::size_t k) {
    if (!has_function[k] || table::input_count[k] != 1) return 0;
    const std::size_t p = behind(k);
    if (!dense[p] || table::consumer_begin[p + 1] - table::consumer_begin[p] != 1) return 0;
    return layer[p];
  }
};

// f(K) with the node type of node k (a run-time k in a constant expression).
template <class G, class F>
constexpr void with_node(std::size_t k, F&& f) {
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    ((k == K ? (f.template operator()<K>(), 0) : 0), ...);
  }(std::make_index_sequence<G::node_count>{});
}

template <class G, class Out>
constexpr void put_symbol(Out& out, std::size_t k) {
  using name = naming<G>;
  with_node<G>(k, [&]<std::size_t K>() {
    using M = typename G::template node_at<K>;
    if constexpr (core::is_input<M>()) {
      put(out, M::label.view());
    } else if constexpr (core::is_loss<M>()) {
      if (G::target_count == 1) put(out, "C");
      else put(out, "C", subscript{G::loss_slot[K] + 1});
    } else if (name::dense[K]) {
      put(out, "z", superscript{name::layer[K]});
    } else if (name::activation_layer(K) != 0) {
      put(out, "a", superscript{name::activation_layer(K)});
    } else {
      put(out, "v", subscript{K});
    }
  });
}

// δ of node k: δˡ for a dense node, ∇ₓC for an input x, δs for any other symbol s.
template <class G, class Out>
constexpr void put_adjoint(Out& out, std::size_t k) {
  using name = naming<G>;
  if (G::table::input[k]) {
    put(out, "∇");
    if (G::input_count == 1) {
      put(out, "ₓ");
    } else {
      put(out, "(");
      put_symbol<G>(out, k);
      put(out, ")");
    }
    put(out, "C");
  } else if (name::dense[k]) {
    put(out, "δ", superscript{name::layer[k]});
  } else {
    put(out, "δ");
    put_symbol<G>(out, k);
  }
}

// Parameter j of node k: Wˡ and bˡ for a dense node, else its block's name.
template <class G, class Out>
constexpr void put_parameter(Out& out, std::size_t k, std::size_t j) {
  using name = naming<G>;
  if (name::dense[k] && j < 2) {
    put(out, j == 0 ? "W" : "b", superscript{name::parameter_layer[k]});
  } else {
    const std::size_t b = G::block_of(k, j);
    put(out, G::block_owner(b), ".", G::block_role(b));
  }
}

// "8×2": block j of node k's dimensions.
template <class G, class Out>
constexpr void put_parameter_shape(Out& out, std::size_t k, std::size_t j) {
  const auto& r = G::table::records[G::table::record_begin[k] + j];
  for (std::size_t d = 0; d < r.rank; ++d) {
    if (d > 0) put(out, "×");
    put(out, number{static_cast<std::intmax_t>(r.dims[d])});
  }
}

// Node K's pattern (core/op.hpp: notation) with its symbols filled in; slot is the input a pattern
// of adjoint[] is for.
template <class G, std::size_t K, class Out>
constexpr void put_pattern(Out& out, std::string_view pattern, std::size_t slot = 0) {
  using M = typename G::template node_at<K>;
  using table = typename G::table;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '{') {
      std::size_t j = i;
      while (j < pattern.size() && pattern[j] != '{') ++j;
      out.append(pattern.substr(i, j - i));
      i = j - 1;
      continue;
    }
    std::size_t close = i;
    while (pattern[close] != '}') ++close;
    const std::string_view key = pattern.substr(i + 1, close - i - 1);
    i = close;
    if (key == "y") {
      put_symbol<G>(out, K);
    } else if (key == "dy") {
      put_adjoint<G>(out, K);
    } else if (key == "slot") {
      put(out, number{static_cast<std::intmax_t>(slot + 1)});
    } else if (key == "inputs") {
      for (std::size_t e = table::edge_begin[K]; e < table::edge_begin[K + 1]; ++e) {
        if (e > table::edge_begin[K]) put(out, ", ");
        put_symbol<G>(out, table::edge[e]);
      }
    } else if (key == "numbers") {
      if constexpr (requires { M::signature_numbers; })
        for (std::size_t n = 0; n < M::signature_numbers.size(); ++n) {
          if (n > 0) put(out, ", ");
          put(out, number{static_cast<std::intmax_t>(M::signature_numbers[n])});
        }
    } else if (key[0] == 'x') {
      put_symbol<G>(out, table::edge[table::edge_begin[K] + std::size_t(key[1] - '0')]);
    } else if (key[0] == 'p') {
      put_parameter<G>(out, K, std::size_t(key[1] - '0'));
    } else if (key[0] == 'n') {
      if constexpr (requires { M::signature_numbers; })
        put(out, number{static_cast<std::intmax_t>(M::signature_numbers[std::size_t(key[1] - '0')])});
    } else if (key == "f" || key == "f'") {
      if constexpr (requires { typename M::elementwise_function; }) {
        put(out, symbol<typename M::elementwise_function>());
        if (key == "f'") {
          put(out, "'(");
          put_symbol<G>(out, table::edge[table::edge_begin[K]]);
          put(out, ")");
        }
      }
    }
  }
}

// ---- losses ---------------------------------------------------------------------------------------
// a and z write the prediction's symbol and its logits' (the input of the activation A that gave
// a; a itself without one).

template <class Loss, class A, class Out, class SymA, class SymZ>
constexpr void put_loss_value(Out& out, const SymA& a, const SymZ& z) {
  if constexpr (std::is_same_v<Loss, squared_error>) {
    put(out, "½‖");
    a();
    put(out, " − t‖²");
  } else if constexpr (std::is_same_v<Loss, binary_cross_entropy>) {
    put(out, "Σ (softplus(");
    z();
    put(out, ") − t ⊙ ");
    z();
    put(out, ")");
  } else if constexpr (std::is_same_v<Loss, softmax_cross_entropy>) {
    put(out, "−⟨t, log softmax(");
    z();
    put(out, ")⟩");
  } else {
    put(out, Loss::name, "(");
    a();
    put(out, ", t)");
  }
}

// The loss's δ: of z when Fused (a cross-entropy fused with its activation: δ = a − t), else of a.
template <class Loss, class A, bool Fused, class Out, class SymA, class SymZ>
constexpr void put_output_delta(Out& out, const SymA& a, const SymZ& z) {
  constexpr bool cross = std::is_same_v<Loss, binary_cross_entropy> || std::is_same_v<Loss, softmax_cross_entropy>;
  constexpr bool own = std::is_same_v<Loss, binary_cross_entropy> ? std::is_same_v<A, sigmoid>
                                                                   : std::is_same_v<A, softmax>;
  if constexpr (cross && own && Fused) {
    a();
    put(out, " − t");
  } else if constexpr (cross && !own) {
    put(out, std::is_same_v<Loss, binary_cross_entropy> ? "σ(" : "softmax(");
    z();
    put(out, ") − t");
  } else if constexpr (std::is_same_v<Loss, squared_error>) {
    a();
    put(out, " − t");
  } else {
    put(out, "∂C/∂");
    a();
  }
}

template <class Loss, class A, bool Fused, class Out>
constexpr void put_output_delta_note(Out& out) {
  if constexpr (std::is_same_v<Loss, binary_cross_entropy>) {
    if constexpr (std::is_same_v<A, sigmoid> && Fused) put(out, "binary_cross_entropy fused with sigmoid");
    else if constexpr (std::is_same_v<A, sigmoid>) put(out, "binary_cross_entropy through sigmoid");
    else put(out, "binary_cross_entropy on logits");
  } else if constexpr (std::is_same_v<Loss, softmax_cross_entropy>) {
    if constexpr (std::is_same_v<A, softmax> && Fused)
      put(out, "softmax_cross_entropy fused with softmax, for Σt = 1");
    else if constexpr (std::is_same_v<A, softmax>)
      put(out, "softmax_cross_entropy through softmax");
    else
      put(out, "softmax_cross_entropy on logits, for Σt = 1");
  } else {
    put(out, Loss::name);
  }
}

}  // namespace ctnn::inspect::detail
