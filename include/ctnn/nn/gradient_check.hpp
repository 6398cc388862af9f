#pragma once
// A gradient check that the compiler can run: backprop's gradient against central finite
// differences of the loss, for the parameters and for the input, as a constexpr function.
//
//   constexpr auto report = ctnn::gradient_check(p, ctnn::squared_error{}, x, t);
//   static_assert(report.worst_error < 1e-6);
//
// Finite differences are taken in double whatever T is: C(θ + h) - C(θ - h) over 2h with
// h = step · max(1, |θ|). The error of an entry is |g - fd| / max(|g|, |fd|, floor): relative
// where the gradient is large, absolute (scaled by floor) where both are near zero, so round-off
// in a vanishing gradient does not read as a failure.
//
// Cost: two loss evaluations per checked entry. To stay inside the compilers' default constexpr
// budgets on bigger nets, `max_entries` spreads a fixed number of checks evenly over the
// parameters (first and last included) and the input; see docs/compile-time-checks.md.
//
// Only networks whose activations all have a derivative can be checked: one with step or sign
// is a compile error naming that layer (see autodiff/backward_graph.hpp).

#include <array>
#include <cstddef>
#include <span>
#include <utility>

#include "../autodiff/backward_graph.hpp"
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
  std::size_t worst_index = 0;   // flat parameter index, or input index
  std::size_t worst_layer = 0;   // dense layer (0-based) of the worst parameter
  double worst_backprop = 0;     // the two values compared there
  double worst_finite_difference = 0;
  std::size_t checked = 0;       // entries compared
};

namespace detail {

template <class Net>
constexpr std::size_t layer_of_parameter(std::size_t index) {
  std::size_t layer = 0;
  for (std::size_t k = 0; k < Net::stage_count; ++k)
    if (index >= Net::plan.parameter_offset[k]) layer = k;
  return layer;
}

// Indices 0, ..., count-1 thinned to about `budget` evenly spaced ones (first and last kept).
constexpr bool is_sampled(std::size_t index, std::size_t count, std::size_t budget) {
  if (budget == 0 || budget >= count) return true;
  if (index == count - 1) return true;
  const std::size_t stride = (count + budget - 1) / budget;
  return index % stride == 0;
}

}  // namespace detail

namespace detail {

template <class Net, class T, loss_function Loss>
constexpr gradient_check_report checked_gradient(const parameters<Net, T>& p, const Loss& loss,
                                                 fixed_span<const T, Net::input_size> x,
                                                 fixed_span<const T, Net::output_size> target,
                                                 gradient_check_options options) {
  constexpr std::size_t P = Net::parameter_count, In = Net::input_size, Out = Net::output_size;
  gradient<Net, T> g{};
  std::array<T, In> dx{};
  ctnn::loss_and_gradient(p, loss, x, target, g, std::span<T, In>(dx));

  parameters<Net, double> pd{};
  std::array<double, In> xd{};
  std::array<double, Out> td{};
  for (std::size_t k = 0; k < P; ++k) pd[k] = static_cast<double>(p[k]);
  for (std::size_t k = 0; k < In; ++k) xd[k] = static_cast<double>(x[k]);
  for (std::size_t k = 0; k < Out; ++k) td[k] = static_cast<double>(target[k]);

  gradient_check_report report;
  // Each budget is shared between parameters and inputs in proportion to their counts.
  const std::size_t budget_p = options.max_entries == 0 ? 0 : options.max_entries * P / (P + In) + 1;
  const std::size_t budget_x = options.max_entries == 0 ? 0 : options.max_entries * In / (P + In) + 1;

  auto compare = [&](double backprop, double& value, bool at_input, std::size_t index) {
    const double saved = value;
    const double h = options.step * (math::abs(saved) > 1.0 ? math::abs(saved) : 1.0);
    value = saved + h;
    const double up = ctnn::loss(pd, loss, xd, td);
    value = saved - h;
    const double down = ctnn::loss(pd, loss, xd, td);
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
      report.worst_layer = at_input ? 0 : detail::layer_of_parameter<Net>(index);
      report.worst_backprop = backprop;
      report.worst_finite_difference = fd;
    }
  };
  for (std::size_t k = 0; k < P; ++k)
    if (detail::is_sampled(k, P, budget_p)) compare(static_cast<double>(g[k]), pd[k], false, k);
  for (std::size_t k = 0; k < In; ++k)
    if (detail::is_sampled(k, In, budget_x)) compare(static_cast<double>(dx[k]), xd[k], true, k);
  return report;
}

}  // namespace detail

// A network with an activation that has no derivative (step, sign) is refused here, with the
// error naming its position, before any pass is instantiated (so that error is the only one).
template <class Net, class T, loss_function Loss>
constexpr gradient_check_report gradient_check(const parameters<Net, T>& p, const Loss& loss,
                                               fixed_span<const T, Net::input_size> x,
                                               fixed_span<const T, Net::output_size> target,
                                               gradient_check_options options = {}) {
  if constexpr (!autodiff::differentiable<Net>()) {
    autodiff::explain_not_differentiable<Net>(std::make_index_sequence<Net::stage_count>{});
    return gradient_check_report{};
  } else {
    return detail::checked_gradient(p, loss, x, target, options);
  }
}

}  // namespace ctnn
