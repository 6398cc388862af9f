#pragma once
// A graph type: the nodes its outputs and its objective depend on, and what the derivation and
// the lowering need to know about them, as compile-time arrays.
//
//   using x = ctnn::op::input<"x", 784>;
//   using h = ctnn::op::relu<ctnn::op::dense<"fc1", 256, x>>;
//   using y = ctnn::op::dense<"head", 10, ctnn::op::add<h, ctnn::op::relu<ctnn::op::dense<"fc2", 256, h>>>>;
//   using net = ctnn::graph<ctnn::outputs<y>>;                       // or ctnn::graph<y>
//   using trained = ctnn::graph<ctnn::outputs<y>, ctnn::objective<ctnn::op::softmax_cross_entropy<y>>>;
//
// Parts: outputs<...> (what forward passes return; a bare node counts as an output),
// objective<L> (what training minimises: a loss node or a weighted sum of them, each loss against
// a target of its input's shape that the caller passes with the inputs), and optionally
// inputs<...> (the order in which the caller passes the inputs; without it, the order in which
// the inputs first appear below).
//
// Nodes are listed in a topological order (every node after its inputs): the depth-first
// post-order of the outputs, then of the objective. A node reached twice is one node. The
// arrays below are indexed by that order.

#include <array>
#include <cstddef>
#include <limits>
#include <string_view>
#include <type_traits>
#include <utility>

#include "graph_errors.hpp"
#include "list.hpp"
#include "op.hpp"

namespace ctnn {

template <class... Nodes>
struct inputs {};
template <class... Nodes>
struct outputs {};
template <class Node>
struct objective {};

namespace core {

inline constexpr std::size_t none = std::numeric_limits<std::size_t>::max();

// N and every node it depends on, inputs first. Memoised per node type, so a node shared by
// several paths is walked once.
template <class N, class Inputs>
struct subgraph_of_inputs;
template <class N>
struct subgraph {
  using type = typename subgraph_of_inputs<N, inputs_of<N>>::type;
};
template <class N, class... I>
struct subgraph_of_inputs<N, list<I...>> {
  using type = decltype(typename merge_all<typename subgraph<I>::type...>::type{} + list<N>{});
};
// Only for nodes; anything else (a wrong output) contributes nothing, so that the one error
// naming it is all the compiler reports.
template <class N>
struct checked_subgraph {
  using type = list<>;
};
template <node N>
struct checked_subgraph<N> {
  using type = typename subgraph<N>::type;
};

// ---- the parts of graph<...> -------------------------------------------------------------------

template <class Part>
struct part {
  using declared_inputs = list<>;
  using outputs = list<Part>;  // a bare node is an output
  using objective = list<>;
  static constexpr bool declares_inputs = false;
};
template <class... N>
struct part<ctnn::inputs<N...>> {
  using declared_inputs = list<N...>;
  using outputs = list<>;
  using objective = list<>;
  static constexpr bool declares_inputs = true;
};
template <class... N>
struct part<ctnn::outputs<N...>> {
  using declared_inputs = list<>;
  using outputs = list<N...>;
  using objective = list<>;
  static constexpr bool declares_inputs = false;
};
template <class N>
struct part<ctnn::objective<N>> {
  using declared_inputs = list<>;
  using outputs = list<>;
  using objective = list<N>;
  static constexpr bool declares_inputs = false;
};

// ---- per-node facts ------------------------------------------------------------------------------

// One parameter block as a node names it.
struct parameter_record {
  std::string_view owner, role;
  std::size_t size = 0;
  std::array<std::size_t, 4> dims{};
  std::size_t rank = 0;
  std::size_t node = 0;  // the node that names it
  bool state = false;    // a state block (core/op.hpp: state_parameter)
};

template <class P>
constexpr parameter_record record_of(std::size_t node) {
  parameter_record r{P::owner.view(), P::role.view(), P::shape::size, {}, P::shape::rank, node,
                     P::state};
  for (std::size_t d = 0; d < P::shape::rank; ++d) r.dims[d] = P::shape::dims[d];
  return r;
}

constexpr bool same_name(const parameter_record& a, const parameter_record& b) {
  return a.owner == b.owner && a.role == b.role;
}
constexpr bool same_shape(const parameter_record& a, const parameter_record& b) {
  return a.rank == b.rank && a.dims == b.dims;
}

template <class Nodes>
struct node_table;

template <class... N>
struct node_table<list<N...>> {
  using nodes = list<N...>;
  static constexpr std::size_t count = sizeof...(N);
  static constexpr std::size_t edge_count = (std::size_t{0} + ... + inputs_of<N>::size);
  static constexpr std::size_t record_count = (std::size_t{0} + ... + parameters_of<N>::size);

  static constexpr std::array<std::size_t, count> size{shape_of<N>::size...};
  static constexpr std::array<std::size_t, count> rank{shape_of<N>::rank...};
  static constexpr std::array<bool, count> input{is_input<N>()...};
  static constexpr std::array<bool, count> view{is_view<N>()...};
  static constexpr std::array<bool, count> stops{stops_gradient<N>()...};
  static constexpr std::array<bool, count> loss{is_loss<N>()...};
  static constexpr std::array<bool, count> combination{is_linear_combination<N>()...};
  static constexpr std::array<bool, count> elementwise{is_elementwise<N>()...};
  static constexpr std::array<bool, count> reads_inputs{vjp_reads_inputs<N>()...};
  static constexpr std::array<bool, count> reads_output{vjp_reads_output<N>()...};
  static constexpr std::array<std::size_t, count> input_count{inputs_of<N>::size...};

  // Edges: node k's inputs are edge[edge_begin[k] .. edge_begin[k] + input_count[k]).
  static constexpr std::array<std::size_t, count + 1> edge_begin = [] {
    std::array<std::size_t, count + 1> b{};
    for (std::size_t k = 0; k < count; ++k) b[k + 1] = b[k] + input_count[k];
    return b;
  }();
  static constexpr std::array<std::size_t, edge_count + 1> edge = [] {
    std::array<std::size_t, edge_count + 1> e{};
    std::size_t at = 0;
    auto add = [&]<class... I>(list<I...>) { ((e[at++] = index_of<nodes, I>()), ...); };
    (add(inputs_of<N>{}), ...);
    return e;
  }();
  // Whether node k's vjp can take the adjoint of its input j through that input's derivative.
  static constexpr std::array<bool, edge_count + 1> absorbs = [] {
    std::array<bool, edge_count + 1> a{};
    std::size_t at = 0;
    auto add = [&]<class Node, std::size_t... J>(std::index_sequence<J...>) {
      ((a[at++] = absorbs_input<Node, J>()), ...);
    };
    (add.template operator()<N>(std::make_index_sequence<inputs_of<N>::size>{}), ...);
    return a;
  }();
  // y = Σ c_j x_j: c per edge (0 where the node is not such a sum).
  static constexpr std::array<double, edge_count + 1> coefficient = [] {
    std::array<double, edge_count + 1> c{};
    std::size_t at = 0;
    auto add = [&]<class Node>() {
      if constexpr (is_linear_combination<Node>()) {
        for (double v : Node::linear_coefficients) c[at++] = v;
      } else {
        at += inputs_of<Node>::size;
      }
    };
    (add.template operator()<N>(), ...);
    return c;
  }();

  // Consumers: node k is read by consumer[consumer_begin[k] .. consumer_begin[k + 1]), in
  // topological order (a node read twice by one consumer is listed twice).
  static constexpr std::array<std::size_t, count + 1> consumer_begin = [] {
    std::array<std::size_t, count + 1> b{};
    for (std::size_t e = 0; e < edge_count; ++e) ++b[edge[e] + 1];
    for (std::size_t k = 0; k < count; ++k) b[k + 1] += b[k];
    return b;
  }();
  static constexpr std::array<std::size_t, edge_count + 1> consumer = [] {
    std::array<std::size_t, edge_count + 1> c{};
    std::array<std::size_t, count + 1> fill = consumer_begin;
    for (std::size_t k = 0; k < count; ++k)
      for (std::size_t e = edge_begin[k]; e < edge_begin[k + 1]; ++e) c[fill[edge[e]]++] = k;
    return c;
  }();

  // Parameter records in node order; node k's are record_begin[k] ...
  static constexpr std::array<std::size_t, count + 1> record_begin = [] {
    std::array<std::size_t, count + 1> b{};
    std::size_t k = 0;
    ((b[k + 1] = b[k] + parameters_of<N>::size, ++k), ...);
    return b;
  }();
  static constexpr std::array<parameter_record, record_count + 1> records = [] {
    std::array<parameter_record, record_count + 1> r{};
    std::size_t at = 0, k = 0;
    auto add = [&]<class... P>(list<P...>) { ((r[at++] = record_of<P>(k)), ...); };
    ((add(parameters_of<N>{}), ++k), ...);
    return r;
  }();
};

// The parameter blocks: records with the same name are one block (the first one's), laid out in
// the order of first appearance, one after the other.
template <class Table>
struct parameter_layout {
  static constexpr std::size_t records = Table::record_count;
  static constexpr std::array<std::size_t, records + 1> block_of = [] {
    std::array<std::size_t, records + 1> b{};
    std::size_t blocks = 0;
    for (std::size_t r = 0; r < records; ++r) {
      b[r] = none;
      for (std::size_t q = 0; q < r; ++q)
        if (same_name(Table::records[q], Table::records[r])) {
          b[r] = b[q];
          break;
        }
      if (b[r] == none) b[r] = blocks++;
    }
    b[records] = blocks;
    return b;
  }();
  static constexpr std::size_t block_count = block_of[records];
  // The record that defines each block, and the block's offset; offset[block_count] is the total.
  static constexpr std::array<std::size_t, block_count + 1> first_record = [] {
    std::array<std::size_t, block_count + 1> f{};
    for (std::size_t r = records; r-- > 0;) f[block_of[r]] = r;
    return f;
  }();
  static constexpr std::array<std::size_t, block_count + 1> offset = [] {
    std::array<std::size_t, block_count + 1> o{};
    for (std::size_t b = 0; b < block_count; ++b) o[b + 1] = o[b] + Table::records[first_record[b]].size;
    return o;
  }();
  // How many nodes name each block (more than one: a shared block).
  static constexpr std::array<std::size_t, block_count + 1> users = [] {
    std::array<std::size_t, block_count + 1> u{};
    for (std::size_t r = 0; r < records; ++r) ++u[block_of[r]];
    return u;
  }();
  // The first record whose shape differs from its block's, or none.
  static constexpr std::size_t conflict = [] {
    for (std::size_t r = 0; r < records; ++r)
      if (!same_shape(Table::records[r], Table::records[first_record[block_of[r]]])) return r;
    return none;
  }();
};

// ---- the graph -----------------------------------------------------------------------------------

template <class... Parts>
struct graph_base {
  using declared_inputs = decltype((list<>{} + ... + typename part<Parts>::declared_inputs{}));
  using output_nodes = decltype((list<>{} + ... + typename part<Parts>::outputs{}));
  using objective_list = decltype((list<>{} + ... + typename part<Parts>::objective{}));
  static constexpr bool declares_inputs = (false || ... || part<Parts>::declares_inputs);

 private:
  template <class... R>
  static auto all_nodes(list<R...>) ->
      typename merge_all<list<>, typename checked_subgraph<R>::type...>::type;
  using reached = decltype(all_nodes(output_nodes{} + objective_list{}));
  template <class... I>
  static auto declared_leaves(list<I...>) -> decltype((list<>{} + ... +
      std::conditional_t<node<I> && is_input<I>(), list<I>, list<>>{}));

 public:
  // Declared inputs come first, in their order; every other node in the order reached.
  using nodes = merge_t<decltype(declared_leaves(declared_inputs{})), reached>;
  using table = node_table<nodes>;
  using layout = parameter_layout<table>;
  static constexpr std::size_t node_count = table::count;
  template <std::size_t K>
  using node_at = at_t<nodes, K>;
  template <class N>
  static constexpr std::size_t index_of_node = index_of<nodes, N>();

 private:
  template <class... M>
  static auto input_list(list<M...>)
      -> decltype((list<>{} + ... + std::conditional_t<is_input<M>(), list<M>, list<>>{}));
  template <class... M>
  static auto loss_list(list<M...>)
      -> decltype((list<>{} + ... + std::conditional_t<is_loss<M>(), list<M>, list<>>{}));

 public:
  using input_nodes = decltype(input_list(nodes{}));
  using loss_nodes = decltype(loss_list(nodes{}));

  static constexpr std::size_t input_count = input_nodes::size;
  static constexpr std::size_t output_count = output_nodes::size;
  static constexpr std::size_t target_count = loss_nodes::size;
  static constexpr bool has_objective = objective_list::size == 1;

 private:
  template <class L>
  static constexpr auto indices_of() {
    return []<class... M>(list<M...>) {
      return std::array<std::size_t, sizeof...(M)>{index_of<nodes, M>()...};
    }(L{});
  }
  template <class L>
  static constexpr auto sizes_of() {
    return []<class... M>(list<M...>) {
      return std::array<std::size_t, sizeof...(M)>{shape_of<M>::size...};
    }(L{});
  }
  template <class L>
  static constexpr auto checked_sizes_of() {
    return []<class... M>(list<M...>) {
      return std::array<std::size_t, sizeof...(M)>{checked_size<M>()...};
    }(L{});
  }
  template <class M>
  static constexpr std::size_t checked_size() {
    if constexpr (node<M>) return shape_of<M>::size;
    else return 0;
  }

 public:
  // Node indices of the inputs (in the order the caller passes them), the outputs, the loss nodes
  // (whose targets the caller passes in this order), and the objective (none without one).
  static constexpr auto input_index = indices_of<input_nodes>();
  static constexpr auto loss_index = indices_of<loss_nodes>();
  static constexpr std::size_t objective_index = [] {
    if constexpr (has_objective) return index_of<nodes, at_t<objective_list, 0>>();
    else return none;
  }();
  static constexpr auto input_sizes = sizes_of<input_nodes>();
  static constexpr auto output_sizes = checked_sizes_of<output_nodes>();
  // A target has the shape of its loss's input.
  static constexpr auto target_sizes = [] {
    std::array<std::size_t, target_count> s{};
    for (std::size_t k = 0; k < target_count; ++k)
      s[k] = table::size[table::edge[table::edge_begin[loss_index[k]]]];
    return s;
  }();
  // The width of the one input and the one output (0 when there are several or none).
  static constexpr std::size_t input_size = input_count == 1 ? input_sizes[0] : 0;
  static constexpr std::size_t output_size = output_count == 1 ? output_sizes[0] : 0;

  static constexpr std::array<std::size_t, output_count> output_index = [] {
    std::array<std::size_t, output_count> o{};
    if constexpr (output_count > 0) {
      constexpr bool all_nodes = []<class... M>(list<M...>) { return (node<M> && ...); }(output_nodes{});
      if constexpr (all_nodes) o = indices_of<output_nodes>();
    }
    return o;
  }();

  // Slots: a node's position among the inputs and among the loss nodes (none if it is not one).
  static constexpr std::array<std::size_t, node_count> input_slot = [] {
    std::array<std::size_t, node_count> s{};
    s.fill(none);
    for (std::size_t k = 0; k < input_count; ++k) s[input_index[k]] = k;
    return s;
  }();
  static constexpr std::array<std::size_t, node_count> loss_slot = [] {
    std::array<std::size_t, node_count> s{};
    s.fill(none);
    for (std::size_t k = 0; k < target_count; ++k) s[loss_index[k]] = k;
    return s;
  }();

  // ---- parameters ----
  static constexpr std::size_t parameter_count = layout::offset[layout::block_count];
  static constexpr std::size_t block_count = layout::block_count;
  // Block of node k's j-th parameter, and its offset in the flat block.
  static constexpr std::size_t block_of(std::size_t k, std::size_t j) {
    return layout::block_of[table::record_begin[k] + j];
  }
  static constexpr std::size_t parameter_offset(std::size_t k, std::size_t j) {
    return layout::offset[block_of(k, j)];
  }
  static constexpr std::string_view block_owner(std::size_t b) {
    return table::records[layout::first_record[b]].owner;
  }
  static constexpr std::string_view block_role(std::size_t b) {
    return table::records[layout::first_record[b]].role;
  }
  // State blocks (core/op.hpp: state_parameter): kept with the parameters, not trained.
  static constexpr bool block_is_state(std::size_t b) {
    return table::records[layout::first_record[b]].state;
  }
  static constexpr bool has_state = [] {
    for (std::size_t b = 0; b < block_count; ++b)
      if (block_is_state(b)) return true;
    return false;
  }();
  // Whether flat parameter k lies in a state block.
  static constexpr bool is_state(std::size_t k) {
    for (std::size_t b = 0; b < block_count; ++b)
      if (k < layout::offset[b + 1]) return block_is_state(b);
    return false;
  }

  // ---- the objective: loss node k's weight in the objective (0 for other nodes) ----
  // Nodes that are part of the objective: loss nodes and sums of them.
  static constexpr std::array<bool, node_count> objective_part = [] {
    std::array<bool, node_count> p{};
    for (std::size_t k = 0; k < node_count; ++k) {
      p[k] = table::loss[k];
      if (table::combination[k] && table::input_count[k] > 0) {
        bool all = true;
        for (std::size_t e = table::edge_begin[k]; e < table::edge_begin[k + 1]; ++e)
          all = all && p[table::edge[e]];
        p[k] = all;
      }
    }
    return p;
  }();
  static constexpr std::array<double, node_count> loss_weight = [] {
    std::array<double, node_count> w{};
    if (objective_index == none || !objective_part[objective_index]) return w;
    w[objective_index] = 1;
    for (std::size_t k = node_count; k-- > 0;) {
      if (!table::combination[k] || !objective_part[k] || w[k] == 0) continue;
      for (std::size_t e = table::edge_begin[k]; e < table::edge_begin[k + 1]; ++e)
        w[table::edge[e]] += w[k] * table::coefficient[e];
      w[k] = 0;
    }
    return w;
  }();

  // ---- checks ----
 private:
  template <class O>
  static constexpr bool check_output() {
    if constexpr (!node<O>)
      return graph_error::output<O>::template is_not_a_node<node<O>>::ok;
    else
      return graph_error::output<O>::template is_a_loss<!objective_part[index_of<nodes, O>()]>::ok;
  }
  template <class I>
  static constexpr bool check_declared_input() {
    if constexpr (!(node<I> && is_input<I>())) {
      return graph_error::input<I>::template is_not_an_input_node<false>::ok;
    } else {
      constexpr bool used = contains<reached, I>;
      return graph_error::input<I>::template is_used_by_no_output<used>::ok;
    }
  }
  template <class I>
  static constexpr bool check_reached_input() {
    if constexpr (declares_inputs) {
      constexpr bool listed = contains<declared_inputs, I>;
      return graph_error::input<I>::template is_missing_from_inputs<listed>::ok;
    } else {
      return true;
    }
  }
  template <std::size_t A, std::size_t B>
  static constexpr bool check_input_names() {
    using a = at_t<input_nodes, A>;
    using b = at_t<input_nodes, B>;
    if constexpr (A < B) {
      constexpr bool distinct = a::label.view() != b::label.view();
      return graph_error::input<a>::template has_the_name_of<b>::template check<distinct>::ok;
    } else {
      return true;
    }
  }
  template <std::size_t... A>
  static constexpr bool check_all_input_names(std::index_sequence<A...>) {
    return ([]<std::size_t X>() {
      return []<std::size_t... B>(std::index_sequence<B...>) {
        return (check_input_names<X, B>() && ...);
      }(std::make_index_sequence<input_count>{});
    }.template operator()<A>() && ...);
  }
  static constexpr bool check_parameters() {
    if constexpr (layout::conflict == none) {
      return true;
    } else {
      constexpr auto r = table::records[layout::conflict];
      constexpr auto first = table::records[layout::first_record[layout::block_of[layout::conflict]]];
      using later_node = node_at<r.node>;
      using first_node = node_at<first.node>;
      using later = at_t<parameters_of<later_node>, layout::conflict - table::record_begin[r.node]>;
      using earlier = at_t<parameters_of<first_node>,
                           layout::first_record[layout::block_of[layout::conflict]] -
                               table::record_begin[first.node]>;
      return graph_error::parameter<earlier, first_node>::template differs_in_shape_from<
          later, later_node>::template check<false>::ok;
    }
  }
  static constexpr bool check_objective() {
    if constexpr (!has_objective) {
      return true;
    } else {
      using O = at_t<objective_list, 0>;
      if constexpr (!node<O>) {
        return graph_error::objective<O>::template is_not_a_scalar_node<false>::ok;
      } else {
        constexpr bool scalar = objective_part[objective_index];
        return graph_error::objective<O>::template is_not_a_scalar_node<scalar>::ok;
      }
    }
  }
  template <std::size_t K>
  static constexpr bool check_loss_consumers() {
    if constexpr (!table::loss[K]) {
      return true;
    } else {
      constexpr bool ok = [] {
        for (std::size_t c = table::consumer_begin[K]; c < table::consumer_begin[K + 1]; ++c)
          if (!objective_part[table::consumer[c]]) return false;
        return true;
      }();
      return graph_error::loss<node_at<K>>::template feeds_a_node_that_is_not_a_sum_of_losses<ok>::ok;
    }
  }
  static constexpr bool check_all() {
    constexpr bool has_roots = output_count + objective_list::size > 0;
    if constexpr (!has_roots) {
      return graph_error::graph_has_no_output_and_no_objective<has_roots>::ok;
    } else {
      constexpr bool outputs_ok = []<class... O>(list<O...>) {
        return (check_output<O>() && ...);
      }(output_nodes{});
      if constexpr (!outputs_ok) {
        return false;
      } else {
        return []<class... I>(list<I...>) { return (check_declared_input<I>() && ...); }(
                   declared_inputs{}) &&
               []<class... I>(list<I...>) { return (check_reached_input<I>() && ...); }(
                   input_nodes{}) &&
               check_all_input_names(std::make_index_sequence<input_count>{}) &&
               check_parameters() && check_objective() &&
               []<std::size_t... K>(std::index_sequence<K...>) {
                 return (check_loss_consumers<K>() && ...);
               }(std::make_index_sequence<node_count>{});
      }
    }
  }

 public:
  static constexpr bool well_formed = check_all();
};

}  // namespace core

// A graph type. See the top of this header; the passes (nn/passes.hpp) take any graph.
template <class... Parts>
struct graph : core::graph_base<Parts...> {
  static_assert(core::graph_base<Parts...>::well_formed,
                "ctnn: this graph type is not well formed (the first error above says why)");
};

}  // namespace ctnn
