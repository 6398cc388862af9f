#pragma once
// Streaming inference with a recurrent cell: one step at a time, the state carried in the object,
// for audio and control loops where the sequence never ends.
//
//   ctnn::recurrent_stream<ctnn::gru_cell<"gru", 16, 32>> s(trained);   // trained: parameters of
//                                                                        // any net holding "gru.*"
//   for (;;) { auto h = s.step(x); ... }                                 // h: std::span<const float, 32>
//   s.reset();                                                           // state back to 0
//
// The cell is run as a graph of its own, ctnn::cell_network<Cell> (inputs x and state, output the
// next state), through the one-sample inference path (nn/inference.hpp): its weights in the
// inference layout (a dense W stored by columns where that is faster), its buffers on the stack,
// the state updated in place. step() allocates nothing, takes no lock and calls no virtual
// function; the object is self-contained (weights and state), so one per stream, one per thread.

#include <array>
#include <cstddef>
#include <span>
#include <tuple>

#include "../core/graph.hpp"
#include "../simd/pack.hpp"
#include "inference.hpp"
#include "network.hpp"
#include "recurrent.hpp"

namespace ctnn {

// A cell as a net: inputs x and state, output the next state; its parameter blocks are the cell's,
// named as in the nets that unroll it.
template <class Cell>
using cell_network = graph<inputs<typename Cell::x, typename Cell::state>, outputs<typename Cell::next>>;

// The cell's blocks copied out of a net that holds them (by name: "gru.weight_ih_l0", ...).
template <class Cell, class Net, class T>
constexpr parameters<cell_network<Cell>, T> cell_parameters(const parameters<Net, T>& p) {
  return parameters_by_name<cell_network<Cell>>(p);
}

template <class Cell, class T = float, class Arch = simd::default_arch>
class recurrent_stream {
 public:
  using cell = Cell;
  using network = cell_network<Cell>;
  static constexpr std::size_t input_size = Cell::input_size;
  static constexpr std::size_t hidden_size = Cell::hidden_size;
  static constexpr std::size_t state_size = Cell::state_size;

  constexpr recurrent_stream() = default;
  constexpr explicit recurrent_stream(const parameters<network, T>& p) : weights_(p) {}
  template <class Net>
  constexpr explicit recurrent_stream(const parameters<Net, T>& p) : weights_(cell_parameters<Cell>(p)) {}

  // One step: state ← cell(x, state); returns h, the state's first hidden_size values.
  constexpr std::span<const T, hidden_size> step(std::span<const T, input_size> x) noexcept {
    forward<Arch>(weights_, std::tuple{x, std::span<const T, state_size>(state_)},
                  std::span<T, state_size>(state_));
    return std::span<const T, hidden_size>(state_.data(), hidden_size);
  }
  constexpr std::span<const T, hidden_size> step(const std::array<T, input_size>& x) noexcept {
    return step(std::span<const T, input_size>(x));
  }

  constexpr void reset() noexcept { state_.fill(T(0)); }
  // The whole state (h, then c for an LSTM): read it, or set it to start from a known state.
  constexpr std::span<T, state_size> state() noexcept { return state_; }
  constexpr std::span<const T, state_size> state() const noexcept { return state_; }
  constexpr const inference_weights<network, T>& weights() const noexcept { return weights_; }

 private:
  inference_weights<network, T> weights_{};
  alignas(64) std::array<T, state_size> state_{};
};

}  // namespace ctnn
