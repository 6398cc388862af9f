#pragma once
// Internal (ctnn::io::detail, unstable): the architecture signature of a graph type, a short text
// computed at compile time. A chain network<...> is written as its layers:
//   network<input<2>, dense<8>, tanh, dense<1>, sigmoid>   ->  "input<2>,dense<8>,tanh,dense<1>,sigmoid"
//   network<input<4>, linear<4, 3>, leaky_relu<std::ratio<1, 10>>>  ->  "input<4>,dense<3>,leaky_relu<1/10>"
// (linear<I, O> is written dense<O>, and an explicit identity is left out), any other graph as
// its nodes in topological order, each with the nodes it reads, then its outputs and objective:
//   "graph:0=input<x,4>;1=dense<fc1,8>(0);2=relu(1);3=add(2,1);out(3)"
// Model files store it, so loading into a different graph is refused with both signatures in the
// message. Two types with the same signature compute the same function from the same parameter
// block.

#include <array>
#include <cstddef>
#include <cstdint>
#include <ratio>
#include <string_view>
#include <type_traits>
#include <utility>

#include "../../core/graph.hpp"
#include "../../core/op.hpp"
#include "../../nn/activations.hpp"

namespace ctnn::io::detail {

// The std::ratio argument of an activation such as leaky_relu<std::ratio<1, 10>>, if it has one.
template <class A>
struct ratio_argument {
  static constexpr bool present = false;
};
template <template <class> class A, std::intmax_t N, std::intmax_t D>
struct ratio_argument<A<std::ratio<N, D>>> {
  static constexpr bool present = true;
  static constexpr std::intmax_t num = N;
  static constexpr std::intmax_t den = D;
};

// Signatures are written twice into a sink: once to count the characters, once to store them.
struct length_sink {
  std::size_t size = 0;
  constexpr void put(std::string_view s) { size += s.size(); }
};

template <std::size_t N>
struct char_sink {
  std::array<char, N> chars{};
  std::size_t size = 0;
  constexpr void put(std::string_view s) {
    for (char c : s) chars[size++] = c;
  }
  constexpr std::string_view view() const { return {chars.data(), size}; }
};

template <class Sink>
constexpr void put_integer(Sink& out, std::intmax_t v) {
  char digits[24]{};
  std::size_t n = 0;
  std::uintmax_t u = v < 0 ? std::uintmax_t{0} - static_cast<std::uintmax_t>(v)
                           : static_cast<std::uintmax_t>(v);
  do {
    digits[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u != 0);
  if (v < 0) digits[n++] = '-';
  for (std::size_t k = 0; k < n / 2; ++k) std::swap(digits[k], digits[n - 1 - k]);
  out.put(std::string_view(digits, n));
}

template <class A, class Sink>
constexpr void put_activation(Sink& out) {
  out.put(A::name);
  if constexpr (ratio_argument<A>::present) {
    out.put("<");
    put_integer(out, ratio_argument<A>::num);
    out.put("/");
    put_integer(out, ratio_argument<A>::den);
    out.put(">");
  }
}

template <class Stage, class Sink>
constexpr void put_stage(Sink& out) {
  out.put(",dense<");
  put_integer(out, static_cast<std::intmax_t>(Stage::out));
  out.put(">");
  if constexpr (!std::is_same_v<typename Stage::activation, identity>) {
    out.put(",");
    put_activation<typename Stage::activation>(out);
  }
}

// One node: its op's name, its label (a name) and its numbers (core/op.hpp), an elementwise
// activation's name with its ratio.
template <class N, class Sink>
constexpr void put_node(Sink& out) {
  if constexpr (requires { typename N::elementwise_function; } && !requires { N::signature_numbers; }) {
    put_activation<typename N::elementwise_function>(out);
    return;
  } else {
    out.put(N::op_name);
    constexpr bool labelled = requires { N::label; };
    constexpr bool numbered = requires { N::signature_numbers; };
    if constexpr (labelled || numbered) {
      out.put("<");
      bool first = true;
      if constexpr (labelled) {
        out.put(N::label.view());
        first = false;
      }
      if constexpr (numbered)
        for (auto v : N::signature_numbers) {
          if (!first) out.put(",");
          put_integer(out, static_cast<std::intmax_t>(v));
          first = false;
        }
      out.put(">");
    }
  }
}

template <class Net, class Sink>
constexpr void put_graph_signature(Sink& out) {
  using table = typename Net::table;
  out.put("graph:");
  [&]<class... N>(core::list<N...>) {
    std::size_t k = 0;
    (
        [&] {
          if (k > 0) out.put(";");
          put_integer(out, static_cast<std::intmax_t>(k));
          out.put("=");
          put_node<N>(out);
          if (table::input_count[k] > 0) {
            out.put("(");
            for (std::size_t e = table::edge_begin[k]; e < table::edge_begin[k + 1]; ++e) {
              if (e > table::edge_begin[k]) out.put(",");
              put_integer(out, static_cast<std::intmax_t>(table::edge[e]));
            }
            out.put(")");
          }
          ++k;
        }(),
        ...);
  }(typename Net::nodes{});
  if constexpr (Net::output_count > 0) {
    out.put(";out(");
    for (std::size_t o = 0; o < Net::output_count; ++o) {
      if (o > 0) out.put(",");
      put_integer(out, static_cast<std::intmax_t>(Net::output_index[o]));
    }
    out.put(")");
  }
  if constexpr (Net::has_objective) {
    out.put(";min(");
    put_integer(out, static_cast<std::intmax_t>(Net::objective_index));
    out.put(")");
  }
}

template <class Net>
concept chain_layers = requires {
  Net::stage_count;
  typename Net::template stage<0>;
};

template <class Net, class Sink>
constexpr void put_signature(Sink& out) {
  if constexpr (!chain_layers<Net>) {
    put_graph_signature<Net>(out);
    return;
  } else {
  out.put("input<");
  put_integer(out, static_cast<std::intmax_t>(Net::input_size));
  out.put(">");
  [&]<std::size_t... S>(std::index_sequence<S...>) {
    (put_stage<typename Net::template stage<S>>(out), ...);
  }(std::make_index_sequence<Net::stage_count>{});
  }
}

template <class Net>
constexpr auto make_signature() {
  constexpr std::size_t length = [] {
    length_sink counter;
    put_signature<Net>(counter);
    return counter.size;
  }();
  char_sink<length> out;
  put_signature<Net>(out);
  return out;
}

template <class Net>
inline constexpr auto signature_chars = make_signature<Net>();

// 64-bit FNV-1a: stored next to the signature, so a damaged signature is told apart from a
// signature of another network.
constexpr std::uint64_t fnv1a64(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325u;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3u;
  }
  return h;
}

}  // namespace ctnn::io::detail
