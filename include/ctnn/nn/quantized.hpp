#pragma once
// ctnn::quantized_weights: a trained graph with int8 dense weights, for one-sample inference.
//
//   ctnn::inference_weights<net, float> w(p);
//   ctnn::quantization_ranges<net> ranges;                 // calibration: a few hundred samples
//   for (auto x : calibration_samples) ctnn::observe(ranges, w, x);
//   ctnn::quantized_weights<net> q(p, ranges);
//   auto y = ctnn::forward(q, x);                          // close to forward(p, x)
//
// Post-training quantization, as the integer inference engines do it:
// - each row o of a dense W gets its own scale s_o = max_i |W_oi| / 127 and is stored as int8
//   round(W_oi / s_o) (per output channel: one large row does not cost the others precision);
// - each dense node's input is quantized on the fly with one scale from the calibration: inputs
//   that were never negative (after a ReLU, pixels) to uint8 over [0, max]; others to int8 over
//   [−m, m], m = max |x|, stored with a zero point of 128 (the VNNI instruction multiplies
//   unsigned by signed bytes);
// - the products are summed exactly in int32, starting from −128·Σ_i q_oi where the zero point
//   needs taking back, and z_o = b_o + s_o·s_x·sum in float; the activation, every node that is
//   not dense (add, concat, softmax, ...) and the biases stay float.
// The kernels are in simd/int8.hpp. quantization_error_bound (below) bounds |forward(q, x) −
// forward(p, x)| over a box of inputs, in constant evaluation for a baked net.
//
// Like inference_weights it is a snapshot: it holds no pointer to p and allocates nothing, and
// forward touches nothing but its arguments and the stack.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <tuple>
#include <type_traits>
#include <utility>

#include "../config.hpp"
#include "../detail/contract.hpp"
#include "../autodiff/plan.hpp"
#include "../exec/program.hpp"
#include "../simd/int8.hpp"
#include "inference.hpp"
#include "network.hpp"
#include "passes.hpp"

namespace ctnn {

// The least and greatest value each dense node's input took on the calibration samples (indexed
// by node; entries of other nodes are unused), and how many samples were observed.
template <class Net>
struct quantization_ranges {
  static constexpr std::size_t node_count = detail::forward_graph<Net>::node_count;
  std::array<float, node_count> low = filled(std::numeric_limits<float>::infinity());
  std::array<float, node_count> high = filled(-std::numeric_limits<float>::infinity());
  std::size_t samples = 0;

 private:
  static constexpr std::array<float, node_count> filled(float v) {
    std::array<float, node_count> a{};
    a.fill(v);
    return a;
  }
};

namespace detail {

template <class T>
constexpr T absolute(T v) {
  return v < 0 ? -v : v;
}

// How one dense node quantizes its input x: q = round(clamp(x / scale, low, high)) + zero_point.
struct input_quantization {
  float scale = 1, inverse_scale = 1, low = 0, high = 255;
  std::int32_t zero_point = 0;
};

constexpr input_quantization input_quantization_of(float low, float high) {
  input_quantization q;
  if (low >= 0) {  // never negative: uint8 over [0, high]
    q.scale = high > 0 ? high / 255 : 1;
    q.low = 0;
    q.high = 255;
    q.zero_point = 0;
  } else {
    const float m = std::max(-low, high);
    q.scale = m > 0 ? m / 127 : 1;
    q.low = -127;
    q.high = 127;
    q.zero_point = 128;
  }
  q.inverse_scale = 1 / q.scale;
  return q;
}

// The node K of G's one input edge (a dense node reads one).
template <class G, std::size_t K>
inline constexpr std::size_t dense_input_of = G::table::edge[G::table::edge_begin[K]];

}  // namespace detail

template <class Net>
class quantized_weights {
  using G = detail::forward_graph<Net>;
  using layout = typename Net::layout;
  using table = typename Net::table;
  static constexpr std::size_t block_count = Net::block_count;
  static constexpr std::size_t node_count = G::node_count;
  static constexpr std::size_t round16(std::size_t n) { return (n + 15) / 16 * 16; }
  static constexpr std::size_t round64(std::size_t n) { return (n + 63) / 64 * 64; }

  // Block b is a dense W when the node that first names it is dense and b is that node's first
  // block (as inference_weights decides its column blocks).
  template <std::size_t B>
  static constexpr bool block_is_dense_weight() {
    constexpr std::size_t first = table::records[layout::first_record[B]].node;
    using N = typename Net::template node_at<first>;
    if constexpr (detail::dense_node<N>)
      return table::record_begin[first] == layout::first_record[B];
    else
      return false;
  }
  static constexpr auto dense_weight = []<std::size_t... B>(std::index_sequence<B...>) {
    return std::array<bool, block_count + 1>{block_is_dense_weight<B>()..., false};
  }(std::make_index_sequence<block_count>{});

  template <std::size_t K>
  static constexpr bool node_is_dense() {
    return detail::dense_node<typename G::template node_at<K>>;
  }
  static constexpr auto dense_nodes = []<std::size_t... K>(std::index_sequence<K...>) {
    return std::array<bool, node_count + 1>{node_is_dense<K>()..., false};
  }(std::make_index_sequence<node_count>{});
  static constexpr std::size_t rows_of(std::size_t b) { return table::records[layout::first_record[b]].dims[0]; }
  static constexpr std::size_t columns_of(std::size_t b) { return table::records[layout::first_record[b]].dims[1]; }
  static constexpr std::size_t size_of(std::size_t b) { return table::records[layout::first_record[b]].size; }
  // A dense node's width (0 for other nodes).
  template <std::size_t K>
  static constexpr std::size_t out_or_zero() {
    using N = typename G::template node_at<K>;
    if constexpr (detail::dense_node<N>) return N::out;
    else return 0;
  }
  static constexpr auto outs = []<std::size_t... K>(std::index_sequence<K...>) {
    return std::array<std::size_t, node_count + 1>{out_or_zero<K>()..., 0};
  }(std::make_index_sequence<node_count>{});

 public:
  using network_type = Net;

  // Where block b starts in bytes() (a dense W: groups of 4 columns, rows padded to 16; every
  // such block on 64 bytes) and in floats() (every other block as parameters store it, and for
  // a dense W its row scales s_o; every block on 16 floats).
  static constexpr auto byte_offsets = [] {
    std::array<std::size_t, block_count + 1> o{};
    for (std::size_t b = 0; b < block_count; ++b)
      o[b + 1] = o[b] + (dense_weight[b] ? round64(simd::int8_groups(columns_of(b)) *
                                                   simd::int8_padded_outputs(rows_of(b)) * 4)
                                         : 0);
    return o;
  }();
  static constexpr auto float_offsets = [] {
    std::array<std::size_t, block_count + 1> o{};
    for (std::size_t b = 0; b < block_count; ++b)
      o[b + 1] = o[b] + round16(dense_weight[b] ? rows_of(b) : size_of(b));
    return o;
  }();
  // Per dense node K: its output scales s_o·s_x (after the blocks in floats()) and its start sums
  // −zero_point·Σ_i q_oi (in starts()), each padded to 16.
  static constexpr auto node_offsets = [] {
    std::array<std::size_t, node_count + 1> o{};
    for (std::size_t k = 0; k < node_count; ++k)
      o[k + 1] = o[k] + (dense_nodes[k] ? round16(outs[k]) : 0);
    return o;
  }();

  constexpr quantized_weights() = default;
  template <class T>
  constexpr quantized_weights(const parameters<Net, T>& p, const quantization_ranges<Net>& r) {
    assign(p, r);
  }

  // Quantizes p with the input ranges r (every dense node must have been observed).
  template <class T>
  constexpr void assign(const parameters<Net, T>& p, const quantization_ranges<Net>& r) {
    if (r.samples == 0)
      detail::contract_failed("ctnn::quantized_weights", "the quantization ranges observed no sample "
                                                         "(call ctnn::observe on calibration inputs first)");
    for (std::size_t b = 0; b < block_count; ++b) {
      const T* from = p.data() + layout::offset[b];
      float* to = floats_.data() + float_offsets[b];
      if (!dense_weight[b]) {
        for (std::size_t i = 0; i < size_of(b); ++i) to[i] = static_cast<float>(from[i]);
        continue;
      }
      const std::size_t rows = rows_of(b), cols = columns_of(b), padded = simd::int8_padded_outputs(rows);
      std::int8_t* q = bytes_.data() + byte_offsets[b];
      for (std::size_t o = 0; o < rows; ++o) {
        T m = 0;
        for (std::size_t i = 0; i < cols; ++i) m = std::max(m, detail::absolute(from[o * cols + i]));
        const float s = m > 0 ? static_cast<float>(m / 127) : 1.0f;
        to[o] = s;
        for (std::size_t i = 0; i < cols; ++i)
          q[(i / simd::int8_group * padded + o) * simd::int8_group + i % simd::int8_group] =
              static_cast<std::int8_t>(simd::quantize_value(static_cast<float>(from[o * cols + i]),
                                                            1 / s, -127, 127, 0));
      }
    }
    for (std::size_t k = 0; k < node_count; ++k) {
      if (!dense_nodes[k]) continue;
      const std::size_t b = G::block_of(k, 0);
      const std::size_t rows = rows_of(b), cols = columns_of(b), padded = simd::int8_padded_outputs(rows);
      if (!(r.low[k] <= r.high[k]))
        detail::contract_failed("ctnn::quantized_weights", "a dense node's input range is empty or NaN "
                                                           "(observe calibration inputs with ctnn::observe)");
      inputs_[k] = detail::input_quantization_of(r.low[k], r.high[k]);
      const std::int8_t* q = bytes_.data() + byte_offsets[b];
      for (std::size_t o = 0; o < rows; ++o) {
        std::int32_t sum = 0;
        for (std::size_t i = 0; i < cols; ++i)
          sum += q[(i / simd::int8_group * padded + o) * simd::int8_group + i % simd::int8_group];
        starts_[node_offsets[k] + o] = -inputs_[k].zero_point * sum;
        floats_[scales_at + node_offsets[k] + o] = floats_[float_offsets[b] + o] * inputs_[k].scale;
      }
    }
  }

  // The int8 values (dense W blocks), the float values (other blocks, row scales, node scales),
  // the start sums, and how node K quantizes its input.
  constexpr const std::int8_t* bytes() const { return bytes_.data(); }
  constexpr const float* floats() const { return floats_.data(); }
  constexpr const std::int32_t* starts() const { return starts_.data(); }
  constexpr const detail::input_quantization& input(std::size_t k) const { return inputs_[k]; }
  static constexpr std::size_t scales_at = float_offsets[block_count];
  // The weight value the quantized net uses for W_oi of block b: s_o·q_oi.
  constexpr float weight(std::size_t b, std::size_t o, std::size_t i) const {
    const std::size_t padded = simd::int8_padded_outputs(rows_of(b));
    return floats_[float_offsets[b] + o] *
           bytes_[byte_offsets[b] + (i / simd::int8_group * padded + o) * simd::int8_group +
                  i % simd::int8_group];
  }

 private:
  alignas(64) std::array<std::int8_t, byte_offsets[block_count] + 1> bytes_{};
  alignas(64) std::array<float, scales_at + node_offsets[node_count] + 1> floats_{};
  alignas(64) std::array<std::int32_t, node_offsets[node_count] + 1> starts_{};
  std::array<detail::input_quantization, node_count> inputs_{};
};

namespace detail {

// The float lowering, which also records each dense node's input range.
template <class Arch, class Net, class T>
struct observing_inference {
  float_inference<Arch, Net, T> run;
  quantization_ranges<Net>* ranges;
  template <class G, class Plan, std::size_t K, class F, class B>
  constexpr void node(const B& b, T* y) const {
    using N = typename G::template node_at<K>;
    if constexpr (dense_node<N>) {
      const T* x = exec::program<G, Plan>::template value<dense_input_of<G, K>, T>(b);
      for (std::size_t i = 0; i < N::in; ++i) {
        const auto v = static_cast<float>(x[i]);
        ranges->low[K] = std::min(ranges->low[K], v);
        ranges->high[K] = std::max(ranges->high[K], v);
      }
    }
    run.template node<G, Plan, K, F>(b, y);
  }
};

// The int8 lowering: dense nodes quantize their input and run simd/int8.hpp's kernel (method M);
// every other node runs its tile rule on the float blocks.
template <class Arch, simd::int8_method M, class Net>
struct int8_inference {
  const quantized_weights<Net>* q;
  template <class G, class Plan, std::size_t K, class F, class B>
  CTNN_INLINE_KERNEL constexpr void node(const B& b, float* y) const {
    using N = typename G::template node_at<K>;
    using W = quantized_weights<Net>;
    using program = exec::program<G, Plan>;
    if constexpr (dense_node<N>) {
      const float* x = program::template value<dense_input_of<G, K>, float>(b);
      float* z = program::template value_out<K, float>(b);
      const input_quantization& in = q->input(K);
      alignas(64) std::uint8_t xq[simd::int8_groups(N::in) * simd::int8_group];
      simd::quantize_input<N::in, Arch>(x, in.inverse_scale, in.low, in.high, in.zero_point, xq);
      const std::int8_t* w = q->bytes() + W::byte_offsets[G::block_of(K, 0)];
      const std::int32_t* start = q->starts() + W::node_offsets[K];
      const float* scale = q->floats() + W::scales_at + W::node_offsets[K];
      const float* bias = q->floats() + W::float_offsets[G::block_of(K, 1)];
      if constexpr (M == simd::int8_method::plain)
        simd::dense_forward_int8_plain<N::in, N::out, F>(w, start, scale, bias, xq, z, y);
      else
        simd::dense_forward_int8<N::in, N::out, F, Arch, M>(w, start, scale, bias, xq, z, y);
    } else {
      tile_rule_node<Arch, G, Plan, K>(q->floats(), W::float_offsets, b, y);
    }
  }
};

}  // namespace detail

// Records the input range of every dense node on one calibration sample x (computed in float
// from w, the inference layout of the parameters being quantized).
template <class Arch = simd::default_arch, class Net, class T>
constexpr void observe(quantization_ranges<Net>& r, const inference_weights<Net, T>& w,
                       sample_inputs<Net, T> x) {
  if (std::is_constant_evaluated() && !std::is_same_v<Arch, simd::scalar_arch>)
    return observe<simd::scalar_arch>(r, w, x);
  output_values<Net, T> y{};
  const auto outputs = [&] {
    if constexpr (Net::output_count == 1) return std::span<T, Net::output_sizes[0]>(y);
    else return std::apply([](auto&... a) { return std::tuple(std::span(a)...); }, y);
  }();
  const auto d = detail::bind<detail::forward_graph<Net>, T>(x, nullptr, nullptr, outputs);
  detail::run_sample<Net, T>(detail::observing_inference<Arch, Net, T>{{w.data()}, &r}, d);
  ++r.samples;
}

// The graph's outputs for one sample from the int8 weights. M: how the int8 products are summed
// (simd/int8.hpp; the fastest the build allows unless named).
template <class Arch = simd::default_arch, simd::int8_method M = simd::best_int8_method<Arch>, class Net>
constexpr void forward(const quantized_weights<Net>& q, sample_inputs<Net, float> x,
                       sample_outputs<Net, float> y) noexcept {
  if constexpr (!std::is_same_v<Arch, simd::scalar_arch>) {
    if (std::is_constant_evaluated()) return forward<simd::scalar_arch, simd::int8_method::plain>(q, x, y);
  }
  const auto d = detail::bind<detail::forward_graph<Net>, float>(x, nullptr, nullptr, y);
  detail::run_sample<Net, float>(detail::int8_inference<Arch, M, Net>{&q}, d);
}

template <class Arch = simd::default_arch, simd::int8_method M = simd::best_int8_method<Arch>, class Net>
constexpr output_values<Net, float> forward(const quantized_weights<Net>& q,
                                            sample_inputs<Net, float> x) noexcept {
  output_values<Net, float> y{};
  if constexpr (Net::output_count == 1) {
    forward<Arch, M>(q, x, std::span<float, Net::output_sizes[0]>(y));
  } else {
    const auto spans = std::apply([](auto&... a) { return std::tuple(std::span(a)...); }, y);
    forward<Arch, M>(q, x, spans);
  }
  return y;
}

}  // namespace ctnn
