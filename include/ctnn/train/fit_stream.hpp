#pragma once
// Truncated backpropagation through time over a stream of run-time length: the fit loop of
// train/fit.hpp for a recurrent net that reads a window of W steps and a carried state.
//
//   using x = op::input<"x", W, V>;                 // a window of W steps
//   using start = op::input<"start", S>;            // the state carried from the last window
//   using layer = ctnn::recurrent<ctnn::gru_cell<"gru", V, H>, W, x, start>;
//   using logits = op::dense_rows<"head", V, ctnn::hidden_sequence<layer>>;
//   using net = ctnn::graph<ctnn::inputs<x, start>, ctnn::outputs<logits, ctnn::final_state<layer>>,
//                           ctnn::objective<op::step_softmax_cross_entropy<logits>>>;
//   ctnn::fit_result r = ctnn::fit_stream(p, opt, schedule, {x_steps, t_steps}, o, &validation);
//
// The net: inputs (a window of W steps, the starting state), outputs (anything, ..., the next
// state last: the same width as the starting state), and an objective whose one target holds the
// window's W steps of targets. The stream: L steps of inputs and L steps of targets, row by row.
//
// Each epoch cuts the stream into options.batch_size segments of equal length (the streams of a
// batch, side by side) and walks them window by window: a batch holds window w of every segment,
// its starting states are the states the window before ended with (zeros at the start of an
// epoch), and its gradient stops there (the starting state is an input, not a path back to the
// earlier window). The steps left over at a segment's end (less than a window) are not used.
//
// Losses are reported per step (the objective of a window divided by W, averaged over the epoch's
// windows): for a per-step cross-entropy in nats, loss / ln 2 is bits per step. The validation
// stream, if given, is evaluated the same way after each epoch (the evaluation rule, its own
// carried states). From fit_options it reads epochs, batch_size (the streams), threads,
// clip_norm, early_stop (on the validation loss, else the training loss), stop_on_non_finite,
// output, progress and on_epoch_end; seed goes to dropout's draws; there is no shuffling (the
// order of windows is the state's path) and no accuracy. Memory is allocated before the first
// epoch; a step allocates nothing.

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "../detail/contract.hpp"
#include "../nn/network.hpp"
#include "../nn/passes.hpp"
#include "../optim/clip.hpp"
#include "../optim/optimizer.hpp"
#include "../optim/schedule.hpp"
#include "../parallel/data_parallel.hpp"
#include "../parallel/thread_pool.hpp"
#include "epoch_stats.hpp"
#include "fit.hpp"
#include "progress.hpp"
#include "train_step.hpp"

namespace ctnn {

// L steps of a stream: inputs L rows of the step's input width, targets L rows of its target width.
template <class T>
struct stream_data {
  std::span<const T> inputs;
  std::span<const T> targets;
};

namespace detail {

// What fit_stream needs of a net, read from its type.
template <class Net>
struct stream_net {
  static_assert(Net::has_objective && Net::input_count == 2 && Net::output_count >= 1 &&
                    Net::target_count == 1,
                "ctnn::fit_stream: the net takes a window and a starting state (two inputs), gives "
                "the next state as its last output, and carries an objective with one target");
  static constexpr std::size_t state = Net::input_sizes[1];
  static_assert(Net::output_sizes[Net::output_count - 1] == state,
                "ctnn::fit_stream: the net's last output (the next state) must have the width of "
                "its second input (the starting state)");
  static constexpr std::size_t window_inputs = Net::input_sizes[0];
  static constexpr std::size_t window_targets = Net::target_sizes[0];
};

// The streams' buffers of one batch of windows, and the carried states.
template <class Net, class T>
struct stream_batch {
  using shape = stream_net<Net>;
  std::size_t streams = 0, window = 0, step_in = 0, step_out = 0;
  std::vector<T> x, start, t;
  std::array<std::vector<T>, Net::output_count> y;

  stream_batch(std::size_t b, std::size_t w) : streams(b), window(w) {
    step_in = shape::window_inputs / w;
    step_out = shape::window_targets / w;
    x.resize(b * shape::window_inputs);
    start.assign(b * shape::state, T(0));
    t.resize(b * shape::window_targets);
    for (std::size_t k = 0; k < Net::output_count; ++k) y[k].resize(b * Net::output_sizes[k]);
  }
  // Window `at` (in steps from each segment's start) of every segment of length `segment`.
  void gather(const stream_data<T>& s, std::size_t segment, std::size_t at) {
    for (std::size_t b = 0; b < streams; ++b) {
      const std::size_t first = b * segment + at;
      std::copy_n(s.inputs.data() + first * step_in, shape::window_inputs, x.data() + b * shape::window_inputs);
      std::copy_n(s.targets.data() + first * step_out, shape::window_targets, t.data() + b * shape::window_targets);
    }
  }
  auto inputs() const {
    return std::array<std::span<const T>, 2>{std::span<const T>(x), std::span<const T>(start)};
  }
  auto outputs() {
    std::array<std::span<T>, Net::output_count> o;
    for (std::size_t k = 0; k < Net::output_count; ++k) o[k] = std::span<T>(y[k]);
    return o;
  }
  void carry() { std::copy(y[Net::output_count - 1].begin(), y[Net::output_count - 1].end(), start.begin()); }
};

// The window of a net: the steps its first input holds (its first dimension).
template <class Net>
constexpr std::size_t window_of() {
  return core::shape_of<core::at_t<typename Net::input_nodes, 0>>::dims[0];
}

}  // namespace detail

// Steps a fit_stream over L steps takes with these options (all epochs).
template <class Net>
std::size_t fit_stream_steps(std::size_t steps, const fit_options& o) {
  constexpr std::size_t w = detail::window_of<Net>();
  return o.batch_size == 0 ? 0 : o.epochs * ((steps / o.batch_size) / w);
}

// The mean per-step loss of a stream, in windows of `streams` segments, from zero states, under
// the evaluation rule.
template <class Arch = simd::default_arch, class Net, class T, std::size_t Tile>
double stream_loss(const parameters<Net, T>& p, const stream_data<T>& s, std::size_t streams,
                   workspace<Net, T, Tile>& ws) {
  using shape = detail::stream_net<Net>;
  constexpr std::size_t w = detail::window_of<Net>();
  const std::size_t step_in = shape::window_inputs / w;
  const std::size_t steps = s.inputs.size() / step_in;
  const std::size_t segment = steps / streams, windows = segment / w;
  if (windows == 0)
    detail::contract_failed("stream_loss", "the stream's " + std::to_string(steps) + " steps in " +
                                       std::to_string(streams) + " streams leave no whole window of " +
                                       std::to_string(w) + " steps");
  detail::stream_batch<Net, T> b(streams, w);
  double sum = 0;
  for (std::size_t k = 0; k < windows; ++k) {
    b.gather(s, segment, k * w);
    const auto x = b.inputs();
    forward_batch<Arch>(p, x, b.outputs(), ws);
    sum += double(loss_batch<Arch>(p, x, std::span<const T>(b.t), ws));
    b.carry();
  }
  return sum / double(windows) / double(w);
}

template <class Arch = simd::default_arch, class Net, class T, optimizer<Net, T> O, learning_rate_schedule S>
fit_result fit_stream(parameters<Net, T>& p, O& opt, const S& schedule, const stream_data<T>& data,
                      const fit_options& o, const stream_data<T>* validation = nullptr) {
  using clock = std::chrono::steady_clock;
  using shape = detail::stream_net<Net>;
  constexpr std::size_t w = detail::window_of<Net>();
  static_assert(shape::window_inputs % w == 0 && shape::window_targets % w == 0,
                "ctnn::fit_stream: the window's inputs and targets must be W rows of one width");
  const auto fit_start = clock::now();
  const std::size_t step_in = shape::window_inputs / w, step_out = shape::window_targets / w;
  const auto check = [&](const char* name, const stream_data<T>& s) {
    if (s.inputs.size() % step_in != 0)
      detail::contract_failed("fit_stream", std::string(name) + ".inputs holds " + std::to_string(s.inputs.size()) +
                                        " values, which is not a whole number of steps of width " +
                                        std::to_string(step_in));
    const std::size_t steps = s.inputs.size() / step_in;
    detail::require_rows("fit_stream", (std::string(name) + ".targets").c_str(), s.targets.size(), steps, step_out);
    return steps;
  };
  const std::size_t steps = check("data", data);
  if (validation) check("validation", *validation);
  if (o.epochs == 0) detail::contract_failed("fit_stream", "options.epochs is 0; train for at least one epoch");
  if (o.batch_size == 0) detail::contract_failed("fit_stream", "options.batch_size is 0; use at least one stream");
  if (o.threads == 0) detail::contract_failed("fit_stream", "options.threads is 0; use 1 for the calling thread only");
  if (!(o.clip_norm >= 0)) detail::contract_failed("fit_stream", "options.clip_norm must be >= 0");
  const std::size_t segment = steps / o.batch_size, windows = segment / w;
  if (windows == 0)
    detail::contract_failed("fit_stream", "the stream's " + std::to_string(steps) + " steps in " +
                                      std::to_string(o.batch_size) + " streams (options.batch_size) " +
                                      "leave no whole window of " + std::to_string(w) + " steps");

  // ---- everything allocated happens here ----
  detail::stream_batch<Net, T> b(o.batch_size, w);
  auto g = std::make_unique<gradient<Net, T>>();
  auto ws = std::make_unique<workspace<Net, T>>();
  ws->seed = o.seed;
  std::unique_ptr<thread_pool> pool;
  std::unique_ptr<parallel_workspace<Net, T>> pws;
  if (o.threads > 1) {
    pool = std::make_unique<thread_pool>(o.threads);
    pws = std::make_unique<parallel_workspace<Net, T>>(*pool);
    pws->seed = o.seed;
  }
  detail::epoch_ending<Net, T> ending(o, p, validation != nullptr);
  progress_printer progress(o.output, o.progress);

  fit_result r;
  r.history.reserve(o.epochs);
  for (std::size_t epoch = 1; epoch <= o.epochs; ++epoch) {
    const auto epoch_start = clock::now();
    progress.begin_epoch(epoch, o.epochs, windows * o.batch_size);
    epoch_stats e;
    e.epoch = epoch;
    e.epochs = o.epochs;
    double loss_sum = 0;
    std::fill(b.start.begin(), b.start.end(), T(0));
    // ---- the hot loop: no allocation ----
    for (std::size_t k = 0; k < windows; ++k) {
      b.gather(data, segment, k * w);
      const auto x = b.inputs();
      const std::span<const T> t(b.t);
      const auto y = b.outputs();
      const double lr = double(schedule(opt.steps()));
      const bool fused = !(o.clip_norm > 0);
      T l;
      if (fused)
        l = pool ? detail::threaded_batch_step<Arch, Net, false>(*pool, p, x, t, opt, lr, *g, *pws, y)
                 : detail::batch_step<Arch, Net, false>(p, x, t, opt, lr, *g, *ws, y);
      else
        l = pool ? detail::threaded_gradient<Arch, Net>(*pool, p, x, t, *g, *pws, nullptr, y)
                 : detail::gradient_batch<Arch, Net, Net>("fit_stream", p, x, t, *g, *ws, nullptr, y);
      if (!std::isfinite(l)) {
        if (o.stop_on_non_finite) {
          progress.interrupt();
          throw non_finite_loss("ctnn::fit_stream: loss is not finite at epoch " + std::to_string(epoch) +
                                    ", window " + std::to_string(k + 1) + " of " + std::to_string(windows) +
                                    "; set options.stop_on_non_finite = false to continue",
                                epoch, k + 1, double(l));
        }
        ++e.skipped_batches;
        std::fill(b.start.begin(), b.start.end(), T(0));  // the states are not finite either
        continue;
      }
      if (o.clip_norm > 0) opt.step(p, *g, lr, clip_scale<Arch>(*g, T(o.clip_norm)));
      else if (!fused) opt.step(p, *g, lr);
      b.carry();
      e.learning_rate = lr;
      ++r.steps;
      loss_sum += double(l) / double(w);
      e.samples += o.batch_size;
      progress.update((k + 1) * o.batch_size, loss_sum / double(k + 1 - e.skipped_batches));
    }
    const double step_seconds = std::chrono::duration<double>(clock::now() - epoch_start).count();
    r.train_seconds += step_seconds;
    const std::size_t stepped = windows - e.skipped_batches;
    if (stepped > 0) e.train_loss = loss_sum / double(stepped);
    e.samples_per_second = step_seconds > 0 ? double(e.samples) / step_seconds : 0.0;
    if (validation) e.validation_loss = stream_loss<Arch>(p, *validation, o.batch_size, *ws);

    if (ending.template after<clock>(e, p, r, progress, epoch_start)) break;
  }
  ending.finish(p, r, progress);
  r.seconds = std::chrono::duration<double>(clock::now() - fit_start).count();
  return r;
}

}  // namespace ctnn
