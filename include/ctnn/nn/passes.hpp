#pragma once
// The public passes: forward, loss, and loss with gradient, for one sample and for a mini-batch.
// They walk the forward graph (Net::stages) and the backward graph (autodiff::backward_graph) at
// compile time; every call below unrolls into straight-line calls of the stage rules.
//
// Batch conventions: inputs are n rows of Net::input_size values (row-major), targets and outputs
// n rows of Net::output_size values; n comes from the input buffer's size. A batch's loss is the
// MEAN of the per-sample losses, and its gradient is the gradient of that mean (as PyTorch's
// default reduction='mean' over samples); ∇ₓC is likewise the derivative of the mean, so each
// input row's gradient carries the factor 1/n.
//
// Contract: a batch of 0 samples, or a buffer whose size does not fit the network, throws
// ctnn::contract_error before anything is computed. Nothing here allocates.
//
// Every pass is constexpr: during constant evaluation it runs the scalar architecture and ctnn's
// own constexpr math (SIMD intrinsics cannot run there), so the same code serves static_assert.

#include <algorithm>
#include <array>
#include <boost/hana/for_each.hpp>
#include <boost/hana/reverse.hpp>
#include <cstddef>
#include <span>
#include <type_traits>

#include "../autodiff/backward_graph.hpp"
#include "../detail/contract.hpp"
#include "../simd/pack.hpp"
#include "../simd/sink.hpp"
#include "losses.hpp"
#include "network.hpp"

namespace ctnn {

namespace detail {

// The input of stage S: the network input for the first stage, else the previous stage's a.
template <class Net, class S, class T, std::size_t Tile>
constexpr const T* stage_input(const T* x, workspace<Net, T, Tile>& ws) {
  if constexpr (S::index == 0) return x;
  else return ws.template a_of<typename Net::template stage<S::index - 1>>();
}

template <class Arch, class Net, class T, std::size_t Tile>
constexpr void forward_tile(const T* p, const T* x, std::size_t n, workspace<Net, T, Tile>& ws) {
  if constexpr (!std::is_same_v<Arch, simd::scalar_arch>) {
    if (std::is_constant_evaluated()) return forward_tile<simd::scalar_arch>(p, x, n, ws);
  }
  boost::hana::for_each(Net::stages, [&](auto stage) {
    using S = typename decltype(stage)::type;
    S::template forward<Arch>(p, stage_input<Net, S>(x, ws), S::in, ws.template z_of<S>(),
                              ws.template a_of<S>(), n);
  });
}

// Runs the backward graph over one tile whose forward pass is in ws. Hands the gradient to sink
// (simd/sink.hpp): the tile's share plus, when accumulate, the sums of earlier tiles held in g_in
// (with accumulate false, the first tile, the tile's share alone); writes ∇ₓC rows to dx when dx
// is not null.
// A stage's parameter gradient runs after its δ propagation (the graph lists it before): with a
// sink that updates W in place (the fused training step, train/train_step.hpp), Wᵀδ must read W
// first. The two steps are otherwise independent.
template <class Arch, class Net, class T, std::size_t Tile, class Loss, class Sink>
constexpr void backward_tile(const T* p, const T* x, const T* t, std::size_t n, T scale,
                             const T* g_in, const Sink& sink, T* dx, bool accumulate,
                             workspace<Net, T, Tile>& ws) {
  constexpr std::size_t stages = Net::stage_count;
  // Stage S's δ lives in buffer (stages - 1 - S) % 2; propagating flips to the other one.
  auto delta_of = [&]<class S>() { return ws.delta[(stages - 1 - S::index) % 2].data(); };
  auto delta_before = [&]<class S>() { return ws.delta[(stages - S::index) % 2].data(); };

  boost::hana::for_each(autodiff::backward_graph<Net>(), [&](auto step) {
    using Step = typename decltype(step)::type;
    using S = typename Step::stage;
    T* delta = delta_of.template operator()<S>();
    if constexpr (std::is_same_v<Step, autodiff::output_delta<S>>) {
      Loss::template output_delta<S, Arch>(ws.template z_of<S>(), ws.template a_of<S>(), t, delta,
                                          n, scale);
    } else if constexpr (std::is_same_v<Step, autodiff::activation_delta<S>>) {
      S::template activation_backward<Arch>(ws.template z_of<S>(), ws.template a_of<S>(), delta, n);
    } else if constexpr (std::is_same_v<Step, autodiff::parameter_gradient<S>>) {
      // runs with the stage's next step (below), after Wᵀδ has read W
    } else if constexpr (std::is_same_v<Step, autodiff::propagate_delta<S>> ||
                         std::is_same_v<Step, autodiff::input_gradient<S>>) {
      if constexpr (std::is_same_v<Step, autodiff::propagate_delta<S>>)
        S::template input_delta<Arch>(p, delta, delta_before.template operator()<S>(), S::in, n);
      else if (dx != nullptr)
        S::template input_delta<Arch>(p, delta, dx, S::in, n);
      S::template parameter_gradient<Arch>(delta, stage_input<Net, S>(x, ws), S::in, g_in, sink, n,
                                           accumulate);
    }
  });
}

template <class Net, class Loss>
constexpr bool loss_fits() {
  return Loss::template accepts<typename Net::template stage<Net::stage_count - 1>>();
}

// Samples [begin, end) of a batch, tile by tile: returns their summed loss; when g is not null,
// writes to g the gradient of scale × that sum (the first tile writes, the others add, so g needs
// no zeroing), when dx is not null, the rows of ∇ₓ(scale × sum), and when y is not null, the
// network's outputs (the rows forward_batch would write, taken from the same forward pass). The one-thread batch passes
// run it over the whole batch with scale 1/n; the threaded ones (parallel/data_parallel.hpp) over
// each thread's chunk, with 1/n of the whole batch.
// Out of line on purpose: it runs once per batch, and once inlined into a caller whose buffers
// have sizes GCC 12 can see, its loops (whose trip counts come from n) draw -Warray-bounds false
// positives for the paths with more samples than the buffers hold.
template <class Arch, class Net, class T, std::size_t Tile, class Loss>
[[gnu::noinline]] constexpr double summed_loss_and_gradient(const T* p, const T* x, const T* t,
                                                            std::size_t begin, std::size_t end,
                                                            T scale, T* g, T* dx, T* y,
                                                            workspace<Net, T, Tile>& ws) {
  if constexpr (!std::is_same_v<Arch, simd::scalar_arch>) {
    if (std::is_constant_evaluated())
      return summed_loss_and_gradient<simd::scalar_arch, Net, T, Tile, Loss>(p, x, t, begin, end,
                                                                             scale, g, dx, y, ws);
  }
  using last = typename Net::template stage<Net::stage_count - 1>;
  constexpr std::size_t in = Net::input_size, out = Net::output_size;
  double total = 0;
  for (std::size_t s0 = begin; s0 < end; s0 += Tile) {
    const std::size_t m = std::min(Tile, end - s0);
    forward_tile<Arch>(p, x + s0 * in, m, ws);
    total += Loss::template value<last, Arch>(ws.template z_of<last>(), ws.template a_of<last>(),
                                             t + s0 * out, m);
    if (y != nullptr) std::copy_n(ws.template a_of<last>(), m * out, y + s0 * out);
    // A network without a derivative (step, sign) has a loss but no backward pass; the public
    // gradient passes refuse it at compile time (require_differentiable).
    if constexpr (autodiff::differentiable<Net>()) {
      if (g != nullptr)
        backward_tile<Arch, Net, T, Tile, Loss>(p, x + s0 * in, t + s0 * out, m, scale, g,
                                                simd::store_sink<T>{g},
                                                dx == nullptr ? nullptr : dx + s0 * in,
                                                s0 != begin, ws);
    }
  }
  return total;
}

// The mean loss of n samples; g (when not null) its gradient, dx (when not null) ∇ₓ of it, y
// (when not null) the outputs.
template <class Arch, class Net, class T, std::size_t Tile, class Loss>
constexpr T mean_loss_and_gradient(const T* p, const T* x, const T* t, std::size_t n, T* g, T* dx,
                                   workspace<Net, T, Tile>& ws, T* y = nullptr) {
  const double total = summed_loss_and_gradient<Arch, Net, T, Tile, Loss>(
      p, x, t, 0, n, T(1) / static_cast<T>(n), g, dx, y, ws);
  return static_cast<T>(total / static_cast<double>(n));
}

// Outputs of samples [begin, end) into their rows of y, tile by tile.
template <class Arch, class Net, class T, std::size_t Tile>
constexpr void forward_rows(const T* p, const T* x, T* y, std::size_t begin, std::size_t end,
                            workspace<Net, T, Tile>& ws) {
  constexpr std::size_t in = Net::input_size, out = Net::output_size;
  using last = typename Net::template stage<Net::stage_count - 1>;
  for (std::size_t s0 = begin; s0 < end; s0 += Tile) {
    const std::size_t m = std::min(Tile, end - s0);
    forward_tile<Arch>(p, x + s0 * in, m, ws);
    std::copy_n(ws.template a_of<last>(), m * out, y + s0 * out);
  }
}

// ---- one sample ----
// SIMD architectures run the single-sample kernels (simd/matvec.hpp) stage by stage: no tile
// loops, the activation applied in registers, and the backward rule of each stage also applying
// the previous stage's activation derivative. The scalar architecture and constant evaluation
// take the tile path with n = 1.

template <class Arch, class T>
inline constexpr bool has_sample_kernels = simd::lanes<T, Arch> > 1;

// Stage K onward, a_prev the previous stage's activations (or the input) as packs.
template <std::size_t K, class Arch, class Net, class T, class Packs>
void forward_stages(const T* p, const Packs& a_prev, workspace<Net, T, 1>& ws) {
  using S = typename Net::template stage<K>;
  const auto a = S::template forward_one<Arch>(p, a_prev, ws.template z_of<S>(), ws.template a_of<S>());
  if constexpr (K + 1 < Net::stage_count) forward_stages<K + 1, Arch>(p, a, ws);
}

// flatten: the whole pass, kernels and activations included, becomes one function, so values
// cross from stage to stage in registers and no pack array is passed through memory.
template <class Arch, class Net, class T>
[[gnu::flatten]] constexpr void forward_sample(const T* p, const T* x, workspace<Net, T, 1>& ws) {
  if constexpr (!has_sample_kernels<Arch, T>) {
    forward_tile<Arch>(p, x, 1, ws);
  } else {
    if (std::is_constant_evaluated()) return forward_tile<simd::scalar_arch>(p, x, 1, ws);
    forward_stages<0, Arch>(p, simd::load_vector<Net::input_size, Arch>(x), ws);
  }
}

// The backward pass of one sample whose forward pass is in ws (SIMD architectures): the gradient
// goes to sink (simd/sink.hpp), ∇ₓC to dx when dx is not null. Each stage's kernel reads a row of
// W before it hands that row's gradient over, so a sink may update W in place.
// Not always_inline: that stops the callers' flatten from inlining the kernels below it.
template <class Arch, class Net, class T, class Loss, class Sink>
inline void backward_sample(const T* p, const T* x, const T* t, const Sink& sink, T* dx,
                            workspace<Net, T, 1>& ws) {
  constexpr std::size_t stages = Net::stage_count;
  using last = typename Net::template stage<stages - 1>;
  // Stage S's δz lives in buffer (stages - 1 - S) % 2, as in backward_tile.
  Loss::template output_delta<last, Arch>(ws.template z_of<last>(), ws.template a_of<last>(), t,
                                         ws.delta[0].data(), 1, T(1));
  boost::hana::for_each(boost::hana::reverse(Net::stages), [&](auto stage) {
    using S = typename decltype(stage)::type;
    const T* delta = ws.delta[(stages - 1 - S::index) % 2].data();
    if constexpr (S::index == 0) {
      S::template backward_one<Arch, void>(p, delta, static_cast<const T*>(nullptr), x, sink, dx);
    } else {
      using prev = typename Net::template stage<S::index - 1>;
      S::template backward_one<Arch, prev>(p, delta, ws.template z_of<prev>(),
                                           ws.template a_of<prev>(), sink,
                                           ws.delta[(stages - S::index) % 2].data());
    }
  });
}

// The loss of one sample; when g is not null, its gradient (overwritten), and when dx is not
// null, ∇ₓC.
template <class Arch, class Net, class T, class Loss>
[[gnu::flatten]] constexpr T sample_loss_and_gradient(const T* p, const T* x, const T* t, T* g, T* dx,
                                     workspace<Net, T, 1>& ws) {
  if constexpr (!has_sample_kernels<Arch, T>) {
    return mean_loss_and_gradient<Arch, Net, T, 1, Loss>(p, x, t, 1, g, dx, ws);
  } else {
    if (std::is_constant_evaluated())
      return mean_loss_and_gradient<simd::scalar_arch, Net, T, 1, Loss>(p, x, t, 1, g, dx, ws);
    using last = typename Net::template stage<Net::stage_count - 1>;
    forward_sample<Arch>(p, x, ws);
    const T loss =
        Loss::template value<last, Arch>(ws.template z_of<last>(), ws.template a_of<last>(), t, 1);
    if (g == nullptr || !autodiff::differentiable<Net>()) return loss;
    if constexpr (autodiff::differentiable<Net>())
      backward_sample<Arch, Net, T, Loss>(p, x, t, simd::store_sink<T>{g}, dx, ws);
    return loss;
  }
}

}  // namespace detail

template <class T, std::size_t N>
using fixed_span = std::type_identity_t<std::span<T, N>>;
template <class T>
using dynamic_span = std::type_identity_t<std::span<T>>;

// ---- mini-batch -------------------------------------------------------------------------------

// Y (n × output_size) = network(X (n × input_size)).
template <class Arch = simd::default_arch, class Net, class T, std::size_t Tile>
constexpr void forward_batch(const parameters<Net, T>& p, dynamic_span<const T> x, dynamic_span<T> y,
                   workspace<Net, T, Tile>& ws) {
  const std::size_t n =
      detail::samples_in("forward_batch", "the input buffer", x.size(), Net::input_size);
  detail::require_rows("forward_batch", "the output buffer", y.size(), n, Net::output_size);
  detail::forward_rows<Arch>(p.data(), x.data(), y.data(), 0, n, ws);
}

// Mean loss over the batch.
template <class Arch = simd::default_arch, class Net, class T, std::size_t Tile, loss_function Loss>
constexpr T loss_batch(const parameters<Net, T>& p, const Loss&, dynamic_span<const T> x,
             dynamic_span<const T> targets, workspace<Net, T, Tile>& ws) {
  static_assert(detail::loss_fits<Net, Loss>());
  const std::size_t n = detail::samples_in("loss_batch", "the input buffer", x.size(), Net::input_size);
  detail::require_rows("loss_batch", "the target buffer", targets.size(), n, Net::output_size);
  return detail::mean_loss_and_gradient<Arch, Net, T, Tile, Loss>(
      p.data(), x.data(), targets.data(), n, nullptr, nullptr, ws);
}

// Mean loss over the batch; g receives its gradient (overwritten, same layout as p); when
// input_gradient is not empty it receives ∇ₓ of the mean loss, one row per sample; when outputs
// is not empty it receives the network's outputs (as forward_batch gives them, from the same
// forward pass: accuracy while training costs no second pass).
template <class Arch = simd::default_arch, class Net, class T, std::size_t Tile, loss_function Loss>
constexpr T loss_and_gradient_batch(const parameters<Net, T>& p, const Loss&, dynamic_span<const T> x,
                          dynamic_span<const T> targets, gradient<Net, T>& g,
                          workspace<Net, T, Tile>& ws, dynamic_span<T> input_gradient = {},
                          dynamic_span<T> outputs = {}) {
  static_assert(detail::loss_fits<Net, Loss>());
  autodiff::require_differentiable<Net>();
  constexpr const char* where = "loss_and_gradient_batch";
  const std::size_t n = detail::samples_in(where, "the input buffer", x.size(), Net::input_size);
  detail::require_rows(where, "the target buffer", targets.size(), n, Net::output_size);
  if (!input_gradient.empty())
    detail::require_rows(where, "the input-gradient buffer", input_gradient.size(), n,
                         Net::input_size);
  if (!outputs.empty())
    detail::require_rows(where, "the output buffer", outputs.size(), n, Net::output_size);
  return detail::mean_loss_and_gradient<Arch, Net, T, Tile, Loss>(
      p.data(), x.data(), targets.data(), n, g.data(),
      input_gradient.empty() ? nullptr : input_gradient.data(), ws,
      outputs.empty() ? nullptr : outputs.data());
}

// ---- one sample (sizes are checked at compile time by the span extents) -------------------------

template <class Arch = simd::default_arch, class Net, class T>
constexpr void forward(const parameters<Net, T>& p, fixed_span<const T, Net::input_size> x,
             fixed_span<T, Net::output_size> y) {
  workspace<Net, T, 1> ws;
  using last = typename Net::template stage<Net::stage_count - 1>;
  detail::forward_sample<Arch>(p.data(), x.data(), ws);
  std::copy_n(ws.template a_of<last>(), Net::output_size, y.data());
}

template <class Arch = simd::default_arch, class Net, class T>
constexpr std::array<T, Net::output_size> forward(const parameters<Net, T>& p,
                                        fixed_span<const T, Net::input_size> x) {
  std::array<T, Net::output_size> y;
  forward<Arch>(p, x, std::span<T, Net::output_size>(y));
  return y;
}

template <class Arch = simd::default_arch, class Net, class T, loss_function Loss>
constexpr T loss(const parameters<Net, T>& p, const Loss&, fixed_span<const T, Net::input_size> x,
       fixed_span<const T, Net::output_size> target) {
  static_assert(detail::loss_fits<Net, Loss>());
  workspace<Net, T, 1> ws;
  return detail::sample_loss_and_gradient<Arch, Net, T, Loss>(p.data(), x.data(), target.data(),
                                                             nullptr, nullptr, ws);
}

// Loss of one sample; g receives ∂C/∂parameters (overwritten).
template <class Arch = simd::default_arch, class Net, class T, loss_function Loss>
constexpr T loss_and_gradient(const parameters<Net, T>& p, const Loss&, fixed_span<const T, Net::input_size> x,
                    fixed_span<const T, Net::output_size> target, gradient<Net, T>& g) {
  static_assert(detail::loss_fits<Net, Loss>());
  autodiff::require_differentiable<Net>();
  workspace<Net, T, 1> ws;
  return detail::sample_loss_and_gradient<Arch, Net, T, Loss>(p.data(), x.data(), target.data(),
                                                             g.data(), nullptr, ws);
}

// Loss of one sample; g receives ∂C/∂parameters and input_gradient receives ∇ₓC.
template <class Arch = simd::default_arch, class Net, class T, loss_function Loss>
constexpr T loss_and_gradient(const parameters<Net, T>& p, const Loss&, fixed_span<const T, Net::input_size> x,
                    fixed_span<const T, Net::output_size> target, gradient<Net, T>& g,
                    fixed_span<T, Net::input_size> input_gradient) {
  static_assert(detail::loss_fits<Net, Loss>());
  autodiff::require_differentiable<Net>();
  workspace<Net, T, 1> ws;
  return detail::sample_loss_and_gradient<Arch, Net, T, Loss>(
      p.data(), x.data(), target.data(), g.data(), input_gradient.data(), ws);
}

}  // namespace ctnn
