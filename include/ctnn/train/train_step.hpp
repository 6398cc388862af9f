#pragma once
// One training step with the optimizer's update fused into the backward pass: where the backward
// kernels would store a gradient value, they hand it to the optimizer's update of that parameter
// (optim/update_sink.hpp), so each layer's weights are read for Wᵀδ and updated in the same pass,
// and the gradient is never stored and read back.
//
//   ctnn::adam<net, float> opt;
//   float loss = ctnn::train_step(p, ctnn::squared_error{}, x, t, opt, 1e-3);          // one sample
//   float mean = ctnn::train_step_batch(p, ctnn::softmax_cross_entropy{}, xs, ts, opt, 1e-3,
//                                       scratch, ws);                                 // a batch
//
// The result is what loss_and_gradient(_batch) followed by opt.step(p, g, learning_rate) gives,
// up to the rounding of the update's fused multiply-adds (each value is updated by the same
// formula, but a row's last values, fewer than a pack, go through the scalar form). The returned
// loss is the one before the step. When it is NaN or infinite, nothing is updated: p and the
// optimizer are left as they were (the unfused form would have stepped with a broken gradient).
//
// A batch is processed tile by tile (the workspace's Tile samples at a time); the gradient of all
// tiles but the last is summed in scratch, whose contents afterwards are unspecified, and the last
// tile's kernels finish the sums and update. Gradient clipping needs the whole gradient before any
// update, so it is not fused: use loss_and_gradient_batch, clip_scale and opt.step.
//
// On a thread_pool (parallel/data_parallel.hpp), each thread sums its chunk's gradient as in the
// threaded loss_and_gradient_batch, and the update is fused into the reduction instead: each
// thread adds the partial gradients over its parameter range and updates that range in the same
// pass.

#include <algorithm>
#include <cmath>
#include <span>

#include "../nn/passes.hpp"
#include "../optim/optimizer.hpp"
#include "../optim/update_sink.hpp"
#include "../parallel/data_parallel.hpp"

namespace ctnn {

namespace detail {

template <class Arch, class Net, class T, std::size_t Tile, class Loss, class Optimizer>
T fused_batch_step(parameters<Net, T>& p, const T* x, const T* t, std::size_t n,
                   Optimizer& opt, double learning_rate, T* scratch, T* y,
                   workspace<Net, T, Tile>& ws) {
  constexpr std::size_t in = Net::input_size, out = Net::output_size;
  const T scale = T(1) / static_cast<T>(n);
  const std::size_t last_begin = (n - 1) / Tile * Tile;
  // All tiles but the last: their gradient summed in scratch. The last: its forward pass and loss
  // (the same code as the unfused passes, so the same loss bit for bit), left in ws for the
  // backward pass below.
  double total = 0;
  if (last_begin > 0)
    total = summed_loss_and_gradient<Arch, Net, T, Tile, Loss>(p.data(), x, t, 0, last_begin, scale,
                                                               scratch, nullptr, y, ws);
  total += summed_loss_and_gradient<Arch, Net, T, Tile, Loss>(p.data(), x, t, last_begin, n, scale,
                                                              nullptr, nullptr, y, ws);
  const std::size_t m = n - last_begin;
  const T loss = static_cast<T>(total / static_cast<double>(n));
  if (!std::isfinite(loss)) return loss;
  const auto update = opt.start_step(p, learning_rate);
  backward_tile<Arch, Net, T, Tile, Loss>(p.data(), x + last_begin * in, t + last_begin * out, m,
                                          scale, scratch, optim::update_sink<T, decltype(update)>{update},
                                          nullptr, last_begin > 0, ws);
  return loss;
}

// One sample; y (when not null) receives its outputs. flatten: the update is inlined into the
// kernels' loops, as the gradient stores it replaces.
template <class Arch, class Net, class T, class Loss, class Optimizer>
[[gnu::flatten]] T fused_sample_step(parameters<Net, T>& p, const T* x, const T* t, Optimizer& opt,
                                     double learning_rate, T* y = nullptr) {
  workspace<Net, T, 1> ws;
  if constexpr (!has_sample_kernels<Arch, T>) {
    return fused_batch_step<Arch, Net, T, 1, Loss>(p, x, t, 1, opt, learning_rate, nullptr, y, ws);
  } else {
    using last = typename Net::template stage<Net::stage_count - 1>;
    forward_sample<Arch>(p.data(), x, ws);
    const T loss =
        Loss::template value<last, Arch>(ws.template z_of<last>(), ws.template a_of<last>(), t, 1);
    if (y != nullptr) std::copy_n(ws.template a_of<last>(), Net::output_size, y);
    if (!std::isfinite(loss)) return loss;
    const auto update = opt.start_step(p, learning_rate);
    backward_sample<Arch, Net, T, Loss>(p.data(), x, t,
                                        optim::update_sink<T, decltype(update)>{update}, nullptr, ws);
    return loss;
  }
}

// The checks of both train_step_batch overloads; returns the batch size.
template <class Net, class Loss, class T>
std::size_t train_step_samples(std::span<const T> x, std::span<const T> targets,
                               std::span<T> outputs) {
  static_assert(loss_fits<Net, Loss>());
  autodiff::require_differentiable<Net>();
  constexpr const char* where = "train_step_batch";
  const std::size_t n = samples_in(where, "the input buffer", x.size(), Net::input_size);
  require_rows(where, "the target buffer", targets.size(), n, Net::output_size);
  if (!outputs.empty())
    require_rows(where, "the output buffer", outputs.size(), n, Net::output_size);
  return n;
}

}  // namespace detail

// One optimizer step on one sample: returns its loss (before the step).
template <class Arch = simd::default_arch, class Net, class T, loss_function Loss,
          optimizer<Net, T> Optimizer>
T train_step(parameters<Net, T>& p, const Loss&, fixed_span<const T, Net::input_size> x,
             fixed_span<const T, Net::output_size> target, Optimizer& opt, double learning_rate) {
  static_assert(detail::loss_fits<Net, Loss>());
  autodiff::require_differentiable<Net>();
  return detail::fused_sample_step<Arch, Net, T, Loss>(p, x.data(), target.data(), opt,
                                                       learning_rate);
}

// One optimizer step on a mini-batch (rows as in loss_and_gradient_batch): returns the mean loss
// (before the step). scratch holds the partial gradient of batches longer than one tile; when
// outputs is not empty it receives the network's outputs from the step's forward pass.
template <class Arch = simd::default_arch, class Net, class T, std::size_t Tile, loss_function Loss,
          optimizer<Net, T> Optimizer>
T train_step_batch(parameters<Net, T>& p, const Loss&, dynamic_span<const T> x,
                   dynamic_span<const T> targets, Optimizer& opt, double learning_rate,
                   gradient<Net, T>& scratch, workspace<Net, T, Tile>& ws,
                   dynamic_span<T> outputs = {}) {
  const std::size_t n = detail::train_step_samples<Net, Loss>(x, targets, outputs);
  T* y = outputs.empty() ? nullptr : outputs.data();
  // A batch of one takes the single-sample kernels, which read each row of W once for Wᵀδ and
  // its update together.
  if (n == 1)
    return detail::fused_sample_step<Arch, Net, T, Loss>(p, x.data(), targets.data(), opt,
                                                         learning_rate, y);
  return detail::fused_batch_step<Arch, Net, T, Tile, Loss>(
      p, x.data(), targets.data(), n, opt, learning_rate, scratch.data(), y, ws);
}

// The same on a thread_pool: scratch receives thread 0's partial gradient.
template <class Arch = simd::default_arch, class Net, class T, std::size_t Tile, loss_function Loss,
          optimizer<Net, T> Optimizer>
T train_step_batch(thread_pool& pool, parameters<Net, T>& p, const Loss&, dynamic_span<const T> x,
                   dynamic_span<const T> targets, Optimizer& opt, double learning_rate,
                   gradient<Net, T>& scratch, parallel_workspace<Net, T, Tile>& pws,
                   dynamic_span<T> outputs = {}) {
  const std::size_t n = detail::train_step_samples<Net, Loss>(x, targets, outputs);
  detail::require_threads("train_step_batch", pws.threads(), pool.size());
  const detail::batch_split split{n, pool.size()};
  T* y = outputs.empty() ? nullptr : outputs.data();
  // A batch of one chunk (a few samples) is the one-thread step, on the calling thread.
  if (split.used() == 1)
    return n == 1 ? detail::fused_sample_step<Arch, Net, T, Loss>(p, x.data(), targets.data(), opt,
                                                                  learning_rate, y)
                  : detail::fused_batch_step<Arch, Net, T, Tile, Loss>(
                        p, x.data(), targets.data(), n, opt, learning_rate, scratch.data(), y,
                        pws.workspace_of(0));
  detail::run_chunks(pool, split, [&](std::size_t k) {
    if (split.begin(k) == split.begin(k + 1)) return;
    detail::chunk_loss_and_gradient<Arch, Net, T, Tile, Loss>(
        k, split, p.data(), x.data(), targets.data(),
        k == 0 ? scratch.data() : pws.partial_gradient_of(k), nullptr, y, pws);
  });
  const T loss = detail::mean_loss(split, pws);
  if (!std::isfinite(loss)) return loss;
  const auto update = opt.start_step(p, learning_rate);
  detail::reduce_partial_gradients<Arch>(pool, split.used(), scratch.data(), pws,
                                         optim::update_sink<T, decltype(update)>{update});
  return loss;
}

}  // namespace ctnn
