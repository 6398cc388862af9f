#pragma once
// The buffer plan: where each node's values and adjoint live in a workspace, chosen at compile
// time from the buffers' lifetimes, so that the workspace is a fixed-size array and buffers whose
// lifetimes do not overlap share memory.
//
// The timeline of a training pass over one tile: the forward steps (every computed node, in
// topological order), then the loss step (the losses' values, the outputs copied out), then the
// backward steps of reverse.hpp. A node's values live from its forward step to its last reader:
// a forward consumer, the loss step (an output, a loss's input, or the input behind a loss's
// activation, which the fused losses read), or a backward step whose vjp reads them (its own
// output, its inputs', an absorbed input's values for its derivative). An adjoint lives from its
// first contribution to its node's vjp. Inputs' values and ∇ₓ live in the caller's buffers; views
// share their input's buffers. Buffers are placed first-fit in order of birth, each on 64 bytes.
//
// A plan serves every pass run on the workspace (forward only, loss, gradient, one sample or a
// tile), and for a graph without an objective, every loss the caller may pass: it is made for the
// graph with a placeholder loss on each output that may or may not fuse with its input
// (fusion::maybe), keeping both the fused and the unfused buffers.

#include <algorithm>
#include <array>
#include <cstddef>

#include "../core/graph.hpp"
#include "reverse.hpp"

namespace ctnn::autodiff {

// ---- graphs with a loss on every output ------------------------------------------------------------

// The sum that makes several losses one objective (never evaluated: its weights are compile-time
// constants, core::graph_base::loss_weight).
template <class... L>
struct objective_sum {
  using inputs = core::list<L...>;
  using shape = ctnn::shape<1>;
  static constexpr std::array<double, sizeof...(L)> linear_coefficients = [] {
    std::array<double, sizeof...(L)> c{};
    c.fill(1.0);
    return c;
  }();
};

// Stands for the loss a caller passes to a graph without an objective: planning only.
template <class Prediction>
struct placeholder_loss {
  using inputs = core::list<Prediction>;
  using shape = ctnn::shape<1>;
  static constexpr bool is_loss = true;
  static constexpr fusion fuses_input = fusion::maybe;
};

template <class Net, template <class> class Loss, class Inputs, class Outputs>
struct with_loss_parts;
template <class Net, template <class> class Loss, class... I, class... O>
struct with_loss_parts<Net, Loss, core::list<I...>, core::list<O...>> {
  using objective_node = std::conditional_t<sizeof...(O) == 1, core::at_t<core::list<Loss<O>...>, 0>,
                                            objective_sum<Loss<O>...>>;
  using type = core::graph_base<ctnn::inputs<I...>, ctnn::outputs<O...>, ctnn::objective<objective_node>>;
};

// Net's inputs and outputs, with Loss<output> as the objective (summed over several outputs).
template <class Net, template <class> class Loss>
struct with_loss
    : with_loss_parts<Net, Loss, typename Net::input_nodes, typename Net::output_nodes>::type {
  using base_graph = Net;
};

// The graph a workspace of Net is planned for.
template <class Net>
struct planning_graph {
  using type = std::conditional_t<Net::has_objective, Net, with_loss<Net, placeholder_loss>>;
};
template <class Net, template <class> class Loss>
struct planning_graph<with_loss<Net, Loss>> {
  using type = with_loss<Net, placeholder_loss>;
};

// ---- first-fit placement -------------------------------------------------------------------------

struct interval {
  std::size_t length = 0, birth = 0, death = 0;  // [birth, death], inclusive
};

// Offsets for the intervals (length 0: none), each lowest-first, no two that are alive at the same
// time overlapping; returns the total length. Intervals are placed in order of birth.
template <std::size_t M>
constexpr std::size_t place(const std::array<interval, M>& items, std::array<std::size_t, M>& offset) {
  std::array<std::size_t, M> order{};
  for (std::size_t k = 0; k < M; ++k) order[k] = k;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return items[a].birth != items[b].birth ? items[a].birth < items[b].birth : a < b;
  });
  std::array<std::size_t, M> active{};  // placed and still alive, by offset
  std::size_t active_count = 0, total = 0;
  for (std::size_t k : order) {
    offset[k] = core::none;
    const interval& it = items[k];
    if (it.length == 0) continue;
    std::size_t kept = 0;
    for (std::size_t a = 0; a < active_count; ++a)
      if (items[active[a]].death >= it.birth) active[kept++] = active[a];
    active_count = kept;
    std::size_t at = 0, slot = 0;
    for (; slot < active_count; ++slot) {
      if (offset[active[slot]] >= at + it.length) break;
      at = std::max(at, offset[active[slot]] + items[active[slot]].length);
    }
    offset[k] = at;
    for (std::size_t a = active_count; a > slot; --a) active[a] = active[a - 1];
    active[slot] = k;
    ++active_count;
    total = std::max(total, at + it.length);
  }
  return total;
}

constexpr std::size_t round_up(std::size_t n, std::size_t unit) { return (n + unit - 1) / unit * unit; }

// ---- the plan ----------------------------------------------------------------------------------

template <class G, std::size_t Tile, std::size_t Align>
struct plan {
  using graph = G;
  using R = reverse<G>;
  using table = typename G::table;
  static constexpr std::size_t N = G::node_count;

  // The node whose values k's are (views read their input's).
  static constexpr std::array<std::size_t, N> value_root = [] {
    std::array<std::size_t, N> r{};
    for (std::size_t k = 0; k < N; ++k) r[k] = table::view[k] ? r[table::edge[table::edge_begin[k]]] : k;
    return r;
  }();
  static constexpr bool computed(std::size_t k) {
    return !table::input[k] && !table::view[k] && !G::objective_part[k];
  }
  static constexpr auto pointwise = []<class... M>(core::list<M...>) {
    return std::array<bool, sizeof...(M)>{core::is_pointwise<M>()...};
  }(typename G::nodes{});
  static constexpr std::array<std::size_t, N> forward_time = [] {
    std::array<std::size_t, N> t{};
    std::size_t at = 0;
    for (std::size_t k = 0; k < N; ++k) t[k] = computed(k) ? at++ : core::none;
    return t;
  }();
  static constexpr std::size_t loss_time = [] {
    std::size_t n = 0;
    for (std::size_t k = 0; k < N; ++k) n += computed(k);
    return n;
  }();
  static constexpr std::size_t backward_time(std::size_t step) { return loss_time + 1 + step; }

  // Forward steps that may run as one loop or one kernel (a run): consecutive pointwise nodes of
  // one size (exec/program.hpp: groups) and a node followed by an elementwise node that only it
  // feeds and only it reads (exec/sample.hpp: epilogues). A run writes a member's values while
  // other members still read their inputs, so each member's values are born at the run's first
  // step and each read by a member counts at its last. A run is joined whichever way a pass cuts
  // it into groups, so the plan holds for every pass.
  static constexpr bool joined(std::size_t k, std::size_t u) {  // u the computed node after k
    const bool pointwise_pair = pointwise[k] && pointwise[u] && table::size[k] == table::size[u];
    const bool epilogue = table::elementwise[u] && table::input_count[u] == 1 &&
                          table::edge[table::edge_begin[u]] == k &&
                          table::consumer_begin[k + 1] - table::consumer_begin[k] == 1;
    return pointwise_pair || epilogue;
  }
  struct run_bounds {
    std::array<std::size_t, N> first{}, last{};  // by node: its run's first and last step
  };
  static constexpr run_bounds runs = [] {
    run_bounds u;
    std::array<std::size_t, N> order{};  // computed nodes by forward time
    std::size_t count = 0;
    for (std::size_t k = 0; k < N; ++k)
      if (computed(k)) order[count++] = k;
    for (std::size_t f = 0; f < count;) {
      std::size_t e = f;
      while (e + 1 < count && joined(order[e], order[e + 1])) ++e;
      for (std::size_t j = f; j <= e; ++j) u.first[order[j]] = f, u.last[order[j]] = e;
      f = e + 1;
    }
    return u;
  }();

  // The node a loss (or absorbed input) reads through: U's input P, when U has exactly one.
  static constexpr std::size_t behind(std::size_t u) {
    return table::input_count[u] == 1 && !table::input[u] ? table::edge[table::edge_begin[u]] : core::none;
  }

  static constexpr std::array<std::size_t, N> value_death = [] {
    std::array<std::size_t, N> d{};
    auto read = [&](std::size_t k, std::size_t time) {
      if (k == core::none) return;
      const std::size_t r = value_root[k];
      if (computed(r)) d[r] = std::max(d[r], time);
    };
    for (std::size_t k = 0; k < N; ++k) {
      if (computed(k)) read(k, runs.last[k]);
      const bool loss = table::loss[k];
      for (std::size_t e = table::edge_begin[k]; e < table::edge_begin[k + 1]; ++e) {
        const std::size_t u = table::edge[e];
        if (computed(k)) read(u, runs.last[k]);
        if (loss) {
          read(u, loss_time);
          read(behind(u), loss_time);
        }
      }
    }
    for (std::size_t o : G::output_index) read(o, loss_time);
    for (std::size_t s = 0; s < R::step_count; ++s) {
      const std::size_t k = R::steps[s], time = backward_time(s);
      if (table::reads_output[k] || table::loss[k]) read(k, time);
      for (std::size_t e = table::edge_begin[k]; e < table::edge_begin[k + 1]; ++e) {
        const std::size_t u = table::edge[e];
        if (table::reads_inputs[k] || table::loss[k]) read(u, time);
        if (R::fused[e] != fusion::no || table::loss[k]) {
          read(u, time);
          read(behind(u), time);
        }
      }
    }
    return d;
  }();

  // Adjoints: roots that may need one, held in the workspace (not an input's, not absorbed).
  static constexpr bool has_adjoint(std::size_t k) {
    return R::maybe_needed(k) && R::root[k] == k && !table::input[k] && !R::absorbed[k] &&
           !G::objective_part[k];
  }
  static constexpr std::array<std::size_t, N> adjoint_birth = [] {
    std::array<std::size_t, N> b{};
    b.fill(core::none);
    for (std::size_t s = 0; s < R::step_count; ++s) {
      const std::size_t k = R::steps[s], time = backward_time(s);
      for (std::size_t e = table::edge_begin[k]; e < table::edge_begin[k + 1]; ++e) {
        if (R::mode[e] == contribution::skip) continue;
        const std::size_t t = R::target(e);
        b[t] = std::min(b[t], time);
        if (R::fused[e] == fusion::maybe) {  // a fused loss would write the input's input
          const std::size_t p = behind(table::edge[e]);
          if (p != core::none) b[R::root[p]] = std::min(b[R::root[p]], time);
        }
      }
    }
    return b;
  }();

  static constexpr std::size_t unit = Align;
  // What ops keep after their values (core::work_size) for a tile of `tile` samples, for passes
  // with a backward half or (inference) without.
  static constexpr auto work_for(std::size_t tile, bool backward) {
    return [tile, backward]<class... M>(core::list<M...>) {
      return std::array<std::size_t, sizeof...(M)>{core::work_size<M>(tile, backward)...};
    }(typename G::nodes{});
  }
  static constexpr auto work = work_for(Tile, true);
  // Buffers 0 .. N-1 are values (and work), N .. 2N-1 adjoints.
  static constexpr auto intervals = [] {
    std::array<interval, 2 * N> items{};
    for (std::size_t k = 0; k < N; ++k) {
      if (computed(k))
        items[k] = {round_up(Tile * table::size[k] + work[k], unit), runs.first[k], value_death[k]};
      if (has_adjoint(k) && adjoint_birth[k] != core::none) {
        const std::size_t death = R::step_of[k] != core::none ? backward_time(R::step_of[k]) : adjoint_birth[k];
        items[N + k] = {round_up(Tile * table::size[k], unit), adjoint_birth[k], death};
      }
    }
    return items;
  }();
  struct placement {
    std::array<std::size_t, 2 * N> offset{};
    std::size_t total = 0;
  };
  static constexpr placement placed = [] {
    placement p;
    p.total = place(intervals, p.offset);
    return p;
  }();
  static constexpr std::size_t value_offset(std::size_t k) { return placed.offset[value_root[k]]; }
  static constexpr std::size_t adjoint_offset(std::size_t k) { return placed.offset[N + k]; }

  // Partial sums of shared parameter blocks for a fused update (exec/): one region per shared
  // block, after the buffers.
  static constexpr std::array<std::size_t, G::block_count + 1> scratch_offset = [] {
    std::array<std::size_t, G::block_count + 1> o{};
    std::size_t at = placed.total;
    for (std::size_t b = 0; b < G::block_count; ++b) {
      o[b] = R::shared_block[b] ? at : core::none;
      if (R::shared_block[b]) at += round_up(G::layout::offset[b + 1] - G::layout::offset[b], unit);
    }
    o[G::block_count] = at;
    return o;
  }();
  static constexpr std::size_t size = scratch_offset[G::block_count];
};

// The plan of a forward pass alone on one sample (inference): values live to their last forward
// reader or, for outputs, to the end.
template <class G, std::size_t Align>
struct forward_plan {
  using graph = G;
  using table = typename G::table;
  static constexpr std::size_t N = G::node_count;
  using full = plan<G, 1, Align>;
  static constexpr auto value_root = full::value_root;
  static constexpr auto intervals = [] {
    std::array<interval, N> items{};
    std::array<std::size_t, N> death{};
    for (std::size_t k = 0; k < N; ++k) {
      if (full::computed(k)) death[k] = full::runs.last[k];
      if (full::computed(k))
        for (std::size_t e = table::edge_begin[k]; e < table::edge_begin[k + 1]; ++e) {
          const std::size_t r = full::value_root[table::edge[e]];
          if (full::computed(r)) death[r] = std::max(death[r], full::runs.last[k]);
        }
    }
    for (std::size_t o : G::output_index)
      if (full::computed(full::value_root[o])) death[full::value_root[o]] = full::loss_time;
    constexpr auto work = full::work_for(1, false);
    for (std::size_t k = 0; k < N; ++k)
      if (full::computed(k))
        items[k] = {round_up(table::size[k] + work[k], Align), full::runs.first[k], death[k]};
    return items;
  }();
  struct placement {
    std::array<std::size_t, N> offset{};
    std::size_t total = 0;
  };
  static constexpr placement placed = [] {
    placement p;
    p.total = place(intervals, p.offset);
    return p;
  }();
  static constexpr std::size_t value_offset(std::size_t k) { return placed.offset[full::value_root[k]]; }
  static constexpr std::size_t adjoint_offset(std::size_t) { return core::none; }
  static constexpr std::size_t size = placed.total;
};

}  // namespace ctnn::autodiff
