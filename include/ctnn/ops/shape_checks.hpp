#pragma once
// The shape rules of the ops, as compile errors in plain words (the pattern of nn/diagnostics.hpp:
// a class template whose name reads as the sentence, instantiated only when the check fails).
// Both compilers print the node and the shapes as its template arguments next to the message:
//   ctnn::shape_error::operands_of<ctnn::op::add<a, b>>::left<a, ctnn::shape<3>>::
//       right<b, ctnn::shape<4>>::check<false>

#include <cstddef>
#include <cstdint>

namespace ctnn::shape_error {

template <class Node>
struct input_shape {
  template <bool Ok>
  struct check {
    static_assert(Ok, "ctnn: an input's shape must have rank 1 to 4 and no dimension 0 (see "
                      "input_shape<node> in the lines around this error)");
    static constexpr bool ok = true;
  };
};

// dropout's probability, batch_norm's momentum and epsilon: the node, the ratio, the range.
template <class Node>
struct dropout_of {
  template <std::intmax_t Num, std::intmax_t Den>
  struct probability_is {
    template <bool Ok>
    struct check {
      static_assert(Ok, "ctnn: op::dropout's probability must be at least 0 and below 1 "
                        "(std::ratio<1, 2> drops half; see dropout_of<node>::probability_is<num, "
                        "den> in the lines around this error)");
      static constexpr bool ok = true;
    };
  };
};
// op::unroll's checks: the steps, the sequence's and the starting state's widths.
template <class Node>
struct unroll_of {
  template <std::size_t Steps>
  struct steps_are {
    template <bool Ok>
    struct check {
      static_assert(Ok, "ctnn: op::unroll needs at least one step (T = 0; see "
                        "unroll_of<node>::steps_are<T> in the lines around this error)");
      static constexpr bool ok = true;
    };
  };
  template <class Sequence, std::size_t Size>
  struct sequence_has {
    template <std::size_t Steps, std::size_t InputWidth>
    struct but_needs_steps_times_input {
      template <bool Ok>
      struct check {
        static_assert(Ok, "ctnn: op::unroll's sequence must hold T steps of the cell's input "
                          "width (T × input values per sample; see unroll_of<node>::"
                          "sequence_has<node, size>::but_needs_steps_times_input<T, width> in "
                          "the lines around this error)");
        static constexpr bool ok = true;
      };
    };
  };
  template <class Start, std::size_t Size>
  struct start_state_has {
    template <std::size_t StateWidth>
    struct but_the_cell_state_has {
      template <bool Ok>
      struct check {
        static_assert(Ok, "ctnn: op::unroll's starting state must have the cell's state width "
                          "(see unroll_of<node>::start_state_has<node, size>::"
                          "but_the_cell_state_has<width> in the lines around this error)");
        static constexpr bool ok = true;
      };
    };
  };
};
// A recurrent cell's own graph: its next state must have the width of the state it reads (the
// only feedback edge a cell has goes through its state).
template <class Cell>
struct cell_of {
  template <std::size_t StateWidth>
  struct reads_state_of_width {
    template <std::size_t NextWidth>
    struct but_its_next_state_has {
      template <bool Ok>
      struct check {
        static_assert(Ok, "ctnn: a recurrent cell's next state must have its state's width: the "
                          "state is the cell's only way back to the next step (see cell_of<cell>::"
                          "reads_state_of_width<w>::but_its_next_state_has<v> in the lines around "
                          "this error)");
        static constexpr bool ok = true;
      };
    };
  };
  template <std::size_t Inputs>
  struct reads_inputs {
    template <bool Ok>
    struct check {
      static_assert(Ok, "ctnn: a recurrent cell's graph may read only its input x and its state: "
                        "any other value fed back from a step must go through the state (see "
                        "cell_of<cell>::reads_inputs<count> in the lines around this error)");
      static constexpr bool ok = true;
    };
  };
  template <bool Ok>
  struct keeps_no_state_blocks {
    static_assert(Ok, "ctnn: a recurrent cell cannot hold state blocks (batch_norm's running "
                      "statistics) or share a block between its own nodes (see cell_of<cell> in "
                      "the lines around this error)");
    static constexpr bool ok = true;
  };
};
template <class Node>
struct batch_norm_of {
  template <std::intmax_t Num, std::intmax_t Den>
  struct momentum_is {
    template <bool Ok>
    struct check {
      static_assert(Ok, "ctnn: op::batch_norm's momentum must be between 0 and 1 (PyTorch's "
                        "default is std::ratio<1, 10>; see batch_norm_of<node>::momentum_is<num, "
                        "den> in the lines around this error)");
      static constexpr bool ok = true;
    };
  };
  template <std::intmax_t Num, std::intmax_t Den>
  struct epsilon_is {
    template <bool Ok>
    struct check {
      static_assert(Ok, "ctnn: op::batch_norm's epsilon must be above 0 (PyTorch's default is "
                        "std::ratio<1, 100000>; see batch_norm_of<node>::epsilon_is<num, den> in "
                        "the lines around this error)");
      static constexpr bool ok = true;
    };
  };
};

// Elementwise binary ops (add, sub, mul) and concat.
template <class Node>
struct operands_of {
  template <class Left, class LeftShape>
  struct left {
    template <class Right, class RightShape>
    struct right {
      template <bool Ok>
      struct check {
        static_assert(Ok, "ctnn: the operands of an elementwise op (add, sub, mul) must have one "
                          "shape (see operands_of<node>::left<node, shape>::right<node, shape> in "
                          "the lines around this error)");
        static constexpr bool ok = true;
      };
      template <bool Ok>
      struct concat_check {
        static_assert(Ok, "ctnn: concat joins its operands along their outermost dimension, so "
                          "all other dimensions must agree (see operands_of<node>::left<node, "
                          "shape>::right<node, shape> in the lines around this error)");
        static constexpr bool ok = true;
      };
    };
  };
};

template <class Node>
struct dense_layer {
  template <class Input, class InputShape>
  struct takes {
    template <bool Ok>
    struct check {
      static_assert(Ok, "ctnn: a dense node takes a vector (rank 1); flatten its input first "
                        "with op::flatten<...> (see dense_layer<node>::takes<node, shape> in the "
                        "lines around this error)");
      static constexpr bool ok = true;
    };
  };
  template <bool Ok>
  struct has_zero_outputs {
    static_assert(Ok, "ctnn: a dense node needs at least one output (see dense_layer<node>)");
    static constexpr bool ok = true;
  };
};

template <class Node>
struct dense_rows_layer {
  template <class Input, class InputShape>
  struct takes {
    template <bool Ok>
    struct check {
      static_assert(Ok, "ctnn: op::dense_rows takes a matrix (rank 2: rows of the layer's input "
                        "width, such as a sequence's steps); see dense_rows_layer<node>::takes<node, "
                        "shape> in the lines around this error");
      static constexpr bool ok = true;
    };
  };
};

template <class Node>
struct slice_of {
  template <std::size_t Begin, std::size_t End>
  struct range {
    template <class Input, class InputShape>
    struct of_input {
      template <bool Ok>
      struct check {
        static_assert(Ok, "ctnn: a slice [begin, end) must be non-empty and lie inside its "
                          "input's outermost dimension (see slice_of<node>::range<begin, end>::"
                          "of_input<node, shape> in the lines around this error)");
        static constexpr bool ok = true;
      };
    };
  };
};

template <class Node>
struct reshape_of {
  template <class From>
  struct from {
    template <class To>
    struct to {
      template <bool Ok>
      struct check {
        static_assert(Ok, "ctnn: a reshape must keep the number of values and give a shape of "
                          "rank 1 to 4 (see reshape_of<node>::from<shape>::to<shape> in the lines "
                          "around this error)");
        static constexpr bool ok = true;
      };
    };
  };
};

template <class Node>
struct loss_on {
  template <std::size_t Minimum>
  struct needs_at_least_outputs {
    template <std::size_t Got>
    struct but_its_input_has {
      static_assert(Got >= Minimum,
                    "ctnn: this loss cannot take its input's width (see loss_on<node>::"
                    "needs_at_least_outputs<n>::but_its_input_has<m> in the lines around this "
                    "error)");
      static constexpr bool ok = true;
    };
  };
  template <class Activation>
  struct cannot_follow_activation {
    template <bool Ok>
    struct check {
      static_assert(Ok,
                    "ctnn: this loss cannot take the output of that activation (it takes logits, "
                    "or the activation it is fused with; see loss_on<node>::"
                    "cannot_follow_activation<...> in the lines around this error)");
      static constexpr bool ok = true;
    };
  };
};

// Convolution and pooling (ops/window.hpp): an image input, and a window that fits.
template <class Node>
struct window_of {
  template <class Input, class InputShape>
  struct takes {
    template <bool Ok>
    struct check {
      static_assert(Ok, "ctnn: convolution and pooling nodes take an image of shape "
                        "<channels, height, width> (rank 3); reshape a vector first with "
                        "op::reshape<x, ctnn::shape<c, h, w>> (see window_of<node>::takes<node, "
                        "shape> in the lines around this error)");
      static constexpr bool ok = true;
    };
  };
  template <std::size_t PaddedHeight, std::size_t PaddedWidth>
  struct padded_input_is {
    template <std::size_t SpanHeight, std::size_t SpanWidth>
    struct kernel_spans {
      template <bool Ok>
      struct check {
        static_assert(Ok, "ctnn: the window does not fit: its span dilation*(kernel-1)+1 must be "
                          "at most the input's height and width plus twice the padding, and "
                          "kernel, stride and dilation must be at least 1 (see window_of<node>::"
                          "padded_input_is<height + 2*padding, width + 2*padding>::kernel_spans<"
                          "height, width> in the lines around this error)");
        static constexpr bool ok = true;
      };
    };
  };
  template <class Kernel>
  struct kernel_argument_is {
    template <bool Ok>
    struct check {
      static_assert(Ok, "ctnn: a window node's kernel is written op::kernel<h, w> (or op::kernel<k>), "
                        "right after conv2d's channel count or a pool's input: op::conv2d<name, "
                        "out_channels, op::kernel<..>, input, options...>, op::max_pool2d<input, "
                        "op::kernel<..>, options...> (see window_of<node>::kernel_argument_is<"
                        "type> in the lines around this error)");
      static constexpr bool ok = true;
    };
  };
  template <std::size_t PaddingHeight, std::size_t PaddingWidth>
  struct pool_padding_is {
    template <std::size_t KernelHeight, std::size_t KernelWidth>
    struct kernel_is {
      template <bool Ok>
      struct check {
        static_assert(Ok, "ctnn: a pooling window's padding must be at most half its kernel "
                          "(PyTorch's rule: else a window could lie in the padding only; see "
                          "window_of<node>::pool_padding_is<h, w>::kernel_is<h, w> in the lines "
                          "around this error)");
        static constexpr bool ok = true;
      };
    };
  };
  template <std::size_t Values, std::size_t Limit>
  struct scratch_values {
    template <bool Ok>
    struct check {
      static_assert(Ok, "ctnn: this conv2d needs more scratch per sample than ctnn keeps on the "
                        "stack (the input adjoint of one sample and one patch matrix; see "
                        "window_of<node>::scratch_values<needed, limit> in the lines around this "
                        "error): split the channels over several conv2d nodes and concat them");
      static constexpr bool ok = true;
    };
  };
  template <bool Ok>
  struct options_are_window_options {
    static_assert(Ok, "ctnn: the options after a window node's input are op::stride<...>, "
                      "op::padding<...>, op::dilation<...> (and op::no_bias for conv2d); see "
                      "window_of<node> in the lines around this error");
    static constexpr bool ok = true;
  };
};

}  // namespace ctnn::shape_error
