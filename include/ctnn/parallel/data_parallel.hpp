#pragma once
// Data-parallel mini-batch passes on a thread_pool: the batch is cut into contiguous chunks, one
// per thread, and each thread runs the one-thread tile loop of passes.hpp on its chunk.
//
//   ctnn::thread_pool pool(2);
//   ctnn::parallel_workspace<net, float> pws(pool);   // all per-thread buffers, allocated here
//   float l = ctnn::loss_and_gradient_batch(pool, p, loss, x, t, g, pws);
//   float m = ctnn::loss_batch(pool, p, loss, x, t, pws);
//   ctnn::forward_batch(pool, p, x, y, pws);
//
// Meaning: exactly that of the one-thread functions of the same names (passes.hpp): the mean
// loss, and g = the gradient of the mean loss. Each thread scales its δ by 1/n of the WHOLE batch
// and sums its chunk's tiles into its own gradient buffer (thread 0 into g itself); the partial
// gradients are then added into g element by element, always in thread order g₀ + g₁ + …, the
// additions themselves split over the threads by parameter ranges. The chunks depend only on the
// batch size and the thread count, so for a given thread count the results are bit-identical
// from run to run (and training is reproducible); across thread counts they differ only by the
// order of the sums (float rounding). A batch of at most 4 samples is one chunk, and runs on the
// calling thread alone.
//
// Contract: the one-thread checks (empty batch, buffer sizes), plus a parallel_workspace made for
// at least pool.size() threads; all are checked on the calling thread, before any work starts,
// and throw ctnn::contract_error. Nothing here allocates: run() keeps only pointers to the lambdas
// below, and every buffer is in the parallel_workspace.

#include <algorithm>
#include <cstddef>
#include <memory>
#include <span>
#include <string>

#include "../detail/contract.hpp"
#include "../nn/losses.hpp"
#include "../nn/network.hpp"
#include "../nn/passes.hpp"
#include "../simd/pack.hpp"
#include "../simd/sink.hpp"
#include "thread_pool.hpp"

namespace ctnn {

// Per-thread buffers for the passes below: a workspace<Net, T, Tile> for every thread and a
// partial-gradient block for every thread but the first (which writes into the caller's g).
// Made once, for a pool of a given size; about (threads − 1) parameter blocks plus threads
// workspaces of memory.
template <class Net, class T, std::size_t Tile = 32>
class parallel_workspace {
 public:
  static constexpr std::size_t tile = Tile;

  explicit parallel_workspace(const thread_pool& pool) : parallel_workspace(pool.size()) {}
  explicit parallel_workspace(std::size_t threads)
      : threads_(threads),
        per_thread_(std::make_unique<per_thread[]>(threads)),
        partial_(std::make_unique<gradient<Net, T>[]>(threads > 0 ? threads - 1 : 0)) {
    if (threads == 0)
      detail::contract_failed("parallel_workspace", "a workspace needs at least 1 thread, got 0");
  }

  // The number of threads it has buffers for.
  std::size_t threads() const { return threads_; }

  // The rule of the passes through it and the stream of dropout's draws, as a workspace's
  // (nn/run_mode.hpp): one stream for all threads, a draw depending on the sample's place in the
  // batch, so the threads draw what one thread would.
  run_rule rule = run_rule::by_pass;
  std::uint64_t seed = 0;
  std::uint64_t draw = 0;

  // Internals of the passes below (unstable).
  workspace<Net, T, Tile>& workspace_of(std::size_t k) { return per_thread_[k].ws; }
  double& loss_of(std::size_t k) { return per_thread_[k].loss; }
  // Thread k's partial gradient, k ≥ 1.
  T* partial_gradient_of(std::size_t k) { return partial_[k - 1].data(); }

 private:
  struct per_thread {
    alignas(64) double loss = 0;  // the chunk's summed loss; a cache line of its own
    workspace<Net, T, Tile> ws;
  };
  std::size_t threads_;
  std::unique_ptr<per_thread[]> per_thread_;
  std::unique_ptr<gradient<Net, T>[]> partial_;
};

namespace detail {

// How a batch of n samples is cut for `parts` threads: chunk k is [begin(k), begin(k + 1)). The
// batch is counted in blocks of `grain` samples (the kernels process samples 4 at a time, so a
// chunk of whole blocks leaves no remainder), the last block possibly partial; the blocks are
// dealt out as evenly as possible, the first threads taking one more. Chunk 0 is never empty,
// and empty chunks (fewer blocks than threads) are all at the end. A net with batch norm counts in
// blocks of a whole tile (for_net): its tiles, and so its batch statistics, are then the same
// on any number of threads.
struct batch_split {
  std::size_t n;
  std::size_t parts;
  std::size_t grain = 4;

  template <class Net, std::size_t Tile>
  static constexpr batch_split for_net(std::size_t n, std::size_t parts) {
    return {n, parts, Net::has_state ? Tile : 4};
  }

  std::size_t blocks() const { return (n + grain - 1) / grain; }
  std::size_t begin(std::size_t k) const {
    if (k >= parts) return n;
    const std::size_t share = blocks() / parts, extra = blocks() % parts;
    return std::min(n, grain * (k * share + std::min(k, extra)));
  }
  // Threads with a non-empty chunk: 0, …, used() − 1.
  std::size_t used() const { return std::min(parts, blocks()); }
};

// Parameter range [begin(k), begin(k + 1)) that thread k reduces, on 64-byte boundaries so that
// no two threads write one cache line.
template <class T>
constexpr std::size_t reduction_begin(std::size_t k, std::size_t parts, std::size_t count) {
  constexpr std::size_t line = 64 / sizeof(T);
  if (k >= parts) return count;
  return std::min(count, (k * count / parts + line - 1) / line * line);
}

inline void require_threads(const char* where, std::size_t workspace_threads,
                            std::size_t pool_threads) {
  if (workspace_threads < pool_threads)
    contract_failed(where, "the parallel_workspace has buffers for " +
                               std::to_string(workspace_threads) + " threads, the pool runs " +
                               std::to_string(pool_threads) +
                               "; make the workspace from this pool");
}

// Thread k's share of a batch pass on graph G: its chunk, tile by tile, as the one-thread passes
// run the whole batch. Writes the chunk's summed objective to pws.loss_of(k); when g is not null,
// writes the chunk's share of the mean-loss gradient (δ scaled by 1/n of the whole batch) to g;
// d's ∇ₓ and output rows, when not null, receive the chunk's rows.
template <class Arch, class G, class Net, class T, bool DX, std::size_t Tile>
void chunk_objective(std::size_t k, const batch_split& split, const T* p, const pass_data<G, T, DX>& d,
                     T* g, parallel_workspace<Net, T, Tile>& pws) {
  pws.loss_of(k) = summed_objective<Arch, G>(p, d, split.begin(k), split.begin(k + 1),
                                             T(1) / static_cast<T>(split.n), g, pws.workspace_of(k));
}

// f(k) for every thread k of the pool; inline on the calling thread alone when the batch has only
// one chunk (a few samples), so that tiny batches do not pay for waking the workers.
template <class F>
void run_chunks(thread_pool& pool, const batch_split& split, F&& f) {
  if (split.used() == 1)
    f(std::size_t{0});
  else
    pool.run(f);
}

// The mean of the per-chunk sums, added in thread order.
template <class Net, class T, std::size_t Tile>
T mean_loss(const batch_split& split, parallel_workspace<Net, T, Tile>& pws) {
  double total = 0;
  for (std::size_t k = 0; k < split.used(); ++k) total += pws.loss_of(k);
  return static_cast<T>(total / static_cast<double>(split.n));
}

// g₀ + g₁ + … + g_{used−1} (g₀ = g, the others the partial gradients), added in thread order,
// each thread over its own parameter range, one pack of sums at a time handed to sink
// (simd/sink.hpp): a store_sink on g leaves the gradient in g, an optimizer's update_sink takes
// the step in the same pass (train/train_step.hpp).
template <class Arch, class Net, class T, std::size_t Tile, class Sink>
void reduce_partial_gradients(thread_pool& pool, std::size_t used, const T* g,
                              parallel_workspace<Net, T, Tile>& pws, const Sink& sink) {
  pool.run([&](std::size_t k) {
    constexpr std::size_t count = Net::parameter_count;
    const std::size_t begin = reduction_begin<T>(k, pool.size(), count);
    const std::size_t end = reduction_begin<T>(k + 1, pool.size(), count);
    auto sums = [&]<class V>(V, std::size_t i) {
      auto sum = V::load(g + i);
      for (std::size_t j = 1; j < used; ++j) sum += V::load(pws.partial_gradient_of(j) + i);
      sink.template put<V::lanes, typename V::arch>(i, sum);
    };
    using vector = simd::pack_traits<T, Arch>;
    using scalar = simd::pack_traits<T, simd::scalar_arch>;
    // Ranges start on 64-byte boundaries, so the packs are those of a pass from 0.
    const std::size_t packed = vector::lanes > 1 ? begin + (end - begin) / vector::lanes * vector::lanes : begin;
    for (std::size_t i = begin; i < packed; i += vector::lanes) sums(vector{}, i);
    for (std::size_t i = packed; i < end; ++i) sums(scalar{}, i);
  });
}

}  // namespace detail

// Y (n rows per output) = the graph's outputs for X, each thread a contiguous chunk of rows.
template <class Arch = simd::default_arch, class Net, class T, std::size_t Tile>
void forward_batch(thread_pool& pool, const parameters<Net, T>& p, batch_inputs<Net, T> x,
                   batch_outputs<Net, T> y, parallel_workspace<Net, T, Tile>& pws) {
  using G = detail::forward_graph<Net>;
  const std::size_t n = detail::checked_batch<G>("forward_batch", x, nullptr, nullptr, nullptr);
  detail::require_buffers("forward_batch", Net::output_count == 1 ? "the output buffer" : "output buffer",
                          detail::sizes(y), n, Net::output_sizes);
  detail::require_threads("forward_batch", pws.threads(), pool.size());
  auto d = detail::bind<G, T>(x, nullptr, nullptr, y);
  d.mode = detail::output_mode(pws);
  const auto split = detail::batch_split::for_net<Net, Tile>(n, pool.size());
  detail::run_chunks(pool, split, [&](std::size_t k) {
    detail::forward_rows<Arch>(p.data(), d, split.begin(k), split.begin(k + 1), pws.workspace_of(k));
  });
}

namespace detail {
template <class Arch, class G, class Net, class T, std::size_t Tile, class X, class Tg>
T threaded_loss(thread_pool& pool, const parameters<Net, T>& p, const X& x, const Tg& targets,
                parallel_workspace<Net, T, Tile>& pws) {
  const std::size_t n = checked_batch<G>("loss_batch", x, targets, nullptr, nullptr);
  require_threads("loss_batch", pws.threads(), pool.size());
  auto d = bind<G, T>(x, targets, nullptr, nullptr);
  d.mode = output_mode(pws);
  const auto split = batch_split::for_net<Net, Tile>(n, pool.size());
  run_chunks(pool, split, [&](std::size_t k) {
    chunk_objective<Arch, G>(k, split, p.data(), d, static_cast<T*>(nullptr), pws);
  });
  return mean_loss(split, pws);
}

template <class Arch, class G, class Net, class T, std::size_t Tile, class X, class Tg, class DX, class Y>
T threaded_gradient(thread_pool& pool, const parameters<Net, T>& p, const X& x, const Tg& targets,
                    gradient<Net, T>& g, parallel_workspace<Net, T, Tile>& pws, const DX& dx,
                    const Y& y) {
  require_differentiable<Net, G>();
  if constexpr (!differentiable<G>()) {
    return T{};
  } else {
    constexpr const char* where = "loss_and_gradient_batch";
    const std::size_t n = checked_batch<G>(where, x, targets, dx, y);
    require_threads(where, pws.threads(), pool.size());
    auto d = bind<G, T>(x, targets, dx, y);
    d.mode = gradient_mode(pws);
    const auto split = batch_split::for_net<Net, Tile>(n, pool.size());
    // Each thread's chunk: thread 0 into g, thread k ≥ 1 into its partial gradient.
    run_chunks(pool, split, [&](std::size_t k) {
      if (split.begin(k) == split.begin(k + 1)) return;
      chunk_objective<Arch, G>(k, split, p.data(), d,
                                     k == 0 ? g.data() : pws.partial_gradient_of(k), pws);
    });
    if (split.used() > 1)
      reduce_partial_gradients<Arch>(pool, split.used(), g.data(), pws, simd::store_sink<T>{g.data()});
    return mean_loss(split, pws);
  }
}
}  // namespace detail

// Mean loss over the batch (a graph without an objective, the loss given here).
template <class Arch = simd::default_arch, class Net, class T, std::size_t Tile, loss_function Loss>
  requires(!Net::has_objective)
T loss_batch(thread_pool& pool, const parameters<Net, T>& p, const Loss&, batch_inputs<Net, T> x,
             batch_targets<Net, T> targets, parallel_workspace<Net, T, Tile>& pws) {
  if constexpr (detail::loss_fits<Net, Loss>())
    return detail::threaded_loss<Arch, detail::objective_graph<Net, Loss>>(pool, p, x, targets, pws);
  else
    return T{};
}

// Mean objective over the batch (a graph with an objective).
template <class Arch = simd::default_arch, class Net, class T, std::size_t Tile>
  requires(Net::has_objective)
T loss_batch(thread_pool& pool, const parameters<Net, T>& p, batch_inputs<Net, T> x,
             batch_targets<Net, T> targets, parallel_workspace<Net, T, Tile>& pws) {
  return detail::threaded_loss<Arch, Net>(pool, p, x, targets, pws);
}

// Mean loss over the batch; g receives its gradient (overwritten, same layout as p); when
// input_gradient is not empty it receives ∇ₓ of the mean loss, one row per sample; when outputs
// is not empty it receives the graph's outputs, from the same forward pass.
template <class Arch = simd::default_arch, class Net, class T, std::size_t Tile, loss_function Loss>
  requires(!Net::has_objective)
T loss_and_gradient_batch(thread_pool& pool, const parameters<Net, T>& p, const Loss&,
                          batch_inputs<Net, T> x, batch_targets<Net, T> targets,
                          gradient<Net, T>& g, parallel_workspace<Net, T, Tile>& pws,
                          batch_input_gradients<Net, T> input_gradient = {},
                          batch_outputs<Net, T> outputs = {}) {
  if constexpr (detail::loss_fits<Net, Loss>())
    return detail::threaded_gradient<Arch, detail::objective_graph<Net, Loss>>(
        pool, p, x, targets, g, pws, input_gradient, outputs);
  else
    return T{};
}

// The same for a graph with an objective.
template <class Arch = simd::default_arch, class Net, class T, std::size_t Tile>
  requires(Net::has_objective)
T loss_and_gradient_batch(thread_pool& pool, const parameters<Net, T>& p, batch_inputs<Net, T> x,
                          batch_targets<Net, T> targets, gradient<Net, T>& g,
                          parallel_workspace<Net, T, Tile>& pws,
                          batch_input_gradients<Net, T> input_gradient = {},
                          batch_outputs<Net, T> outputs = {}) {
  return detail::threaded_gradient<Arch, Net>(pool, p, x, targets, g, pws, input_gradient, outputs);
}

}  // namespace ctnn
