#pragma once
// The lowering of a graph: its passes over one tile of n samples, as straight-line calls of the
// ops' rules with every buffer offset a compile-time constant. The order is the derivation's
// (autodiff/reverse.hpp), the buffers the plan's (autodiff/plan.hpp); this file decides only how
// each step is handed its buffers and sinks, and never names an op: it reads the facts ops
// declare (core/op.hpp).
//
//   forward     every computed node in topological order: Node::forward
//   objective   Σ_k w_k · LossNode_k::value over the loss nodes (the losses' weights in the
//               objective are compile-time constants)
//   backward    the derivation's steps: a loss node's vjp seeded with scale·w_k, every other
//               node's vjp with its adjoint sinks (store, add, through an absorbed input's
//               derivative, or switched off) and its parameter-gradient sink
//
// Parameter gradients go to a gradient target: gradient_store (∂θ written to a gradient block)
// or, in a fused training step, a target that hands the last contribution to each block to an
// optimizer's update (train/train_step.hpp); earlier contributions of a shared block are summed
// in the target's partial sums.

#include <array>
#include <cstddef>
#include <cstdint>
#include <tuple>
#include <type_traits>
#include <utility>

#include "../autodiff/plan.hpp"
#include "../autodiff/reverse.hpp"
#include "../core/graph.hpp"
#include "../core/op.hpp"
#include "../simd/elementwise.hpp"
#include "../simd/pack.hpp"
#include "../simd/sink.hpp"

namespace ctnn::exec {

using core::none;

// The run-time side of a pass over one tile. InputGradients: whether the pass can write ∇ₓ at
// all (else the steps that only serve it are not compiled).
template <class T, std::size_t Inputs, std::size_t Targets, bool InputGradients = true>
struct tile {
  static constexpr bool input_gradients = InputGradients;
  std::size_t n = 0;                       // samples
  const T* params = nullptr;               // the flat parameter block
  std::array<const T*, Inputs> x{};        // each input's first row
  std::array<const T*, Targets> t{};       // each loss's target's first row
  T* ws = nullptr;                         // the workspace's buffers
  std::array<T*, Inputs> dx{};             // each input's ∇ₓ rows, or null
  std::uint64_t want = 0;                  // bit k: dx[k] is not null
  core::run_mode mode{};                   // training or evaluation rule (core/op.hpp)
};

// A tile whose parameter blocks are given one by one, in the graph's block order (a graph that
// an op runs on its own blocks: ops/unroll.hpp).
template <class T, std::size_t Inputs, std::size_t Targets, std::size_t Blocks>
struct block_tile : tile<T, Inputs, Targets, true> {
  std::array<const T*, Blocks> blocks{};
};

// What the backward pass does around each loss node's vjp: nothing (see program::backward).
struct no_loss_hook {
  template <std::size_t K, class B>
  constexpr void before(const B&) const {}
  template <std::size_t K, class B>
  constexpr void after(const B&) const {}
};

// ∂θ written to a gradient block g (earlier tiles' sums read from g itself).
template <class T>
struct gradient_store {
  T* g;
  static constexpr bool fused = false;
  constexpr simd::store_sink<T> sink(std::size_t offset) const { return {g + offset}; }
  constexpr T* sums(std::size_t, std::size_t offset) const { return g + offset; }
};

template <class T, std::size_t P, class Gradient, class Sinks>
struct vjp_args_for;
template <class T, std::size_t P, class Gradient, class... S>
struct vjp_args_for<T, P, Gradient, std::tuple<S...>> {
  using type = core::vjp_args<T, P, Gradient, S...>;
};

template <class G, class Plan>
struct program {
  using table = typename G::table;
  using R = autodiff::reverse<G>;
  static constexpr std::size_t N = G::node_count;
  static_assert(Plan::graph::node_count == N, "ctnn: a plan must be made for the graph it runs");

  template <std::size_t K>
  using node = typename G::template node_at<K>;

  static constexpr bool computed(std::size_t k) {
    return !table::input[k] && !table::view[k] && !G::objective_part[k];
  }
  // Computed nodes, in topological order.
  static constexpr std::size_t forward_count = [] {
    std::size_t c = 0;
    for (std::size_t k = 0; k < N; ++k) c += computed(k);
    return c;
  }();
  static constexpr std::array<std::size_t, forward_count> forward_nodes = [] {
    std::array<std::size_t, forward_count> f{};
    std::size_t at = 0;
    for (std::size_t k = 0; k < N; ++k)
      if (computed(k)) f[at++] = k;
    return f;
  }();
  static constexpr std::size_t behind(std::size_t u) { return table::edge[table::edge_begin[u]]; }

  // ---- buffers ----
  template <std::size_t K, class T, class B>
  static constexpr const T* value(const B& b) {
    constexpr std::size_t r = Plan::value_root[K];
    if constexpr (table::input[r]) return b.x[G::input_slot[r]];
    else return b.ws + Plan::value_offset(K);
  }
  template <std::size_t K, class T, class B>
  static constexpr T* value_out(const B& b) {
    return b.ws + Plan::value_offset(K);
  }
  // Node K's work (core::work_size): right after its tile's values; null when it keeps none.
  template <std::size_t K, class T, class B>
  static constexpr T* work(const B& b) {
    if constexpr (core::work_size<node<K>>(1) == 0) return nullptr;
    else return value_out<K, T>(b) + b.n * table::size[K];
  }
  template <std::size_t K, class T, class B>
  static constexpr T* adjoint(const B& b) {
    static_assert(Plan::adjoint_offset(K) != none, "ctnn: the plan holds no adjoint for this node");
    return b.ws + Plan::adjoint_offset(K);
  }
  template <std::size_t K, class T, class B>
  static constexpr auto input_values(const B& b) {
    return [&]<std::size_t... J>(std::index_sequence<J...>) {
      return std::array<const T*, sizeof...(J)>{value<table::edge[table::edge_begin[K] + J], T>(b)...};
    }(std::make_index_sequence<table::input_count[K]>{});
  }
  // Node K's parameter blocks: in the flat block b.params, or by block when the tile lists them
  // (block_tile: a graph run inside an op, whose blocks are the op's).
  template <std::size_t K, class T, class B>
  static constexpr auto parameter_values(const B& b) {
    return [&]<std::size_t... J>(std::index_sequence<J...>) {
      if constexpr (requires { b.blocks; })
        return std::array<const T*, sizeof...(J)>{b.blocks[G::block_of(K, J)]...};
      else
        return std::array<const T*, sizeof...(J)>{(b.params + G::parameter_offset(K, J))...};
    }(std::make_index_sequence<core::parameters_of<node<K>>::size>{});
  }

  // ---- forward ----
  template <class Arch, std::size_t K, class T, class B>
  static constexpr void forward_node(const B& b) {
    constexpr std::size_t I = table::input_count[K], P = core::parameters_of<node<K>>::size;
    const core::forward_args<T, I, P> a{b.n, input_values<K, T>(b), value_out<K, T>(b),
                                        parameter_values<K, T>(b), b.mode};
    node<K>::template forward<Arch>(a);
  }

  // Pointwise nodes of one size that follow each other in the forward order run in one pass (a
  // group); group_size[F] is the length of the group that starts at forward step
  // F (1: a node alone). A group keeps its intermediate values in registers and stores only
  // those that something after the group reads.
  static constexpr auto pointwise = []<class... M>(core::list<M...>) {
    return std::array<bool, sizeof...(M)>{core::is_pointwise<M>()...};
  }(typename G::nodes{});
  static constexpr std::size_t max_group = 8;
  static constexpr std::array<std::size_t, forward_count + 1> group_size = [] {
    std::array<std::size_t, forward_count + 1> g{};
    for (std::size_t f = 0; f < forward_count; ++f) {
      g[f] = 1;
      if (!pointwise[forward_nodes[f]]) continue;
      std::size_t j = f + 1;
      for (; j < forward_count && j - f < max_group; ++j) {
        const std::size_t k = forward_nodes[j];
        if (!pointwise[k] || table::size[k] != table::size[forward_nodes[f]]) break;
      }
      g[f] = j - f;
    }
    return g;
  }();
  static constexpr std::size_t group_count = [] {
    std::size_t n = 0;
    for (std::size_t f = 0; f < forward_count; f += group_size[f]) ++n;
    return n;
  }();
  static constexpr std::array<std::size_t, group_count> group_start = [] {
    std::array<std::size_t, group_count> s{};
    std::size_t n = 0;
    for (std::size_t f = 0; f < forward_count; f += group_size[f]) s[n++] = f;
    return s;
  }();

  // Forward step F's group, F its first step.
  template <class Arch, std::size_t F, class T, class B>
  static constexpr void forward_group(const B& b) {
    constexpr std::size_t size = group_size[F];
    if constexpr (size == 1) {
      if constexpr (!table::loss[forward_nodes[F]]) forward_node<Arch, forward_nodes[F], T>(b);
    } else {
      simd::for_each_pack<Arch, T>(b.n * table::size[forward_nodes[F]], [&]<class A>(std::size_t k) {
        using V = simd::pack_traits<T, A>;
        typename V::type r[size];
        [&]<std::size_t... J>(std::index_sequence<J...>) {
          (group_member<A, F, J, T>(b, k, r), ...);
        }(std::make_index_sequence<size>{});
      });
    }
  }
  // The position of node u among the first `count` members of the group at F, or none.
  static constexpr std::size_t member_of(std::size_t f, std::size_t count, std::size_t u) {
    for (std::size_t m = 0; m != count; ++m)
      if (forward_nodes[f + m] == u) return m;
    return core::none;
  }
  // Member J of the group at F: its inputs from the registers of earlier members or from memory.
  template <class A, std::size_t F, std::size_t J, class T, class B, class P>
  static constexpr void group_member(const B& b, std::size_t k, P (&r)[group_size[F]]) {
    using V = simd::pack_traits<T, A>;
    constexpr std::size_t K = forward_nodes[F + J];
    const auto operand = [&]<std::size_t E>() {
      constexpr std::size_t u = table::edge[E];
      constexpr std::size_t q = member_of(F, J, u);
      if constexpr (q != core::none) return r[q];
      else return V::load(value<u, T>(b) + k);
    };
    r[J] = [&]<std::size_t... E>(std::index_sequence<E...>) {
      return node<K>::apply(operand.template operator()<table::edge_begin[K] + E>()...);
    }(std::make_index_sequence<table::input_count[K]>{});
    // Stored unless only later members of the group read it.
    if constexpr (Plan::value_death[K] > Plan::forward_time[forward_nodes[F + group_size[F] - 1]])
      V::store(value_out<K, T>(b) + k, r[J]);
  }

  template <class Arch, class T, class B>
  static constexpr void forward(const B& b) {
    [&]<std::size_t... S>(std::index_sequence<S...>) {
      (forward_group<Arch, group_start[S], T>(b), ...);
    }(std::make_index_sequence<group_count>{});
  }

  // ---- losses ----
  // What loss node K reads: its prediction y, and z behind it when y is an activation's output.
  template <std::size_t K, class T, class B>
  static constexpr const T* prediction(const B& b) {
    return value<behind(K), T>(b);
  }
  template <std::size_t K, class T, class B>
  static constexpr const T* logits(const B& b) {
    if constexpr (node<K>::reads_through) return value<behind(behind(K)), T>(b);
    else return value<behind(K), T>(b);
  }

  // Where loss node K's step writes δ: a workspace buffer, or null (an input's ∇ₓ, or nothing).
  // A hook around the step (backward) must leave the values the loss read alone when they share
  // this memory: they were last read by the loss, and the plan gave their room to δ.
  template <std::size_t K, class T, class B>
  static constexpr const T* loss_adjoint(const B& b) {
    constexpr std::size_t e = table::edge_begin[K];
    if constexpr (R::mode[e] == autodiff::contribution::skip) {
      return nullptr;
    } else {
      constexpr std::size_t t = R::target(e);
      if constexpr (table::input[t]) return nullptr;
      else return adjoint<t, T>(b);
    }
  }

  // Σ_k w_k · (summed loss k over the tile).
  template <class Arch, class T, class B>
  static constexpr double objective(const B& b) {
    double total = 0;
    [&]<std::size_t... L>(std::index_sequence<L...>) {
      ((total += loss_term<Arch, G::loss_index[L], T>(b)), ...);
    }(std::make_index_sequence<G::target_count>{});
    return total;
  }
  template <class Arch, std::size_t K, class T, class B>
  static constexpr double loss_term(const B& b) {
    constexpr double w = G::loss_weight[K];
    if constexpr (w == 0) {
      return 0.0;
    } else {
      const T v = node<K>::template value<Arch>(logits<K, T>(b), prediction<K, T>(b),
                                               b.t[G::loss_slot[K]], b.n);
      if constexpr (w == 1) return double(v);
      else return w * double(v);
    }
  }

  // ---- backward ----
  // Where edge E's contribution goes (reverse.hpp: mode, target, fused).
  template <std::size_t E, class T, class B>
  static constexpr auto adjoint_sink(const B& b) {
    constexpr autodiff::contribution m = R::mode[E];
    if constexpr (m == autodiff::contribution::skip) {
      return simd::skip_sink{};
    } else {
      constexpr std::size_t t = R::target(E);
      using S = std::conditional_t<m == autodiff::contribution::write, simd::store_sink<T>,
                                   simd::add_sink<T>>;
      const auto inner = [&] {
        if constexpr (table::input[t] && !B::input_gradients) {
          return simd::skip_sink{};
        } else if constexpr (table::input[t]) {
          T* p = b.dx[G::input_slot[t]];
          return simd::optional_sink<S>{p != nullptr, S{p}};
        } else if constexpr (R::always_needed(t)) {
          return S{adjoint<t, T>(b)};
        } else {
          return simd::optional_sink<S>{(b.want & R::input_mask[t]) != 0, S{adjoint<t, T>(b)}};
        }
      }();
      constexpr std::size_t u = table::edge[E];
      if constexpr (R::fused[E] == core::fusion::yes && !table::loss[R::edge_consumer[E]]) {
        using F = typename node<u>::elementwise_function;
        return simd::derivative_sink<F, T, std::remove_cvref_t<decltype(inner)>>{
            value<behind(u), T>(b), value<u, T>(b), inner};
      } else {
        return inner;
      }
    }
  }
  template <std::size_t K, class T, class B>
  static constexpr auto adjoint_sinks(const B& b) {
    return [&]<std::size_t... J>(std::index_sequence<J...>) {
      return std::make_tuple(adjoint_sink<table::edge_begin[K] + J, T>(b)...);
    }(std::make_index_sequence<table::input_count[K]>{});
  }

  // Node K's parameters: blocks, offsets relative to its first block, accumulate flags.
  template <std::size_t K>
  static constexpr std::size_t first_record = table::record_begin[K];
  template <std::size_t K>
  static constexpr std::size_t first_block = G::layout::block_of[first_record<K>];
  template <std::size_t K>
  static constexpr std::size_t first_offset = G::layout::offset[first_block<K>];
  template <std::size_t K>
  static constexpr bool blocks_in_order = [] {
    for (std::size_t j = 0; j < core::parameters_of<node<K>>::size; ++j)
      if (G::layout::block_of[first_record<K> + j] != first_block<K> + j ||
          R::shared_block[first_block<K> + j] != R::shared_block[first_block<K>] ||
          R::adds_to_block[first_record<K> + j] != R::adds_to_block[first_record<K>] ||
          R::last_to_block[first_record<K> + j] != R::last_to_block[first_record<K>])
        return false;
    return true;
  }();
  template <std::size_t K>
  static constexpr auto parameter_offsets() {
    constexpr std::size_t P = core::parameters_of<node<K>>::size;
    std::array<std::size_t, P> o{};
    for (std::size_t j = 0; j < P; ++j) o[j] = G::parameter_offset(K, j) - first_offset<K>;
    return o;
  }
  // The sink node K's ∂θ go to, and where the sums so far are (at its first block).
  template <std::size_t K, class T, class Target>
  static constexpr auto gradient_sink(const Target& target) {
    if constexpr (Target::fused && !R::last_to_block[first_record<K>])
      return simd::store_sink<T>{target.sums(first_block<K>, first_offset<K>)};
    else
      return target.sink(first_offset<K>);
  }

  template <class Arch, std::size_t K, class T, class B, class Target, class Hook>
  static constexpr void backward_node(const B& b, T scale, const Target& target, bool tiles_add,
                                      const Hook& hook) {
    using Node = node<K>;
    if constexpr (table::loss[K]) {
      constexpr std::size_t e = table::edge_begin[K];
      const auto sink = adjoint_sink<e, T>(b);
      if (!sink.active()) return;
      hook.template before<K>(b);
      Node::template vjp<R::fused[e] == core::fusion::yes, Arch>(
          logits<K, T>(b), prediction<K, T>(b), b.t[G::loss_slot[K]], sink, b.n,
          scale * T(G::loss_weight[K]));
      hook.template after<K>(b);
    } else {
      constexpr std::size_t P = core::parameters_of<Node>::size;
      static_assert(blocks_in_order<K>, "ctnn: an op's parameter blocks must be named and shared together");
      std::array<bool, P> accumulate{};
      accumulate.fill(tiles_add || R::adds_to_block[first_record<K>]);
      const auto sinks = adjoint_sinks<K, T>(b);
      const auto grad = [&] {
        if constexpr (P > 0) return gradient_sink<K, T>(target);
        else return simd::skip_sink{};
      }();
      const T* g_in = nullptr;
      if constexpr (P > 0) g_in = target.sums(first_block<K>, first_offset<K>);
      using A = typename vjp_args_for<T, P, std::remove_cvref_t<decltype(grad)>,
                                      std::remove_cvref_t<decltype(sinks)>>::type;
      const A a{b.n,
                input_values<K, T>(b),
                value<K, T>(b),
                adjoint<K, T>(b),
                sinks,
                parameter_values<K, T>(b),
                parameter_offsets<K>(),
                accumulate,
                g_in,
                grad,
                b.mode,
                scale,
                work<K, T>(b)};
      Node::template vjp<Arch>(a);
    }
  }

  // Runs node K's step unless it only serves ∇ₓ of inputs the caller did not ask about.
  template <class Arch, std::size_t K, class T, class B, class Target, class Hook>
  static constexpr void backward_step(const B& b, T scale, const Target& target, bool tiles_add,
                                      const Hook& hook) {
    if constexpr (!R::always_needed(K)) {
      if constexpr (!B::input_gradients) return;
      if ((b.want & R::input_mask[K]) == 0) return;
    }
    backward_node<Arch, K, T>(b, scale, target, tiles_add, hook);
  }

  // The backward pass of a tile whose forward pass is in the workspace. tiles_add: earlier tiles'
  // gradient sums are in the target (else this tile's is the first). hook.before<K>(b) and
  // hook.after<K>(b) run around loss node K's vjp (the Gauss–Newton product gives the loss's
  // inputs their tangents for that step only: nn/hessian.hpp); by default nothing.
  template <class Arch, class T, class B, class Target, class Hook = no_loss_hook>
  static constexpr void backward(const B& b, T scale, const Target& target, bool tiles_add,
                                 const Hook& hook = {}) {
    [&]<std::size_t... S>(std::index_sequence<S...>) {
      (backward_step<Arch, R::steps[S], T>(b, scale, target, tiles_add, hook), ...);
    }(std::make_index_sequence<R::step_count>{});
  }
};

}  // namespace ctnn::exec
