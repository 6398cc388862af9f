#pragma once
// ctnn::quantization_error_bound: how far the int8 net can be from the float net, proven.
//
//   constexpr ctnn::quantized_weights<net> q(parameters, ranges);        // a baked net
//   static_assert(ctnn::quantization_error_bound(q, parameters, 0.0, 1.0) < 0.05);
//
// An upper bound on |forward(q, x)_j − forward(p, x)_j| over every output value j and every input
// x whose values all lie in [input_low, input_high], in exact arithmetic (the float rounding of
// either net, about 1e-7 of each value, is not in it). It walks the graph once with, per value,
// the interval the float net's value lies in and a bound e on how far the int8 net's is from it:
// - dense (the node that is quantized): with Ŵ the weights used (r_o q'_oi / s_i) and δ_i the
//   error of quantizing an input the int8 net holds (s_i / 2 inside the clamp range, the distance
//   to it outside),
//     e_o = Σ_i |Ŵ_oi − W_oi| max|x_i| + Σ_i |Ŵ_oi| (e_i + δ_i);
// - a node whose function F declares `lipschitz` (every ctnn activation but step and sign, and
//   softmax): e_y = L e_x value by value, with L = F::max_slope over the interval both nets' x
//   lie in where F states it (tanh far from 0 is flat), else F::lipschitz (softmax: L max_j e_j,
//   L = 1/2, in the max norm); the interval from F's monotony where it declares `increasing`,
//   else F(0) ± L max|x|;
// - views, and every other node: its own forward rule, run on bound values whose +, − and ×
//   carry the interval and the error (|x̃ỹ − xy| ≤ max|x| e_y + (max|y| + e_y) e_x); an op whose
//   forward needs more than those fails to compile here, naming itself.
// The bound is loose by construction (it adds worst cases), and tight enough to be useful on small
// nets: tests/static/baked_xor.cpp static_asserts one.

#include <algorithm>
#include <array>
#include <cstddef>
#include <span>
#include <type_traits>
#include <utility>

#include "../autodiff/plan.hpp"
#include "../core/op.hpp"
#include "../detail/contract.hpp"
#include "../exec/program.hpp"
#include "../simd/pack.hpp"
#include "network.hpp"
#include "passes.hpp"
#include "quantized.hpp"

namespace ctnn {

// The compile error of a node the bound has no rule for names it:
//   quantization_error::node<op::activation<ctnn::step, ...>>::function_declares_no_lipschitz_constant<false>
namespace quantization_error {
template <class Node>
struct node {
  template <bool Ok>
  struct function_declares_no_lipschitz_constant {
    static_assert(Ok, "ctnn::quantization_error_bound: this node's function declares no `lipschitz` "
                      "constant, so the bound cannot pass it (step and sign have none: a quantized "
                      "input can flip them); see quantization_error::node<...> in the lines around "
                      "this error");
    static constexpr bool ok = Ok;
  };
};
}  // namespace quantization_error

namespace detail {

// A value of the float net as an interval, with a bound on the int8 net's distance from it.
struct bound_value {
  double low = 0, high = 0, error = 0;
  constexpr bound_value() = default;
  constexpr bound_value(double c) : low(c), high(c) {}  // a constant: no error
  constexpr bound_value(double l, double h, double e) : low(l), high(h), error(e) {}
  constexpr double magnitude() const { return std::max(absolute(low), absolute(high)); }

  friend constexpr bound_value operator+(const bound_value& a, const bound_value& b) {
    return {a.low + b.low, a.high + b.high, a.error + b.error};
  }
  friend constexpr bound_value operator-(const bound_value& a, const bound_value& b) {
    return {a.low - b.high, a.high - b.low, a.error + b.error};
  }
  friend constexpr bound_value operator-(const bound_value& a) { return {-a.high, -a.low, a.error}; }
  friend constexpr bound_value operator*(const bound_value& a, const bound_value& b) {
    const double p[4] = {a.low * b.low, a.low * b.high, a.high * b.low, a.high * b.high};
    return {std::min({p[0], p[1], p[2], p[3]}), std::max({p[0], p[1], p[2], p[3]}),
            a.magnitude() * b.error + (b.magnitude() + b.error) * a.error};
  }
  constexpr bound_value& operator+=(const bound_value& b) { return *this = *this + b; }
  constexpr bound_value& operator-=(const bound_value& b) { return *this = *this - b; }
  constexpr bound_value& operator*=(const bound_value& b) { return *this = *this * b; }
};


template <class G>
struct node_value_offsets {
  static constexpr auto offsets = []<class... N>(core::list<N...>) {
    std::array<std::size_t, sizeof...(N) + 1> o{};
    const std::size_t sizes[] = {core::shape_of<N>::size...};
    for (std::size_t k = 0; k < sizeof...(N); ++k) o[k + 1] = o[k] + sizes[k];
    return o;
  }(typename G::nodes{});
};

template <class Net, class T, std::size_t K, std::size_t Total>
constexpr void bound_node(const quantized_weights<Net>& q, const parameters<Net, T>& p,
                          std::array<bound_value, Total>& v) {
  using G = forward_graph<Net>;
  using N = typename G::template node_at<K>;
  using W = quantized_weights<Net>;
  constexpr auto& at = node_value_offsets<G>::offsets;
  bound_value* y = v.data() + at[K];
  constexpr std::size_t size = core::shape_of<N>::size;
  const auto input = [&](std::size_t slot) {
    return v.data() + at[G::table::edge[G::table::edge_begin[K] + slot]];
  };
  if constexpr (G::table::loss[K]) {
    return;
  } else if constexpr (dense_node<N>) {
    const bound_value* x = input(0);
    const T* w = p.data() + Net::layout::offset[G::block_of(K, 0)];
    const T* b = p.data() + Net::layout::offset[G::block_of(K, 1)];
    const std::size_t in_at = W::input_offsets[K];
    for (std::size_t o = 0; o < N::out; ++o) {
      double low = double(b[o]), high = double(b[o]), e = 0;
      for (std::size_t i = 0; i < N::in; ++i) {
        const double wi = double(w[o * N::in + i]);
        low += std::min(wi * x[i].low, wi * x[i].high);
        high += std::max(wi * x[i].low, wi * x[i].high);
        // The int8 net's input lies in [low − e, high + e]; it is quantized with step s over
        // [clamp_low, clamp_high] (in values), from which its distance is at most δ.
        const double inverse = double(q.floats()[W::inverse_scales_at + in_at + i]);
        const double s = 1 / inverse;
        const double clamp_low = double(q.floats()[W::lows_at + in_at + i]) * s;
        const double clamp_high = double(q.floats()[W::highs_at + in_at + i]) * s;
        const double delta = std::max({s / 2, clamp_low - (x[i].low - x[i].error),
                                       (x[i].high + x[i].error) - clamp_high});
        const double used = q.weight(K, o, i);
        e += absolute(used - wi) * x[i].magnitude() + absolute(used) * (x[i].error + delta);
      }
      y[o] = {low, high, e};
    }
  } else if constexpr (core::is_view<N>()) {
    std::copy_n(input(0), size, y);
  } else if constexpr (requires { typename N::function; }) {
    using F = typename N::function;
    constexpr bool has_rule = requires { F::lipschitz; };
    static_assert(quantization_error::node<N>::template function_declares_no_lipschitz_constant<has_rule>::ok);
    if constexpr (has_rule) {
      const bound_value* x = input(0);
      constexpr double L = F::lipschitz;
      if constexpr (!F::elementwise) {  // softmax: the max norm, values in [0, 1]
        double e = 0;
        for (std::size_t i = 0; i < size; ++i) e = std::max(e, x[i].error);
        for (std::size_t i = 0; i < size; ++i) y[i] = {0, 1, L * e};
      } else {
        for (std::size_t i = 0; i < size; ++i) {
          // Where both nets' values lie, |f'| is at most `slope`.
          double slope = L;
          if constexpr (requires { F::max_slope(0.0, 0.0); })
            slope = F::max_slope(x[i].low - x[i].error, x[i].high + x[i].error);
          if constexpr (requires { requires bool(F::increasing); })
            y[i] = {double(F::value(x[i].low)), double(F::value(x[i].high)), slope * x[i].error};
          else
            y[i] = {double(F::value(0.0)) - L * x[i].magnitude(),
                    double(F::value(0.0)) + L * x[i].magnitude(), slope * x[i].error};
        }
      }
    }
  } else {
    constexpr std::size_t I = G::table::input_count[K], P = core::parameters_of<N>::size;
    std::array<const bound_value*, I> ins{};
    for (std::size_t s = 0; s < I; ++s) ins[s] = input(s);
    static_assert(P == 0, "ctnn::quantization_error_bound: a node with parameters other than dense");
    const core::forward_args<bound_value, I, 0> a{1, ins, y, {}};
    N::template forward<simd::scalar_arch>(a);
  }
}

}  // namespace detail

// The bound over the inputs whose values lie in [low_j, high_j], j running over every input
// node's values in the graph's input order (a point: low = high).
template <class Net, class T>
constexpr double quantization_error_bound(const quantized_weights<Net>& q, const parameters<Net, T>& p,
                                          std::span<const double> low, std::span<const double> high) {
  using G = detail::forward_graph<Net>;
  constexpr std::size_t values = [] {
    std::size_t n = 0;
    for (std::size_t size : G::input_sizes) n += size;
    return n;
  }();
  if (low.size() != values || high.size() != values)
    detail::contract_failed("ctnn::quantization_error_bound",
                            "the input box needs one low and one high value per input value of the graph");
  constexpr auto& at = detail::node_value_offsets<G>::offsets;
  std::array<detail::bound_value, at[G::node_count]> v{};
  // Every input value in its interval, exact; then the nodes the outputs need, in the order
  // one-sample inference runs them (inputs are not among them).
  for (std::size_t k = 0; k < G::node_count; ++k) {
    if (!G::table::input[k]) continue;
    std::size_t first = 0;
    for (std::size_t slot = 0; slot < G::input_slot[k]; ++slot) first += G::input_sizes[slot];
    for (std::size_t i = 0; i < at[k + 1] - at[k]; ++i) v[at[k] + i] = {low[first + i], high[first + i], 0};
  }
  using program = exec::program<G, autodiff::forward_plan<G, 16>>;
  [&]<std::size_t... F>(std::index_sequence<F...>) {
    (detail::bound_node<Net, T, program::forward_nodes[F]>(q, p, v), ...);
  }(std::make_index_sequence<program::forward_count>{});
  double bound = 0;
  for (std::size_t k : G::output_index)
    for (std::size_t i = at[k]; i < at[k + 1]; ++i) bound = std::max(bound, v[i].error);
  return bound;
}

// The bound over the inputs whose values all lie in [input_low, input_high].
template <class Net, class T>
constexpr double quantization_error_bound(const quantized_weights<Net>& q, const parameters<Net, T>& p,
                                          double input_low, double input_high) {
  using G = detail::forward_graph<Net>;
  constexpr std::size_t values = [] {
    std::size_t n = 0;
    for (std::size_t size : G::input_sizes) n += size;
    return n;
  }();
  std::array<double, values> low{}, high{};
  low.fill(input_low);
  high.fill(input_high);
  return quantization_error_bound(q, p, std::span<const double>(low), std::span<const double>(high));
}

}  // namespace ctnn
