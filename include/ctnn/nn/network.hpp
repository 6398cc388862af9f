#pragma once
// The chain sugar network<...>, and the objects every graph's passes use: its parameter block,
// its gradient and its workspace.
//
//   using net = ctnn::network<ctnn::input<2>, ctnn::dense<8>, ctnn::tanh, ctnn::dense<1>, ctnn::sigmoid>;
//   ctnn::parameters<net, float> p;   // one contiguous, 64-byte aligned block
//   p.layer<0>().weight(o, i);         // named view of the first dense layer
//
// Layout: the graph's parameter blocks in the order the nodes first name them; a dense node's W
// (out×in, row-major) then its b (out), exactly as PyTorch's nn.Linear stores weight and bias, so
// blocks copy to and from PyTorch without transposes. A chain's layers come in their order.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

#include "../autodiff/plan.hpp"
#include "../core/graph.hpp"
#include "../core/name.hpp"
#include "activations.hpp"
#include "run_mode.hpp"
#include "sequential.hpp"

namespace ctnn {

// A chain of layers as a graph: network<input<N>, dense<..>, activation, ...> (nn/sequential.hpp).
// A wrong list derives from its diagnosis, whose static_assert says in words what is wrong
// (nn/diagnostics.hpp); after that one error the graph is a stand-in, so nothing else fails.
template <class... Layers>
struct network : nn::sequential_graph<Layers...>::graph_type,
                 nn::sequential_graph<Layers...>,
                 nn::sequential_graph<Layers...>::diagnosis {
  using graph_type = typename nn::sequential_graph<Layers...>::graph_type;
};

template <class Net>
concept graph_type = requires {
  Net::node_count;
  Net::parameter_count;
  typename Net::nodes;
};

namespace detail {
template <class T>
struct scalar_type_check {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                "ctnn: the scalar type of parameters, gradients and workspaces must be float or "
                "double");
  static constexpr bool ok = true;
};

template <class N>
concept dense_node = requires {
  N::in;
  N::out;
  N::bias_at;
};

// The activation that follows node K: the function of its only reader when that reader is an
// activation node (op::activation, op::softmax), else identity. (Initialisation and the accuracy
// rule read it.)
template <class Net, std::size_t K>
constexpr auto activation_after() {
  using table = typename Net::table;
  if constexpr (table::consumer_begin[K + 1] - table::consumer_begin[K] != 1) {
    return std::type_identity<identity>{};
  } else {
    using reader = typename Net::template node_at<table::consumer[table::consumer_begin[K]]>;
    if constexpr (requires { typename reader::function; } && !core::is_loss<reader>())
      return std::type_identity<typename reader::function>{};
    else
      return std::type_identity<identity>{};
  }
}
template <class Net, std::size_t K>
using activation_after_t = typename decltype(activation_after<Net, K>())::type;

// The dense layers of a graph: the nodes that first name each dense W block, in block order.
template <class Net>
struct dense_layers {
  static constexpr auto flags = []<class... N>(core::list<N...>) {
    return std::array<bool, sizeof...(N)>{dense_node<N>...};
  }(typename Net::nodes{});
  static constexpr std::size_t count = [] {
    std::size_t c = 0;
    for (std::size_t k = 0; k < Net::node_count; ++k)
      c += flags[k] && Net::layout::first_record[Net::block_of(k, 0)] == Net::table::record_begin[k];
    return c;
  }();
  static constexpr std::array<std::size_t, count> node = [] {
    std::array<std::size_t, count> n{};
    std::size_t at = 0;
    for (std::size_t k = 0; k < Net::node_count; ++k)
      if (flags[k] && Net::layout::first_record[Net::block_of(k, 0)] == Net::table::record_begin[k])
        n[at++] = k;
    return n;
  }();
  // The dense node that names block owner `name` first, or none.
  static constexpr std::size_t named(std::string_view name) {
    for (std::size_t k : node)
      if (Net::block_owner(Net::block_of(k, 0)) == name) return k;
    return core::none;
  }
};
}  // namespace detail

// The weights and bias of one dense layer inside a parameter (or gradient) block.
template <class T, std::size_t In, std::size_t Out>
struct dense_view {
  static constexpr std::size_t in = In;
  static constexpr std::size_t out = Out;
  T* w;
  T* b;
  constexpr T& weight(std::size_t o, std::size_t i) const { return w[o * In + i]; }
  constexpr T& bias(std::size_t o) const { return b[o]; }
  constexpr std::span<T, In * Out> weights() const { return std::span<T, In * Out>(w, In * Out); }
  constexpr std::span<T, Out> biases() const { return std::span<T, Out>(b, Out); }
};

template <class Net, class T>
struct parameters {
  static_assert(detail::scalar_type_check<T>::ok);
  using network_type = Net;
  using value_type = T;
  static constexpr std::size_t count = Net::parameter_count;

  alignas(64) std::array<T, count> values{};

  static constexpr std::size_t size() { return count; }
  constexpr T* data() { return values.data(); }
  constexpr const T* data() const { return values.data(); }
  constexpr std::span<T, count> flat() { return values; }
  constexpr std::span<const T, count> flat() const { return values; }
  constexpr T& operator[](std::size_t k) { return values[k]; }
  constexpr const T& operator[](std::size_t k) const { return values[k]; }

  // The K-th dense layer (0-based, counting dense layers only, in the order of their blocks), or
  // the one named Name (op::dense<"name", ...>).
  template <std::size_t K>
  constexpr auto layer() {
    return view<T, detail::dense_layers<Net>::node[K]>(data());
  }
  template <std::size_t K>
  constexpr auto layer() const {
    return view<const T, detail::dense_layers<Net>::node[K]>(data());
  }
  template <name Name>
  constexpr auto layer() {
    return view<T, named<Name>()>(data());
  }
  template <name Name>
  constexpr auto layer() const {
    return view<const T, named<Name>()>(data());
  }

  friend constexpr bool operator==(const parameters&, const parameters&) = default;

 private:
  template <name Name>
  static constexpr std::size_t named() {
    constexpr std::size_t k = detail::dense_layers<Net>::named(Name.view());
    static_assert(k != core::none, "ctnn: the graph has no dense layer of that name");
    return k;
  }
  template <class V, std::size_t K, class P>
  static constexpr auto view(P* base) {
    using N = typename Net::template node_at<K>;
    return dense_view<V, N::in, N::out>{base + Net::parameter_offset(K, 0),
                                        base + Net::parameter_offset(K, 1)};
  }
};

namespace detail {
// Net's block named owner.role, or none.
template <class Net>
constexpr std::size_t block_named(std::string_view owner, std::string_view role) {
  for (std::size_t b = 0; b < Net::block_count; ++b)
    if (Net::block_owner(b) == owner && Net::block_role(b) == role) return b;
  return core::none;
}
// Whether From holds every block of To, by name, with To's size.
template <class To, class From>
constexpr bool holds_blocks_of() {
  for (std::size_t b = 0; b < To::block_count; ++b) {
    const std::size_t k = block_named<From>(To::block_owner(b), To::block_role(b));
    if (k == core::none ||
        From::layout::offset[k + 1] - From::layout::offset[k] != To::layout::offset[b + 1] - To::layout::offset[b])
      return false;
  }
  return true;
}
}  // namespace detail

// To's parameters copied by name out of another net's (every block of To must be in From, with
// the same size): a recurrent net trained on windows of 32 steps run one step at a time, a cell
// out of the net that unrolls it. Names are what safetensors files hold, so this is loading one
// net's file into another, without the file.
template <class To, class From, class T>
constexpr parameters<To, T> parameters_by_name(const parameters<From, T>& p) {
  static_assert(detail::holds_blocks_of<To, From>(),
                "ctnn::parameters_by_name: the source net lacks a block of the target net, or holds "
                "it with another size (blocks are matched by owner and role: \"gru.weight_ih_l0\")");
  parameters<To, T> out{};
  for (std::size_t b = 0; b < To::block_count; ++b) {
    const std::size_t k = detail::block_named<From>(To::block_owner(b), To::block_role(b));
    for (std::size_t i = 0; i < To::layout::offset[b + 1] - To::layout::offset[b]; ++i)
      out[To::layout::offset[b] + i] = p[From::layout::offset[k] + i];
  }
  return out;
}

// The gradient has the parameters' layout: gradient[k] = ∂C/∂parameters[k].
template <class Net, class T>
using gradient = parameters<Net, T>;

// Buffers for the passes over a tile of up to Tile samples: every node's values and adjoint, at
// the places the graph's buffer plan gives them (autodiff/plan.hpp: buffers whose lifetimes do
// not overlap share memory). Batches of any size are processed tile by tile, so the workspace has
// a fixed size, lives wherever the caller puts it, and nothing is allocated per call. It is left
// uninitialised on purpose (every pass writes before it reads), so that creating one for a single
// sample costs nothing.
template <class Net, class T, std::size_t Tile = 32>
struct workspace {
  static_assert(detail::scalar_type_check<T>::ok);
  static_assert(Tile > 0, "ctnn: a workspace needs room for at least one sample");
  static constexpr std::size_t tile = Tile;
  using plan = autodiff::plan<typename autodiff::planning_graph<Net>::type, Tile, 64 / sizeof(T)>;
  alignas(64) std::array<T, plan::size> buffers;
  // The rule of the passes through this workspace and the stream of dropout's draws
  // (nn/run_mode.hpp).
  run_rule rule = run_rule::by_pass;
  std::uint64_t seed = 0;
  std::uint64_t draw = 0;  // draws taken so far; each gradient pass takes the next

  constexpr T* data() { return buffers.data(); }
};

}  // namespace ctnn
