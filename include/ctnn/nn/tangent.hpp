#pragma once
// Forward mode on any graph: the outputs and their directional derivatives along a direction of
// the parameters and the inputs, from the ops' Jacobian-vector rules (exec/tangent.hpp).
//
//   ctnn::tangent_workspace<net, double> tws;
//   ctnn::jacobian_vector_product_batch(p, dp, x, dx, y, dy, tws);   // dy = J_θ·dp + J_x·dx
//   auto [y, dy] = ctnn::jacobian_vector_product(p, dp, x, dx);        // one sample
//
// dp has the parameters' layout (a direction in parameter space, for instance a gradient), dx the
// inputs' (one buffer per input, as the other passes take them). One pass costs about two forward
// passes. This is the building block of Hessian-vector products (forward over reverse).

#include <array>
#include <cstddef>
#include <span>
#include <utility>

#include "../exec/tangent.hpp"
#include "network.hpp"
#include "passes.hpp"

namespace ctnn {

// A workspace for the forward-mode passes: the values (as a workspace<Net, T, Tile>) and a
// tangent for every computed node.
template <class Net, class T, std::size_t Tile = 32>
struct tangent_workspace {
  using graph = detail::forward_graph<Net>;
  using plan = exec::tangent_plan<graph, Tile, 64 / sizeof(T)>;
  workspace<Net, T, Tile> values;
  alignas(64) std::array<T, plan::size> tangents;
};

namespace detail {
template <class Arch, class Net, class T, std::size_t Tile>
constexpr void tangent_rows(const T* p, const T* dp, const pass_data<forward_graph<Net>, T, false>& d,
                            const std::array<const T*, Net::input_count>& dx,
                            const std::array<T*, Net::output_count>& dy, std::size_t n,
                            tangent_workspace<Net, T, Tile>& tws) {
  if constexpr (!std::is_same_v<Arch, simd::scalar_arch>) {
    if (std::is_constant_evaluated()) return tangent_rows<simd::scalar_arch, Net>(p, dp, d, dx, dy, n, tws);
  }
  using G = forward_graph<Net>;
  using values = exec::program<G, plan_of<G, T, Tile>>;
  using run = exec::tangent_program<G, plan_of<G, T, Tile>, typename tangent_workspace<Net, T, Tile>::plan>;
  for (std::size_t s0 = 0; s0 < n; s0 += Tile) {
    const std::size_t m = std::min(Tile, n - s0);
    const auto b = tile_at(p, d, s0, m, tws.values.data());
    std::array<const T*, Net::input_count> dx_tile{};
    for (std::size_t k = 0; k < Net::input_count; ++k) dx_tile[k] = dx[k] + s0 * Net::input_sizes[k];
    run::template run<Arch, T>(b, dp, dx_tile, tws.tangents.data());
    copy_outputs<values>(b, d, s0);
    [&]<std::size_t... O>(std::index_sequence<O...>) {
      ((std::copy_n(run::template tangent<G::output_index[O], T>(b, dx_tile, tws.tangents.data()),
                    m * G::output_sizes[O], dy[O] + s0 * G::output_sizes[O])),
       ...);
    }(std::make_index_sequence<Net::output_count>{});
  }
}
}  // namespace detail

// Outputs Y and their tangents dY = J_θ(X)·dp + J_X·dX for n samples.
template <class Arch = simd::default_arch, class Net, class T, std::size_t Tile>
constexpr void jacobian_vector_product_batch(const parameters<Net, T>& p, const parameters<Net, T>& dp,
                                             batch_inputs<Net, T> x, batch_inputs<Net, T> dx,
                                             batch_outputs<Net, T> y, batch_outputs<Net, T> dy,
                                             tangent_workspace<Net, T, Tile>& tws) {
  using G = detail::forward_graph<Net>;
  constexpr const char* where = "jacobian_vector_product_batch";
  const std::size_t n = detail::checked_batch<G>(where, x, nullptr, nullptr, nullptr);
  detail::require_buffers(where, "the input-tangent buffer", detail::sizes(dx), n, Net::input_sizes);
  detail::require_buffers(where, "the output buffer", detail::sizes(y), n, Net::output_sizes);
  detail::require_buffers(where, "the output-tangent buffer", detail::sizes(dy), n, Net::output_sizes);
  const auto d = detail::bind<G, T>(x, nullptr, nullptr, y);
  detail::tangent_rows<Arch, Net>(p.data(), dp.data(), d, detail::pointers<const T*>(dx),
                                  detail::pointers<T*>(dy), n, tws);
}

// One sample: {outputs, their tangents}.
template <class Arch = simd::default_arch, class Net, class T>
constexpr std::pair<output_values<Net, T>, output_values<Net, T>> jacobian_vector_product(
    const parameters<Net, T>& p, const parameters<Net, T>& dp, sample_inputs<Net, T> x,
    sample_inputs<Net, T> dx) {
  using G = detail::forward_graph<Net>;
  std::pair<output_values<Net, T>, output_values<Net, T>> r{};
  tangent_workspace<Net, T, 1> tws;
  std::array<T*, Net::output_count> y{}, dy{};
  if constexpr (Net::output_count == 1) {
    y[0] = r.first.data();
    dy[0] = r.second.data();
  } else {
    y = std::apply([](auto&... a) { return std::array<T*, Net::output_count>{a.data()...}; }, r.first);
    dy = std::apply([](auto&... a) { return std::array<T*, Net::output_count>{a.data()...}; }, r.second);
  }
  auto d = detail::bind<G, T>(x, nullptr, nullptr, nullptr);
  d.y = y;
  detail::tangent_rows<Arch, Net>(p.data(), dp.data(), d, detail::pointers<const T*>(dx), dy, 1, tws);
  return r;
}

}  // namespace ctnn
