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
#include <cstddef>
#include <span>

#include "../config.hpp"
#include "../nn/passes.hpp"
#include "../optim/optimizer.hpp"
#include "../optim/update_sink.hpp"
#include "../parallel/data_parallel.hpp"

namespace ctnn {

namespace detail {

// ∂θ handed to an optimizer's update (optim/update_sink.hpp): the last contribution to each block
// updates the parameters, with the sums of earlier tiles and of a shared block's earlier users
// read from the partial sums, where those earlier contributions went. The batch step keeps its
// partial sums in the caller's scratch gradient (block b at its own offset); the one-sample step
// keeps the shared blocks' in the workspace (autodiff/plan.hpp: scratch_offset).
template <class T, class Update>
struct gradient_update {
  Update update;
  T* partial = nullptr;                        // the scratch gradient, or null
  const std::size_t* shared_offset = nullptr;  // or the shared blocks' places in ws
  T* ws = nullptr;
  // Stands for the sums of a block that has none (no earlier contribution, so never read): any
  // buffer of the parameters' layout. g++ warns about reads of null in the paths never taken.
  T* unread = nullptr;
  static constexpr bool fused = true;
  constexpr optim::update_sink<T, Update> sink(std::size_t offset) const { return {update, offset}; }
  constexpr T* sums(std::size_t block, std::size_t offset) const {
    if (partial != nullptr) return partial + offset;
    if (shared_offset == nullptr || shared_offset[block] == core::none)
      return unread == nullptr ? nullptr : unread + offset;
    return ws + shared_offset[block];
  }
};

// Blocks no step reaches have a zero gradient: their update runs with 0 (weight decay, momentum),
// as opt.step after loss_and_gradient would.
template <class Arch, class G, class T, class Update>
void update_unreached_blocks(const Update& u) {
  using R = autodiff::reverse<G>;
  if constexpr (!R::every_block_reached)
    for (std::size_t b = 0; b < G::block_count; ++b)
      if (!R::block_reached[b])
        optim::detail::for_each_pack<Arch, T>(
            G::layout::offset[b + 1] - G::layout::offset[b], [&]<class V>(V v, std::size_t k) {
              u(v, G::layout::offset[b] + k, V::broadcast(T(0)));
            });
}

template <class Arch, class G, class Net, class T, std::size_t Tile, class Optimizer>
T fused_batch_step(parameters<Net, T>& p, const pass_data<G, T, false>& d, std::size_t n, Optimizer& opt,
                   double learning_rate, T* scratch, workspace<Net, T, Tile>& ws) {
  const T scale = T(1) / static_cast<T>(n);
  const std::size_t last_begin = (n - 1) / Tile * Tile;
  // All tiles but the last: their gradient summed in scratch. The last: its forward pass and loss
  // (the same code as the unfused passes, so the same loss bit for bit), left in ws for the
  // backward pass below.
  double total = 0;
  if (last_begin > 0)
    total = summed_objective<Arch, G>(p.data(), d, 0, last_begin, scale, scratch, ws);
  total += summed_objective<Arch, G>(p.data(), d, last_begin, n, scale, static_cast<T*>(nullptr), ws);
  const T loss = static_cast<T>(total / static_cast<double>(n));
  if (!std::isfinite(loss)) return loss;
  const auto update = opt.start_step(p, learning_rate);
  using program = exec::program<G, plan_of<G, T, Tile>>;
  program::template backward<Arch, T>(tile_at(p.data(), d, last_begin, n - last_begin, ws.data()),
                                      scale, gradient_update<T, decltype(update)>{update, scratch},
                                      last_begin > 0);
  update_unreached_blocks<Arch, G, T>(update);
  return loss;
}

// One sample; d.y (when not null) receives its outputs. The body, for callers that do not want
// it flattened (fit, below).
template <class Arch, class G, class Net, class T, class Optimizer>
T sample_step(parameters<Net, T>& p, const pass_data<G, T, false>& d, Optimizer& opt,
              double learning_rate) {
  workspace<Net, T, 1> ws;
  using plan = plan_of<G, T, 1>;
  using program = exec::program<G, plan>;
  // The scalar architecture runs the tile program on a tile of one sample, its forward pass and
  // loss in the same (out-of-line) code as loss_and_gradient's, so the same loss bit for bit;
  // both keep a shared block's earlier contributions in the workspace (plan::scratch_offset).
  const auto b = tile_at(p.data(), d, 0, 1, ws.data());
  T loss;
  if constexpr (has_sample_kernels<Arch, T>) {
    forward_sample_body<Arch>(p.data(), d, ws);
    loss = static_cast<T>(program::template objective<Arch, T>(b));
    copy_sample_outputs<program>(b, d);
  } else {
    loss = static_cast<T>(summed_objective<Arch, G>(p.data(), d, 0, 1, T(1), static_cast<T*>(nullptr), ws));
  }
  if (!std::isfinite(loss)) return loss;
  const auto update = opt.start_step(p, learning_rate);
  const gradient_update<T, decltype(update)> target{update, nullptr, plan::scratch_offset.data(),
                                                    ws.data(), p.data()};
  if constexpr (has_sample_kernels<Arch, T>) backward_sample<Arch>(p.data(), d, target, ws);
  else program::template backward<Arch, T>(b, T(1), target, false);
  update_unreached_blocks<Arch, G, T>(update);
  return loss;
}

// flatten: the update is inlined into the kernels' loops, as the gradient stores it replaces.
template <class Arch, class G, class Net, class T, class Optimizer>
CTNN_FLATTEN T fused_sample_step(parameters<Net, T>& p, const pass_data<G, T, false>& d,
                                 Optimizer& opt, double learning_rate) {
  return sample_step<Arch, G>(p, d, opt, learning_rate);
}

// The one-sample step, flattened unless Flatten is false. fit says false: flattened, the step is
// a large function to compile (the 20-node graph example built in 14.8 s with it, 12.0 s
// without, g++ -O2; 10.4-10.8 s against 12.3-12.6 s once its forward pass was not flattened
// either), and a fit's batch of one is at most the last of an epoch unless batch_size is 1. With
// Adam, g++ -O2: 16-32-32-1 750-810 ns against train_step's 645-675 ns, 784-128-10 28 µs
// against 23 µs (the forward pass flattened inside it was slower: 930 ns on 16-32-32-1).
template <class Arch, class G, bool Flatten, class Net, class T, class Optimizer>
T one_sample_step(parameters<Net, T>& p, const pass_data<G, T, false>& d, Optimizer& opt,
                  double learning_rate) {
  if constexpr (Flatten) return fused_sample_step<Arch, G>(p, d, opt, learning_rate);
  else return sample_step<Arch, G>(p, d, opt, learning_rate);
}

template <class Arch, class G, bool Flatten = true, class Net, class T, std::size_t Tile,
          class Optimizer, class X, class Tg, class Y>
T batch_step(parameters<Net, T>& p, const X& x, const Tg& targets, Optimizer& opt,
             double learning_rate, gradient<Net, T>& scratch, workspace<Net, T, Tile>& ws,
             const Y& outputs) {
  require_differentiable<Net, G>();
  if constexpr (!differentiable<G>()) {
    return T{};
  } else {
    const std::size_t n = checked_batch<G>("train_step_batch", x, targets, nullptr, outputs);
    auto d = bind<G, T>(x, targets, nullptr, outputs);
    d.mode = gradient_mode(ws);
    // A batch of one takes the single-sample kernels, which read each row of W once for Wᵀδ and
    // its update together.
    if (n == 1) return one_sample_step<Arch, G, Flatten>(p, d, opt, learning_rate);
    return fused_batch_step<Arch, G>(p, d, n, opt, learning_rate, scratch.data(), ws);
  }
}

template <class Arch, class G, bool Flatten = true, class Net, class T, std::size_t Tile,
          class Optimizer, class X, class Tg, class Y>
T threaded_batch_step(thread_pool& pool, parameters<Net, T>& p, const X& x, const Tg& targets,
                      Optimizer& opt, double learning_rate, gradient<Net, T>& scratch,
                      parallel_workspace<Net, T, Tile>& pws, const Y& outputs) {
  require_differentiable<Net, G>();
  if constexpr (!differentiable<G>()) {
    return T{};
  } else {
    const std::size_t n = checked_batch<G>("train_step_batch", x, targets, nullptr, outputs);
    require_threads("train_step_batch", pws.threads(), pool.size());
    auto d = bind<G, T>(x, targets, nullptr, outputs);
    d.mode = gradient_mode(pws);
    const auto split = batch_split::for_net<Net, Tile>(n, pool.size());
    // A batch of one chunk (a few samples) is the one-thread step, on the calling thread.
    if (split.used() == 1) {
      if (n == 1) return one_sample_step<Arch, G, Flatten>(p, d, opt, learning_rate);
      return fused_batch_step<Arch, G>(p, d, n, opt, learning_rate, scratch.data(),
                                       pws.workspace_of(0));
    }
    run_chunks(pool, split, [&](std::size_t k) {
      if (split.begin(k) == split.begin(k + 1)) return;
      chunk_objective<Arch, G>(k, split, p.data(), d,
                                     k == 0 ? scratch.data() : pws.partial_gradient_of(k), pws);
    });
    const T loss = mean_loss(split, pws);
    if (!std::isfinite(loss)) return loss;
    const auto update = opt.start_step(p, learning_rate);
    reduce_partial_gradients<Arch>(pool, split.used(), scratch.data(), pws,
                                   optim::update_sink<T, decltype(update)>{update});
    return loss;
  }
}

// The buffers of a one-sample step. It takes no workspace, so its training rule draws from
// stream 0 by the optimizer's step count (nn/run_mode.hpp): a new draw each step.
template <class G, class T, class X, class Tg, class Optimizer>
pass_data<G, T, false> sample_step_data(const X& x, const Tg& target, const Optimizer& opt) {
  auto d = bind<G, T>(x, target, nullptr, nullptr);
  d.mode = training_draw(0, opt.steps() + 1);
  return d;
}

}  // namespace detail

// One optimizer step on one sample: returns its loss (before the step).
template <class Arch = simd::default_arch, class Net, class T, loss_function Loss,
          optimizer<Net, T> Optimizer>
  requires(!Net::has_objective)
T train_step(parameters<Net, T>& p, const Loss&, sample_inputs<Net, T> x,
             sample_targets<Net, T> target, Optimizer& opt, double learning_rate) {
  if constexpr (!detail::loss_fits<Net, Loss>()) {
    return T{};
  } else {
    using G = detail::objective_graph<Net, Loss>;
    detail::require_differentiable<Net, G>();
    if constexpr (!detail::differentiable<G>()) return T{};
    else return detail::fused_sample_step<Arch, G>(p, detail::sample_step_data<G, T>(x, target, opt),
                                                   opt, learning_rate);
  }
}

// The same for a graph with an objective.
template <class Arch = simd::default_arch, class Net, class T, optimizer<Net, T> Optimizer>
  requires(Net::has_objective)
T train_step(parameters<Net, T>& p, sample_inputs<Net, T> x, sample_targets<Net, T> target,
             Optimizer& opt, double learning_rate) {
  detail::require_differentiable<Net, Net>();
  if constexpr (!detail::differentiable<Net>()) return T{};
  else return detail::fused_sample_step<Arch, Net>(p, detail::sample_step_data<Net, T>(x, target, opt),
                                                   opt, learning_rate);
}

// One optimizer step on a mini-batch (rows as in loss_and_gradient_batch): returns the mean loss
// (before the step). scratch holds the partial gradient of batches longer than one tile; when
// outputs is not empty it receives the graph's outputs from the step's forward pass.
template <class Arch = simd::default_arch, class Net, class T, std::size_t Tile, loss_function Loss,
          optimizer<Net, T> Optimizer>
  requires(!Net::has_objective)
T train_step_batch(parameters<Net, T>& p, const Loss&, batch_inputs<Net, T> x,
                   batch_targets<Net, T> targets, Optimizer& opt, double learning_rate,
                   gradient<Net, T>& scratch, workspace<Net, T, Tile>& ws,
                   batch_outputs<Net, T> outputs = {}) {
  if constexpr (!detail::loss_fits<Net, Loss>())
    return T{};
  else
    return detail::batch_step<Arch, detail::objective_graph<Net, Loss>>(p, x, targets, opt, learning_rate,
                                                                       scratch, ws, outputs);
}

template <class Arch = simd::default_arch, class Net, class T, std::size_t Tile,
          optimizer<Net, T> Optimizer>
  requires(Net::has_objective)
T train_step_batch(parameters<Net, T>& p, batch_inputs<Net, T> x, batch_targets<Net, T> targets,
                   Optimizer& opt, double learning_rate, gradient<Net, T>& scratch,
                   workspace<Net, T, Tile>& ws, batch_outputs<Net, T> outputs = {}) {
  return detail::batch_step<Arch, Net>(p, x, targets, opt, learning_rate, scratch, ws, outputs);
}

// The same on a thread_pool: scratch receives thread 0's partial gradient.
template <class Arch = simd::default_arch, class Net, class T, std::size_t Tile, loss_function Loss,
          optimizer<Net, T> Optimizer>
  requires(!Net::has_objective)
T train_step_batch(thread_pool& pool, parameters<Net, T>& p, const Loss&, batch_inputs<Net, T> x,
                   batch_targets<Net, T> targets, Optimizer& opt, double learning_rate,
                   gradient<Net, T>& scratch, parallel_workspace<Net, T, Tile>& pws,
                   batch_outputs<Net, T> outputs = {}) {
  if constexpr (!detail::loss_fits<Net, Loss>())
    return T{};
  else
    return detail::threaded_batch_step<Arch, detail::objective_graph<Net, Loss>>(
        pool, p, x, targets, opt, learning_rate, scratch, pws, outputs);
}

template <class Arch = simd::default_arch, class Net, class T, std::size_t Tile,
          optimizer<Net, T> Optimizer>
  requires(Net::has_objective)
T train_step_batch(thread_pool& pool, parameters<Net, T>& p, batch_inputs<Net, T> x,
                   batch_targets<Net, T> targets, Optimizer& opt, double learning_rate,
                   gradient<Net, T>& scratch, parallel_workspace<Net, T, Tile>& pws,
                   batch_outputs<Net, T> outputs = {}) {
  return detail::threaded_batch_step<Arch, Net>(pool, p, x, targets, opt, learning_rate, scratch,
                                                pws, outputs);
}

}  // namespace ctnn
