#pragma once
// Randomly generated graph types (DAGs), for laws that must hold for every graph:
//
//   using r = laws::random_dag<7>;
//   r::graph    ctnn::graph<[ctnn::inputs<..>,] ctnn::outputs<..>, ctnn::objective<..>>
//   r::plan     the choices, as constexpr data (laws::describe(r::plan) prints them)
//
// A constexpr generator (splitmix64, seeded from Seed) builds each graph from motifs applied to a
// pool of nodes, starting from one or two inputs:
//   dense          a dense node, maybe followed by an activation (every one ctnn has, and softmax)
//   residual       h + f(dense(h)) or a difference of the two (a bottleneck pair of dense nodes
//                  when h is too wide for a square W)
//   gate           h ⊙ f(dense(g)), sometimes h ⊙ h (a node read twice by one consumer)
//   concat, slice  of rank-1 nodes (concat<h, h> included), with ragged widths
//   view           reshape to rank 2, maybe a slice of rows, flatten back
//   shared         two dense nodes with one name on two different nodes of one width, and a dense
//                  node that reuses the name of an earlier one elsewhere in the graph
//   scale, sub     y = r·h, y = a − b
//   softmax mix    softmax(dense(a)) ⊙ dense(b): a softmax inside the graph
// Operands are drawn from the pool, half the time the newest node nobody reads yet, else any (so
// nodes fan out). Nodes are interned: a node equal to an existing one is that node, as its type
// would be. At the end every node nobody reads is concatenated (or first narrowed by a dense
// node) into one, so every node reaches the objective. Heads: one or two dense nodes, each with
// a final activation and a loss that fits it (squared_error anywhere; the cross-entropies on
// logits, sigmoid or softmax); a second head may read the first head's activation (so that loss
// cannot be fused with it) or be the same node with a second loss. Two losses form a weighted
// objective, mostly op::add<op::scale<l1, r>, l2>. Sometimes an extra output feeds no loss (its
// parameters' gradient is 0). Inputs are sometimes declared with ctnn::inputs<...>, in reverse.
//
// Widths go up to 300, so that the SIMD kernels take every branch (rows longer than 64 inputs,
// column chunks, more than 8 output packs, part packs); a dense node's W has at most
// dense_budget entries and a graph at most parameter_budget parameters, and the batch sizes a
// graph is checked with are chosen from an estimate of the law's cost (check_cost), so that
// each check stays short. dag_coverage_of(seeds) summarises a set of seeds, for static_asserts.

#include <array>
#include <cstddef>
#include <cstdint>
#include <ctnn/ctnn.hpp>
#include <ratio>
#include <sstream>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "gradcheck.hpp"
#include "random_network.hpp"

namespace laws {

namespace dag {

enum class op_kind : unsigned char {
  input, dense, activation, add, sub, mul, scale, concat, slice, reshape, flatten
};

inline constexpr std::size_t max_nodes = 48;
inline constexpr std::size_t max_arity = 4;
inline constexpr std::size_t max_width = 300;
inline constexpr std::size_t dense_budget = 4800;      // entries of one W
inline constexpr std::size_t parameter_budget = 12000;  // parameters of one graph
inline constexpr std::size_t softmax_index = 12;        // activation_at<12> is ctnn::softmax
inline constexpr std::size_t none = static_cast<std::size_t>(-1);

using ratios = std::tuple<std::ratio<1, 2>, std::ratio<-3, 4>, std::ratio<2>, std::ratio<5, 3>,
                          std::ratio<-1>>;
inline constexpr std::size_t ratio_count = std::tuple_size_v<ratios>;
template <std::size_t R>
using ratio_at = std::tuple_element_t<R, ratios>;
inline constexpr const char* ratio_names[ratio_count] = {"1/2", "-3/4", "2", "5/3", "-1"};

struct node_plan {
  op_kind kind = op_kind::input;
  std::array<std::size_t, max_arity> in{};
  std::size_t arity = 0;
  std::size_t width = 0;  // values per sample
  std::size_t rows = 0;   // outer dimension of a rank-2 node (0: rank 1)
  std::size_t p0 = 0;     // input: slot; dense: name id; activation: index; scale: ratio; slice: begin
  std::size_t p1 = 0;     // slice: end

  constexpr bool operator==(const node_plan&) const = default;
};

// How two losses form the objective.
enum class objective_form : unsigned char {
  single,          // l1
  single_scaled,   // r·l1
  add_scaled,      // op::add<op::scale<l1, r>, l2>
  add_scaled_2,    // op::add<l1, op::scale<l2, r>>
  sub_scaled,      // op::sub<op::scale<l1, r>, l2>
  scaled_sum,      // op::scale<op::add<l1, l2>, r>
};

// Batch sizes of the law: several tiles of the default 32-sample workspace.
inline constexpr std::array<std::size_t, 4> batch_sizes{1, 3, 33, 70};

struct dag_plan {
  std::array<node_plan, max_nodes> node{};
  std::size_t count = 0;
  std::size_t inputs = 1;                  // input nodes are nodes 0 (x) and 1 (u)
  bool declare_inputs = false;             // ctnn::inputs<...> given
  bool reversed_inputs = false;            // ... as inputs<u, x>
  std::size_t heads = 1;
  std::array<std::size_t, 2> head{};       // the loss nodes' inputs
  std::array<loss_kind, 2> loss{};
  objective_form objective = objective_form::single;
  std::size_t weight = 0;                  // ratio index of the objective's weight
  std::size_t extra_output = none;         // an output that feeds no loss
  bool shared_distant = false;             // a dense reuses an earlier node's name elsewhere
  // The law's runs.
  std::array<bool, batch_sizes.size()> batch{};  // float and double
  bool float_sample = false;               // one sample in float (double always)
  bool scalar = false;                     // scalar_arch: one sample and a batch, both types
  std::size_t scalar_batch = 3;
  std::size_t parameters = 0;
  std::size_t input_width = 0;             // all inputs' values per sample
  double flops = 0;                        // per sample, forward
  std::size_t attempt = 0;                 // generator attempts before this plan
};

// "w07": the dense nodes' parameter block names.
constexpr ctnn::name<4> block_name(std::size_t id) {
  ctnn::name<4> n;
  n.chars[0] = 'w';
  n.chars[1] = static_cast<char>('0' + id / 10 % 10);
  n.chars[2] = static_cast<char>('0' + id % 10);
  n.chars[3] = 0;
  return n;
}
constexpr ctnn::name<2> input_name(std::size_t slot) {
  return slot == 0 ? ctnn::name<2>("x") : ctnn::name<2>("u");
}

// ---- cost of the law on a plan ---------------------------------------------------------------

// Forward flops per sample, dense nodes counted as 2·In·Out, everything else as a few per value.
constexpr double forward_flops(const dag_plan& p) {
  double f = 0;
  for (std::size_t k = 0; k < p.count; ++k) {
    const node_plan& n = p.node[k];
    if (n.kind == op_kind::dense) f += 2.0 * double(p.node[n.in[0]].width) * double(n.width);
    else f += 8.0 * double(n.width);
  }
  return f;
}
// The law's work for a batch of n: four loss evaluations per checked entry.
constexpr double check_cost(const dag_plan& p, std::size_t n) {
  return 4.0 * (double(p.parameters) + double(n) * double(p.input_width)) * double(n) * p.flops;
}
inline constexpr double cost_budget = 3e9;  // per check, in flops of the double loss

// ---- the generator ------------------------------------------------------------------------------

struct generator {
  dag_plan plan;
  random_stream rng;
  std::array<std::size_t, max_nodes> readers{};
  std::array<std::size_t, max_nodes> dense_in{};  // dense name id → In (for name reuse)
  std::array<std::size_t, max_nodes> dense_out{};
  std::array<std::size_t, max_nodes> dense_operand{};
  std::size_t names = 0;
  bool failed = false;

  constexpr explicit generator(std::uint64_t seed) : plan{}, rng(seed) {}

  constexpr std::size_t width(std::size_t k) const { return plan.node[k].width; }
  constexpr bool rank1(std::size_t k) const { return plan.node[k].rows == 0; }

  constexpr std::size_t add(const node_plan& n) {
    for (std::size_t k = 0; k < plan.count; ++k)
      if (plan.node[k] == n) return k;
    if (plan.count == max_nodes) {
      failed = true;
      return 0;
    }
    plan.node[plan.count] = n;
    for (std::size_t j = 0; j < n.arity; ++j) ++readers[n.in[j]];
    return plan.count++;
  }

  // Widths: edges of the SIMD loops (a lane, a whole float or double register, one more or
  // less), anything small, or wide (more than 64 values: long rows and several column chunks).
  constexpr std::size_t pick_width() {
    constexpr std::size_t edges[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33};
    constexpr std::size_t wide[] = {65, 67, 80, 96, 100, 129, 150, 193, 200, 255, 257, 300};
    const std::size_t r = rng.below(10);
    if (r < 4) return edges[rng.below(std::size(edges))];
    if (r < 7) return 1 + rng.below(40);
    return wide[rng.below(std::size(wide))];
  }
  // A dense output width for In inputs within the budget of W.
  constexpr std::size_t fit(std::size_t in, std::size_t out) const {
    const std::size_t most = dense_budget / in;
    return out <= most ? out : (most == 0 ? 1 : most);
  }
  constexpr std::size_t pick_out(std::size_t in) {
    std::size_t w = fit(in, pick_width());
    // A wide input with a wide output would be cut to the budget every time: sometimes take a
    // small one instead, so that In > 64 meets Out = 1, 3, ... too.
    if (in > 64 && rng.below(3) == 0) w = fit(in, 1 + rng.below(17));
    return w;
  }

  // An operand: half the time the newest rank-1 node nobody reads, else any rank-1 node.
  constexpr std::size_t pick() {
    if (rng.below(2) == 0)
      for (std::size_t k = plan.count; k-- > 0;)
        if (readers[k] == 0 && rank1(k)) return k;
    for (;;) {
      const std::size_t k = rng.below(plan.count);
      if (rank1(k)) return k;
    }
  }

  constexpr std::size_t dense(std::size_t x, std::size_t out, std::size_t id) {
    node_plan n{op_kind::dense, {x}, 1, out, 0, id, 0};
    dense_in[id] = width(x);
    dense_out[id] = out;
    dense_operand[id] = x;
    return add(n);
  }
  constexpr std::size_t new_dense(std::size_t x, std::size_t out) {
    if (names >= max_nodes) {
      failed = true;
      return 0;
    }
    return dense(x, out, names++);
  }
  constexpr std::size_t activation(std::size_t x, std::size_t a) {
    return add({op_kind::activation, {x}, 1, width(x), 0, a, 0});
  }
  // softmax only on 2 values or more (of one value it is the constant 1).
  constexpr std::size_t random_activation(std::size_t x, bool allow_softmax = true) {
    const std::size_t a = rng.below(allow_softmax && width(x) >= 2 ? no_activation : softmax_index);
    return activation(x, a);
  }
  // Maybe an activation after x (a quarter of the time none).
  constexpr std::size_t maybe_activation(std::size_t x) {
    return rng.below(4) == 0 ? x : random_activation(x);
  }
  constexpr std::size_t binary(op_kind k, std::size_t a, std::size_t b) {
    return add({k, {a, b}, 2, width(a), 0, 0, 0});
  }
  constexpr std::size_t scale(std::size_t x, std::size_t r) {
    return add({op_kind::scale, {x}, 1, width(x), 0, r, 0});
  }
  // A node of width w from x: x itself, or a dense node (through a bottleneck when a direct W
  // would exceed the budget).
  constexpr std::size_t to_width(std::size_t x, std::size_t w) {
    if (width(x) * w <= dense_budget) return new_dense(x, w);
    const std::size_t k = fit(width(x) > w ? width(x) : w, 1 + rng.below(12));
    return new_dense(maybe_activation(new_dense(x, k)), w);
  }

  // ---- motifs ----
  constexpr void motif_dense_act() {
    const std::size_t x = pick();
    maybe_activation(new_dense(x, pick_out(width(x))));
  }
  constexpr void motif_residual() {
    const std::size_t h = pick();
    const std::size_t r = random_activation(to_width(h, width(h)));
    switch (rng.below(3)) {
      case 0: binary(op_kind::add, h, r); break;
      case 1: binary(op_kind::add, r, h); break;
      default: rng.below(2) == 0 ? binary(op_kind::sub, h, r) : binary(op_kind::sub, r, h); break;
    }
  }
  constexpr void motif_gate() {
    const std::size_t h = pick();
    if (rng.below(5) == 0) {
      binary(op_kind::mul, h, h);
      return;
    }
    const std::size_t g = random_activation(to_width(pick(), width(h)));
    rng.below(2) == 0 ? binary(op_kind::mul, h, g) : binary(op_kind::mul, g, h);
  }
  constexpr void motif_concat() {
    node_plan n{op_kind::concat, {}, 0, 0, 0, 0, 0};
    const std::size_t arity = 2 + rng.below(3);
    for (std::size_t j = 0; j < arity; ++j) {
      const std::size_t x = (j > 0 && rng.below(6) == 0) ? n.in[j - 1] : pick();
      if (n.width + width(x) > max_width) break;
      n.in[n.arity++] = x;
      n.width += width(x);
    }
    if (n.arity == 0) return;
    maybe_activation(add(n));
  }
  constexpr void motif_slice() {
    const std::size_t h = pick();
    const std::size_t w = width(h);
    if (w < 2) return;
    const std::size_t begin = rng.below(w - 1);
    const std::size_t end = begin + 1 + rng.below(w - begin);
    const std::size_t s = add({op_kind::slice, {h}, 1, end - begin, 0, begin, end});
    if (rng.below(2) == 0) random_activation(s);
  }
  constexpr void motif_view() {
    const std::size_t h = pick();
    const std::size_t w = width(h);
    std::size_t rows = 0;
    for (std::size_t r = 2; r * 2 <= w && rows == 0; ++r)
      if (w % r == 0 && rng.below(2) == 0) rows = r;
    for (std::size_t r = 2; r * 2 <= w && rows == 0; ++r)
      if (w % r == 0) rows = r;
    if (rows == 0) return;
    const std::size_t columns = w / rows;
    std::size_t v = add({op_kind::reshape, {h}, 1, w, rows, 0, 0});
    if (rng.below(2) == 0) {
      const std::size_t begin = rng.below(rows);
      const std::size_t end = begin + 1 + rng.below(rows - begin);
      v = add({op_kind::slice, {v}, 1, (end - begin) * columns, end - begin, begin, end});
    }
    const std::size_t f = add({op_kind::flatten, {v}, 1, width(v), 0, 0, 0});
    if (rng.below(2) == 0) random_activation(f);
  }
  constexpr void motif_shared() {
    const std::size_t u = pick();
    const std::size_t w = width(u);
    // Another rank-1 node of the same width, or an activation of u.
    std::size_t v = none, candidates = 0;
    for (std::size_t k = 0; k < plan.count; ++k)
      if (k != u && rank1(k) && width(k) == w) ++candidates;
    if (candidates > 0) {
      std::size_t at = rng.below(candidates);
      for (std::size_t k = 0; k < plan.count && v == none; ++k)
        if (k != u && rank1(k) && width(k) == w && at-- == 0) v = k;
    } else {
      v = rng.below(3) == 0 ? scale(u, rng.below(ratio_count)) : random_activation(u, false);
    }
    if (names >= max_nodes) {
      failed = true;
      return;
    }
    const std::size_t id = names++;
    const std::size_t out = pick_out(w);
    const std::size_t a = dense(u, out, id), b = dense(v, out, id);
    switch (rng.below(4)) {
      case 0: binary(op_kind::add, a, b); break;
      case 1: binary(op_kind::mul, a, random_activation(b)); break;
      case 2: binary(op_kind::sub, random_activation(a), b); break;
      default:
        if (2 * out <= max_width) add({op_kind::concat, {a, b}, 2, 2 * out, 0, 0, 0});
        break;
    }
  }
  // A dense node reusing the name of an earlier one on another node of its input width.
  constexpr void motif_shared_distant() {
    for (std::size_t tries = 0; tries < 4; ++tries) {
      if (names == 0) return;
      const std::size_t id = rng.below(names);
      for (std::size_t k = 0; k < plan.count; ++k) {
        if (k == dense_operand[id] || !rank1(k) || width(k) != dense_in[id]) continue;
        const std::size_t d = dense(k, dense_out[id], id);
        maybe_activation(d);
        plan.shared_distant = true;
        return;
      }
    }
  }
  // (Each draw in a statement of its own: the order in which a call's arguments are evaluated is
  // unspecified, and g++ takes another order in constant evaluation than at run time.)
  constexpr void motif_scale() {
    const std::size_t x = pick();
    scale(x, rng.below(ratio_count));
  }
  constexpr void motif_sub() {
    const std::size_t a = pick();
    const std::size_t b = random_activation(to_width(pick(), width(a)), false);
    binary(op_kind::sub, a, b);
  }
  constexpr void motif_softmax_mix() {
    const std::size_t a = pick();
    const std::size_t w = 2 + rng.below(30);
    const std::size_t s = activation(new_dense(a, fit(width(a), w)), softmax_index);
    const std::size_t t = random_activation(to_width(pick(), width(s)), false);
    binary(op_kind::mul, s, t);
  }

  constexpr void motif() {
    switch (rng.below(12)) {
      case 0: case 1: motif_dense_act(); break;
      case 2: motif_residual(); break;
      case 3: motif_gate(); break;
      case 4: motif_concat(); break;
      case 5: motif_slice(); break;
      case 6: motif_view(); break;
      case 7: motif_shared(); break;
      case 8: motif_shared_distant(); break;
      case 9: motif_scale(); break;
      case 10: motif_sub(); break;
      default: motif_softmax_mix(); break;
    }
  }

  // Every node nobody reads, joined into one: concatenated while the width allows, else
  // narrowed by a dense node first.
  constexpr std::size_t merge() {
    for (;;) {
      std::array<std::size_t, max_nodes> open{};
      std::size_t count = 0;
      for (std::size_t k = 0; k < plan.count; ++k)
        if (readers[k] == 0) open[count++] = k;
      if (failed || count == 0) return 0;
      if (count == 1) return open[0];
      node_plan n{op_kind::concat, {}, 0, 0, 0, 0, 0};
      for (std::size_t j = 0; j < count && n.arity < max_arity; ++j) {
        if (n.width + width(open[j]) > max_width) continue;
        n.in[n.arity++] = open[j];
        n.width += width(open[j]);
      }
      if (n.arity >= 2) {
        add(n);
      } else {
        // The widest open node is narrowed.
        std::size_t widest = open[0];
        for (std::size_t j = 1; j < count; ++j)
          if (width(open[j]) > width(widest)) widest = open[j];
        maybe_activation(new_dense(widest, fit(width(widest), 1 + rng.below(24))));
      }
    }
  }

  // A head: a dense node and its final activation, with a loss that fits.
  constexpr std::size_t head(std::size_t from, loss_kind& loss) {
    constexpr std::size_t head_widths[] = {1, 2, 3, 5, 8, 9, 16, 17, 33};
    std::size_t out = head_widths[rng.below(std::size(head_widths))];
    if (rng.below(8) == 0) out = 65 + rng.below(40);
    out = fit(width(from), out);
    const std::size_t z = new_dense(from, out);
    constexpr std::size_t identity = activation_index<ctnn::identity>;
    constexpr std::size_t sigmoid = activation_index<ctnn::sigmoid>;
    constexpr std::size_t friendly[4] = {no_activation, identity, sigmoid, softmax_index};
    std::size_t a = rng.below(2) == 0 ? friendly[rng.below(4)] : rng.below(activation_kinds);
    // Not a constant (softmax of one value), nor a relu that a few samples may all switch off
    // (then nothing moves the objective, and the law has nothing to compare).
    if (a == softmax_index && out < 2) a = sigmoid;
    if (a == activation_index<ctnn::relu> && out < 8) a = activation_index<ctnn::leaky_relu<>>;
    const std::size_t y = a == no_activation ? z : activation(z, a);
    const bool logits = a == no_activation || a == identity;
    loss_kind choices[2] = {};
    std::size_t n = 0;
    if ((a == softmax_index || logits) && out >= 2) choices[n++] = loss_kind::softmax_cross_entropy;
    if (a == sigmoid || logits) choices[n++] = loss_kind::binary_cross_entropy;
    loss = n > 0 && rng.below(4) != 0 ? choices[rng.below(n)] : loss_kind::squared_error;
    return y;
  }

  // Another loss that fits head y besides `used`, or `used` when there is none.
  constexpr loss_kind second_loss(std::size_t y, loss_kind used) const {
    const node_plan& n = plan.node[y];
    const bool activated = n.kind == op_kind::activation;
    const bool logits = !activated || n.p0 == activation_index<ctnn::identity>;
    const bool sigmoid = activated && n.p0 == activation_index<ctnn::sigmoid>;
    const bool softmax = activated && n.p0 == softmax_index;
    if (used != loss_kind::squared_error) return loss_kind::squared_error;
    if (logits || sigmoid) return loss_kind::binary_cross_entropy;
    if (softmax && n.width >= 2) return loss_kind::softmax_cross_entropy;
    return used;
  }

  constexpr void run() {
    plan.inputs = 1 + rng.below(2);
    for (std::size_t s = 0; s < plan.inputs; ++s)
      add({op_kind::input, {}, 0, rng.below(3) == 0 ? 1 + rng.below(12) : pick_width(), 0, s, 0});
    plan.declare_inputs = rng.below(2) == 0;
    plan.reversed_inputs = plan.declare_inputs && plan.inputs == 2 && rng.below(2) == 0;
    const std::size_t motifs = 3 + rng.below(5);
    for (std::size_t m = 0; m < motifs && !failed; ++m) motif();
    const std::size_t joined = merge();
    plan.heads = 1 + rng.below(2);
    plan.head[0] = head(joined, plan.loss[0]);
    if (plan.heads == 2) {
      const std::size_t r = rng.below(8);
      const loss_kind other = second_loss(plan.head[0], plan.loss[0]);
      if (r == 0 && other != plan.loss[0]) {
        // A second loss on the first head's node.
        plan.head[1] = plan.head[0];
        plan.loss[1] = other;
      } else {
        // The second head reads the join, the first head's output, or any node.
        std::size_t from = joined;
        if (r <= 3 && plan.node[plan.head[0]].kind == op_kind::activation) from = plan.head[0];
        else if (r <= 5) from = pick();
        plan.head[1] = head(from, plan.loss[1]);
      }
      constexpr objective_form forms[] = {objective_form::add_scaled, objective_form::add_scaled,
                                          objective_form::add_scaled, objective_form::add_scaled_2,
                                          objective_form::sub_scaled, objective_form::scaled_sum};
      plan.objective = forms[rng.below(std::size(forms))];
    } else {
      plan.objective = rng.below(4) == 0 ? objective_form::single_scaled : objective_form::single;
    }
    plan.weight = rng.below(ratio_count);
    if (rng.below(4) == 0) {
      const std::size_t from = pick();
      plan.extra_output = maybe_activation(new_dense(from, 1 + rng.below(9)));
    }

    for (std::size_t k = 0; k < plan.count; ++k) {
      const node_plan& n = plan.node[k];
      if (n.kind == op_kind::input) plan.input_width += n.width;
    }
    for (std::size_t id = 0; id < names; ++id) plan.parameters += dense_out[id] * (dense_in[id] + 1);
    plan.flops = forward_flops(plan);

    // The runs: every batch size the budget allows (always 1 and 3), one sample in float one
    // time in three, and the scalar architecture one time in three, on a batch it allows.
    for (std::size_t b = 0; b < batch_sizes.size(); ++b)
      plan.batch[b] = b < 2 || check_cost(plan, batch_sizes[b]) <= cost_budget;
    plan.float_sample = rng.below(3) == 0;
    plan.scalar = rng.below(3) == 0;
    plan.scalar_batch = check_cost(plan, 33) * 4 <= cost_budget ? 33 : 3;
  }

  constexpr bool acceptable() const {
    if (failed || plan.parameters > parameter_budget) return false;
    // Every input reaches the objective (the join reads every open node, so an input can only be
    // lost to an extra output): check by walking back from the heads.
    std::array<bool, max_nodes> reach{};
    for (std::size_t h = 0; h < plan.heads; ++h) reach[plan.head[h]] = true;
    for (std::size_t k = plan.count; k-- > 0;)
      if (reach[k])
        for (std::size_t j = 0; j < plan.node[k].arity; ++j) reach[plan.node[k].in[j]] = true;
    for (std::size_t s = 0; s < plan.inputs; ++s)
      if (!reach[s]) return false;
    return true;
  }
};

constexpr dag_plan plan_for(std::uint64_t seed) {
  for (std::size_t attempt = 0;; ++attempt) {
    // The seed and the attempt hashed (consecutive seeds must not give shifted copies of one
    // splitmix stream).
    random_stream mix(seed * 0xd1b54a32d192ed03ull + attempt * 0x8cb92ba72f3d8dd7ull + 0xda9);
    generator g(mix.next());
    g.run();
    if (g.acceptable()) {
      g.plan.attempt = attempt;
      return g.plan;
    }
  }
}

// ---- types from a plan -------------------------------------------------------------------------

template <std::uint64_t Seed>
inline constexpr dag_plan plan_of = plan_for(Seed);

template <std::uint64_t Seed, std::size_t K, op_kind Kind = plan_of<Seed>.node[K].kind>
struct build;
template <std::uint64_t Seed, std::size_t K>
using node_t = typename build<Seed, K>::type;

template <std::uint64_t Seed, std::size_t K>
inline constexpr node_plan node_of = plan_of<Seed>.node[K];

template <std::uint64_t S, std::size_t K>
struct build<S, K, op_kind::input> {
  using type = ctnn::op::input<input_name(node_of<S, K>.p0), node_of<S, K>.width>;
};
template <std::uint64_t S, std::size_t K>
struct build<S, K, op_kind::dense> {
  using type = ctnn::op::dense<block_name(node_of<S, K>.p0), node_of<S, K>.width,
                               node_t<S, node_of<S, K>.in[0]>>;
};
template <class X, std::size_t A>
struct activation_node {
  using type = ctnn::op::activation<activation_at<A>, X>;
};
template <class X>
struct activation_node<X, softmax_index> {
  using type = ctnn::op::softmax<X>;
};
template <std::uint64_t S, std::size_t K>
struct build<S, K, op_kind::activation> {
  using type = typename activation_node<node_t<S, node_of<S, K>.in[0]>, node_of<S, K>.p0>::type;
};
template <std::uint64_t S, std::size_t K>
struct build<S, K, op_kind::add> {
  using type = ctnn::op::add<node_t<S, node_of<S, K>.in[0]>, node_t<S, node_of<S, K>.in[1]>>;
};
template <std::uint64_t S, std::size_t K>
struct build<S, K, op_kind::sub> {
  using type = ctnn::op::sub<node_t<S, node_of<S, K>.in[0]>, node_t<S, node_of<S, K>.in[1]>>;
};
template <std::uint64_t S, std::size_t K>
struct build<S, K, op_kind::mul> {
  using type = ctnn::op::mul<node_t<S, node_of<S, K>.in[0]>, node_t<S, node_of<S, K>.in[1]>>;
};
template <std::uint64_t S, std::size_t K>
struct build<S, K, op_kind::scale> {
  using type = ctnn::op::scale<node_t<S, node_of<S, K>.in[0]>, ratio_at<node_of<S, K>.p0>>;
};
template <std::uint64_t S, std::size_t K>
struct build<S, K, op_kind::concat> {
  template <std::size_t... J>
  static auto join(std::index_sequence<J...>) -> ctnn::op::concat<node_t<S, node_of<S, K>.in[J]>...>;
  using type = decltype(join(std::make_index_sequence<node_of<S, K>.arity>{}));
};
template <std::uint64_t S, std::size_t K>
struct build<S, K, op_kind::slice> {
  using type = ctnn::op::slice<node_t<S, node_of<S, K>.in[0]>, node_of<S, K>.p0, node_of<S, K>.p1>;
};
template <std::uint64_t S, std::size_t K>
struct build<S, K, op_kind::reshape> {
  using type = ctnn::op::reshape<node_t<S, node_of<S, K>.in[0]>,
                                 ctnn::shape<node_of<S, K>.rows, node_of<S, K>.width / node_of<S, K>.rows>>;
};
template <std::uint64_t S, std::size_t K>
struct build<S, K, op_kind::flatten> {
  using type = ctnn::op::flatten<node_t<S, node_of<S, K>.in[0]>>;
};

template <class L1, class L2, objective_form F, class R>
struct objective_node;
template <class L1, class L2, class R>
struct objective_node<L1, L2, objective_form::single, R> { using type = L1; };
template <class L1, class L2, class R>
struct objective_node<L1, L2, objective_form::single_scaled, R> { using type = ctnn::op::scale<L1, R>; };
template <class L1, class L2, class R>
struct objective_node<L1, L2, objective_form::add_scaled, R> {
  using type = ctnn::op::add<ctnn::op::scale<L1, R>, L2>;
};
template <class L1, class L2, class R>
struct objective_node<L1, L2, objective_form::add_scaled_2, R> {
  using type = ctnn::op::add<L1, ctnn::op::scale<L2, R>>;
};
template <class L1, class L2, class R>
struct objective_node<L1, L2, objective_form::sub_scaled, R> {
  using type = ctnn::op::sub<ctnn::op::scale<L1, R>, L2>;
};
template <class L1, class L2, class R>
struct objective_node<L1, L2, objective_form::scaled_sum, R> {
  using type = ctnn::op::scale<ctnn::op::add<L1, L2>, R>;
};

}  // namespace dag

template <std::uint64_t Seed>
struct random_dag {
  static constexpr std::uint64_t seed = Seed;
  static constexpr dag::dag_plan plan = dag::plan_of<Seed>;
  template <std::size_t K>
  using node = dag::node_t<Seed, K>;

  using head1 = node<plan.head[0]>;
  using head2 = node<plan.head[plan.heads - 1]>;
  using loss1 = ctnn::op::loss<loss_at<plan.loss[0]>, head1>;
  using loss2 = ctnn::op::loss<loss_at<plan.loss[plan.heads - 1]>, head2>;
  using objective = typename dag::objective_node<loss1, loss2, plan.objective,
                                                 dag::ratio_at<plan.weight>>::type;

 private:
  static auto outputs_part() {
    constexpr bool two = plan.heads == 2 && plan.head[0] != plan.head[1];
    if constexpr (plan.extra_output != dag::none) {
      using extra = node<plan.extra_output>;
      if constexpr (two) return std::type_identity<ctnn::outputs<head1, head2, extra>>{};
      else return std::type_identity<ctnn::outputs<head1, extra>>{};
    } else {
      if constexpr (two) return std::type_identity<ctnn::outputs<head1, head2>>{};
      else return std::type_identity<ctnn::outputs<head1>>{};
    }
  }
  using outputs = typename decltype(outputs_part())::type;
  static auto graph_type() {
    if constexpr (!plan.declare_inputs)
      return std::type_identity<ctnn::graph<outputs, ctnn::objective<objective>>>{};
    else if constexpr (plan.inputs == 1)
      return std::type_identity<ctnn::graph<ctnn::inputs<node<0>>, outputs, ctnn::objective<objective>>>{};
    else if constexpr (plan.reversed_inputs)
      return std::type_identity<
          ctnn::graph<ctnn::inputs<node<1>, node<0>>, outputs, ctnn::objective<objective>>>{};
    else
      return std::type_identity<
          ctnn::graph<ctnn::inputs<node<0>, node<1>>, outputs, ctnn::objective<objective>>>{};
  }

 public:
  using graph = typename decltype(graph_type())::type;
};

// ---- what a set of seeds reaches -----------------------------------------------------------------

struct dag_coverage {
  std::array<bool, activation_kinds> activation{};  // as activation_at; 12 softmax, 13 unused
  std::array<bool, loss_kinds> loss{};
  bool fan_out = false, residual_add = false, sub = false, mul = false, square = false,
       scale = false, concat = false, concat_repeated = false, concat_many = false, slice = false,
       views = false, rank2_slice = false, shared = false, shared_distant = false,
       two_inputs = false, declared_inputs = false, reversed_inputs = false, two_heads = false,
       add_scale_objective = false, two_losses_one_node = false, unfused_loss = false,
       extra_output = false, softmax_inside = false;
  // Widths of dense nodes: In > 64 (long rows, several column chunks of the one-sample backward
  // pass and of the batch weight gradient), with a part pack (In % 16 ≠ 0), with an odd number of
  // whole float and double packs (the pair loop's remainder); Out > 128 (more than 8 float packs:
  // the forward pass is not unrolled), Out > 64 in doubles; part packs of outputs; width 1.
  bool long_row = false, long_row_ragged = false, long_row_odd_float = false,
       long_row_odd_double = false, wide_out = false, wide_out_ragged = false,
       out_whole_packs = false, out_one = false, in_one = false, wide_elementwise_ragged = false;
  std::size_t widest = 0;
  std::size_t largest_parameter_count = 0;
  // Runs: [batch size index] for float and double; one sample; scalar architecture.
  std::array<bool, dag::batch_sizes.size()> batch{};
  bool float_sample = false, scalar = false, scalar_multi_tile = false;
  bool scalar_two_inputs = false;
  bool multi_tile_long_row = false;  // a batch of several tiles through a dense node with In > 64
};

template <std::size_t N>
constexpr dag_coverage dag_coverage_of(const std::array<std::uint64_t, N>& seeds) {
  using dag::op_kind;
  dag_coverage c;
  for (std::uint64_t seed : seeds) {
    const dag::dag_plan p = dag::plan_for(seed);
    std::array<std::size_t, dag::max_nodes> readers{};
    std::array<std::size_t, dag::max_nodes> ids{};  // dense name id → users
    for (std::size_t k = 0; k < p.count; ++k) {
      const dag::node_plan& n = p.node[k];
      for (std::size_t j = 0; j < n.arity; ++j) ++readers[n.in[j]];
      const std::size_t w = n.width;
      c.widest = w > c.widest ? w : c.widest;
      switch (n.kind) {
        case op_kind::dense: {
          const std::size_t in = p.node[n.in[0]].width;
          ++ids[n.p0];
          c.long_row |= in > 64;
          c.long_row_ragged |= in > 64 && in % 16 != 0;
          c.long_row_odd_float |= in > 64 && (in / 16) % 2 == 1;
          c.long_row_odd_double |= in > 32 && (in / 8) % 2 == 1;
          c.wide_out |= w > 128;
          c.wide_out_ragged |= w > 128 && w % 16 != 0;
          c.out_whole_packs |= w >= 32 && w % 16 == 0;
          c.out_one |= w == 1;
          c.in_one |= in == 1;
          break;
        }
        case op_kind::activation:
          c.activation[n.p0] = true;
          c.softmax_inside |= n.p0 == dag::softmax_index && k != p.head[0] && k != p.head[1];
          c.wide_elementwise_ragged |= w > 64 && w % 16 != 0;
          break;
        case op_kind::add:
          c.residual_add |= n.in[0] < k && (p.node[n.in[1]].kind == op_kind::activation ||
                                            p.node[n.in[0]].kind == op_kind::activation);
          c.wide_elementwise_ragged |= w > 64 && w % 16 != 0;
          break;
        case op_kind::sub: c.sub = true; break;
        case op_kind::mul:
          c.mul = true;
          c.square |= n.in[0] == n.in[1];
          c.wide_elementwise_ragged |= w > 64 && w % 16 != 0;
          break;
        case op_kind::scale: c.scale = true; break;
        case op_kind::concat:
          c.concat = true;
          c.concat_many |= n.arity >= 3;
          for (std::size_t j = 1; j < n.arity; ++j) c.concat_repeated |= n.in[j] == n.in[j - 1];
          break;
        case op_kind::slice:
          c.slice = true;
          c.rank2_slice |= n.rows != 0;
          break;
        case op_kind::reshape:
        case op_kind::flatten: c.views = true; break;
        case op_kind::input: break;
      }
    }
    for (std::size_t k = 0; k < p.count; ++k) c.fan_out |= readers[k] >= 2;
    for (std::size_t id = 0; id < dag::max_nodes; ++id) c.shared |= ids[id] >= 2;
    c.shared_distant |= p.shared_distant;
    c.two_inputs |= p.inputs == 2;
    c.declared_inputs |= p.declare_inputs;
    c.reversed_inputs |= p.reversed_inputs;
    c.two_heads |= p.heads == 2;
    c.add_scale_objective |= p.objective == dag::objective_form::add_scaled;
    c.two_losses_one_node |= p.heads == 2 && p.head[0] == p.head[1];
    // A cross-entropy on a sigmoid or softmax that another node reads too: not fused with it.
    for (std::size_t h = 0; h < p.heads; ++h) {
      const dag::node_plan& n = p.node[p.head[h]];
      const bool ce_activation = n.kind == op_kind::activation &&
                                 ((p.loss[h] == loss_kind::softmax_cross_entropy &&
                                   n.p0 == dag::softmax_index) ||
                                  (p.loss[h] == loss_kind::binary_cross_entropy &&
                                   n.p0 == activation_index<ctnn::sigmoid>));
      c.unfused_loss |= ce_activation && readers[p.head[h]] > 0;
    }
    c.extra_output |= p.extra_output != dag::none;
    for (std::size_t h = 0; h < p.heads; ++h) {
      c.loss[static_cast<std::size_t>(p.loss[h])] = true;
      const dag::node_plan& n = p.node[p.head[h]];
      if (n.kind == op_kind::activation) c.activation[n.p0] = true;
    }
    c.largest_parameter_count =
        p.parameters > c.largest_parameter_count ? p.parameters : c.largest_parameter_count;
    for (std::size_t b = 0; b < c.batch.size(); ++b) c.batch[b] |= p.batch[b];
    c.float_sample |= p.float_sample;
    c.scalar |= p.scalar;
    c.scalar_multi_tile |= p.scalar && p.scalar_batch > 32;
    c.scalar_two_inputs |= p.scalar && p.inputs == 2;
    for (std::size_t k = 0; k < p.count; ++k)
      c.multi_tile_long_row |= p.batch[2] && p.node[k].kind == op_kind::dense &&
                               p.node[p.node[k].in[0]].width > 64;
  }
  return c;
}

// The plan in words: one line per node, for failure messages.
inline std::string describe(const dag::dag_plan& p) {
  using dag::op_kind;
  std::ostringstream out;
  constexpr const char* loss_names[] = {"squared_error", "softmax_cross_entropy",
                                        "binary_cross_entropy"};
  constexpr const char* activation_names[] = {"identity", "sigmoid",   "tanh",    "relu",
                                              "leaky_relu", "leaky_relu<1/5>", "elu", "elu<3/2>",
                                              "softplus", "swish",     "mish",    "gelu",
                                              "softmax"};
  for (std::size_t k = 0; k < p.count; ++k) {
    const dag::node_plan& n = p.node[k];
    out << "\n    n" << k << " [" << n.width;
    if (n.rows != 0) out << " = " << n.rows << "x" << n.width / n.rows;
    out << "] = ";
    auto args = [&] {
      for (std::size_t j = 0; j < n.arity; ++j) out << (j ? ", n" : "n") << n.in[j];
    };
    switch (n.kind) {
      case op_kind::input: out << "input " << (n.p0 == 0 ? "x" : "u"); break;
      case op_kind::dense: out << "dense w" << (n.p0 < 10 ? "0" : "") << n.p0 << "("; args(); out << ")"; break;
      case op_kind::activation: out << activation_names[n.p0] << "("; args(); out << ")"; break;
      case op_kind::add: out << "add("; args(); out << ")"; break;
      case op_kind::sub: out << "sub("; args(); out << ")"; break;
      case op_kind::mul: out << "mul("; args(); out << ")"; break;
      case op_kind::scale: out << "scale " << dag::ratio_names[n.p0] << " ("; args(); out << ")"; break;
      case op_kind::concat: out << "concat("; args(); out << ")"; break;
      case op_kind::slice: out << "slice [" << n.p0 << ", " << n.p1 << ") ("; args(); out << ")"; break;
      case op_kind::reshape: out << "reshape("; args(); out << ")"; break;
      case op_kind::flatten: out << "flatten("; args(); out << ")"; break;
    }
  }
  out << "\n    losses: " << loss_names[static_cast<std::size_t>(p.loss[0])] << "(n" << p.head[0] << ")";
  if (p.heads == 2)
    out << ", " << loss_names[static_cast<std::size_t>(p.loss[1])] << "(n" << p.head[1]
        << "), objective form " << static_cast<int>(p.objective) << " with weight "
        << dag::ratio_names[p.weight];
  if (p.extra_output != dag::none) out << "; extra output n" << p.extra_output;
  out << "\n    " << p.parameters << " parameters, " << p.input_width << " input values per sample";
  return out.str();
}

}  // namespace laws
