#pragma once
// op::unroll<Cell, T, x>: a recurrent cell run over T steps of a sequence, the cell's parameters
// shared by every step (backpropagation through time). x holds T steps of the cell's input per
// sample (shape <T, In> or any shape of T·In values); the node's values are the cell's state after
// each step, shape <T, S>. op::unroll<Cell, T, x, start> starts from the state `start` (S values
// per sample) instead of zeros, and gives it a gradient: a carried state (truncated BPTT,
// streaming) reads the last row of the previous window.
//
// A cell (nn/recurrent.hpp) is a graph of ordinary ops from two inputs, Cell::x (In values) and
// Cell::state (S values), to Cell::next (S values). Its derivative is the derivation's
// (autodiff/reverse.hpp) like any graph's; this op only runs that graph's passes step by step:
//
//   forward   s₀ = start or 0;  s_t = cell(x_t, s_{t−1}) for t = 1 .. T
//   vjp       for t = T .. 1: the cell's backward pass seeded with δs_t = δy_t + (δs_t from step
//             t + 1), on the workspace step t's forward pass left; it gives δx_t, δs_{t−1} and
//             adds ∂θ over the steps
//
// The steps are a loop, not T copies of the cell in the graph's type: one instantiation of the
// cell's passes serves every step, so compile time does not grow with T (unrolling into types
// cost 2.6 s of g++ time per GRU step). A gradient pass (the training rule) keeps every step's
// workspace of the cell for the vjp (T of them: 7 MB for a GRU of 128 on a tile of 32); passes
// without a gradient reuse one, and a vjp under the evaluation rule (H·u) runs each step's
// forward pass again from the stored states. Samples run in chunks of up to 32, time-major, so
// each step's dense products run on a tile of samples.

#include <algorithm>
#include <array>
#include <cstddef>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "../autodiff/plan.hpp"
#include "../core/graph.hpp"
#include "../core/list.hpp"
#include "../core/op.hpp"
#include "../exec/program.hpp"
#include "shape_checks.hpp"
#include "structure.hpp"

namespace ctnn::op {

namespace detail {

// The loss whose gradient is a given δ: L = Σ t ⊙ y, so δy = t. It seeds a cell's backward pass
// with the adjoint of its next state.
template <class Y>
struct given_adjoint {
  using inputs = core::list<Y>;
  using shape = ctnn::shape<1>;
  static constexpr bool is_loss = true;
  static constexpr bool reads_through = false;
  static constexpr core::fusion fuses_input = core::fusion::no;
  static constexpr std::size_t width = core::shape_of<Y>::size;
  static constexpr std::string_view op_name = "given_adjoint";

  template <class Arch, class T>
  static constexpr T value(const T*, const T* y, const T* t, std::size_t n) {
    T sum = 0;
    for (std::size_t k = 0; k < n * width; ++k) sum += t[k] * y[k];
    return sum;
  }
  template <bool Fused, class Arch, class T, class Sink>
  static constexpr void vjp(const T*, const T*, const T* t, const Sink& sink, std::size_t n, T) {
    put_row<Arch, T>(t, n * width, sink, 0);
  }
};

template <class Nodes>
struct parameters_of_nodes;
template <class... M>
struct parameters_of_nodes<core::list<M...>> {
  using type = decltype((core::list<>{} + ... + core::parameters_of<M>{}));
};

template <class Start>
constexpr std::size_t start_size() {
  if constexpr (std::is_void_v<Start>) return 0;
  else return core::shape_of<Start>::size;
}

template <class Start>
struct start_inputs {
  using type = core::list<Start>;
};
template <>
struct start_inputs<void> {
  using type = core::list<>;
};

}  // namespace detail

template <class Cell, std::size_t Steps, class X, class Start = void>
struct unroll {
  using cell = Cell;
  static constexpr std::size_t steps = Steps;
  static constexpr std::size_t in = Cell::input_size;
  static constexpr std::size_t state = Cell::state_size;
  static constexpr bool has_start = !std::is_void_v<Start>;
  static_assert(shape_error::unroll_of<unroll>::template steps_are<Steps>::template check<(Steps > 0)>::ok);
  static_assert(shape_error::unroll_of<unroll>::template sequence_has<X, core::shape_of<X>::size>::
                    template but_needs_steps_times_input<Steps, in>::template check<
                        Steps == 0 || core::shape_of<X>::size == Steps * in>::ok);
  static_assert(shape_error::unroll_of<unroll>::template start_state_has<Start, detail::start_size<Start>()>::
                    template but_the_cell_state_has<state>::template check<
                        !has_start || detail::start_size<Start>() == state>::ok);

  // The cell's graph, with the loss that seeds its backward pass.
  using cell_graph = core::graph_base<ctnn::inputs<typename Cell::x, typename Cell::state>,
                                      ctnn::outputs<typename Cell::next>,
                                      ctnn::objective<detail::given_adjoint<typename Cell::next>>>;
  static_assert(shape_error::cell_of<Cell>::template reads_inputs<cell_graph::input_count>::template check<
                cell_graph::input_count == 2>::ok);
  static_assert(shape_error::cell_of<Cell>::template reads_state_of_width<state>::template but_its_next_state_has<
                core::shape_of<typename Cell::next>::size>::template check<
                core::shape_of<typename Cell::next>::size == state>::ok);
  static_assert(shape_error::cell_of<Cell>::template keeps_no_state_blocks<
                !cell_graph::has_state && cell_graph::block_count == cell_graph::table::record_count>::ok);

  using inputs = decltype(core::list<X>{} + typename detail::start_inputs<Start>::type{});
  using shape = ctnn::shape<(Steps > 0 ? Steps : 1), state>;  // (T = 0 is refused above, once)
  using parameters = typename detail::parameters_of_nodes<typename cell_graph::nodes>::type;
  static constexpr std::size_t size = shape::size;
  static constexpr std::size_t blocks = cell_graph::block_count;
  static constexpr std::size_t parameter_count = cell_graph::parameter_count;

  static constexpr std::size_t uniform_fan = Cell::hidden_size;  // nn/init.hpp: PyTorch's ±1/√H
  static constexpr auto label = Cell::label;
  // "unroll_gru", "unroll_lstm", "unroll_rnn_tanh": model files name the cell's kind (the
  // label is the user's name for it).
  static constexpr auto op_name_chars = [] {
    constexpr std::string_view prefix = "unroll_";
    std::array<char, prefix.size() + Cell::kind.size()> c{};
    for (std::size_t k = 0; k < prefix.size(); ++k) c[k] = prefix[k];
    for (std::size_t k = 0; k < Cell::kind.size(); ++k) c[prefix.size() + k] = Cell::kind[k];
    return c;
  }();
  static constexpr std::string_view op_name{op_name_chars.data(), op_name_chars.size()};
  static constexpr std::array<std::size_t, 4> signature_numbers{Steps, Cell::input_size,
                                                                Cell::hidden_size, Cell::layer};
  static constexpr std::string_view spelling = Cell::unroll_spelling;
  struct notation {
    static constexpr std::string_view value =
        has_start ? Cell::notation_from_start : Cell::notation_from_zero;
    static constexpr std::string_view adjoint[2] = {"{dy} back through the {n0} steps",
                                                    "{dy} back through the {n0} steps"};
    static constexpr auto gradient = [] {
      std::array<std::string_view, blocks> g{};
      g.fill("Σ over the {n0} steps of the cell's gradient from {dy}");
      return g;
    }();
  };
  static constexpr std::size_t forward_flops = [] {
    std::size_t f = 0;
    [&]<class... M>(core::list<M...>) { ((f += core::forward_flops<M>()), ...); }(typename cell_graph::nodes{});
    return Steps * f;
  }();
  static constexpr std::size_t vjp_flops = [] {
    std::size_t f = 0;
    [&]<class... M>(core::list<M...>) { ((f += core::vjp_flops<M>()), ...); }(typename cell_graph::nodes{});
    return Steps * f;  // on the steps' kept workspaces (a vjp under the evaluation rule adds a forward pass)
  }();

  // ---- the cell's passes and the op's work ----
  static constexpr std::size_t chunk = 32;  // samples per run of the cell's passes
  static constexpr std::size_t unit = 16;   // alignment of the cell's buffers, in values
  template <std::size_t C>
  using cell_plan = autodiff::plan<cell_graph, C, unit>;
  template <std::size_t C>
  using cell_program = exec::program<cell_graph, cell_plan<C>>;
  static constexpr std::size_t next_index = cell_graph::output_index[0];

  static constexpr std::size_t round(std::size_t n) { return (n + unit - 1) / unit * unit; }
  // Where the work of a tile of n samples is (offsets from its start): the inputs and the states
  // by step (every sample, kept from forward to vjp), the cell's workspaces, then one chunk's
  // buffers for the vjp (the summed gradient, the state adjoints, δx_t and the seed). Under the
  // training rule every step of every chunk keeps its own workspace, which the vjp's backward
  // steps then run on; otherwise one workspace serves every step, and a vjp (H·u's) runs each
  // step's forward pass again first. A plan without a backward half keeps the inputs, the states
  // and one workspace only.
  struct work_layout {
    std::size_t inputs, states, cells, cell_size, gradient, state_adjoint, input_adjoint, seed, total;
  };
  static constexpr std::size_t chunk_of(std::size_t n) { return n == 1 ? 1 : chunk; }
  static constexpr work_layout layout(std::size_t n) {
    const std::size_t c = chunk_of(n), chunks = (n + c - 1) / c;
    work_layout w{};
    w.cell_size = n == 1 ? cell_plan<1>::size : cell_plan<chunk>::size;
    w.inputs = 0;
    w.states = w.inputs + round(n * Steps * in);
    w.cells = w.states + round(n * (Steps + 1) * state);
    w.gradient = w.cells + chunks * Steps * w.cell_size;
    w.state_adjoint = w.gradient + round(parameter_count);
    w.input_adjoint = w.state_adjoint + 2 * round(c * state);
    w.seed = w.input_adjoint + round(c * in);
    w.total = w.seed + round(c * state);
    return w;
  }
  static constexpr std::size_t work_size(std::size_t tile, bool backward) {
    const work_layout w = layout(tile);
    return backward ? w.total : w.cells + w.cell_size;
  }
  // The workspace of step t of chunk k (stored steps), or the one shared by every step.
  template <class T>
  static constexpr T* cell_work(T* work, const work_layout& w, bool stored, std::size_t k, std::size_t t) {
    return work + w.cells + (stored ? (k * Steps + t) * w.cell_size : 0);
  }

  // ---- forward ----
  template <class Arch, class T, std::size_t I, std::size_t P>
  static constexpr void forward(const core::forward_args<T, I, P>& a) {
    static_assert(P == blocks);
    T* work = a.out + a.n * size;
    const T* start = nullptr;
    if constexpr (has_start) start = a.in[1];
    if (a.n == 1)
      forward_samples<1, Arch>(a.in[0], start, a.param, a.out, work, a.mode, 1);
    else
      forward_samples<chunk, Arch>(a.in[0], start, a.param, a.out, work, a.mode, a.n);
  }

  template <std::size_t C, class T>
  using step_tile = exec::block_tile<T, 2, 1, blocks>;

  template <std::size_t C, class Arch, class T>
  static constexpr void forward_samples(const T* x, const T* start, const std::array<const T*, blocks>& params,
                                        T* out, T* work, const core::run_mode& mode, std::size_t n) {
    const work_layout w = layout(n);
    for (std::size_t s0 = 0; s0 < n; s0 += C) {
      const std::size_t c = std::min(C, n - s0);
      T* xs = work + w.inputs + s0 * Steps * in;
      T* states = work + w.states + s0 * (Steps + 1) * state;
      gather_inputs(x + s0 * Steps * in, c, xs);
      for (std::size_t j = 0; j < c; ++j)
        for (std::size_t k = 0; k < state; ++k)
          states[j * state + k] = start ? start[(s0 + j) * state + k] : T(0);
      step_tile<C, T> b = tile_for<C>(params, static_cast<T*>(nullptr), mode, s0, c);
      for (std::size_t t = 0; t < Steps; ++t) {
        b.ws = cell_work(work, w, mode.training, s0 / C, t);
        step_at(b, xs, states, t, c);
        cell_program<C>::template forward<Arch, T>(b);
        const T* next = cell_program<C>::template value<next_index, T>(b);
        std::copy_n(next, c * state, states + (t + 1) * c * state);
      }
      for (std::size_t j = 0; j < c; ++j)
        for (std::size_t t = 0; t < Steps; ++t)
          std::copy_n(states + ((t + 1) * c + j) * state, state, out + ((s0 + j) * Steps + t) * state);
    }
  }

  // x (per sample: T steps of `in` values) to time-major: step t of sample j at (t·c + j)·in.
  template <class T>
  static constexpr void gather_inputs(const T* x, std::size_t c, T* xs) {
    for (std::size_t j = 0; j < c; ++j)
      for (std::size_t t = 0; t < Steps; ++t)
        std::copy_n(x + (j * Steps + t) * in, in, xs + (t * c + j) * in);
  }
  template <std::size_t C, class T>
  static constexpr step_tile<C, T> tile_for(const std::array<const T*, blocks>& params, T* ws,
                                            const core::run_mode& mode, std::size_t s0, std::size_t c) {
    step_tile<C, T> b{};
    b.n = c;
    b.ws = ws;
    b.blocks = params;
    b.mode = mode;
    b.mode.first_sample = mode.first_sample + s0;
    return b;
  }
  template <class B, class T>
  static constexpr void step_at(B& b, T* xs, T* states, std::size_t t, std::size_t c) {
    b.x = {xs + t * c * in, states + t * c * state};
  }

  // ---- vjp ----
  template <class Arch, class A>
  static constexpr void vjp(const A& a) {
    if (a.n == 1) backward_samples<1, Arch>(a, 1);
    else backward_samples<chunk, Arch>(a, a.n);
  }

  template <std::size_t C, class Arch, class A>
  static constexpr void backward_samples(const A& a, std::size_t n) {
    using T = std::remove_cvref_t<decltype(*a.dout)>;
    const work_layout w = layout(n);
    T* const work = a.work;
    T* const gradient = work + w.gradient;
    const auto& dx_sink = std::get<0>(a.din);
    const bool want_x = dx_sink.active();
    const bool want_start = [&] {
      if constexpr (has_start) return std::get<1>(a.din).active();
      else return false;
    }();
    // The steps' ∂θ add up in `gradient`, starting from the sums so far when there are some.
    bool adding = a.accumulate[0];
    if (adding)
      for (std::size_t j = 0; j < blocks; ++j)
        std::copy_n(a.g_in + a.param_offset[j], block_size(j), gradient + cell_graph::layout::offset[j]);
    for (std::size_t s0 = 0; s0 < n; s0 += C) {
      const std::size_t c = std::min(C, n - s0);
      T* xs = work + w.inputs + s0 * Steps * in;
      T* states = work + w.states + s0 * (Steps + 1) * state;
      T* later = work + w.state_adjoint;              // δs_t from the steps after t
      T* earlier = later + round(C * state);          // δs_{t−1}, written by step t
      T* dx = work + w.input_adjoint;
      T* seed = work + w.seed;
      std::fill_n(later, c * state, T(0));
      step_tile<C, T> b = tile_for<C>(a.param, static_cast<T*>(nullptr), a.mode, s0, c);
      b.t = {seed};
      for (std::size_t t = Steps; t-- > 0;) {
        for (std::size_t j = 0; j < c; ++j)
          for (std::size_t k = 0; k < state; ++k)
            seed[j * state + k] = a.dout[((s0 + j) * Steps + t) * state + k] + later[j * state + k];
        step_at(b, xs, states, t, c);
        const bool to_earlier = t > 0 || want_start;
        b.dx = {want_x ? dx : nullptr, to_earlier ? earlier : nullptr};
        b.want = (want_x ? 1u : 0u) | (to_earlier ? 2u : 0u);
        b.ws = cell_work(work, w, a.mode.training, s0 / C, t);
        if (!a.mode.training) cell_program<C>::template forward<Arch, T>(b);  // not kept: again
        cell_program<C>::template backward<Arch, T>(b, T(1), exec::gradient_store<T>{gradient}, adding);
        adding = true;
        if (want_x)
          for (std::size_t j = 0; j < c; ++j)
            detail::put_row<Arch, T>(dx + j * in, in, dx_sink, ((s0 + j) * Steps + t) * in);
        std::swap(later, earlier);
      }
      if constexpr (has_start)
        if (want_start)
          for (std::size_t j = 0; j < c; ++j)
            detail::put_row<Arch, T>(later + j * state, state, std::get<1>(a.din), (s0 + j) * state);
    }
    for (std::size_t j = 0; j < blocks; ++j)
      detail::put_row<Arch, T>(gradient + cell_graph::layout::offset[j], block_size(j), a.gradient, a.param_offset[j]);
  }
  static constexpr std::size_t block_size(std::size_t j) {
    return cell_graph::layout::offset[j + 1] - cell_graph::layout::offset[j];
  }
};

}  // namespace ctnn::op
