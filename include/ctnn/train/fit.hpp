#pragma once
// The training loop: mini-batch epochs over a data set with any optimizer and learning-rate
// schedule, validation, early stopping, a per-epoch callback and progress output.
//
//   ctnn::fit_options o;
//   o.epochs = 10;  o.batch_size = 64;  o.seed = 1;  o.validation_fraction = 0.1;
//   o.early_stop = ctnn::early_stopping{.patience = 3};
//   ctnn::adam<net, float> opt;
//   ctnn::fit_result r = ctnn::fit(p, ctnn::softmax_cross_entropy{}, opt, ctnn::constant_lr(1e-3),
//                                  {x.values, t.values}, o);
//   // r.history: one ctnn::epoch_stats per epoch; r.stopped: why it ended
//
// Each epoch visits the training samples in a new order, drawn from options.seed (ctnn's own
// generator): the same seed, data, initial parameters and build give bit-identical parameters.
// The validation split (validation_fraction of the samples, picked at random from the seed, held
// out for the whole fit) or explicit validation data is evaluated after every epoch. The
// schedule is asked for the rate of every step as schedule(opt.steps()), so a second fit with
// the same optimizer continues the schedule; ctnn::fit_steps(...) says how many steps a fit
// takes (the period of a cosine schedule, say).
//
// Early stopping watches the validation loss (the training loss without validation data): an
// epoch improves when it is lower than the best so far by more than min_delta; after `patience`
// epochs without improvement the fit stops. With restore_best_weights, p ends with the best
// epoch's parameters whenever the fit ends elsewhere.
//
// Errors: bad options or data sizes throw ctnn::contract_error (a std::invalid_argument) naming
// the option. A NaN or infinite batch loss throws ctnn::non_finite_loss (a std::runtime_error)
// naming the epoch and the batch, e.g.
//   ctnn::fit: loss is nan at epoch 3, batch 117 (positions 3712-3743 of the epoch's order); set
//   options.stop_on_non_finite = false to continue
// p then holds the parameters of the last finite step (the bad batch's step is not taken). With
// stop_on_non_finite = false such a batch is skipped (no step) and counted in the epoch's stats.
//
// Threads: with options.threads > 1, each batch's forward and gradient passes are split over a
// ctnn::thread_pool (parallel/data_parallel.hpp), made once per fit; the result is bit-identical
// from run to run for a given thread count, and differs across thread counts only by the
// rounding of the gradient's sums. The validation pass runs on the calling thread.
//
// Memory: the shuffled order, the batch buffers, the gradient, the workspace (with threads, the
// pool and its per-thread buffers), a copy of the validation set and (with
// restore_best_weights) one copy of the parameters are allocated once, before the first epoch; a
// step (gather, gradient, clipping, optimizer update, progress) then allocates nothing.

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <ostream>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../detail/contract.hpp"
#include "../detail/random.hpp"
#include "../nn/losses.hpp"
#include "../nn/network.hpp"
#include "../nn/passes.hpp"
#include "../optim/clip.hpp"
#include "../optim/optimizer.hpp"
#include "../optim/schedule.hpp"
#include "../parallel/data_parallel.hpp"
#include "../parallel/thread_pool.hpp"
#include "../simd/pack.hpp"
#include "epoch_stats.hpp"
#include "metrics.hpp"
#include "progress.hpp"
#include "train_step.hpp"

namespace ctnn {

// n samples: inputs are n rows of Net::input_size values, targets n rows of Net::output_size
// (row-major, as io::matrix holds them: {x.values, t.values}).
template <class T>
struct labelled_data {
  std::span<const T> inputs;
  std::span<const T> targets;
};

// The same for a graph with several inputs or targets (one per loss node): n rows in each buffer,
// in the graph's input and target order.
template <class T, std::size_t Inputs, std::size_t Targets>
struct graph_data {
  std::array<std::span<const T>, Inputs> inputs;
  std::array<std::span<const T>, Targets> targets;
};

struct early_stopping {
  std::size_t patience = 5;  // epochs without improvement before stopping
  double min_delta = 0;      // an improvement must lower the monitored loss by more than this
  bool restore_best_weights = true;
};

// What a per-epoch callback answers.
enum class fit_control { proceed, stop };

struct fit_options {
  std::size_t epochs = 10;
  std::size_t batch_size = 32;
  std::uint64_t seed = 0;            // the epochs' orders and the validation split
  double validation_fraction = 0;    // in [0, 1): held out from the training data
  std::optional<early_stopping> early_stop;
  double clip_norm = 0;              // > 0: scale each gradient down to this global norm
  accuracy_kind accuracy = accuracy_kind::automatic;
  bool train_accuracy = true;        // counted from the gradient pass's own outputs
  bool stop_on_non_finite = true;    // throw non_finite_loss; false: skip such batches
  std::size_t threads = 1;           // > 1: each batch's gradient split over a thread pool
  std::ostream* output = &std::cout; // nullptr, or progress = none: silent
  progress_style progress = progress_style::automatic;
  std::function<fit_control(const epoch_stats&)> on_epoch_end;  // after each epoch's line
};

enum class fit_stop { completed, early_stopping, callback };

struct fit_result {
  std::vector<epoch_stats> history;  // one per epoch run
  fit_stop stopped = fit_stop::completed;
  std::size_t best_epoch = 0;        // of the monitored loss (1-based; 0 without early stopping)
  double best_loss = std::numeric_limits<double>::quiet_NaN();
  bool restored_best_weights = false;
  std::size_t steps = 0;             // optimizer steps taken
  double train_seconds = 0;          // time in steps (gather, gradient, update), all epochs
  double seconds = 0;                // the whole fit
  double samples_per_second() const {
    std::size_t samples = 0;
    for (const auto& e : history) samples += e.samples;
    return train_seconds > 0 ? double(samples) / train_seconds : 0.0;
  }
};

class non_finite_loss : public std::runtime_error {
 public:
  non_finite_loss(const std::string& message, std::size_t epoch, std::size_t batch, double loss)
      : std::runtime_error(message), epoch_(epoch), batch_(batch), loss_(loss) {}
  std::size_t epoch() const noexcept { return epoch_; }  // 1-based
  std::size_t batch() const noexcept { return batch_; }  // 1-based, within the epoch
  double loss() const noexcept { return loss_; }

 private:
  std::size_t epoch_, batch_;
  double loss_;
};

namespace detail {

inline void check_fit_options(const fit_options& o, std::size_t samples, bool explicit_validation) {
  const auto fail = [](const std::string& what) { contract_failed("fit", what); };
  if (o.epochs == 0) fail("options.epochs is 0; train for at least one epoch");
  if (o.batch_size == 0) fail("options.batch_size is 0; a batch needs at least one sample");
  if (!(o.validation_fraction >= 0 && o.validation_fraction < 1))
    fail("options.validation_fraction must be in [0, 1), got " +
         std::to_string(o.validation_fraction));
  if (explicit_validation && o.validation_fraction > 0)
    fail("options.validation_fraction is " + std::to_string(o.validation_fraction) +
         " but validation data was given too; use one or the other");
  if (!(o.clip_norm >= 0)) fail("options.clip_norm must be >= 0 (0: no clipping), got " + std::to_string(o.clip_norm));
  if (o.early_stop && !(o.early_stop->min_delta >= 0))
    fail("options.early_stop->min_delta must be >= 0, got " + std::to_string(o.early_stop->min_delta));
  if (o.threads == 0) fail("options.threads is 0; use 1 for the calling thread only");
  if (samples == 0) fail("the training data holds 0 samples");
}

template <class G, class T, std::size_t I, std::size_t Tg>
std::size_t check_data(const char* name, const graph_data<T, I, Tg>& d) {
  const auto label = [&](const char* what, std::size_t k, std::size_t count) {
    // Appended piece by piece: g++ 12 reports a false -Wrestrict for "[" + std::string&&.
    std::string s = std::string(name) + "." + what;
    if (count > 1) {
      s += '[';
      s += std::to_string(k);
      s += ']';
    }
    return s;
  };
  if (d.inputs[0].size() % G::input_sizes[0] != 0)
    contract_failed("fit", label("inputs", 0, I) + " holds " + std::to_string(d.inputs[0].size()) +
                               " values, which is not a whole number of samples of width " +
                               std::to_string(G::input_sizes[0]));
  const std::size_t n = d.inputs[0].size() / G::input_sizes[0];
  for (std::size_t k = 0; k < I; ++k)
    require_rows("fit", label("inputs", k, I).c_str(), d.inputs[k].size(), n, G::input_sizes[k]);
  for (std::size_t k = 0; k < Tg; ++k)
    require_rows("fit", label("targets", k, Tg).c_str(), d.targets[k].size(), n, G::target_sizes[k]);
  return n;
}

// Held-out count of a validation split (floor, as at least one sample must stay for training).
inline std::size_t validation_count(std::size_t samples, double fraction) {
  return static_cast<std::size_t>(std::floor(double(samples) * fraction));
}

// Copies the rows listed in `rows` into dst, row after row.
template <class T>
void gather_rows(std::span<const T> src, std::size_t width, std::span<const std::size_t> rows,
                 T* dst) {
  for (std::size_t r : rows) dst = std::copy_n(src.data() + r * width, width, dst);
}

// Fisher-Yates with ctnn's generator: the same on every compiler and standard library.
inline void shuffle_in_place(std::span<std::size_t> v, random_generator& rng) {
  for (std::size_t i = v.size(); i > 1; --i)
    std::swap(v[i - 1], v[static_cast<std::size_t>(rng.below(i))]);
}

inline constexpr std::uint64_t validation_stream = 0x76616c6964617465ull;  // "validate"

}  // namespace detail

// Optimizer steps of a fit of `samples` training samples (before a validation split) with these
// options, when it runs all its epochs.
inline std::size_t fit_steps(std::size_t samples, const fit_options& o) {
  const std::size_t train = samples - detail::validation_count(samples, o.validation_fraction);
  return o.batch_size == 0 ? 0 : o.epochs * ((train + o.batch_size - 1) / o.batch_size);
}

namespace detail {

// The rows `rows` of every buffer of d (widths from G) gathered into bufs, one after another.
template <class T, std::size_t N>
void gather_all(const std::array<std::span<const T>, N>& src, const std::array<std::size_t, N>& widths,
                std::span<const std::size_t> rows, std::array<std::vector<T>, N>& dst) {
  for (std::size_t k = 0; k < N; ++k) gather_rows(src[k], widths[k], rows, dst[k].data());
}
template <class T, std::size_t N>
std::array<std::span<const T>, N> first_rows(const std::array<std::vector<T>, N>& bufs,
                                             const std::array<std::size_t, N>& widths,
                                             std::size_t m) {
  std::array<std::span<const T>, N> spans;
  for (std::size_t k = 0; k < N; ++k) spans[k] = std::span<const T>(bufs[k].data(), m * widths[k]);
  return spans;
}
// A list of spans as the passes take it: one span, or the array.
template <class T, std::size_t N>
auto as_argument(const std::array<std::span<T>, N>& spans) {
  if constexpr (N == 1) return spans[0];
  else return spans;
}

// What happens between two epochs and at the end, for fit and fit_stream: early stopping on the
// monitored loss (the validation loss, else the training loss), the epoch's line, the callback,
// and at the end the best weights restored and a note. It holds the copy of the best weights.
template <class Net, class T>
class epoch_ending {
 public:
  epoch_ending(const fit_options& o, const parameters<Net, T>& p, bool has_validation)
      : o_(o), has_validation_(has_validation) {
    if (o.early_stop && o.early_stop->restore_best_weights) best_ = std::make_unique<parameters<Net, T>>(p);
  }

  // Epoch e (numbered, its losses measured) ends: e.improved, e.seconds, r.history and the
  // progress line; true: the fit stops here (r.stopped says why).
  template <class Clock>
  bool after(epoch_stats& e, const parameters<Net, T>& p, fit_result& r, progress_printer& progress,
             typename Clock::time_point epoch_start) {
    bool stop = false;
    if (o_.early_stop) {
      const double monitored = has_validation_ ? e.validation_loss : e.train_loss;
      if (!std::isnan(monitored) &&
          (r.best_epoch == 0 || monitored < r.best_loss - o_.early_stop->min_delta)) {
        r.best_epoch = e.epoch;
        r.best_loss = monitored;
        e.improved = true;
        since_best_ = 0;
        if (best_) *best_ = p;
      } else if (++since_best_ >= o_.early_stop->patience) {
        stop = true;
        r.stopped = fit_stop::early_stopping;
      }
    }
    e.seconds = std::chrono::duration<double>(Clock::now() - epoch_start).count();
    r.history.push_back(e);
    progress.end_epoch(e);
    if (o_.on_epoch_end && o_.on_epoch_end(e) == fit_control::stop && !stop) {
      stop = true;
      r.stopped = fit_stop::callback;
    }
    return stop;
  }

  // The fit ends: the best epoch's weights back in p when it was not the last, and a note.
  void finish(parameters<Net, T>& p, fit_result& r, progress_printer& progress) {
    if (!o_.early_stop) return;
    const char* monitored = has_validation_ ? "val_loss" : "loss";
    if (best_ && r.best_epoch != 0 && r.best_epoch != r.history.size()) {
      p = *best_;
      r.restored_best_weights = true;
    }
    if (r.stopped == fit_stop::early_stopping || r.restored_best_weights) {
      char line[200];
      std::snprintf(line, sizeof line, "%s after epoch %zu: best %s %.4f at epoch %zu%s",
                    r.stopped == fit_stop::early_stopping ? "early stopping" : "finished",
                    r.history.size(), monitored, r.best_loss, r.best_epoch,
                    r.restored_best_weights ? ", weights restored" : "");
      progress.note(line);
    }
  }

 private:
  const fit_options& o_;
  bool has_validation_;
  std::unique_ptr<parameters<Net, T>> best_;
  std::size_t since_best_ = 0;
};

// G: the graph the steps run (Net with the loss, or Net with its objective).
template <class Arch, class G, class Net, class T, optimizer<Net, T> O, learning_rate_schedule S,
          std::size_t I, std::size_t Tg>
fit_result fit_impl(parameters<Net, T>& p, O& opt, const S& schedule,
                    const graph_data<T, I, Tg>& data, const graph_data<T, I, Tg>* validation,
                    const accuracy_rule& rule, const fit_options& o) {
  using clock = std::chrono::steady_clock;
  const auto fit_start = clock::now();
  const std::size_t samples = check_data<G>("training data", data);
  check_fit_options(o, samples, validation != nullptr);
  // Accuracy compares the first loss's prediction, output 0, with its target.
  constexpr std::size_t out = G::target_sizes[0];
  constexpr bool prediction_is_output =
      G::output_count > 0 &&
      G::output_index[0] == G::table::edge[G::table::edge_begin[G::loss_index[0]]];

  // ---- the split, the buffers: everything allocated happens here ----------------------------
  std::vector<std::size_t> order(samples);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::array<std::vector<T>, I> val_x;
  std::array<std::vector<T>, Tg> val_t;
  graph_data<T, I, Tg> held{};
  if (validation != nullptr) {
    check_data<G>("validation data", *validation);
    held = *validation;
  } else if (o.validation_fraction > 0) {
    const std::size_t count = validation_count(samples, o.validation_fraction);
    if (count == 0 || count == samples)
      contract_failed("fit", "options.validation_fraction " + std::to_string(o.validation_fraction) +
                                 " of " + std::to_string(samples) + " samples holds out " +
                                 std::to_string(count) +
                                 " of them; both parts need at least one sample");
    random_generator split(o.seed ^ validation_stream);
    shuffle_in_place(order, split);
    // The held-out rows, in increasing order (a set, not a sequence), copied once.
    std::vector<std::size_t> held_rows(order.end() - std::ptrdiff_t(count), order.end());
    std::sort(held_rows.begin(), held_rows.end());
    order.resize(samples - count);
    std::sort(order.begin(), order.end());
    for (std::size_t k = 0; k < I; ++k) val_x[k].resize(count * G::input_sizes[k]);
    for (std::size_t k = 0; k < Tg; ++k) val_t[k].resize(count * G::target_sizes[k]);
    gather_all(data.inputs, G::input_sizes, held_rows, val_x);
    gather_all(data.targets, G::target_sizes, held_rows, val_t);
    held = {first_rows(val_x, G::input_sizes, count), first_rows(val_t, G::target_sizes, count)};
  }
  const bool has_validation = !held.inputs[0].empty();
  const std::size_t n_train = order.size();
  const std::size_t batch = std::min(o.batch_size, n_train);
  const std::size_t batches = (n_train + batch - 1) / batch;

  std::array<std::vector<T>, I> xb;
  std::array<std::vector<T>, Tg> tb;
  for (std::size_t k = 0; k < I; ++k) xb[k].resize(batch * G::input_sizes[k]);
  for (std::size_t k = 0; k < Tg; ++k) tb[k].resize(batch * G::target_sizes[k]);
  const bool count_train_accuracy =
      o.train_accuracy && rule.kind != accuracy_kind::none && prediction_is_output;
  std::vector<T> yb(count_train_accuracy ? batch * out : 0);
  auto g = std::make_unique<gradient<Net, T>>();
  auto ws = std::make_unique<workspace<Net, T>>();
  ws->seed = o.seed;  // dropout's draws (nn/run_mode.hpp), the same stream on any thread count
  // With threads > 1: a persistent pool and its per-thread buffers, made once for the fit.
  std::unique_ptr<thread_pool> pool;
  std::unique_ptr<parallel_workspace<Net, T>> pws;
  if (o.threads > 1) {
    pool = std::make_unique<thread_pool>(o.threads);
    pws = std::make_unique<parallel_workspace<Net, T>>(*pool);
    pws->seed = o.seed;
  }
  epoch_ending<Net, T> ending(o, p, has_validation);
  progress_printer progress(o.output, o.progress);
  random_generator rng(o.seed);

  fit_result r;
  r.history.reserve(o.epochs);

  for (std::size_t epoch = 1; epoch <= o.epochs; ++epoch) {
    const auto epoch_start = clock::now();
    shuffle_in_place(order, rng);
    progress.begin_epoch(epoch, o.epochs, n_train);
    epoch_stats e;
    e.epoch = epoch;
    e.epochs = o.epochs;
    double loss_sum = 0;  // of batch losses, each weighted by its batch's samples
    accuracy_counter train_acc;

    // ---- the hot loop: no allocation from here to the end of the epoch's steps -------------
    for (std::size_t b = 0; b < batches; ++b) {
      const std::size_t first = b * batch, m = std::min(batch, n_train - first);
      const std::span<const std::size_t> rows(order.data() + first, m);
      gather_all(data.inputs, G::input_sizes, rows, xb);
      gather_all(data.targets, G::target_sizes, rows, tb);
      const auto x = as_argument(first_rows(xb, G::input_sizes, m));
      const auto t = as_argument(first_rows(tb, G::target_sizes, m));
      // The outputs of the gradient pass's forward (before the step) give the train accuracy.
      std::array<std::span<T>, G::output_count> ys{};
      if constexpr (G::output_count > 0)
        if (count_train_accuracy) ys[0] = std::span<T>(yb.data(), m * out);
      const auto y = as_argument(ys);
      // Without clipping: the step with the update fused into the backward pass or the
      // threads' reduction (train_step.hpp; it leaves p and opt as they were when the loss is not
      // finite).
      const double lr = double(schedule(opt.steps()));
      const bool fused = !(o.clip_norm > 0);
      T l;
      if (fused)
        l = pool ? threaded_batch_step<Arch, G, false>(*pool, p, x, t, opt, lr, *g, *pws, y)
                 : batch_step<Arch, G, false>(p, x, t, opt, lr, *g, *ws, y);
      else
        l = pool ? threaded_gradient<Arch, G>(*pool, p, x, t, *g, *pws, nullptr, y)
                 : gradient_batch<Arch, Net, G>("fit", p, x, t, *g, *ws, nullptr, y);
      if (!std::isfinite(l)) {
        if (o.stop_on_non_finite) {
          progress.interrupt();
          const std::string what = std::isnan(l) ? "nan" : (l > 0 ? "inf" : "-inf");
          throw non_finite_loss(
              "ctnn::fit: loss is " + what + " at epoch " + std::to_string(epoch) + ", batch " +
                  std::to_string(b + 1) + " of " + std::to_string(batches) + " (positions " +
                  std::to_string(first) + "-" + std::to_string(first + m - 1) +
                  " of the epoch's order); set options.stop_on_non_finite = false to continue",
              epoch, b + 1, double(l));
        }
        ++e.skipped_batches;
        continue;
      }
      // A skipped batch counts in neither the loss nor the accuracy.
      if (count_train_accuracy)
        count_matches<T>(train_acc, rule, std::span<const T>(yb.data(), m * out),
                         std::span<const T>(tb[0].data(), m * out), out);
      if (o.clip_norm > 0) opt.step(p, *g, lr, clip_scale<Arch>(*g, T(o.clip_norm)));
      else if (!fused) opt.step(p, *g, lr);
      e.learning_rate = lr;
      ++r.steps;
      loss_sum += double(l) * double(m);
      e.samples += m;
      progress.update(first + m, loss_sum / double(e.samples));
    }
    const auto steps_end = clock::now();
    const double step_seconds = std::chrono::duration<double>(steps_end - epoch_start).count();
    r.train_seconds += step_seconds;

    if (e.samples > 0) e.train_loss = loss_sum / double(e.samples);
    e.train_accuracy = train_acc.value();
    e.samples_per_second = step_seconds > 0 ? double(e.samples) / step_seconds : 0.0;
    if (has_validation) {
      const evaluation v = evaluate_graph<Arch, G>(p, held.inputs, held.targets, *ws, rule);
      e.validation_loss = v.loss;
      e.validation_accuracy = v.accuracy;
    }

    if (ending.template after<clock>(e, p, r, progress, epoch_start)) break;
  }
  ending.finish(p, r, progress);
  r.seconds = std::chrono::duration<double>(clock::now() - fit_start).count();
  return r;
}

template <class Arch, class Net, class T, class Loss, class O, class S, class Data>
fit_result fit_with_loss(parameters<Net, T>& p, O& opt, const S& schedule, const Data& train,
                         const Data* validation, const fit_options& options) {
  static_assert(loss_fits<Net, Loss>());
  using G = objective_graph<Net, Loss>;
  const graph_data<T, 1, 1> t{{train.inputs}, {train.targets}};
  graph_data<T, 1, 1> v{};
  if (validation != nullptr) v = {{validation->inputs}, {validation->targets}};
  return fit_impl<Arch, G>(p, opt, schedule, t, validation != nullptr ? &v : nullptr,
                           resolve_accuracy<Net, Loss>(options.accuracy), options);
}

}  // namespace detail

// Trains p on `train`, validating on a split of it when options.validation_fraction > 0.
template <class Arch = simd::default_arch, class Net, class T, loss_function Loss,
          optimizer<Net, T> O, learning_rate_schedule S>
  requires(!Net::has_objective)
fit_result fit(parameters<Net, T>& p, const Loss&, O& opt, const S& schedule,
               const labelled_data<std::type_identity_t<T>>& train, const fit_options& options = {}) {
  return detail::fit_with_loss<Arch, Net, T, Loss>(p, opt, schedule, train,
                                                   static_cast<const labelled_data<T>*>(nullptr),
                                                   options);
}

// Trains p on `train`, validating on `validation` after every epoch.
template <class Arch = simd::default_arch, class Net, class T, loss_function Loss,
          optimizer<Net, T> O, learning_rate_schedule S>
  requires(!Net::has_objective)
fit_result fit(parameters<Net, T>& p, const Loss&, O& opt, const S& schedule,
               const labelled_data<std::type_identity_t<T>>& train,
               const labelled_data<std::type_identity_t<T>>& validation,
               const fit_options& options = {}) {
  return detail::fit_with_loss<Arch, Net, T, Loss>(p, opt, schedule, train, &validation, options);
}

// A graph with an objective: the data holds every input and one target per loss node (in the
// graph's orders); accuracy is counted on the first loss's prediction when it is output 0.
template <class Arch = simd::default_arch, class Net, class T, optimizer<Net, T> O,
          learning_rate_schedule S>
  requires(Net::has_objective)
fit_result fit(parameters<Net, T>& p, O& opt, const S& schedule,
               const graph_data<std::type_identity_t<T>, Net::input_count, Net::target_count>& train,
               const fit_options& options = {}) {
  return detail::fit_impl<Arch, Net>(p, opt, schedule, train,
                                     static_cast<decltype(&train)>(nullptr),
                                     resolve_accuracy<Net>(options.accuracy), options);
}

template <class Arch = simd::default_arch, class Net, class T, optimizer<Net, T> O,
          learning_rate_schedule S>
  requires(Net::has_objective)
fit_result fit(parameters<Net, T>& p, O& opt, const S& schedule,
               const graph_data<std::type_identity_t<T>, Net::input_count, Net::target_count>& train,
               const graph_data<std::type_identity_t<T>, Net::input_count, Net::target_count>& validation,
               const fit_options& options = {}) {
  return detail::fit_impl<Arch, Net>(p, opt, schedule, train, &validation,
                                     resolve_accuracy<Net>(options.accuracy), options);
}

}  // namespace ctnn
