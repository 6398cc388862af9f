#pragma once
// Reverse accumulation, derived from a graph's node table at compile time. The derivation reads
// only what ops declare (core/op.hpp); it never names an op.
//
// Seeds. The objective is Σ_k w_k L_k over loss nodes L_k (core/graph.hpp: loss_weight), so the
// adjoint of loss node k is w_k times the caller's scale (1/n for a batch mean): the sums that form
// the objective cost nothing at run time.
//
// What needs an adjoint. Gradient flows from a node into its inputs unless the node stops it
// (op::stop_gradient). A node is live when the objective's gradient reaches it, and it needs an
// adjoint when it is live and something wants a gradient behind it: a parameter (always), or a
// graph input (only when the caller asks for ∇ₓ of that input, which is decided at run time: such
// a step is guarded by the caller's request mask). Nothing else gets an adjoint: not the nodes
// behind a stop_gradient, not an input nobody asked about, not a branch that only feeds an output.
//
// Steps. The backward pass runs the vjp of every node that needs an adjoint, in reverse
// topological order, so that every contribution to a node's adjoint has arrived before its own
// vjp reads it. Views (reshape, flatten) have no step: their adjoint is their input's.
//
// Sums. Where a node fans out, its adjoint is the sum of its consumers' contributions: the first
// contribution in execution order writes, every later one adds. The same holds for a parameter
// block named by several nodes (shared weights): the first user's gradient writes, the others
// add; and for a graph input's ∇ₓ.
//
// Absorption (a lowering choice that the derivation must know, since it changes which step writes
// which adjoint). When an elementwise node U = f(P) has a single consumer C and C declares that it
// can take U's derivative into its own adjoint store (core/op.hpp: absorbs_input), U's step
// disappears: C's contribution goes straight to P's adjoint through f'(P, U), without storing δU.
// A loss node may likewise be fused with its input (fuses_input: δz = a − t for a cross-entropy
// after softmax or sigmoid). `maybe` marks a fusion that depends on the loss chosen at the call
// (graphs without an objective get their workspace planned for any loss).
//
// Correctness: this is the chain rule written as the adjoint recursion δu = Σ_{c ∈ consumers(u)}
// J_c,uᵀ δc. Processing nodes in reverse topological order guarantees every δc is final before
// J_c,uᵀ δc is formed; summing contributions gives the sum over consumers; absorption rewrites
// J_C,U·J_U,P into one product (the vjp of U is f'(P, U) ⊙ ·, applied inside C's store); views
// are identities on the stored values, so sharing their adjoint is the identity's vjp.

#include <array>
#include <cstddef>
#include <cstdint>

#include "../core/graph.hpp"

namespace ctnn::autodiff {

using core::none;

using core::fusion;
enum class contribution : unsigned char { skip, write, add };

// Fusion of a loss node with its input, as the loss op declares it.
template <class N>
constexpr fusion loss_fusion() {
  if constexpr (requires { N::fuses_input; }) return N::fuses_input;
  else return fusion::no;
}

template <class G>
struct reverse {
  using table = typename G::table;
  static constexpr std::size_t N = G::node_count;
  static constexpr std::size_t E = table::edge_count;

  static constexpr std::array<fusion, N> loss_fuses = []<class... M>(core::list<M...>) {
    return std::array<fusion, N>{loss_fusion<M>()...};
  }(typename G::nodes{});

  // ---- gradient flow ----
  static constexpr std::array<bool, N> leads_to_parameter = [] {
    std::array<bool, N> p{};
    for (std::size_t k = 0; k < N; ++k) {
      p[k] = table::record_begin[k + 1] > table::record_begin[k];
      if (!table::stops[k])
        for (std::size_t e = table::edge_begin[k]; e < table::edge_begin[k + 1]; ++e)
          p[k] = p[k] || p[table::edge[e]];
    }
    return p;
  }();
  static constexpr std::array<std::uint64_t, N> input_mask = [] {
    static_assert(G::input_count <= 64, "ctnn: a graph may have at most 64 inputs");
    std::array<std::uint64_t, N> m{};
    for (std::size_t k = 0; k < N; ++k) {
      if (G::input_slot[k] != none) m[k] = std::uint64_t{1} << G::input_slot[k];
      if (!table::stops[k])
        for (std::size_t e = table::edge_begin[k]; e < table::edge_begin[k + 1]; ++e)
          m[k] |= m[table::edge[e]];
    }
    return m;
  }();
  // The objective's gradient reaches k. Sums of losses are folded into the loss weights.
  static constexpr std::array<bool, N> live = [] {
    std::array<bool, N> l{};
    for (std::size_t k = N; k-- > 0;) {
      if (table::loss[k]) {
        l[k] = G::loss_weight[k] != 0;
      } else if (!G::objective_part[k]) {
        for (std::size_t c = table::consumer_begin[k]; c < table::consumer_begin[k + 1]; ++c) {
          const std::size_t by = table::consumer[c];
          l[k] = l[k] || (l[by] && !table::stops[by]);
        }
      }
    }
    return l;
  }();
  static constexpr bool always_needed(std::size_t k) { return live[k] && leads_to_parameter[k]; }
  static constexpr bool maybe_needed(std::size_t k) { return live[k] && (leads_to_parameter[k] || input_mask[k] != 0); }

  // The node holding k's adjoint: a view's is its input's.
  static constexpr std::array<std::size_t, N> root = [] {
    std::array<std::size_t, N> r{};
    for (std::size_t k = 0; k < N; ++k)
      r[k] = table::view[k] && !table::stops[k] ? r[table::edge[table::edge_begin[k]]] : k;
    return r;
  }();

  // Edges that carry a contribution: consumer live and not stopping, input root maybe needed.
  static constexpr std::array<std::size_t, E + 1> edge_consumer = [] {
    std::array<std::size_t, E + 1> c{};
    for (std::size_t k = 0; k < N; ++k)
      for (std::size_t e = table::edge_begin[k]; e < table::edge_begin[k + 1]; ++e) c[e] = k;
    return c;
  }();
  static constexpr bool carries(std::size_t e) {
    const std::size_t c = edge_consumer[e];
    const bool sum_of_losses = G::objective_part[c] && !table::loss[c];
    return live[c] && !table::stops[c] && !table::view[c] && !sum_of_losses &&
           maybe_needed(root[table::edge[e]]);
  }
  // Contributions into each root (views forward theirs to the root): count of carrying edges.
  static constexpr std::array<std::size_t, N> contributions_into = [] {
    std::array<std::size_t, N> n{};
    for (std::size_t e = 0; e < E; ++e)
      if (carries(e)) ++n[root[table::edge[e]]];
    return n;
  }();

  // fused[e]: edge e's input is absorbed into its consumer (its adjoint goes to the input's input).
  static constexpr std::array<fusion, E + 1> fused = [] {
    std::array<fusion, E + 1> f{};
    for (std::size_t e = 0; e < E; ++e) {
      f[e] = fusion::no;
      const std::size_t u = table::edge[e], c = edge_consumer[e];
      if (!carries(e) || root[u] != u || contributions_into[u] != 1) continue;
      if (table::input[u] || table::view[u] || table::input_count[u] != 1) continue;
      if (table::loss[c]) f[e] = loss_fuses[c];
      else if (table::absorbs[e] && table::elementwise[u]) f[e] = fusion::yes;
    }
    return f;
  }();
  static constexpr std::array<bool, N> absorbed = [] {
    std::array<bool, N> a{};
    for (std::size_t e = 0; e < E; ++e)
      if (fused[e] == fusion::yes) a[table::edge[e]] = true;
    return a;
  }();

  // A vjp step: live, needs an adjoint, not an input or view, not absorbed.
  static constexpr bool has_step(std::size_t k) {
    return maybe_needed(k) && !table::input[k] && !table::view[k] && !absorbed[k] &&
           !(G::objective_part[k] && !table::loss[k]);
  }
  static constexpr std::size_t step_count = [] {
    std::size_t n = 0;
    for (std::size_t k = 0; k < N; ++k) n += has_step(k);
    return n;
  }();
  // The backward pass: nodes in execution order (reverse topological).
  static constexpr std::array<std::size_t, step_count> steps = [] {
    std::array<std::size_t, step_count> s{};
    std::size_t at = 0;
    for (std::size_t k = N; k-- > 0;)
      if (has_step(k)) s[at++] = k;
    return s;
  }();
  static constexpr std::array<std::size_t, N> step_of = [] {
    std::array<std::size_t, N> s{};
    s.fill(none);
    for (std::size_t i = 0; i < step_count; ++i) s[steps[i]] = i;
    return s;
  }();

  // Where edge e's contribution goes: the root of its input, or through an absorbed input to the
  // root of that input's input.
  static constexpr std::size_t target(std::size_t e) {
    const std::size_t u = table::edge[e];
    return fused[e] == fusion::yes ? root[table::edge[table::edge_begin[u]]] : root[u];
  }
  // write for the first contribution to a target in execution order, add for later ones.
  static constexpr std::array<contribution, E + 1> mode = [] {
    std::array<contribution, E + 1> m{};
    std::array<bool, N> seen{};
    for (std::size_t i = 0; i < step_count; ++i) {
      const std::size_t c = steps[i];
      for (std::size_t e = table::edge_begin[c]; e < table::edge_begin[c + 1]; ++e) {
        if (!carries(e)) {
          m[e] = contribution::skip;
          continue;
        }
        const std::size_t t = target(e);
        m[e] = seen[t] ? contribution::add : contribution::write;
        seen[t] = true;
      }
    }
    return m;
  }();

  // Parameter blocks: whether a node's contribution to its j-th block adds to earlier users'
  // (shared weights), whether it is the block's last user, and whether any step reaches a block.
  static constexpr std::size_t records = table::record_count;
  static constexpr std::array<bool, records + 1> adds_to_block = [] {
    std::array<bool, records + 1> a{};
    std::array<bool, G::block_count + 1> seen{};
    for (std::size_t i = 0; i < step_count; ++i) {
      const std::size_t k = steps[i];
      for (std::size_t r = table::record_begin[k]; r < table::record_begin[k + 1]; ++r) {
        const std::size_t b = G::layout::block_of[r];
        a[r] = seen[b];
        seen[b] = true;
      }
    }
    return a;
  }();
  static constexpr std::array<bool, records + 1> last_to_block = [] {
    std::array<bool, records + 1> l{};
    std::array<bool, G::block_count + 1> seen{};
    for (std::size_t i = step_count; i-- > 0;) {
      const std::size_t k = steps[i];
      for (std::size_t r = table::record_begin[k]; r < table::record_begin[k + 1]; ++r) {
        const std::size_t b = G::layout::block_of[r];
        l[r] = !seen[b];
        seen[b] = true;
      }
    }
    return l;
  }();
  static constexpr std::array<bool, G::block_count + 1> block_reached = [] {
    std::array<bool, G::block_count + 1> s{};
    for (std::size_t i = 0; i < step_count; ++i)
      for (std::size_t r = table::record_begin[steps[i]]; r < table::record_begin[steps[i] + 1]; ++r)
        s[G::layout::block_of[r]] = true;
    return s;
  }();
  static constexpr bool every_block_reached = [] {
    for (std::size_t b = 0; b < G::block_count; ++b)
      if (!block_reached[b]) return false;
    return true;
  }();
  // Whether a block is used by more than one step (its partial sums need a place of their own in
  // a fused update).
  static constexpr std::array<bool, G::block_count + 1> shared_block = [] {
    std::array<std::size_t, G::block_count + 1> users{};
    for (std::size_t i = 0; i < step_count; ++i)
      for (std::size_t r = table::record_begin[steps[i]]; r < table::record_begin[steps[i] + 1]; ++r)
        ++users[G::layout::block_of[r]];
    std::array<bool, G::block_count + 1> s{};
    for (std::size_t b = 0; b < G::block_count; ++b) s[b] = users[b] > 1;
    return s;
  }();
};

}  // namespace ctnn::autodiff
