#pragma once
// fit's full-batch sibling for Levenberg–Marquardt (optim/levenberg_marquardt.hpp): one LM step
// on the whole training set per epoch, the validation loss after it, the same epoch lines (or
// bar), the same fit_result (history for write_training_curves, times, steps):
//
//   ctnn::levenberg_marquardt<net, double> lm(train_rows);
//   auto result = ctnn::fit_levenberg_marquardt(p, lm, {x, t}, {vx, vt}, {.epochs = 40});
//
// The loss is squared_error's mean. An epoch's learning_rate field holds μ, the damping after its
// step (printed as "lr"). The fit stops early (fit_stop::callback) when a step finds no lower
// loss at the largest damping (a minimum), or when on_epoch_end says stop.

#include <chrono>
#include <cstddef>
#include <functional>
#include <iostream>
#include <ostream>
#include <string>

#include "../nn/losses.hpp"
#include "../nn/passes.hpp"
#include "../optim/levenberg_marquardt.hpp"
#include "epoch_stats.hpp"
#include "fit.hpp"
#include "progress.hpp"

namespace ctnn {

struct lm_fit_options {
  std::size_t epochs = 50;
  std::ostream* output = &std::cout;  // nullptr, or progress = none: silent
  progress_style progress = progress_style::automatic;
  std::function<fit_control(const epoch_stats&)> on_epoch_end;
};

namespace detail {
template <class Net, class T>
fit_result fit_lm(parameters<Net, T>& p, levenberg_marquardt<Net, T>& lm, const labelled_data<T>& train,
                  const labelled_data<T>* validation, const lm_fit_options& o) {
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  fit_result result;
  progress_printer progress(o.output, o.progress);
  const std::size_t n = train.inputs.size() / Net::input_size;
  auto ws = std::make_unique<workspace<Net, T>>();
  for (std::size_t epoch = 1; epoch <= o.epochs; ++epoch) {
    progress.begin_epoch(epoch, o.epochs, n);
    const auto t0 = clock::now();
    const lm_iteration it = lm.step(p, train.inputs, train.targets);
    const double step_seconds = std::chrono::duration<double>(clock::now() - t0).count();
    progress.update(n, it.loss);
    epoch_stats e;
    e.epoch = epoch;
    e.epochs = o.epochs;
    e.train_loss = it.loss;
    e.learning_rate = it.damping;
    e.samples = n;
    if (validation != nullptr)
      e.validation_loss = double(loss_batch(p, squared_error{}, validation->inputs, validation->targets, *ws));
    e.seconds = std::chrono::duration<double>(clock::now() - t0).count();
    e.samples_per_second = step_seconds > 0 ? double(n) / step_seconds : 0.0;
    result.train_seconds += step_seconds;
    result.steps += it.taken ? 1 : 0;
    result.history.push_back(e);
    progress.end_epoch(e);
    if (it.converged) {
      progress.note("levenberg_marquardt: no lower loss at the largest damping: a minimum");
      result.stopped = fit_stop::callback;
      break;
    }
    if (o.on_epoch_end && o.on_epoch_end(e) == fit_control::stop) {
      result.stopped = fit_stop::callback;
      break;
    }
  }
  result.seconds = std::chrono::duration<double>(clock::now() - start).count();
  return result;
}
}  // namespace detail

template <class Net, class T>
fit_result fit_levenberg_marquardt(parameters<Net, T>& p, levenberg_marquardt<Net, T>& lm,
                                   const labelled_data<std::type_identity_t<T>>& train,
                                   const lm_fit_options& options = {}) {
  return detail::fit_lm(p, lm, train, static_cast<const labelled_data<T>*>(nullptr), options);
}

template <class Net, class T>
fit_result fit_levenberg_marquardt(parameters<Net, T>& p, levenberg_marquardt<Net, T>& lm,
                                   const labelled_data<std::type_identity_t<T>>& train,
                                   const labelled_data<std::type_identity_t<T>>& validation,
                                   const lm_fit_options& options = {}) {
  return detail::fit_lm(p, lm, train, &validation, options);
}

}  // namespace ctnn
