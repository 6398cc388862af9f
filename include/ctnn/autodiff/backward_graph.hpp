#pragma once
// The backward graph of a sequential network, derived from its forward graph (the list of affine
// stages) at compile time. It is the δ recursion of backprop, unrolled into a list of steps:
//   output_delta<L>                  δz_L from the loss (fused with the last activation)
//   parameter_gradient<L>            ∂W_L += δz_L a_{L-1}ᵀ,  ∂b_L += δz_L
//   propagate_delta<L>               δa_{L-1} = W_Lᵀ δz_L
//   activation_delta<L-1>            δz_{L-1} = f'(z_{L-1}) ⊙ δa_{L-1}
//   ...
//   parameter_gradient<1>
//   input_gradient<1>                ∇ₓC = W_1ᵀ δz_1 (run only when the caller asks for it)
// Each step names the stage whose rule it applies; evaluators walk the list in order.
//
// An activation that says `differentiable = false` (step, sign) has no rule for δz: building the
// backward graph of a network that contains one is a compile error naming its position and type
// (gradient_error in nn/diagnostics.hpp), and the graph is then left empty so that no second,
// less readable error follows from the missing derivative.

#include <boost/hana/concat.hpp>
#include <boost/hana/flatten.hpp>
#include <boost/hana/reverse.hpp>
#include <boost/hana/transform.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>
#include <cstddef>
#include <utility>

#include "../nn/diagnostics.hpp"

namespace ctnn::autodiff {

template <class Stage> struct output_delta { using stage = Stage; };
template <class Stage> struct activation_delta { using stage = Stage; };
template <class Stage> struct parameter_gradient { using stage = Stage; };
template <class Stage> struct propagate_delta { using stage = Stage; };
template <class Stage> struct input_gradient { using stage = Stage; };

// The steps for one stage, given whether it is the last stage (its δz comes from the loss) and
// whether it is the first (its δ flows to the input, not to a previous stage).
template <class Stage, bool Last>
constexpr auto steps_of_stage() {
  namespace hana = boost::hana;
  constexpr auto delta = [] {
    if constexpr (Last) return hana::make_tuple(hana::type_c<output_delta<Stage>>);
    else return hana::make_tuple(hana::type_c<activation_delta<Stage>>);
  }();
  constexpr auto onward = [] {
    if constexpr (Stage::index == 0) return hana::make_tuple(hana::type_c<input_gradient<Stage>>);
    else return hana::make_tuple(hana::type_c<propagate_delta<Stage>>);
  }();
  return hana::concat(hana::concat(delta, hana::make_tuple(hana::type_c<parameter_gradient<Stage>>)),
                      onward);
}

// Whether backprop can pass through the activation Op: yes unless Op declares
// `static constexpr bool differentiable = false`.
template <class Op>
constexpr bool has_derivative() {
  if constexpr (requires { Op::differentiable; }) return bool(Op::differentiable);
  else return true;
}

template <class Graph, std::size_t... S>
constexpr bool stages_are_differentiable(std::index_sequence<S...>) {
  return (has_derivative<typename Graph::template stage<S>::activation>() && ...);
}

// True when every stage of the forward graph can be differentiated.
template <class Graph>
constexpr bool differentiable() {
  return stages_are_differentiable<Graph>(std::make_index_sequence<Graph::stage_count>{});
}

// Instantiates the plain-words error for every stage whose activation has no derivative (and
// nothing for the others). Called only where differentiable<Graph>() is false.
template <class S>
constexpr void explain_stage() {
  using A = typename S::activation;
  if constexpr (!has_derivative<A>())
    static_cast<void>(ctnn::gradient_error::layer_at_position<S::activation_position, A>::
                          is_not_differentiable::template check<has_derivative<A>()>::ok);
}

template <class Graph, std::size_t... S>
constexpr void explain_not_differentiable(std::index_sequence<S...>) {
  (explain_stage<typename Graph::template stage<S>>(), ...);
}

// For the passes that differentiate, called first in their body: the plain-words error for each
// stage without a derivative (nothing for a differentiable network). A statement rather than a
// static_assert, so that clang adds no "not an integral constant expression" after the error.
template <class Graph>
constexpr void require_differentiable() {
  if constexpr (!differentiable<Graph>())
    explain_not_differentiable<Graph>(std::make_index_sequence<Graph::stage_count>{});
}

// A hana tuple of hana::type<step<Stage>>, in execution order.
template <class Graph>
constexpr auto backward_graph() {
  namespace hana = boost::hana;
  constexpr std::size_t last = Graph::stage_count - 1;
  if constexpr (!differentiable<Graph>()) {
    explain_not_differentiable<Graph>(std::make_index_sequence<Graph::stage_count>{});
    return hana::make_tuple();
  } else {
    return hana::flatten(hana::transform(hana::reverse(Graph::stages), [](auto stage) {
      using S = typename decltype(stage)::type;
      return steps_of_stage<S, S::index == last>();
    }));
  }
}

}  // namespace ctnn::autodiff
