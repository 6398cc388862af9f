#pragma once
// op::loss<Loss, y>: a loss of nn/losses.hpp on node y against a target of y's shape, one number
// per sample. The target is not a node: the caller passes one per loss node, with the inputs
// (ctnn::graph's target_sizes, in the order of graph::loss_nodes). Loss nodes form the objective:
// ctnn::objective<op::add<op::softmax_cross_entropy<y1>, op::scale<op::squared_error<y2>,
// std::ratio<1, 2>>>> minimises the mean over samples of that weighted sum.
//
// When y is an activation's output, y = f(z), the loss reads z too: a cross-entropy is computed
// from the logits z (finite for any z), and fused with f (fuses_input): its vjp writes δz = y − t
// directly, f's own vjp is skipped. Anything else reads y alone (z = y).
//
//   value   Σ over the tile's samples of Loss(y, t)
//   vjp     δy (or δz when fused) = scale · ∂Loss/∂y, scale the loss's weight in the objective
//           times 1/n for a batch mean

#include <cstddef>
#include <string_view>
#include <type_traits>

#include "../core/list.hpp"
#include "../core/op.hpp"
#include "../nn/activations.hpp"
#include "../nn/losses.hpp"
#include "shape_checks.hpp"

namespace ctnn::op {

namespace detail {
template <class Y>
struct prediction_function {
  using type = ctnn::identity;
  static constexpr bool is_activation = false;
};
template <class Y>
  requires requires { typename Y::function; }
struct prediction_function<Y> {
  using type = typename Y::function;
  static constexpr bool is_activation = true;
};
}  // namespace detail

template <class Loss, class Y>
struct loss {
  using inputs = core::list<Y>;
  using shape = ctnn::shape<1>;
  using function = Loss;
  // f of y = f(z), identity when y is not an activation's output.
  using activation = typename detail::prediction_function<Y>::type;
  static constexpr bool reads_through = detail::prediction_function<Y>::is_activation;
  static constexpr std::size_t width = core::shape_of<Y>::size;
  static constexpr bool is_loss = true;
  static constexpr std::string_view op_name = Loss::name;
  static constexpr std::string_view spelling = "ctnn::op::loss<{loss}, {in0}>";
  static constexpr core::fusion fuses_input =
      reads_through && Loss::template fuses_with<activation> ? core::fusion::yes : core::fusion::no;

  static_assert(shape_error::loss_on<loss>::template needs_at_least_outputs<
                Loss::min_width>::template but_its_input_has<width>::ok);
  static_assert(shape_error::loss_on<loss>::template cannot_follow_activation<
                activation>::template check<Loss::template takes_activation<activation>>::ok);

  template <class Arch, class T>
  static constexpr T value(const T* z, const T* y, const T* t, std::size_t n) {
    return Loss::template value<activation, width, Arch>(z, y, t, n);
  }

  template <bool Fused, class Arch, class T, class Sink>
  static constexpr void vjp(const T* z, const T* y, const T* t, const Sink& sink, std::size_t n,
                            T scale) {
    Loss::template delta<activation, width, Fused, Arch>(z, y, t, sink, n, scale);
  }
};

template <class Y>
using squared_error = loss<ctnn::squared_error, Y>;
template <class Y>
using softmax_cross_entropy = loss<ctnn::softmax_cross_entropy, Y>;
template <class Y>
using binary_cross_entropy = loss<ctnn::binary_cross_entropy, Y>;
// A loss on each row of a matrix y (each step of a sequence: op::dense_rows' output), summed.
template <class Y>
using step_softmax_cross_entropy =
    loss<ctnn::per_row<ctnn::softmax_cross_entropy, core::shape_of<Y>::dims[0]>, Y>;
template <class Y>
using step_squared_error = loss<ctnn::per_row<ctnn::squared_error, core::shape_of<Y>::dims[0]>, Y>;

}  // namespace ctnn::op
