#pragma once
// Compile errors in plain words. C++20 cannot put computed numbers into a static_assert message,
// so each check is a class template whose *name* reads as the sentence; both compilers print it
// in the "required from" / "in instantiation of" line next to the message, for example
//   ctnn::shape_error::layer_at_position<3, ctnn::linear<32, 8>>::expects_inputs<32>::but_receives<64>
// Positions count the template arguments of network<...> from 0 (input<N> is position 0).

#include <cstddef>

namespace ctnn {

namespace shape_error {

template <std::size_t Position, class Layer>
struct layer_at_position {
  template <std::size_t Expected>
  struct expects_inputs {
    template <std::size_t Got>
    struct but_receives {
      static_assert(Expected == Got,
                    "ctnn: a layer's declared input width differs from the width the previous "
                    "layer outputs (see layer_at_position<position, layer>::expects_inputs<n>::"
                    "but_receives<m> in the lines around this error)");
      static constexpr bool ok = true;
    };
  };

  struct must_follow_a_dense_layer {
    template <bool Ok>
    struct check {
      static_assert(Ok,
                    "ctnn: an activation must come right after a dense layer (see "
                    "layer_at_position<position, layer> in the lines around this error)");
      static constexpr bool ok = true;
    };
  };

  struct is_not_a_ctnn_layer {
    template <bool Ok>
    struct check {
      static_assert(Ok,
                    "ctnn: this template argument of network<...> is not a layer (expected "
                    "input<N>, dense<N>, linear<In, Out> or an activation; see "
                    "layer_at_position<position, type> in the lines around this error)");
      static constexpr bool ok = true;
    };
  };

  struct has_zero_width {
    template <bool Ok>
    struct check {
      static_assert(Ok, "ctnn: a layer has width 0 (see layer_at_position<position, layer> in "
                        "the lines around this error)");
      static constexpr bool ok = true;
    };
  };
};

template <bool Ok>
struct network_has_no_layers {
  static_assert(Ok, "ctnn: network<> has no layers; a network needs input<N> and at least one "
                    "dense layer, for example network<input<4>, dense<1>>");
  static constexpr bool ok = true;
};

template <bool Ok>
struct network_must_start_with_input {
  static_assert(Ok, "ctnn: the first template argument of network<...> must be input<N>");
  static constexpr bool ok = true;
};

template <bool Ok>
struct network_needs_at_least_one_dense_layer {
  static_assert(Ok, "ctnn: a network needs at least one dense layer after input<N>");
  static constexpr bool ok = true;
};

}  // namespace shape_error

namespace input_error {

// A one-sample pass given a fixed-size sample (std::array, std::span<T, N>) of another width than
// the graph's input: without this, "no matching function" with the reason among the notes.
template <std::size_t Given>
struct sample_has_values {
  template <std::size_t Expected>
  struct but_the_input_takes {
    static_assert(Given == Expected,
                  "ctnn: the sample passed to forward does not have the width of the graph's "
                  "input (see input_error::sample_has_values<given>::but_the_input_takes<"
                  "expected> in the lines around this error)");
    static constexpr bool ok = true;
  };
};

}  // namespace input_error

namespace loss_error {

template <class Loss>
struct loss {
  template <std::size_t Minimum>
  struct needs_at_least_outputs {
    template <std::size_t Got>
    struct but_the_network_outputs {
      static_assert(Got >= Minimum,
                    "ctnn: this loss cannot take the network's output width (see "
                    "loss<...>::needs_at_least_outputs<n>::but_the_network_outputs<m> in the "
                    "lines around this error)");
      static constexpr bool ok = true;
    };
  };

  template <class Activation>
  struct cannot_follow_activation {
    template <std::size_t Position>
    struct at_layer_position {
      template <bool Ok>
      struct check {
        static_assert(Ok,
                      "ctnn: this loss cannot take the output of the network's last activation "
                      "(it takes logits from a dense layer, or the activation it is fused with; "
                      "see loss<...>::cannot_follow_activation<...>::at_layer_position<n> in "
                      "the lines around this error)");
        static constexpr bool ok = true;
      };
    };
  };
};

}  // namespace loss_error

namespace gradient_error {

// An activation without a derivative (step, sign: `differentiable = false`) in a network that a
// gradient is asked of.
template <std::size_t Position, class Activation>
struct layer_at_position {
  struct is_not_differentiable {
    template <bool Ok>
    struct check {
      static_assert(Ok,
                    "ctnn: cannot differentiate through an activation that has no derivative; "
                    "use it only in forward passes (forward, forward_batch). See "
                    "gradient_error::layer_at_position<position, activation>::"
                    "is_not_differentiable in the lines around this error");
      static constexpr bool ok = true;
    };
  };
};

// A node without a derivative in a graph that a gradient is asked of.
template <class Node>
struct node {
  struct is_not_differentiable {
    template <bool Ok>
    struct check {
      static_assert(Ok,
                    "ctnn: cannot differentiate through a node that has no derivative (step, "
                    "sign); use it only in forward passes, or behind op::stop_gradient. See "
                    "gradient_error::node<node> in the lines around this error");
      static constexpr bool ok = true;
    };
  };
};

}  // namespace gradient_error

}  // namespace ctnn
