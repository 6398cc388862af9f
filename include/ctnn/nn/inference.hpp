#pragma once
// ctnn::inference_weights: a graph's weights laid out for one-sample inference.
//
//   ctnn::inference_weights<net, float> frozen(p);   // after training or loading a model file
//   auto y = ctnn::forward(frozen, x);               // the same outputs as ctnn::forward(p, x)
//
// parameters<Net, T> keep each dense W out×in row-major (PyTorch's layout), which training and
// the model files need. One sample through a row-major W is a set of dot products, each ending in
// a sum across the lanes of a pack, and in layers a few packs wide those sums cost more than the
// multiplications. This copy stores every dense W with at least 64 bytes of outputs (16 floats,
// 8 doubles) as Wᵀ, column by column, each column padded to whole 64 bytes, and runs it by
// broadcasting each input into its column (simd/column_forward.hpp). Narrower layers (1 to 15
// float outputs, such as a regression or 10-class head) keep the row layout, where a dot product
// is the cheaper shape, and the row kernel (simd/matvec.hpp). Every other block is copied as it
// is. A shared block is stored once.
//
// It is a snapshot: refresh it with assign(p) when the parameters change. It holds no pointer to
// p, allocates nothing, and forward touches nothing but its arguments and the stack.

#include <algorithm>
#include <array>
#include <cstddef>
#include <initializer_list>
#include <span>
#include <type_traits>
#include <utility>

#include "../config.hpp"
#include "../autodiff/plan.hpp"
#include "../exec/program.hpp"
#include "../simd/column_forward.hpp"
#include "../simd/pack.hpp"
#include "network.hpp"
#include "passes.hpp"

namespace ctnn {

template <class Net, class T>
class inference_weights {
  static_assert(detail::scalar_type_check<T>::ok);
  static constexpr std::size_t pad = 64 / sizeof(T);  // values per 64 bytes
  static constexpr std::size_t round_up(std::size_t n) { return (n + pad - 1) / pad * pad; }
  using layout = typename Net::layout;
  using table = typename Net::table;

  // The node that first names block b, and whether that block is a dense W stored in columns.
  static constexpr auto first_node = [] {
    std::array<std::size_t, Net::block_count + 1> n{};
    for (std::size_t b = 0; b < Net::block_count; ++b) n[b] = table::records[layout::first_record[b]].node;
    return n;
  }();
  template <std::size_t B>
  static constexpr bool block_by_columns() {
    using N = typename Net::template node_at<first_node[B]>;
    if constexpr (detail::dense_node<N>)
      return table::record_begin[first_node[B]] == layout::first_record[B] && N::template by_columns<T>;
    else
      return false;
  }
  static constexpr auto columns = []<std::size_t... B>(std::index_sequence<B...>) {
    return std::array<bool, Net::block_count + 1>{block_by_columns<B>()..., false};
  }(std::make_index_sequence<Net::block_count>{});

 public:
  using network_type = Net;
  using value_type = T;

  // Block b's values: in columns (a dense W as Wᵀ, column i at i·stride(b); a layer wider than
  // 1536 bytes in bands of that many rows, each band's columns together: simd::column_index) or
  // as in parameters.
  static constexpr bool by_columns(std::size_t b) { return columns[b]; }
  static constexpr std::size_t stride(std::size_t b) {
    const auto& r = table::records[layout::first_record[b]];
    if (!columns[b]) return r.rank == 2 ? r.dims[1] : r.size;
    return r.dims[0] <= simd::column_band_rows<T> ? round_up(r.dims[0]) : simd::column_band_rows<T>;
  }
  // Where W[o][i] of a block stored by columns is, from the block's start.
  static constexpr std::size_t column_index(std::size_t b, std::size_t o, std::size_t i) {
    const auto& r = table::records[layout::first_record[b]];
    return simd::column_index<T>(r.dims[0], r.dims[1], stride(b), o, i);
  }
  // Where block b starts (every block on 64 bytes); offset(block_count) is the size.
  static constexpr auto offsets = [] {
    std::array<std::size_t, Net::block_count + 1> o{};
    for (std::size_t b = 0; b < Net::block_count; ++b) {
      const auto& r = table::records[layout::first_record[b]];
      o[b + 1] = o[b] + round_up(columns[b] ? simd::column_block_size<T>(r.dims[0], r.dims[1]) : r.size);
    }
    return o;
  }();
  static constexpr std::size_t size = offsets[Net::block_count];

  constexpr inference_weights() = default;
  constexpr explicit inference_weights(const parameters<Net, T>& p) { assign(p); }

  // Copies p into this layout (padding stays 0).
  constexpr void assign(const parameters<Net, T>& p) {
    for (std::size_t b = 0; b < Net::block_count; ++b) {
      const T* from = p.data() + layout::offset[b];
      T* to = values_.data() + offsets[b];
      const auto& r = table::records[layout::first_record[b]];
      if (columns[b]) {
        const std::size_t rows = r.dims[0], cols = r.dims[1];
        for (std::size_t o = 0; o < rows; ++o)
          for (std::size_t i = 0; i < cols; ++i) to[column_index(b, o, i)] = from[o * cols + i];
      } else {
        std::copy_n(from, r.size, to);
      }
    }
  }

  constexpr const T* data() const { return values_.data(); }

 private:
  alignas(64) std::array<T, size> values_{};
};

namespace detail {

// Node K on one sample by its tile rule (n = 1), its parameter block j at weights + offsets[block].
template <class Arch, class G, class Plan, std::size_t K, class T, class Offsets, class B>
CTNN_INLINE_KERNEL constexpr void tile_rule_node(const T* weights, const Offsets& offsets, const B& b,
                                                 T* y) {
  using N = typename G::template node_at<K>;
  using program = exec::program<G, Plan>;
  constexpr std::size_t I = G::table::input_count[K], P = core::parameters_of<N>::size;
  const auto params = [&]<std::size_t... J>(std::index_sequence<J...>) {
    return std::array<const T*, P>{(weights + offsets[G::block_of(K, J)])...};
  }(std::make_index_sequence<P>{});
  const core::forward_args<T, I, P> a{1, program::template input_values<K, T>(b), y, params};
  N::template forward<Arch>(a);
}

// Node K on one sample from the inference layout. Dense nodes run the column or row kernel (SIMD)
// or plain loops over the layout (the scalar architecture, which constant evaluation runs), with the elementwise node F that
// reads them alone folded in; every other node runs its tile rule with n = 1.
template <class Arch, class Net, class G, class Plan, std::size_t K, class F, class T, class B>
CTNN_INLINE_KERNEL constexpr void inference_node(const T* weights, const B& b, T* y) {
  using W = inference_weights<Net, T>;
  using N = typename G::template node_at<K>;
  using program = exec::program<G, Plan>;
  if constexpr (dense_node<N>) {
    constexpr std::size_t block = G::block_of(K, 0);
    constexpr bool by_columns = W::by_columns(block);
    constexpr std::size_t stride = W::stride(block);
    const T* w = weights + W::offsets[block];
    const T* bias = weights + W::offsets[G::block_of(K, 1)];
    const T* x = program::template value<G::table::edge[G::table::edge_begin[K]], T>(b);
    T* z = program::template value_out<K, T>(b);
    if constexpr (simd::lanes<T, Arch> > 1) {
      N::template forward_inference<Arch, F, by_columns, stride>(w, bias, x, z, y);
      return;
    }
    for (std::size_t o = 0; o < N::out; ++o) {
      T sum = bias[o];
      for (std::size_t i = 0; i < N::in; ++i)
        sum += x[i] * (by_columns ? w[simd::column_index<T>(N::out, N::in, stride, o, i)] : w[o * stride + i]);
      z[o] = sum;
      if constexpr (std::is_void_v<F>) y[o] = sum;
      else y[o] = F::value(sum);
    }
  } else {
    // Blocks other than dense W are stored as parameters store them, so the tile rule reads them.
    tile_rule_node<Arch, G, Plan, K>(weights, W::offsets, b, y);
  }
}

// The float lowering of inference_from: every node from inference_weights (inference_node).
template <class Arch, class Net, class T>
struct float_inference {
  const T* weights;
  template <class G, class Plan, std::size_t K, class F, class B>
  CTNN_INLINE_KERNEL constexpr void node(const B& b, T* y) const {
    inference_node<Arch, Net, G, Plan, K, F>(weights, b, y);
  }
};

// Lower computes each node (float_inference above, or the int8 lowering of nn/quantized.hpp): a
// dense node with the elementwise function F that reads it alone, or void.
// CTNN_INLINE_KERNEL (config.hpp): so that clang's flatten of inference_forward reaches the
// kernels through this recursion (g++'s flatten does that by itself).
template <class G, class Plan, std::size_t F, class T, class Lower, class B>
CTNN_INLINE_KERNEL constexpr void inference_from(const Lower& lower, const B& b) {
  using program = exec::program<G, Plan>;
  using table = typename G::table;
  if constexpr (F < program::forward_count) {
    constexpr std::size_t K = program::forward_nodes[F];
    using N = typename G::template node_at<K>;
    if constexpr (table::loss[K]) {
      inference_from<G, Plan, F + 1, T>(lower, b);
    } else if constexpr (dense_node<N> && exec::sample_program<G, Plan>::template epilogue_follows<F>()) {
      constexpr std::size_t U = program::forward_nodes[F + 1];
      using f = typename G::template node_at<U>::elementwise_function;
      lower.template node<G, Plan, K, f>(b, program::template value_out<U, T>(b));
      inference_from<G, Plan, F + 2, T>(lower, b);
    } else {
      lower.template node<G, Plan, K, void>(b, program::template value_out<K, T>(b));
      inference_from<G, Plan, F + 1, T>(lower, b);
    }
  }
}

// Lower over every node of Net's forward graph for one sample, values in a stack buffer laid out
// by the forward plan; the outputs copied to y. flatten: one function with the kernels inlined,
// as forward_sample.
template <class Net, class T, class Lower>
CTNN_FLATTEN constexpr void run_sample(const Lower& lower, const pass_data<forward_graph<Net>, T, false>& d) {
  using G = forward_graph<Net>;
  using Plan = autodiff::forward_plan<G, 64 / sizeof(T)>;
  alignas(64) T buffer[Plan::size > 0 ? Plan::size : 1];
  // Constant evaluation reads only values that were set.
  if (std::is_constant_evaluated()) std::fill_n(buffer, Plan::size > 0 ? Plan::size : 1, T(0));
  const auto b = tile_at(static_cast<const T*>(nullptr), d, 0, 1, buffer);
  inference_from<G, Plan, 0, T>(lower, b);
  copy_sample_outputs<exec::program<G, Plan>>(b, d);
}

template <class Arch, class Net, class T>
CTNN_FLATTEN constexpr void inference_forward(const T* weights,
                                                 const pass_data<forward_graph<Net>, T, false>& d) {
  if constexpr (!std::is_same_v<Arch, simd::scalar_arch>) {
    if (std::is_constant_evaluated()) return inference_forward<simd::scalar_arch, Net>(weights, d);
  }
  run_sample<Net, T>(float_inference<Arch, Net, T>{weights}, d);
}

}  // namespace detail

// The graph's outputs for one sample, from the inference layout: the same values as
// forward(p, x) for the p it was built from, up to the order of the additions.
template <class Arch = simd::default_arch, class Net, class T>
constexpr void forward(const inference_weights<Net, T>& w, sample_inputs<Net, T> x,
                       sample_outputs<Net, T> y) noexcept {
  const auto d = detail::bind<detail::forward_graph<Net>, T>(x, nullptr, nullptr, y);
  detail::inference_forward<Arch, Net>(w.data(), d);
}

template <class Arch = simd::default_arch, class Net, class T>
constexpr output_values<Net, T> forward(const inference_weights<Net, T>& w,
                                        sample_inputs<Net, T> x) noexcept {
  output_values<Net, T> y{};
  if constexpr (Net::output_count == 1) {
    forward<Arch>(w, x, std::span<T, Net::output_sizes[0]>(y));
  } else {
    const auto spans = std::apply([](auto&... a) { return std::tuple(std::span(a)...); }, y);
    forward<Arch>(w, x, spans);
  }
  return y;
}

template <class Arch = simd::default_arch, class Net, class T, class X>
  requires detail::sample_of_wrong_width<Net, X>
constexpr output_values<Net, T> forward(const inference_weights<Net, T>&, const X&) {
  detail::report_sample_width<Net, X>();
  return {};
}

}  // namespace ctnn
