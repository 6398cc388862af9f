#pragma once
// Recurrent cells, as graphs of ordinary ops (dense, sigmoid, tanh, add, mul, slice, concat), run
// over a sequence by op::unroll (ops/unroll.hpp). A cell's derivative is the derivation's, like any
// graph's: no cell has a hand-written backward pass. Each follows PyTorch's equations, gate order
// and parameter names, so a cell named "gru" holds exactly the tensors of a module attribute
// `gru = nn.GRU(In, Hidden, batch_first=True)` (layer l: "gru.weight_ih_l<l>", ...):
//
//   rnn_cell<"rnn", In, H>     h' = tanh(W_ih x + b_ih + W_hh h + b_hh)        (nn.RNN)
//   gru_cell<"gru", In, H>     r = σ(W_ir x + b_ir + W_hr h + b_hr)             (nn.GRU)
//                              z = σ(W_iz x + b_iz + W_hz h + b_hz)
//                              n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
//                              h' = (1 − z) ⊙ n + z ⊙ h
//   lstm_cell<"lstm", In, H>   i, f, g, o = σ, σ, tanh, σ of W_ih x + b_ih + W_hh h + b_hh
//                              c' = f ⊙ c + i ⊙ g,  h' = o ⊙ tanh(c')          (nn.LSTM)
//
// A cell's state is h (RNN, GRU) or [h, c] (LSTM: S = 2H), so an unrolled layer's values are the
// states after each step, shape <T, S>; the sugar below reads what a head or the next layer wants:
//
//   recurrent<Cell, T, x>           op::unroll<Cell, T, x>: a layer over x (T steps of In values)
//   recurrent<Cell, T, x, start>    from the state `start` instead of zeros
//   hidden_sequence<layer>          h_1 .. h_T, shape <T, H> (the next layer's input; PyTorch's
//                                   output)
//   last_hidden<layer>              h_T, shape <H> (a sequence-to-one head's input)
//   final_state<layer>              s_T, shape <S> (the state a next window starts from)
//
// Stacked layers: layer l + 1 reads hidden_sequence of layer l and is named like it with Layer =
// l + 1, as nn.GRU(num_layers = 2) names its second layer's tensors "weight_ih_l1", ...

#include <cstddef>
#include <string_view>
#include <type_traits>

#include "../core/name.hpp"
#include "../ops/activation.hpp"
#include "../ops/arithmetic.hpp"
#include "../ops/dense.hpp"
#include "../ops/input.hpp"
#include "../ops/structure.hpp"
#include "../ops/unroll.hpp"
#include "activations.hpp"

namespace ctnn {

namespace detail {
// PyTorch's names of layer L's tensors: "weight_ih_l0", ...
template <std::size_t Layer>
struct recurrent_roles {
  static constexpr auto weight_ih = core::joined_name<"weight_ih_l", core::decimal_name<Layer>()>();
  static constexpr auto weight_hh = core::joined_name<"weight_hh_l", core::decimal_name<Layer>()>();
  static constexpr auto bias_ih = core::joined_name<"bias_ih_l", core::decimal_name<Layer>()>();
  static constexpr auto bias_hh = core::joined_name<"bias_hh_l", core::decimal_name<Layer>()>();
};
}  // namespace detail

// Every cell: its input x and state (graph inputs), the two affine maps of PyTorch's layout, and
// the facts op::unroll reads.
template <name Name, std::size_t In, std::size_t Hidden, std::size_t Layer, std::size_t State>
struct cell_base {
  static constexpr auto label = Name;
  static constexpr std::size_t input_size = In, hidden_size = Hidden, state_size = State, layer = Layer;
  using roles = detail::recurrent_roles<Layer>;
  using x = op::input<"x", In>;
  using state = op::input<"state", State>;
};

template <name Name, std::size_t In, std::size_t Hidden, std::size_t Layer = 0, class F = ctnn::tanh>
struct rnn_cell : cell_base<Name, In, Hidden, Layer, Hidden> {
  static constexpr bool relu = std::is_same_v<F, ctnn::relu>;
  static_assert(relu || std::is_same_v<F, ctnn::tanh>,
                "ctnn::rnn_cell: the nonlinearity is ctnn::tanh or ctnn::relu, as nn.RNN's");
  using base = cell_base<Name, In, Hidden, Layer, Hidden>;
  using r = typename base::roles;
  using x = typename base::x;
  using state = typename base::state;
  using input_part = op::dense_roles<Name, Hidden, x, r::weight_ih, r::bias_ih>;
  using state_part = op::dense_roles<Name, Hidden, state, r::weight_hh, r::bias_hh>;
  using next = op::activation<F, op::add<input_part, state_part>>;
  static constexpr std::string_view kind = relu ? "rnn_relu" : "rnn_tanh";
  static constexpr std::string_view unroll_spelling =
      relu ? "ctnn::op::unroll<ctnn::rnn_cell<\"{label}\", {n1}, {n2}, {n3}, ctnn::relu>, {n0}, {inputs}>"
           : "ctnn::op::unroll<ctnn::rnn_cell<\"{label}\", {n1}, {n2}, {n3}>, {n0}, {inputs}>";
  static constexpr std::string_view notation_from_zero =
      relu ? "RNN(relu, h₀ = 0) over the {n0} steps of {x0}" : "RNN(tanh, h₀ = 0) over the {n0} steps of {x0}";
  static constexpr std::string_view notation_from_start =
      relu ? "RNN(relu, h₀ = {x1}) over the {n0} steps of {x0}" : "RNN(tanh, h₀ = {x1}) over the {n0} steps of {x0}";
};

template <name Name, std::size_t In, std::size_t Hidden, std::size_t Layer = 0>
struct gru_cell : cell_base<Name, In, Hidden, Layer, Hidden> {
  using base = cell_base<Name, In, Hidden, Layer, Hidden>;
  using r_ = typename base::roles;
  using x = typename base::x;
  using state = typename base::state;
  static constexpr std::size_t H = Hidden;
  using input_part = op::dense_roles<Name, 3 * H, x, r_::weight_ih, r_::bias_ih>;
  using state_part = op::dense_roles<Name, 3 * H, state, r_::weight_hh, r_::bias_hh>;
  using reset = op::sigmoid<op::add<op::slice<input_part, 0, H>, op::slice<state_part, 0, H>>>;
  using update = op::sigmoid<op::add<op::slice<input_part, H, 2 * H>, op::slice<state_part, H, 2 * H>>>;
  using candidate = op::tanh<
      op::add<op::slice<input_part, 2 * H, 3 * H>, op::mul<reset, op::slice<state_part, 2 * H, 3 * H>>>>;
  // (1 − z) ⊙ n + z ⊙ h, as n + z ⊙ (h − n)
  using next = op::add<candidate, op::mul<update, op::sub<state, candidate>>>;
  static constexpr std::string_view kind = "gru";
  static constexpr std::string_view unroll_spelling =
      "ctnn::op::unroll<ctnn::gru_cell<\"{label}\", {n1}, {n2}, {n3}>, {n0}, {inputs}>";
  static constexpr std::string_view notation_from_zero = "GRU(h₀ = 0) over the {n0} steps of {x0}";
  static constexpr std::string_view notation_from_start = "GRU(h₀ = {x1}) over the {n0} steps of {x0}";
};

template <name Name, std::size_t In, std::size_t Hidden, std::size_t Layer = 0>
struct lstm_cell : cell_base<Name, In, Hidden, Layer, 2 * Hidden> {
  using base = cell_base<Name, In, Hidden, Layer, 2 * Hidden>;
  using r_ = typename base::roles;
  using x = typename base::x;
  using state = typename base::state;
  static constexpr std::size_t H = Hidden;
  using h = op::slice<state, 0, H>;
  using c = op::slice<state, H, 2 * H>;
  using gates = op::add<op::dense_roles<Name, 4 * H, x, r_::weight_ih, r_::bias_ih>,
                        op::dense_roles<Name, 4 * H, h, r_::weight_hh, r_::bias_hh>>;
  using in_gate = op::sigmoid<op::slice<gates, 0, H>>;
  using forget_gate = op::sigmoid<op::slice<gates, H, 2 * H>>;
  using cell_input = op::tanh<op::slice<gates, 2 * H, 3 * H>>;
  using out_gate = op::sigmoid<op::slice<gates, 3 * H, 4 * H>>;
  using next_c = op::add<op::mul<forget_gate, c>, op::mul<in_gate, cell_input>>;
  using next_h = op::mul<out_gate, op::tanh<next_c>>;
  using next = op::concat<next_h, next_c>;
  static constexpr std::string_view kind = "lstm";
  static constexpr std::string_view unroll_spelling =
      "ctnn::op::unroll<ctnn::lstm_cell<\"{label}\", {n1}, {n2}, {n3}>, {n0}, {inputs}>";
  static constexpr std::string_view notation_from_zero = "LSTM([h₀, c₀] = 0) over the {n0} steps of {x0}";
  static constexpr std::string_view notation_from_start =
      "LSTM([h₀, c₀] = {x1}) over the {n0} steps of {x0}";
};

template <class Cell, std::size_t T, class X, class Start = void>
using recurrent = op::unroll<Cell, T, X, Start>;

namespace detail {
template <class Layer>
struct hidden_part {
  using cell = typename Layer::cell;
  using type = std::conditional_t<cell::state_size == cell::hidden_size, Layer,
                                  op::columns<Layer, 0, cell::hidden_size>>;
};
}  // namespace detail

template <class Layer>
using hidden_sequence = typename detail::hidden_part<Layer>::type;
template <class Layer>
using final_state = op::reshape<op::slice<Layer, Layer::steps - 1, Layer::steps>,
                                ctnn::shape<Layer::cell::state_size>>;
template <class Layer>
using last_hidden = op::reshape<op::slice<hidden_sequence<Layer>, Layer::steps - 1, Layer::steps>,
                                ctnn::shape<Layer::cell::hidden_size>>;

}  // namespace ctnn
