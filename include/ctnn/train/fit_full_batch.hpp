#pragma once
// fit's full-batch siblings for the second-order optimizers: one step on the whole training set
// per epoch, the validation loss after it, the same epoch lines (or bar), the same fit_result
// (history for write_training_curves, times, steps):
//
//   ctnn::levenberg_marquardt<net, double> lm(train_rows);
//   auto r = ctnn::fit_levenberg_marquardt(p, lm, {x, t}, {vx, vt}, {.epochs = 40});
//   ctnn::hessian_free<net, double> hf;
//   auto r = ctnn::fit_hessian_free(p, hf, ctnn::softmax_cross_entropy{}, {x, t}, {vx, vt});
//
// An epoch's learning_rate field holds the step's damping (μ or λ, printed as "lr"). The fit
// stops early (fit_stop::callback) when a step reports convergence (no lower loss at the largest
// damping, or a zero gradient), or when on_epoch_end says stop.

#include <chrono>
#include <cstddef>
#include <functional>
#include <iostream>
#include <memory>
#include <ostream>
#include <string>

#include "../nn/losses.hpp"
#include "../nn/passes.hpp"
#include "../optim/hessian_free.hpp"
#include "../optim/levenberg_marquardt.hpp"
#include "epoch_stats.hpp"
#include "fit.hpp"
#include "progress.hpp"

namespace ctnn {

struct full_batch_fit_options {
  std::size_t epochs = 50;
  std::ostream* output = &std::cout;  // nullptr, or progress = none: silent
  progress_style progress = progress_style::automatic;
  std::function<fit_control(const epoch_stats&)> on_epoch_end;
};
using lm_fit_options = full_batch_fit_options;

namespace detail {
// step(p) → lm_iteration on the training set of n samples; Loss for the validation loss.
template <class Net, class T, class Loss, class Step>
fit_result fit_full_batch(parameters<Net, T>& p, Step&& step, std::size_t n, const labelled_data<T>* validation,
                          const full_batch_fit_options& o, const char* who) {
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  fit_result result;
  progress_printer progress(o.output, o.progress);
  auto ws = std::make_unique<workspace<Net, T>>();
  for (std::size_t epoch = 1; epoch <= o.epochs; ++epoch) {
    progress.begin_epoch(epoch, o.epochs, n);
    const auto t0 = clock::now();
    const lm_iteration it = step(p);
    const double step_seconds = std::chrono::duration<double>(clock::now() - t0).count();
    progress.update(n, it.loss);
    epoch_stats e;
    e.epoch = epoch;
    e.epochs = o.epochs;
    e.train_loss = it.loss;
    e.learning_rate = it.damping;
    e.samples = n;
    if (validation != nullptr)
      e.validation_loss = double(loss_batch(p, Loss{}, validation->inputs, validation->targets, *ws));
    e.seconds = std::chrono::duration<double>(clock::now() - t0).count();
    e.samples_per_second = step_seconds > 0 ? double(n) / step_seconds : 0.0;
    result.train_seconds += step_seconds;
    result.steps += it.taken ? 1 : 0;
    result.history.push_back(e);
    progress.end_epoch(e);
    if (it.converged) {
      progress.note(std::string(who) + ": converged (no step lowers the loss)");
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

template <class Net, class T>
fit_result fit_lm(parameters<Net, T>& p, levenberg_marquardt<Net, T>& lm, const labelled_data<T>& train,
                  const labelled_data<T>* validation, const full_batch_fit_options& o) {
  return fit_full_batch<Net, T, squared_error>(
      p, [&](parameters<Net, T>& q) { return lm.step(q, train.inputs, train.targets); },
      train.inputs.size() / Net::input_size, validation, o, "levenberg_marquardt");
}

template <class Net, class T, std::size_t Tile, class Loss>
fit_result fit_hf(parameters<Net, T>& p, hessian_free<Net, T, Tile>& hf, const Loss& loss,
                  const labelled_data<T>& train, const labelled_data<T>* validation,
                  const full_batch_fit_options& o) {
  return fit_full_batch<Net, T, Loss>(
      p, [&](parameters<Net, T>& q) { return hf.step(q, loss, train.inputs, train.targets); },
      train.inputs.size() / Net::input_size, validation, o, "hessian_free");
}
}  // namespace detail

// Levenberg–Marquardt (squared error) on train, validating on validation after every epoch.
template <class Net, class T>
fit_result fit_levenberg_marquardt(parameters<Net, T>& p, levenberg_marquardt<Net, T>& lm,
                                   const labelled_data<std::type_identity_t<T>>& train,
                                   const full_batch_fit_options& options = {}) {
  return detail::fit_lm(p, lm, train, static_cast<const labelled_data<T>*>(nullptr), options);
}
template <class Net, class T>
fit_result fit_levenberg_marquardt(parameters<Net, T>& p, levenberg_marquardt<Net, T>& lm,
                                   const labelled_data<std::type_identity_t<T>>& train,
                                   const labelled_data<std::type_identity_t<T>>& validation,
                                   const full_batch_fit_options& options = {}) {
  return detail::fit_lm(p, lm, train, &validation, options);
}

// Hessian-free steps for any loss.
template <class Net, class T, std::size_t Tile, loss_function Loss>
fit_result fit_hessian_free(parameters<Net, T>& p, hessian_free<Net, T, Tile>& hf, const Loss& loss,
                            const labelled_data<std::type_identity_t<T>>& train,
                            const full_batch_fit_options& options = {}) {
  return detail::fit_hf(p, hf, loss, train, static_cast<const labelled_data<T>*>(nullptr), options);
}
template <class Net, class T, std::size_t Tile, loss_function Loss>
fit_result fit_hessian_free(parameters<Net, T>& p, hessian_free<Net, T, Tile>& hf, const Loss& loss,
                            const labelled_data<std::type_identity_t<T>>& train,
                            const labelled_data<std::type_identity_t<T>>& validation,
                            const full_batch_fit_options& options = {}) {
  return detail::fit_hf(p, hf, loss, train, &validation, options);
}

}  // namespace ctnn
