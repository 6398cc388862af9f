#pragma once
// The public passes: forward, loss, and loss with gradient, for one sample and for a mini-batch,
// on any graph (core/graph.hpp), a chain network<...> included.
//
// Two kinds of graph take two spellings of the loss passes:
//   - a graph without an objective (a network<...>, or ctnn::graph<ctnn::outputs<y>>) with one
//     output takes the loss at the call: loss_and_gradient(p, ctnn::squared_error{}, x, t, g);
//   - a graph with an objective (ctnn::graph<..., ctnn::objective<loss nodes>>) takes none:
//     loss_and_gradient(p, x, t, g), its targets one per loss node.
// Both run the same derivation (autodiff/reverse.hpp), lowered by exec/.
//
// Data. One input: a span of n rows of its width (one sample: a fixed-extent span, so a
// std::array of the wrong size does not compile); several inputs: a std::array of such spans in
// the graph's input order ({x1, x2}; one sample: a std::tuple of fixed spans). Targets, outputs
// and ∇ₓ buffers likewise, per loss node, per output, per input.
//
// Batch conventions: n comes from the first input buffer. A batch's loss is the MEAN of the
// per-sample objectives, and its gradient is the gradient of that mean (as PyTorch's default
// reduction='mean' over samples); ∇ₓ likewise, so each input row's gradient carries 1/n.
//
// Contract: a batch of 0 samples, or a buffer whose size does not fit, throws ctnn::contract_error
// before anything is computed. Nothing here allocates.
//
// Every pass is constexpr: during constant evaluation it runs the scalar architecture and ctnn's
// own constexpr math (SIMD intrinsics cannot run there), so the same code serves static_assert.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "../config.hpp"
#include "../autodiff/plan.hpp"
#include "../autodiff/reverse.hpp"
#include "../core/graph.hpp"
#include "../detail/contract.hpp"
#include "../exec/program.hpp"
#include "../exec/sample.hpp"
#include "../ops/loss.hpp"
#include "../simd/pack.hpp"
#include "diagnostics.hpp"
#include "losses.hpp"
#include "network.hpp"

namespace ctnn {

template <class T, std::size_t N>
using fixed_span = std::type_identity_t<std::span<T, N>>;
template <class T>
using dynamic_span = std::type_identity_t<std::span<T>>;

namespace detail {

// ---- the graph a pass runs ------------------------------------------------------------------

template <class Loss>
struct loss_node_of {
  template <class Y>
  using on = op::loss<Loss, Y>;
};

// Net with Loss on its output as the objective (Net has none of its own).
template <class Net, class Loss>
using objective_graph = autodiff::with_loss<Net, loss_node_of<Loss>::template on>;

template <class G, class T, std::size_t Tile>
using plan_of = autodiff::plan<typename autodiff::planning_graph<G>::type, Tile, 64 / sizeof(T)>;

// The graph the forward passes of Net run: the one its workspace is planned for (a graph without
// an objective gets a placeholder loss, which a forward pass never runs).
template <class Net>
using forward_graph = typename autodiff::planning_graph<Net>::type;

template <class Net>
concept chain = requires {
  Net::stage_count;
  typename Net::template stage<0>;
};

// A loss passed at the call fits Net: Net has one output and no objective of its own, and, for a
// chain, the loss takes its last layer (the errors name the layer's position; for other graphs
// the loss node's own checks name the node).
template <class Net, class Loss>
constexpr bool loss_fits() {
  static_assert(!Net::has_objective,
                "ctnn: this graph has an objective of its own; call the passes without a loss");
  static_assert(Net::output_count == 1,
                "ctnn: a loss passed at the call needs a graph with exactly one output; for "
                "several, put loss nodes in ctnn::objective<...>");
  if constexpr (chain<Net>) {
    using last = typename Net::template stage<Net::stage_count - 1>;
    using A = typename last::activation;
    using here = loss_error::loss<Loss>;
    return here::template needs_at_least_outputs<Loss::min_width>::template but_the_network_outputs<
               last::out>::ok &&
           here::template cannot_follow_activation<A>::template at_layer_position<
               last::activation_position>::template check<Loss::template takes_activation<A>>::ok;
  } else {
    return true;
  }
}

// ---- what cannot be differentiated ---------------------------------------------------------------

// Nodes whose vjp or derivative a gradient of G needs, that have none (step, sign).
template <class G>
constexpr std::size_t first_not_differentiable() {
  using R = autodiff::reverse<G>;
  constexpr auto flags = []<class... N>(core::list<N...>) {
    return std::array<bool, sizeof...(N)>{core::differentiable<N>()...};
  }(typename G::nodes{});
  for (std::size_t k = 0; k < G::node_count; ++k)
    if (!flags[k] && (R::step_of[k] != core::none || R::absorbed[k])) return k;
  return core::none;
}

template <class G>
constexpr bool differentiable() {
  return first_not_differentiable<G>() == core::none;
}

// The plain-words error for the first node without a derivative; for a chain it names the layer's
// position. A statement rather than a static_assert, so that clang adds no second error.
template <class Net, class G>
constexpr void require_differentiable() {
  constexpr std::size_t k = first_not_differentiable<G>();
  if constexpr (k != core::none) {
    using N = typename G::template node_at<k>;
    if constexpr (chain<Net>) {
      // A chain's graph has one node per layer, in the layers' order: node k is position k.
      static_cast<void>(gradient_error::layer_at_position<k, typename N::function>::
                            is_not_differentiable::template check<false>::ok);
    } else {
      static_cast<void>(gradient_error::node<N>::is_not_differentiable::template check<false>::ok);
    }
  }
}

// ---- data ---------------------------------------------------------------------------------------

// Pointers to the buffers of one pass, per input, target (loss node), ∇ₓ and output. Whether the
// caller can ask for ∇ₓ at all is a type property (InputGradients): a pass that takes no ∇ₓ
// buffer compiles no code for it.
template <class G, class T, bool InputGradients = true>
struct pass_data {
  static constexpr bool input_gradients = InputGradients;
  std::array<const T*, G::input_count> x{};
  std::array<const T*, G::target_count> t{};
  std::array<T*, G::input_count> dx{};
  std::array<T*, G::output_count> y{};
  core::run_mode mode{};  // first_sample unused: each tile's is its first sample's index
};

// One buffer per part of the graph (input, target, ...): a span, or an array or tuple of spans.
template <class S>
constexpr auto buffer_count = 1;
template <class S, std::size_t N>
constexpr auto buffer_count<std::array<S, N>> = N;
template <class... S>
constexpr auto buffer_count<std::tuple<S...>> = sizeof...(S);

template <class P, class S>
constexpr std::array<P, buffer_count<S>> pointers(const S& s) {
  if constexpr (requires { s.data(); s.extent; }) {
    return {s.data()};
  } else {
    return std::apply([](const auto&... part) { return std::array<P, sizeof...(part)>{part.data()...}; }, s);
  }
}
template <class S>
constexpr std::array<std::size_t, buffer_count<S>> sizes(const S& s) {
  if constexpr (requires { s.data(); s.extent; }) {
    return {s.size()};
  } else {
    return std::apply([](const auto&... part) { return std::array<std::size_t, sizeof...(part)>{part.size()...}; }, s);
  }
}

// Every buffer of a list holds n rows of its width (or the whole list is empty, when optional).
template <std::size_t N>
constexpr void require_buffers(const char* where, const char* what, const std::array<std::size_t, N>& got,
                               std::size_t n, const std::array<std::size_t, N>& widths) {
  for (std::size_t k = 0; k < N; ++k) {
    if (got[k] == n * widths[k]) continue;  // the message is built only on failure (out of line)
    if (N == 1) rows_mismatch(where, what, got[k], n, widths[k]);
    else numbered_rows_mismatch(where, what, k, got[k], n, widths[k]);
  }
}

// The same for buffers the caller may leave empty (not asked for), one by one.
template <std::size_t N>
constexpr void require_optional_buffers(const char* where, const char* what,
                                        const std::array<std::size_t, N>& got, std::size_t n,
                                        const std::array<std::size_t, N>& widths) {
  for (std::size_t k = 0; k < N; ++k) {
    if (got[k] == 0 || got[k] == n * widths[k]) continue;
    if (N == 1) rows_mismatch(where, what, got[k], n, widths[k]);
    else numbered_rows_mismatch(where, what, k, got[k], n, widths[k]);
  }
}

// ---- the tile loop --------------------------------------------------------------------------------

template <class Arch, class T>
inline constexpr bool has_sample_kernels = simd::lanes<T, Arch> > 1;

template <class G, class T, bool DX>
constexpr std::uint64_t wanted_inputs(const pass_data<G, T, DX>& d) {
  std::uint64_t want = 0;
  for (std::size_t k = 0; k < G::input_count; ++k)
    if (d.dx[k] != nullptr) want |= std::uint64_t{1} << k;
  return want;
}

// The pointers of the tile of samples [s0, s0 + m).
template <class G, class T, bool DX>
constexpr exec::tile<T, G::input_count, G::target_count, DX> tile_at(const T* p, const pass_data<G, T, DX>& d,
                                                                  std::size_t s0, std::size_t m, T* ws) {
  exec::tile<T, G::input_count, G::target_count, DX> b;
  b.n = m;
  b.params = p;
  b.ws = ws;
  for (std::size_t k = 0; k < G::input_count; ++k) {
    b.x[k] = d.x[k] + s0 * G::input_sizes[k];
    b.dx[k] = d.dx[k] == nullptr ? nullptr : d.dx[k] + s0 * G::input_sizes[k];
  }
  // Forward-only passes bind no targets: a null row stays null (an offset on it is undefined).
  for (std::size_t k = 0; k < G::target_count; ++k)
    b.t[k] = d.t[k] == nullptr ? nullptr : d.t[k] + s0 * G::target_sizes[k];
  b.want = wanted_inputs(d);
  b.mode = d.mode;
  b.mode.first_sample = s0;
  return b;
}

template <class Program, class G, class T, bool DX, class B>
constexpr void copy_outputs(const B& b, const pass_data<G, T, DX>& d, std::size_t s0) {
  [&]<std::size_t... O>(std::index_sequence<O...>) {
    (
        [&] {
          if (d.y[O] == nullptr) return;
          constexpr std::size_t width = G::output_sizes[O];
          std::copy_n(Program::template value<G::output_index[O], T>(b), b.n * width,
                      d.y[O] + s0 * width);
        }(),
        ...);
  }(std::make_index_sequence<G::output_count>{});
}

// The same for one sample (s0 = 0), as a plain loop of compile-time length: a call to memmove on
// the workspace lets it escape, and the one-sample passes, whose kernels are flattened into one
// function, then kept the weights in a stack copy (forward from inference_weights of 64-64-64-1:
// 577 ns against 100).
template <class Program, class G, class T, bool DX, class B>
constexpr void copy_sample_outputs(const B& b, const pass_data<G, T, DX>& d) {
  [&]<std::size_t... O>(std::index_sequence<O...>) {
    (
        [&] {
          if (d.y[O] == nullptr) return;
          const T* from = Program::template value<G::output_index[O], T>(b);
          for (std::size_t i = 0; i < G::output_sizes[O]; ++i) d.y[O][i] = from[i];
        }(),
        ...);
  }(std::make_index_sequence<G::output_count>{});
}

// Parameter blocks no step reaches (behind a stop_gradient, or feeding only outputs) have a zero
// gradient; a gradient_store target writes it.
template <class G, class T>
constexpr void zero_unreached_blocks(T* g) {
  using R = autodiff::reverse<G>;
  if constexpr (!R::every_block_reached)
    for (std::size_t b = 0; b < G::block_count; ++b)
      if (!R::block_reached[b])
        std::fill(g + G::layout::offset[b], g + G::layout::offset[b + 1], T(0));
}

// g++ clones a function for the constant arguments of a call site (IPA-CP) and may contract a
// clone's floating point differently; noipa keeps one body, so that a fused training step and
// loss_and_gradient compute the same loss bit for bit. clang has no noipa and needs none.
#if defined(__clang__)
#define CTNN_ONE_BODY [[gnu::noinline]]
#else
#define CTNN_ONE_BODY [[gnu::noipa]]
#endif

// Samples [begin, end) of a batch, tile by tile through ws: returns their summed objective; when g
// is not null, writes to g the gradient of scale × that sum (the first tile writes, the others
// add, so g needs no zeroing); d.dx rows, when not null, receive ∇ₓ(scale × sum), d.y rows, when
// not null, the outputs. The one-thread batch passes run it over the whole batch with scale 1/n,
// the threaded ones (parallel/data_parallel.hpp) over each thread's chunk with 1/n of the whole
// batch. Whether there is a backward pass is decided at run time (g), as instantiating the tile
// loop twice costs compile time for nothing.
// Out of line on purpose, in one body (CTNN_ONE_BODY): it runs once per batch, and once inlined
// into a caller whose buffers have sizes GCC 12 can see, its loops (whose trip counts come from n)
// draw -Warray-bounds false positives for the paths with more samples than the buffers hold.
template <class Arch, class G, class T, bool DX, class Net, std::size_t Tile>
CTNN_ONE_BODY constexpr double summed_objective(const T* p, const pass_data<G, T, DX>& d,
                                                    std::size_t begin, std::size_t end, T scale,
                                                    T* g, workspace<Net, T, Tile>& ws) {
  if constexpr (!std::is_same_v<Arch, simd::scalar_arch>) {
    if (std::is_constant_evaluated())
      return summed_objective<simd::scalar_arch, G>(p, d, begin, end, scale, g, ws);
  }
  using program = exec::program<G, plan_of<G, T, Tile>>;
  double total = 0;
  for (std::size_t s0 = begin; s0 < end; s0 += Tile) {
    const std::size_t m = std::min(Tile, end - s0);
    const auto b = tile_at(p, d, s0, m, ws.data());
    program::template forward<Arch, T>(b);
    total += program::template objective<Arch, T>(b);
    copy_outputs<program>(b, d, s0);
    // A graph that cannot be differentiated (step, sign) has an objective but no backward pass;
    // the gradient passes refuse it at compile time (require_differentiable).
    if constexpr (differentiable<G>()) {
      if (g != nullptr) {
        if (s0 == begin) zero_unreached_blocks<G>(g);
        program::template backward<Arch, T>(b, scale, exec::gradient_store<T>{g}, s0 != begin);
      }
    }
  }
  return total;
}

// Outputs of samples [begin, end) into their rows of d.y, tile by tile.
template <class Arch, class G, class T, bool DX, class Net, std::size_t Tile>
constexpr void forward_rows(const T* p, const pass_data<G, T, DX>& d, std::size_t begin, std::size_t end,
                            workspace<Net, T, Tile>& ws) {
  if constexpr (!std::is_same_v<Arch, simd::scalar_arch>) {
    if (std::is_constant_evaluated()) return forward_rows<simd::scalar_arch, G>(p, d, begin, end, ws);
  }
  using program = exec::program<G, plan_of<G, T, Tile>>;
  for (std::size_t s0 = begin; s0 < end; s0 += Tile) {
    const std::size_t m = std::min(Tile, end - s0);
    const auto b = tile_at(p, d, s0, m, ws.data());
    program::template forward<Arch, T>(b);
    copy_outputs<program>(b, d, s0);
  }
}

// ---- one sample ---------------------------------------------------------------------------------
// SIMD architectures run the ops' one-sample kernels (exec/sample.hpp); the scalar architecture
// and constant evaluation take the tile path with n = 1.

// The forward pass of one sample, into ws: the body, for callers that do not want it flattened
// (fit's one-sample step), and forward_sample below.
template <class Arch, class G, class T, bool DX, class Net>
constexpr void forward_sample_body(const T* p, const pass_data<G, T, DX>& d,
                                   workspace<Net, T, 1>& ws) {
  const auto b = tile_at(p, d, 0, 1, ws.data());
  if constexpr (!has_sample_kernels<Arch, T>) {
    exec::program<G, plan_of<G, T, 1>>::template forward<Arch, T>(b);
  } else {
    if (std::is_constant_evaluated())
      return exec::program<G, plan_of<G, T, 1>>::template forward<simd::scalar_arch, T>(b);
    exec::sample_program<G, plan_of<G, T, 1>>::template forward<Arch, T>(b);
  }
}

// flatten: the whole pass, kernels and activations included, becomes one function, so values
// cross from node to node in registers.
template <class Arch, class G, class T, bool DX, class Net>
CTNN_FLATTEN constexpr void forward_sample(const T* p, const pass_data<G, T, DX>& d,
                                           workspace<Net, T, 1>& ws) {
  forward_sample_body<Arch>(p, d, ws);
}

// The backward pass of one sample whose forward pass is in ws (SIMD architectures).
// Not always_inline: that stops the callers' flatten from inlining the kernels below it.
template <class Arch, class G, class T, bool DX, class Net, class Target>
inline void backward_sample(const T* p, const pass_data<G, T, DX>& d, const Target& target,
                            workspace<Net, T, 1>& ws) {
  const auto b = tile_at(p, d, 0, 1, ws.data());
  if constexpr (!Target::fused) zero_unreached_blocks<G>(target.g);
  exec::sample_program<G, plan_of<G, T, 1>>::template backward<Arch, T>(b, T(1), target);
}

// The objective of one sample; when g is not null, its gradient (overwritten).
template <class Arch, class G, class T, bool DX, class Net>
CTNN_FLATTEN constexpr T sample_objective(const T* p, const pass_data<G, T, DX>& d, T* g,
                                              workspace<Net, T, 1>& ws) {
  if constexpr (!has_sample_kernels<Arch, T>) {
    return static_cast<T>(summed_objective<Arch, G>(p, d, 0, 1, T(1), g, ws));
  } else {
    if (std::is_constant_evaluated())
      return static_cast<T>(summed_objective<simd::scalar_arch, G>(p, d, 0, 1, T(1), g, ws));
    using program = exec::program<G, plan_of<G, T, 1>>;
    forward_sample<Arch>(p, d, ws);
    const auto b = tile_at(p, d, 0, 1, ws.data());
    const T loss = static_cast<T>(program::template objective<Arch, T>(b));
    copy_sample_outputs<program>(b, d);
    if constexpr (differentiable<G>()) {
      if (g != nullptr) backward_sample<Arch>(p, d, exec::gradient_store<T>{g}, ws);
    }
    return loss;
  }
}

// The mean objective of n samples; when g is not null, its gradient.
template <class Arch, class G, class T, bool DX, class Net, std::size_t Tile>
constexpr T mean_objective(const T* p, const pass_data<G, T, DX>& d, std::size_t n, T* g,
                           workspace<Net, T, Tile>& ws) {
  const double total = summed_objective<Arch, G>(p, d, 0, n, T(1) / static_cast<T>(n), g, ws);
  return static_cast<T>(total / static_cast<double>(n));
}

// ---- the types of the data arguments --------------------------------------------------------------

template <class T, std::size_t N>
struct spans_of {
  using type = std::array<std::span<T>, N>;
};
template <class T>
struct spans_of<T, 1> {
  using type = std::span<T>;
};
template <class T, auto Sizes, class = std::make_index_sequence<Sizes.size()>>
struct fixed_spans_of;
template <class T, auto Sizes, std::size_t... K>
struct fixed_spans_of<T, Sizes, std::index_sequence<K...>> {
  using type = std::tuple<std::span<T, Sizes[K]>...>;
};
template <class T, auto Sizes>
struct fixed_spans_of<T, Sizes, std::index_sequence<0>> {
  using type = std::span<T, Sizes[0]>;
};
template <class T, auto Sizes, class = std::make_index_sequence<Sizes.size()>>
struct arrays_of;
template <class T, auto Sizes, std::size_t... K>
struct arrays_of<T, Sizes, std::index_sequence<K...>> {
  using type = std::tuple<std::array<T, Sizes[K]>...>;
};
template <class T, auto Sizes>
struct arrays_of<T, Sizes, std::index_sequence<0>> {
  using type = std::array<T, Sizes[0]>;
};

// A graph's targets: one per loss node, or one for its output (a loss at the call).
template <class Net>
constexpr auto target_sizes_of() {
  if constexpr (Net::has_objective) return Net::target_sizes;
  else return std::array<std::size_t, 1>{Net::output_size};
}

}  // namespace detail

// n rows of each input: a span for a graph with one input, else a std::array of spans ({x1, x2}).
template <class Net, class T>
using batch_inputs = typename detail::spans_of<const T, Net::input_count>::type;
template <class Net, class T>
using batch_outputs = typename detail::spans_of<T, Net::output_count>::type;
template <class Net, class T>
using batch_input_gradients = typename detail::spans_of<T, Net::input_count>::type;
// One per loss node (a graph with an objective), or one for the output (a loss at the call).
template <class Net, class T>
using batch_targets = typename detail::spans_of<const T, (Net::has_objective ? Net::target_count : 1)>::type;

// One sample: a fixed-extent span per input (a std::tuple of them for several inputs).
template <class Net, class T>
using sample_inputs = typename detail::fixed_spans_of<const T, Net::input_sizes>::type;
template <class Net, class T>
using sample_outputs = typename detail::fixed_spans_of<T, Net::output_sizes>::type;
template <class Net, class T>
using sample_input_gradients = typename detail::fixed_spans_of<T, Net::input_sizes>::type;
template <class Net, class T>
using sample_targets = typename detail::fixed_spans_of<const T, detail::target_sizes_of<Net>()>::type;
// What forward(p, x) returns: a std::array, or a std::tuple of them for several outputs.
template <class Net, class T>
using output_values = typename detail::arrays_of<T, Net::output_sizes>::type;

namespace detail {

// The executed graph's pointers, from the call's buffers. dx and y may be empty (not asked for).
template <class G, class T, class X, class Tg, class DX, class Y>
constexpr pass_data<G, T, !std::is_null_pointer_v<DX>> bind(const X& x, const Tg& t, const DX& dx,
                                                            const Y& y) {
  pass_data<G, T, !std::is_null_pointer_v<DX>> d;
  d.x = pointers<const T*>(x);
  if constexpr (!std::is_same_v<Tg, std::nullptr_t>) d.t = pointers<const T*>(t);
  // An empty buffer is one the caller does not ask for: its pointer stays null.
  if constexpr (!std::is_same_v<DX, std::nullptr_t>) {
    const auto n = sizes(dx);
    const auto ptr = pointers<T*>(dx);
    for (std::size_t k = 0; k < G::input_count; ++k) d.dx[k] = n[k] == 0 ? nullptr : ptr[k];
  }
  if constexpr (!std::is_same_v<Y, std::nullptr_t>) {
    const auto n = sizes(y);
    const auto ptr = pointers<T*>(y);
    for (std::size_t k = 0; k < G::output_count; ++k) d.y[k] = n[k] == 0 ? nullptr : ptr[k];
  }
  return d;
}

// The batch checks: n from the first input; every buffer n rows of its width. nullptr stands for
// a buffer the pass does not take; dx and y may also be empty (not asked for).
template <class G, class X, class Tg, class DX, class Y>
constexpr std::size_t checked_batch(const char* where, const X& x, const Tg& t, const DX& dx,
                                    const Y& y) {
  static_assert(G::input_count > 0, "ctnn: a batch pass needs a graph with an input");
  const auto xs = sizes(x);
  const std::size_t n = samples_in(where, G::input_count == 1 ? "the input buffer" : "input buffer 0",
                                   xs[0], G::input_sizes[0]);
  require_buffers(where, G::input_count == 1 ? "the input buffer" : "input buffer", xs, n, G::input_sizes);
  if constexpr (!std::is_null_pointer_v<Tg>)
    require_buffers(where, G::target_count == 1 ? "the target buffer" : "target buffer", sizes(t), n,
                    G::target_sizes);
  if constexpr (!std::is_null_pointer_v<DX>)
    require_optional_buffers(where, G::input_count == 1 ? "the input-gradient buffer" : "input-gradient buffer",
                             sizes(dx), n, G::input_sizes);
  if constexpr (!std::is_null_pointer_v<Y>)
    require_optional_buffers(where, G::output_count == 1 ? "the output buffer" : "output buffer",
                             sizes(y), n, G::output_sizes);
  return n;
}

}  // namespace detail

// ---- mini-batch -------------------------------------------------------------------------------

// Y (n rows per output) = the graph's outputs for X (n rows per input).
template <class Arch = simd::default_arch, class Net, class T, std::size_t Tile>
constexpr void forward_batch(const parameters<Net, T>& p, batch_inputs<Net, T> x, batch_outputs<Net, T> y,
                             workspace<Net, T, Tile>& ws) {
  using G = detail::forward_graph<Net>;
  const std::size_t n = detail::checked_batch<G>("forward_batch", x, nullptr, nullptr, nullptr);
  detail::require_buffers("forward_batch", Net::output_count == 1 ? "the output buffer" : "output buffer",
                          detail::sizes(y), n, Net::output_sizes);
  auto d = detail::bind<G, T>(x, nullptr, nullptr, y);
  d.mode = detail::output_mode(ws);
  detail::forward_rows<Arch>(p.data(), d, 0, n, ws);
}

// Mean loss over the batch (a graph without an objective, the loss given here).
template <class Arch = simd::default_arch, class Net, class T, std::size_t Tile, loss_function Loss>
  requires(!Net::has_objective)
constexpr T loss_batch(const parameters<Net, T>& p, const Loss&, batch_inputs<Net, T> x,
                       batch_targets<Net, T> targets, workspace<Net, T, Tile>& ws) {
  if constexpr (detail::loss_fits<Net, Loss>()) {
    using G = detail::objective_graph<Net, Loss>;
    const std::size_t n = detail::checked_batch<G>("loss_batch", x, targets, nullptr, nullptr);
    auto d = detail::bind<G, T>(x, targets, nullptr, nullptr);
    d.mode = detail::output_mode(ws);
    return detail::mean_objective<Arch, G>(p.data(), d, n, static_cast<T*>(nullptr), ws);
  } else {
    return T{};
  }
}

// Mean objective over the batch (a graph with an objective; targets one per loss node).
template <class Arch = simd::default_arch, class Net, class T, std::size_t Tile>
  requires(Net::has_objective)
constexpr T loss_batch(const parameters<Net, T>& p, batch_inputs<Net, T> x,
                       batch_targets<Net, T> targets, workspace<Net, T, Tile>& ws) {
  using G = Net;
  const std::size_t n = detail::checked_batch<G>("loss_batch", x, targets, nullptr, nullptr);
  auto d = detail::bind<G, T>(x, targets, nullptr, nullptr);
  d.mode = detail::output_mode(ws);
  return detail::mean_objective<Arch, G>(p.data(), d, n, static_cast<T*>(nullptr), ws);
}

namespace detail {
template <class Arch, class Net, class G, class T, std::size_t Tile, class X, class Tg, class DX, class Y>
constexpr T gradient_batch(const char* where, const parameters<Net, T>& p, const X& x,
                           const Tg& targets, gradient<Net, T>& g, workspace<Net, T, Tile>& ws,
                           const DX& dx, const Y& y) {
  require_differentiable<Net, G>();
  if constexpr (!differentiable<G>()) {
    return T{};
  } else {
    const std::size_t n = checked_batch<G>(where, x, targets, dx, y);
    auto d = bind<G, T>(x, targets, dx, y);
    d.mode = gradient_mode(ws);
    return mean_objective<Arch, G>(p.data(), d, n, g.data(), ws);
  }
}
}  // namespace detail

// Mean loss over the batch; g receives its gradient (overwritten, same layout as p); when
// input_gradient is not empty it receives ∇ₓ of the mean loss, one row per sample; when outputs
// is not empty it receives the graph's outputs (as forward_batch gives them, from the same
// forward pass: accuracy while training costs no second pass).
template <class Arch = simd::default_arch, class Net, class T, std::size_t Tile, loss_function Loss>
  requires(!Net::has_objective)
constexpr T loss_and_gradient_batch(const parameters<Net, T>& p, const Loss&, batch_inputs<Net, T> x,
                                    batch_targets<Net, T> targets, gradient<Net, T>& g,
                                    workspace<Net, T, Tile>& ws,
                                    batch_input_gradients<Net, T> input_gradient = {},
                                    batch_outputs<Net, T> outputs = {}) {
  if constexpr (detail::loss_fits<Net, Loss>())
    return detail::gradient_batch<Arch, Net, detail::objective_graph<Net, Loss>>(
        "loss_and_gradient_batch", p, x, targets, g, ws, input_gradient, outputs);
  else
    return T{};
}

// The same for a graph with an objective.
template <class Arch = simd::default_arch, class Net, class T, std::size_t Tile>
  requires(Net::has_objective)
constexpr T loss_and_gradient_batch(const parameters<Net, T>& p, batch_inputs<Net, T> x,
                                    batch_targets<Net, T> targets, gradient<Net, T>& g,
                                    workspace<Net, T, Tile>& ws,
                                    batch_input_gradients<Net, T> input_gradient = {},
                                    batch_outputs<Net, T> outputs = {}) {
  return detail::gradient_batch<Arch, Net, Net>("loss_and_gradient_batch", p, x, targets, g, ws,
                                                input_gradient, outputs);
}

// ---- one sample (sizes are checked at compile time by the span extents) -------------------------

template <class Arch = simd::default_arch, class Net, class T>
constexpr void forward(const parameters<Net, T>& p, sample_inputs<Net, T> x,
                       sample_outputs<Net, T> y) noexcept {
  using G = detail::forward_graph<Net>;
  workspace<Net, T, 1> ws;
  auto d = detail::bind<G, T>(x, nullptr, nullptr, y);
  detail::forward_sample<Arch>(p.data(), d, ws);
  const auto b = detail::tile_at(p.data(), d, 0, 1, ws.data());
  detail::copy_sample_outputs<exec::program<G, detail::plan_of<G, T, 1>>>(b, d);
}

namespace detail {
// The number of values of a fixed-size sample type (std::array<U, N>, std::span<U, N>), else 0.
template <class X>
inline constexpr std::size_t fixed_width = 0;
template <class U, std::size_t N>
inline constexpr std::size_t fixed_width<std::array<U, N>> = N;
template <class U, std::size_t N>
inline constexpr std::size_t fixed_width<std::span<U, N>> = N == std::dynamic_extent ? 0 : N;

// A one-input graph given a fixed-size sample of another width: the error in plain words.
template <class Net, class X>
concept sample_of_wrong_width =
    Net::input_count == 1 && fixed_width<std::remove_cvref_t<X>> != 0 &&
    fixed_width<std::remove_cvref_t<X>> != Net::input_sizes[0];

template <class Net, class X>
constexpr void report_sample_width() {
  static_assert(input_error::sample_has_values<fixed_width<std::remove_cvref_t<X>>>::
                    template but_the_input_takes<Net::input_sizes[0]>::ok);
}
}  // namespace detail

template <class Arch = simd::default_arch, class Net, class T>
constexpr output_values<Net, T> forward(const parameters<Net, T>& p, sample_inputs<Net, T> x) noexcept {
  output_values<Net, T> y{};
  if constexpr (Net::output_count == 1) {
    forward<Arch>(p, x, std::span<T, Net::output_sizes[0]>(y));
  } else {
    const auto spans = std::apply([](auto&... a) { return std::tuple(std::span(a)...); }, y);
    forward<Arch>(p, x, spans);
  }
  return y;
}

template <class Arch = simd::default_arch, class Net, class T, class X>
  requires detail::sample_of_wrong_width<Net, X>
constexpr output_values<Net, T> forward(const parameters<Net, T>&, const X&) {
  detail::report_sample_width<Net, X>();
  return {};
}

namespace detail {
// One sample's objective; when g is not null, its gradient.
template <class Arch, class Net, class G, class T, class X, class Tg, class DX>
constexpr T sample_pass(const parameters<Net, T>& p, const X& x, const Tg& t,
                        std::type_identity_t<gradient<Net, T>>* g, const DX& dx) {
  workspace<Net, T, 1> ws;
  auto d = bind<G, T>(x, t, dx, nullptr);
  if (g != nullptr) d.mode = training_draw(0, 0);  // no workspace of the caller's: no stream
  return sample_objective<Arch, G>(p.data(), d, g == nullptr ? nullptr : g->data(), ws);
}
}  // namespace detail

template <class Arch = simd::default_arch, class Net, class T, loss_function Loss>
  requires(!Net::has_objective)
constexpr T loss(const parameters<Net, T>& p, const Loss&, sample_inputs<Net, T> x,
                 sample_targets<Net, T> target) noexcept {
  if constexpr (detail::loss_fits<Net, Loss>())
    return detail::sample_pass<Arch, Net, detail::objective_graph<Net, Loss>>(p, x, target,
                                                                                    nullptr, nullptr);
  else
    return T{};
}

template <class Arch = simd::default_arch, class Net, class T>
  requires(Net::has_objective)
constexpr T loss(const parameters<Net, T>& p, sample_inputs<Net, T> x,
                 sample_targets<Net, T> target) noexcept {
  return detail::sample_pass<Arch, Net, Net>(p, x, target, nullptr, nullptr);
}

namespace detail {
template <class Arch, class Net, class G, class T, class X, class Tg, class DX>
constexpr T sample_gradient(const parameters<Net, T>& p, const X& x, const Tg& t,
                            gradient<Net, T>& g, const DX& dx) {
  require_differentiable<Net, G>();
  if constexpr (!differentiable<G>()) return T{};
  else return sample_pass<Arch, Net, G>(p, x, t, &g, dx);
}
}  // namespace detail

// Loss of one sample; g receives ∂C/∂parameters (overwritten).
template <class Arch = simd::default_arch, class Net, class T, loss_function Loss>
  requires(!Net::has_objective)
constexpr T loss_and_gradient(const parameters<Net, T>& p, const Loss&, sample_inputs<Net, T> x,
                              sample_targets<Net, T> target, gradient<Net, T>& g) noexcept {
  if constexpr (detail::loss_fits<Net, Loss>())
    return detail::sample_gradient<Arch, Net, detail::objective_graph<Net, Loss>>(p, x, target, g,
                                                                                 nullptr);
  else
    return T{};
}

// Loss of one sample; g receives ∂C/∂parameters and input_gradient receives ∇ₓC.
template <class Arch = simd::default_arch, class Net, class T, loss_function Loss>
  requires(!Net::has_objective)
constexpr T loss_and_gradient(const parameters<Net, T>& p, const Loss&, sample_inputs<Net, T> x,
                              sample_targets<Net, T> target, gradient<Net, T>& g,
                              sample_input_gradients<Net, T> input_gradient) noexcept {
  if constexpr (detail::loss_fits<Net, Loss>())
    return detail::sample_gradient<Arch, Net, detail::objective_graph<Net, Loss>>(p, x, target, g,
                                                                                 input_gradient);
  else
    return T{};
}

template <class Arch = simd::default_arch, class Net, class T>
  requires(Net::has_objective)
constexpr T loss_and_gradient(const parameters<Net, T>& p, sample_inputs<Net, T> x,
                              sample_targets<Net, T> target, gradient<Net, T>& g) noexcept {
  return detail::sample_gradient<Arch, Net, Net>(p, x, target, g, nullptr);
}

template <class Arch = simd::default_arch, class Net, class T>
  requires(Net::has_objective)
constexpr T loss_and_gradient(const parameters<Net, T>& p, sample_inputs<Net, T> x,
                              sample_targets<Net, T> target, gradient<Net, T>& g,
                              sample_input_gradients<Net, T> input_gradient) noexcept {
  return detail::sample_gradient<Arch, Net, Net>(p, x, target, g, input_gradient);
}

}  // namespace ctnn
