#pragma once
// A gradient check that the compiler can run: backprop's gradient against central finite
// differences of the loss, for the parameters and for the inputs, as a constexpr function.
//
//   constexpr auto report = ctnn::gradient_check(p, ctnn::squared_error{}, x, t);   // loss at the call
//   constexpr auto report = ctnn::gradient_check(p, x, t);    // a graph with an objective
//   static_assert(report.worst_error < 1e-6);
//
// Finite differences are taken in double whatever T is: C(θ + h) - C(θ - h) over 2h with
// h = step · max(1, |θ|). The error of an entry is |g - fd| / max(|g|, |fd|, floor): relative
// where the gradient is large, absolute (scaled by floor) where both are near zero, so round-off
// in a vanishing gradient does not read as a failure.
//
// Cost: two loss evaluations per checked entry. To stay inside the compilers' default constexpr
// budgets on bigger nets, `max_entries` spreads a fixed number of checks evenly over the
// parameters (first and last included) and the inputs; see docs/compile-time-checks.md.
//
// The passes run the training rule (nn/run_mode.hpp) with draw 0; batch_norm's running statistics
// are not checked (their gradient entries are their next values).
//
// Only graphs whose gradient needs no node without a derivative can be checked: one with step or
// sign on the path is a compile error naming that node (a chain: that layer's position).

#include <array>
#include <cstddef>
#include <span>
#include <utility>

#include "../simd/math.hpp"
#include "losses.hpp"
#include "network.hpp"
#include "passes.hpp"

namespace ctnn {

struct gradient_check_options {
  double step = 1e-5;         // relative finite-difference step
  double floor = 1e-5;        // denominator floor: smaller gradients are compared absolutely
  std::size_t max_entries = 0;  // 0: check every parameter and input entry
};

struct gradient_check_report {
  double worst_error = 0;        // the largest error over the checked entries
  bool worst_at_input = false;   // the worst entry is ∂C/∂x (else a parameter)
  std::size_t worst_index = 0;   // flat parameter index, or input index (inputs one after another)
  std::size_t worst_layer = 0;   // dense layer (0-based) of the worst parameter
  std::size_t worst_block = 0;   // parameter block of the worst parameter
  double worst_backprop = 0;     // the two values compared there
  double worst_finite_difference = 0;
  std::size_t checked = 0;       // entries compared
};

namespace detail {

template <class Net>
constexpr std::size_t block_of_parameter(std::size_t index) {
  std::size_t block = 0;
  for (std::size_t b = 0; b < Net::block_count; ++b)
    if (index >= Net::layout::offset[b]) block = b;
  return block;
}
template <class Net>
constexpr std::size_t layer_of_parameter(std::size_t index) {
  using layers = dense_layers<Net>;
  std::size_t layer = 0;
  for (std::size_t l = 0; l < layers::count; ++l)
    if (index >= Net::parameter_offset(layers::node[l], 0)) layer = l;
  return layer;
}

// Indices 0, ..., count-1 thinned to about `budget` evenly spaced ones (first and last kept).
constexpr bool is_sampled(std::size_t index, std::size_t count, std::size_t budget) {
  if (budget == 0 || budget >= count) return true;
  if (index == count - 1) return true;
  const std::size_t stride = (count + budget - 1) / budget;
  return index % stride == 0;
}

template <std::size_t N>
constexpr std::array<std::size_t, N + 1> running_offsets(const std::array<std::size_t, N>& sizes) {
  std::array<std::size_t, N + 1> o{};
  for (std::size_t k = 0; k < N; ++k) o[k + 1] = o[k] + sizes[k];
  return o;
}

template <class Arch, class Net, class G, class T, class X, class Tg>
constexpr gradient_check_report checked_gradient(const parameters<Net, T>& p, const X& x,
                                                 const Tg& t, gradient_check_options options) {
  constexpr std::size_t P = Net::parameter_count;
  constexpr auto in_at = running_offsets(G::input_sizes);
  constexpr auto t_at = running_offsets(G::target_sizes);
  constexpr std::size_t In = in_at[G::input_count], Tn = t_at[G::target_count];

  // Backprop in T.
  gradient<Net, T> g{};
  std::array<T, In> dx{};
  pass_data<G, T, true> d;
  {
    const auto bound = bind<G, T>(x, t, nullptr, nullptr);
    d.x = bound.x;
    d.t = bound.t;
  }
  for (std::size_t k = 0; k < G::input_count; ++k) d.dx[k] = dx.data() + in_at[k];
  // The training rule (dropout's draw 0, a batch_norm's statistics of the one sample), in both
  // passes: the derivative training uses.
  d.mode = training_draw(0, 0);
  {
    workspace<Net, T, 1> ws;
    sample_objective<Arch, G>(p.data(), d, g.data(), ws);
  }

  // The same in double, for the differences.
  parameters<Net, double> pd{};
  std::array<double, In> xd{};
  std::array<double, Tn> td{};
  for (std::size_t k = 0; k < P; ++k) pd[k] = static_cast<double>(p[k]);
  pass_data<G, double, false> dd{};
  dd.mode = d.mode;
  for (std::size_t k = 0; k < G::input_count; ++k) {
    for (std::size_t i = 0; i < G::input_sizes[k]; ++i) xd[in_at[k] + i] = static_cast<double>(d.x[k][i]);
    dd.x[k] = xd.data() + in_at[k];
  }
  for (std::size_t k = 0; k < G::target_count; ++k) {
    for (std::size_t i = 0; i < G::target_sizes[k]; ++i) td[t_at[k] + i] = static_cast<double>(d.t[k][i]);
    dd.t[k] = td.data() + t_at[k];
  }
  workspace<Net, double, 1> wsd;
  const auto objective = [&] {
    return sample_objective<Arch, G>(pd.data(), dd, static_cast<double*>(nullptr), wsd);
  };

  gradient_check_report report;
  // Each budget is shared between parameters and inputs in proportion to their counts.
  const std::size_t budget_p = options.max_entries == 0 ? 0 : options.max_entries * P / (P + In) + 1;
  const std::size_t budget_x = options.max_entries == 0 ? 0 : options.max_entries * In / (P + In) + 1;

  auto compare = [&](double backprop, double& value, bool at_input, std::size_t index) {
    const double saved = value;
    const double h = options.step * (math::abs(saved) > 1.0 ? math::abs(saved) : 1.0);
    value = saved + h;
    const double up = objective();
    value = saved - h;
    const double down = objective();
    value = saved;
    const double fd = (up - down) / (2.0 * h);
    double scale = math::abs(backprop) > math::abs(fd) ? math::abs(backprop) : math::abs(fd);
    if (scale < options.floor) scale = options.floor;
    const double error = math::abs(backprop - fd) / scale;
    ++report.checked;
    if (error > report.worst_error || report.checked == 1) {
      report.worst_error = error;
      report.worst_at_input = at_input;
      report.worst_index = index;
      report.worst_layer = at_input ? 0 : layer_of_parameter<Net>(index);
      report.worst_block = at_input ? 0 : block_of_parameter<Net>(index);
      report.worst_backprop = backprop;
      report.worst_finite_difference = fd;
    }
  };
  // State blocks (batch_norm's running statistics) have next values there, not derivatives.
  for (std::size_t k = 0; k < P; ++k)
    if (is_sampled(k, P, budget_p) && !Net::is_state(k))
      compare(static_cast<double>(g[k]), pd[k], false, k);
  for (std::size_t k = 0; k < In; ++k)
    if (is_sampled(k, In, budget_x)) compare(static_cast<double>(dx[k]), xd[k], true, k);
  return report;
}

}  // namespace detail

// A graph without an objective, the loss given here. Arch: the architecture of the passes
// checked (the differences run on it too, in double).
template <class Arch = simd::default_arch, class Net, class T, loss_function Loss>
  requires(!Net::has_objective)
constexpr gradient_check_report gradient_check(const parameters<Net, T>& p, const Loss&,
                                               sample_inputs<Net, T> x, sample_targets<Net, T> target,
                                               gradient_check_options options = {}) {
  if constexpr (!detail::loss_fits<Net, Loss>()) {
    return gradient_check_report{};
  } else {
    using G = detail::objective_graph<Net, Loss>;
    detail::require_differentiable<Net, G>();
    if constexpr (!detail::differentiable<G>()) return gradient_check_report{};
    else return detail::checked_gradient<Arch, Net, G>(p, x, target, options);
  }
}

// A graph with an objective.
template <class Arch = simd::default_arch, class Net, class T>
  requires(Net::has_objective)
constexpr gradient_check_report gradient_check(const parameters<Net, T>& p, sample_inputs<Net, T> x,
                                               sample_targets<Net, T> target,
                                               gradient_check_options options = {}) {
  detail::require_differentiable<Net, Net>();
  if constexpr (!detail::differentiable<Net>()) return gradient_check_report{};
  else return detail::checked_gradient<Arch, Net, Net>(p, x, target, options);
}

}  // namespace ctnn
