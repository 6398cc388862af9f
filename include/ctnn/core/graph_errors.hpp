#pragma once
// Compile errors of graph types, in plain words. As in nn/diagnostics.hpp, each check is a class
// template whose name reads as the sentence and which is instantiated only when the check fails;
// both compilers print its name, with the nodes and shapes as template arguments, next to the
// message, for example
//   ctnn::graph_error::add_operands<ctnn::op::dense<"a", 3, x>, ctnn::shape<3>,
//                                   ctnn::op::dense<"b", 4, x>, ctnn::shape<4>>::must_have_one_shape

#include <cstddef>

namespace ctnn::graph_error {

template <class Node>
struct output {
  template <bool Ok>
  struct is_not_a_node {
    static_assert(Ok,
                  "ctnn: an output of the graph is not a node (expected a node type such as "
                  "ctnn::op::dense<\"fc\", 10, x>; see graph_error::output<type> in the lines "
                  "around this error)");
    static constexpr bool ok = true;
  };
  template <bool Ok>
  struct is_a_loss {
    static_assert(Ok,
                  "ctnn: a loss node cannot be an output of the graph; put it in "
                  "ctnn::objective<...> (see graph_error::output<node> in the lines around this "
                  "error)");
    static constexpr bool ok = true;
  };
};

template <class Node>
struct input {
  template <bool Ok>
  struct is_used_by_no_output {
    static_assert(Ok,
                  "ctnn: a declared input is used by no output and not by the objective (see "
                  "graph_error::input<node> in the lines around this error)");
    static constexpr bool ok = true;
  };
  template <bool Ok>
  struct is_not_an_input_node {
    static_assert(Ok,
                  "ctnn: a type in ctnn::inputs<...> is not an input node (expected "
                  "ctnn::op::input<\"name\", dims...>; see graph_error::input<type> in the lines "
                  "around this error)");
    static constexpr bool ok = true;
  };
  template <bool Ok>
  struct is_missing_from_inputs {
    static_assert(Ok,
                  "ctnn: the graph reads an input that its ctnn::inputs<...> does not list (see "
                  "graph_error::input<node> in the lines around this error)");
    static constexpr bool ok = true;
  };
  template <class Other>
  struct has_the_name_of {
    template <bool Ok>
    struct check {
      static_assert(Ok,
                    "ctnn: two different inputs of the graph have the same name (see "
                    "graph_error::input<node>::has_the_name_of<node> in the lines around this "
                    "error)");
      static constexpr bool ok = true;
    };
  };
};

// A parameter block named by two nodes with different shapes.
template <class Parameter, class Node>
struct parameter {
  template <class OtherParameter, class OtherNode>
  struct differs_in_shape_from {
    template <bool Ok>
    struct check {
      static_assert(Ok,
                    "ctnn: two nodes name the same parameter block with different shapes; "
                    "nodes that share a parameter name share the block, so its shape must agree "
                    "(see graph_error::parameter<parameter, node>::differs_in_shape_from<"
                    "parameter, node> in the lines around this error)");
      static constexpr bool ok = true;
    };
  };
};

template <class Node>
struct objective {
  template <bool Ok>
  struct is_not_a_scalar_node {
    static_assert(Ok,
                  "ctnn: the objective must be a loss node or a weighted sum of loss nodes "
                  "(op::add, op::sub, op::scale of losses); see graph_error::objective<node> in "
                  "the lines around this error");
    static constexpr bool ok = true;
  };
};

template <class Node>
struct loss {
  template <bool Ok>
  struct feeds_a_node_that_is_not_a_sum_of_losses {
    static_assert(Ok,
                  "ctnn: a loss node may only be summed or scaled into the objective "
                  "(op::add, op::sub, op::scale of losses), not fed to other nodes; see "
                  "graph_error::loss<node> in the lines around this error");
    static constexpr bool ok = true;
  };
};

template <bool Ok>
struct graph_has_no_output_and_no_objective {
  static_assert(Ok, "ctnn: a graph needs at least one output or an objective, e.g. "
                    "ctnn::graph<ctnn::outputs<y>>");
  static constexpr bool ok = true;
};

}  // namespace ctnn::graph_error
