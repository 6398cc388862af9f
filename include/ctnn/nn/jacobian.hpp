#pragma once
// The Jacobian of a net's outputs with respect to its parameters, one sample at a time:
//
//   auto J = std::make_unique<ctnn::jacobian_matrix<net, double>>();   // outputs × parameters
//   ctnn::jacobian(p, x, *J, ws);                  // row o = ∂y_o/∂θ, in the parameters' layout
//   ctnn::jacobian_batch(p, X, rows, ws);          // n·outputs rows, sample by sample
//
// One forward and one reverse pass per output, the reverse pass seeded with e_o: the derived backward
// pass of the net with a squared-error loss on its output and a zero target, whose prediction is
// replaced by e_o for the loss's own step (δy = y − t = e_o) and restored before the rest of the
// pass reads it. For a graph with one output and no objective of its own (what a regression net
// trained by Levenberg–Marquardt is). Nothing allocates; every pass is constexpr.

#include <algorithm>
#include <array>
#include <cstddef>
#include <span>

#include "../exec/program.hpp"
#include "losses.hpp"
#include "network.hpp"
#include "passes.hpp"

namespace ctnn {

template <class Net, class T>
using jacobian_matrix = std::array<T, Net::output_size * Net::parameter_count>;

namespace detail {

// Around the squared-error loss's step: its prediction becomes e_o (and its target is 0), so the
// step seeds δy = e_o; the prediction is put back after it.
// (A net whose output is its input has J = 0, and its prediction is not in the workspace.)
template <class Program, class T>
struct unit_seed_hook {
  T* ws;                       // the workspace's buffers (writable)
  std::size_t ws_size;         // their count
  T* saved;                    // room for the prediction
  std::size_t width, output;   // the output's width, and o

  template <std::size_t K, class B>
  constexpr T* prediction(const B& b) const {
    const T* y = Program::template prediction<K, T>(b);
    return y >= b.ws && y < b.ws + ws_size ? ws + (y - b.ws) : nullptr;
  }
  template <std::size_t K, class B>
  constexpr void before(const B& b) const {
    if (T* y = prediction<K>(b))
      for (std::size_t i = 0; i < width; ++i) saved[i] = y[i], y[i] = T(i == output);
  }
  template <std::size_t K, class B>
  constexpr void after(const B& b) const {
    T* y = prediction<K>(b);
    const T* delta = Program::template loss_adjoint<K, T>(b);
    if (y == nullptr || (delta != nullptr && y < delta + width && delta < y + width)) return;  // δ's now
    for (std::size_t i = 0; i < width; ++i) y[i] = saved[i];
  }
};

template <class Net>
constexpr void require_one_output() {
  static_assert(!Net::has_objective && Net::output_count == 1,
                "ctnn: jacobian takes a graph with one output and no objective of its own");
}

// Rows J[o·P, (o + 1)·P) of sample x (one pointer per input) into J.
template <class Arch, class Net, class T>
constexpr void jacobian_rows(const T* p, const std::array<const T*, Net::input_count>& x, T* J,
                             workspace<Net, T, 1>& ws) {
  if constexpr (!std::is_same_v<Arch, simd::scalar_arch>) {
    if (std::is_constant_evaluated()) return jacobian_rows<simd::scalar_arch, Net>(p, x, J, ws);
  }
  using G = objective_graph<Net, squared_error>;
  using program = exec::program<G, plan_of<G, T, 1>>;
  constexpr std::size_t P = Net::parameter_count, width = Net::output_size;
  std::array<T, width> zero{}, saved{};
  pass_data<G, T, false> d;
  d.x = x;
  d.t[0] = zero.data();
  const auto b = tile_at(p, d, 0, 1, ws.data());
  for (std::size_t o = 0; o < width; ++o) {
    // A backward pass may reuse the memory of values it has read for the last time (the buffer
    // plan), so each output's pass follows a forward pass of its own.
    program::template forward<Arch, T>(b);
    T* row = J + o * P;
    zero_unreached_blocks<G>(row);
    program::template backward<Arch, T>(b, T(1), exec::gradient_store<T>{row}, false,
                                        unit_seed_hook<program, T>{ws.data(), ws.buffers.size(), saved.data(),
                                                                   width, o});
  }
}

}  // namespace detail

// J (outputs × parameters, row-major) = ∂y/∂θ at sample x.
template <class Arch = simd::default_arch, class Net, class T>
constexpr void jacobian(const parameters<Net, T>& p, sample_inputs<Net, T> x, jacobian_matrix<Net, T>& J,
                        workspace<Net, T, 1>& ws) {
  detail::require_one_output<Net>();
  if constexpr (!Net::has_objective && Net::output_count == 1) {
    detail::require_differentiable<Net, detail::objective_graph<Net, squared_error>>();
    detail::jacobian_rows<Arch, Net>(p.data(), detail::pointers<const T*>(x), J.data(), ws);
  }
}

// The Jacobians of n samples: rows receives n·outputs rows of the parameters' size (sample s's
// rows first at s·outputs·parameters). Throws contract_error for an empty batch or a rows buffer
// of another size.
template <class Arch = simd::default_arch, class Net, class T>
constexpr void jacobian_batch(const parameters<Net, T>& p, batch_inputs<Net, T> x, std::span<T> rows,
                              workspace<Net, T, 1>& ws) {
  detail::require_one_output<Net>();
  if constexpr (!Net::has_objective && Net::output_count == 1) {
    using G = detail::objective_graph<Net, squared_error>;
    detail::require_differentiable<Net, G>();
    constexpr const char* where = "jacobian_batch";
    const std::size_t n = detail::checked_batch<G>(where, x, nullptr, nullptr, nullptr);
    constexpr std::size_t row = Net::output_size * Net::parameter_count;
    detail::require_buffers(where, "the Jacobian buffer", std::array<std::size_t, 1>{rows.size()}, n,
                            std::array<std::size_t, 1>{row});
    auto at = detail::pointers<const T*>(x);
    for (std::size_t s = 0; s < n; ++s) {
      detail::jacobian_rows<Arch, Net>(p.data(), at, rows.data() + s * row, ws);
      for (std::size_t k = 0; k < Net::input_count; ++k) at[k] += Net::input_sizes[k];
    }
  }
}

}  // namespace ctnn
