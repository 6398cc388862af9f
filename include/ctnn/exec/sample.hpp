#pragma once
// One sample on a SIMD architecture: the passes of program.hpp with the ops' one-sample kernels
// where they have them (core/op.hpp: sample_kernels). The forward pass hands each such node's
// output to the next node as packs when that node reads it (no store and reload on the latency
// chain of the pass), and runs an elementwise node that is the only reader of such a node inside
// its kernel (the activation applied in registers). The backward pass calls vjp_sample, which
// takes ∂θ and δx in one pass over the parameters. Other nodes run their tile rules with n = 1.

#include <cstddef>
#include <tuple>
#include <type_traits>

#include "../core/op.hpp"
#include "../simd/matvec.hpp"
#include "../simd/sink.hpp"
#include "program.hpp"

namespace ctnn::exec {

template <class G, class Plan>
struct sample_program : program<G, Plan> {
  using base = program<G, Plan>;
  using typename base::R;
  using typename base::table;
  template <std::size_t K>
  using node = typename base::template node<K>;
  using base::behind;
  using base::forward_count;
  using base::forward_nodes;

  // Values of node Node held as packs.
  struct no_packs {
    static constexpr std::size_t node = core::none;
  };
  template <std::size_t Node, class Packs>
  struct carried {
    static constexpr std::size_t node = Node;
    Packs packs;
  };

  // Node x's values as packs: the carried ones when they are x's (or those of the node x is a
  // view of, with the same size), else loaded.
  template <class Arch, std::size_t X, class T, class B, class C>
  CTNN_INLINE_KERNEL static auto packs_of(const B& b, const C& carry) {
    constexpr std::size_t size = table::size[X];
    if constexpr (C::node != core::none && Plan::value_root[X] == Plan::value_root[C::node] &&
                  table::size[C::node] == size)
      return carry.packs;
    else
      return simd::load_vector<size, Arch>(base::template value<X, T>(b));
  }

  static constexpr bool sole_reader(std::size_t k, std::size_t reader) {
    return table::consumer_begin[k + 1] - table::consumer_begin[k] == 1 &&
           table::consumer[table::consumer_begin[k]] == reader;
  }
  // Whether the forward step after F is an elementwise node that only F's node feeds, and only it
  // reads: it then runs inside that node's kernel.
  template <std::size_t F>
  static constexpr bool epilogue_follows() {
    if constexpr (F + 1 >= forward_count) {
      return false;
    } else {
      constexpr std::size_t K = forward_nodes[F], U = forward_nodes[F + 1];
      return table::elementwise[U] && !table::loss[U] && behind(U) == K && sole_reader(K, U);
    }
  }

  // CTNN_INLINE_KERNEL (config.hpp) on the steps below: so that clang's flatten of a one-sample
  // pass reaches the ops' kernels through them (g++'s flatten does that by itself).
  template <class Arch, class T, std::size_t F, class B, class C>
  CTNN_INLINE_KERNEL static void forward_from(const B& b, const C& carry) {
    if constexpr (F < forward_count) {
      constexpr std::size_t K = forward_nodes[F];
      if constexpr (table::loss[K]) {
        forward_from<Arch, T, F + 1>(b, carry);
      } else if constexpr (core::has_sample_kernels<node<K>>()) {
        const auto x = packs_of<Arch, behind(K), T>(b, carry);
        const T* w = b.params + G::parameter_offset(K, 0);
        const T* bias = b.params + G::parameter_offset(K, 1);
        T* z = base::template value_out<K, T>(b);
        if constexpr (epilogue_follows<F>()) {
          constexpr std::size_t U = forward_nodes[F + 1];
          using f = typename node<U>::elementwise_function;
          const auto y = node<K>::template forward_sample<Arch, f>(w, bias, x, z,
                                                                   base::template value_out<U, T>(b));
          forward_from<Arch, T, F + 2>(b, carried<U, std::remove_cvref_t<decltype(y)>>{y});
        } else {
          const auto y = node<K>::template forward_sample<Arch, void>(w, bias, x, z, z);
          forward_from<Arch, T, F + 1>(b, carried<K, std::remove_cvref_t<decltype(y)>>{y});
        }
      } else {
        base::template forward_group<Arch, F, T>(b);
        forward_from<Arch, T, F + base::group_size[F]>(b, no_packs{});
      }
    }
  }

  template <class Arch, class T, class B>
  CTNN_INLINE_KERNEL static void forward(const B& b) {
    forward_from<Arch, T, 0>(b, no_packs{});
  }

  template <class Arch, std::size_t K, class T, class B, class Target>
  CTNN_INLINE_KERNEL static void backward_step(const B& b, T scale, const Target& target) {
    if constexpr (!R::always_needed(K)) {
      if constexpr (!B::input_gradients) return;
      if ((b.want & R::input_mask[K]) == 0) return;
    }
    if constexpr (core::has_sample_kernels<node<K>>()) {
      constexpr std::size_t r = base::template first_record<K>;
      const auto dx = std::get<0>(base::template adjoint_sinks<K, T>(b));
      const auto grad = base::template gradient_sink<K, T>(target);
      const T* w = b.params + G::parameter_offset(K, 0);
      const T* x = base::template value<behind(K), T>(b);
      const T* dz = base::template adjoint<K, T>(b);
      if constexpr (R::adds_to_block[r]) {
        const T* sums = target.sums(base::template first_block<K>, base::template first_offset<K>);
        node<K>::template vjp_sample<Arch>(
            w, x, dz, simd::accumulate_sink<T, std::remove_cvref_t<decltype(grad)>>{sums, grad}, dx);
      } else {
        node<K>::template vjp_sample<Arch>(w, x, dz, grad, dx);
      }
    } else {
      base::template backward_node<Arch, K, T>(b, scale, target, false, no_loss_hook{});
    }
  }

  template <class Arch, class T, class B, class Target>
  CTNN_INLINE_KERNEL static void backward(const B& b, T scale, const Target& target) {
    [&]<std::size_t... S>(std::index_sequence<S...>) CTNN_INLINE_LAMBDA {
      (backward_step<Arch, R::steps[S], T>(b, scale, target), ...);
    }(std::make_index_sequence<R::step_count>{});
  }
};

}  // namespace ctnn::exec
