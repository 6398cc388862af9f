#pragma once
// ctnn::quantized_weights: a trained graph with int8 dense weights, for one-sample inference.
//
//   ctnn::inference_weights<net, float> w(p);
//   ctnn::quantization_ranges<net> ranges;                 // calibration: a few hundred samples
//   for (auto x : calibration_samples) ctnn::observe(ranges, w, x);
//   ctnn::quantized_weights<net> q(p, ranges);
//   auto y = ctnn::forward(q, x);                          // close to forward(p, x)
//
// Post-training quantization:
// - each input value i of each dense node gets a scale s_i from its calibration range (widened by
//   quantization_options): never negative (after a ReLU, pixels) → uint8 over [0, max]; else
//   int8 over [−m, m], stored with a zero point of 128 (the VNNI instruction multiplies unsigned
//   by signed bytes). One scale per value, not per node: a standardised pixel that reaches 40
//   does not cost the others their precision;
// - the scales are folded into the weights, W'_oi = W_oi s_i, and each row o of W' gets its own
//   scale r_o = max_i |W'_oi| / 127 and is stored as int8 round(W'_oi / r_o) (per output channel:
//   one large row does not cost the others precision). Each dense node has its own W' (two nodes
//   that share a W see different inputs);
// - the products are summed exactly in int32, from −Σ_i zero_point_i q'_oi (which takes the zero
//   points back out), and z_o = b_o + r_o·sum in float; the activation, every node that is not
//   dense (add, concat, softmax, ...) and the biases stay float.
// The kernels are in simd/int8.hpp. quantization_error_bound (nn/quantization_bound.hpp) bounds |forward(q, x) −
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

namespace detail {

// Where each dense node's input values (ranges, input quantization) start, and the total.
template <class G>
struct dense_input_offsets {
  template <std::size_t K>
  static constexpr std::size_t in_or_zero() {
    using N = typename G::template node_at<K>;
    if constexpr (dense_node<N>) return N::in;
    else return 0;
  }
  template <std::size_t K>
  static constexpr std::size_t out_or_zero() {
    using N = typename G::template node_at<K>;
    if constexpr (dense_node<N>) return N::out;
    else return 0;
  }
  static constexpr auto ins = []<std::size_t... K>(std::index_sequence<K...>) {
    return std::array<std::size_t, G::node_count + 1>{in_or_zero<K>()..., 0};
  }(std::make_index_sequence<G::node_count>{});
  static constexpr auto outs = []<std::size_t... K>(std::index_sequence<K...>) {
    return std::array<std::size_t, G::node_count + 1>{out_or_zero<K>()..., 0};
  }(std::make_index_sequence<G::node_count>{});
  // Offsets with every node's share padded to 16 values (64 bytes of floats).
  static constexpr auto padded(const std::array<std::size_t, G::node_count + 1>& n) {
    std::array<std::size_t, G::node_count + 1> o{};
    for (std::size_t k = 0; k < G::node_count; ++k) o[k + 1] = o[k] + (n[k] + 15) / 16 * 16;
    return o;
  }
  static constexpr auto input = padded(ins);
};

}  // namespace detail

// The least and greatest value each input value of each dense node took on the calibration
// samples (node K's input i at input_at(K) + i), and how many samples were observed.
template <class Net>
struct quantization_ranges {
  using offsets = detail::dense_input_offsets<detail::forward_graph<Net>>;
  static constexpr std::size_t size = offsets::input.back();
  static constexpr std::size_t input_at(std::size_t k) { return offsets::input[k]; }
  std::array<float, size + 1> low = filled(std::numeric_limits<float>::infinity());
  std::array<float, size + 1> high = filled(-std::numeric_limits<float>::infinity());
  std::size_t samples = 0;

 private:
  static constexpr std::array<float, size + 1> filled(float v) {
    std::array<float, size + 1> a{};
    a.fill(v);
    return a;
  }
};

// How the calibration ranges become quantization ranges. A calibration sees only so many samples,
// and a value beyond its range is clamped, so each input value's range is widened:
// - headroom: the observed range times this;
// - range_floor: and at least this fraction of the widest range among its node's inputs (a rarely
//   active unit may have been seen near 0 only).
// Measured (tests/nn/quantized.cpp's 37-50-20-4 net on inputs in [−1, 1], calibrated on 200
// samples; the worst output error over 2000 others): 0.099 with the ranges as observed, 0.031
// with one range per node, 0.030 with these defaults. On Fashion-MNIST (784-256-128-10,
// standardised pixels, some of which reach 40), calibrated on 200, 1000 and 5000 training images:
// test accuracy +0.06, +0.02 and −0.05 points against float with these defaults, −0.40, −0.52 and
// −2.91 with one range per node.
struct quantization_options {
  float range_floor = 0.125f;
  float headroom = 1.5f;
};

namespace detail {

template <class T>
constexpr T absolute(T v) {
  return v < 0 ? -v : v;
}

// How an input value x of a dense node is quantized: q = round(clamp(x / scale, low, high)) +
// zero_point. Never negative on the calibration (after a ReLU, pixels): uint8 over [0, max];
// else int8 over [−m, m], m = max |x|, stored with zero point 128.
struct value_quantization {
  float scale = 1, low = 0, high = 255;
  std::int32_t zero_point = 0;
};

constexpr value_quantization value_quantization_of(float low, float high, float floor) {
  value_quantization q;
  high = std::max(high, floor);
  if (low >= 0) {
    q.scale = high > 0 ? high / 255 : 1;
    q.low = 0;
    q.high = 255;
    q.zero_point = 0;
  } else {
    const float m = std::max({-low, high, floor});
    q.scale = m > 0 ? m / 127 : 1;
    q.low = -127;
    q.high = 127;
    q.zero_point = 128;
  }
  return q;
}

// The node K of G's one input edge (a dense node reads one).
template <class G, std::size_t K>
inline constexpr std::size_t dense_input_of = G::table::edge[G::table::edge_begin[K]];

}  // namespace detail

// Every dense node K has its own int8 W' (so two dense nodes that share one W each get theirs),
// W'_oi = W_oi · s_i with s_i the scale of its input value i: the input is quantized value by
// value, each with the scale its calibration range asks for (a standardised pixel that reaches 40
// does not cost the others their precision), and the scales are folded into the weights before
// those are quantized row by row: Σ_i W_oi x_i = Σ_i W'_oi (x_i / s_i) ≈ r_o Σ_i q'_oi q_i.
template <class Net>
class quantized_weights {
  using G = detail::forward_graph<Net>;
  using layout = typename Net::layout;
  using table = typename Net::table;
  using dense = detail::dense_input_offsets<G>;
  static constexpr std::size_t block_count = Net::block_count;
  static constexpr std::size_t node_count = G::node_count;
  static constexpr std::size_t round16(std::size_t n) { return (n + 15) / 16 * 16; }
  static constexpr std::size_t round64(std::size_t n) { return (n + 63) / 64 * 64; }
  static constexpr std::size_t size_of(std::size_t b) { return table::records[layout::first_record[b]].size; }

 public:
  using network_type = Net;

  // Where node K's int8 W' starts in bytes() (groups of 4 inputs, outputs padded to 16; on 64
  // bytes), its row scales r_o in floats() (after the parameter blocks, which are stored as
  // parameters store them, each on 16 floats), its start sums −Σ_i zero_point_i q'_oi in
  // starts(), and its input quantization (1/s_i, low_i, high_i in floats(), zero points in
  // zero_points()).
  static constexpr auto byte_offsets = [] {
    std::array<std::size_t, node_count + 1> o{};
    for (std::size_t k = 0; k < node_count; ++k)
      o[k + 1] = o[k] + round64(simd::int8_groups(dense::ins[k]) * simd::int8_padded_outputs(dense::outs[k]) *
                                simd::int8_group);
    return o;
  }();
  static constexpr auto block_offsets = [] {
    std::array<std::size_t, block_count + 1> o{};
    for (std::size_t b = 0; b < block_count; ++b) o[b + 1] = o[b] + round16(size_of(b));
    return o;
  }();
  static constexpr auto output_offsets = dense::padded(dense::outs);
  static constexpr auto input_offsets = dense::input;
  static constexpr std::size_t scales_at = block_offsets[block_count];
  static constexpr std::size_t inverse_scales_at = scales_at + output_offsets[node_count];
  static constexpr std::size_t lows_at = inverse_scales_at + input_offsets[node_count];
  static constexpr std::size_t highs_at = lows_at + input_offsets[node_count];
  static constexpr std::size_t float_count = highs_at + input_offsets[node_count];

  constexpr quantized_weights() = default;
  template <class T>
  constexpr quantized_weights(const parameters<Net, T>& p, const quantization_ranges<Net>& r,
                              quantization_options options = {}) {
    assign(p, r, options);
  }

  // Quantizes p with the input ranges r (every dense node must have been observed).
  template <class T>
  constexpr void assign(const parameters<Net, T>& p, const quantization_ranges<Net>& r,
                        quantization_options options = {}) {
    if (r.samples == 0)
      detail::contract_failed("ctnn::quantized_weights", "the quantization ranges observed no sample "
                                                         "(call ctnn::observe on calibration inputs first)");
    if (!(options.headroom > 0 && options.headroom < std::numeric_limits<float>::infinity()) ||
        !(options.range_floor >= 0 && options.range_floor <= 1))
      detail::contract_failed("ctnn::quantized_weights", "quantization_options: headroom must be a "
                                                         "finite number > 0 and range_floor in [0, 1]");
    for (std::size_t b = 0; b < block_count; ++b)
      for (std::size_t i = 0; i < size_of(b); ++i)
        floats_[block_offsets[b] + i] = static_cast<float>(p.data()[layout::offset[b] + i]);
    for (std::size_t k = 0; k < node_count; ++k) {
      const std::size_t in = dense::ins[k], out = dense::outs[k], padded = simd::int8_padded_outputs(out);
      if (in == 0) continue;
      const std::size_t at = input_offsets[k];
      float node_max = 0;
      for (std::size_t i = 0; i < in; ++i)
        node_max = std::max({node_max, -r.low[r.input_at(k) + i], r.high[r.input_at(k) + i]});
      const float floor = node_max * options.range_floor;
      for (std::size_t i = 0; i < in; ++i) {
        if (!(r.low[r.input_at(k) + i] <= r.high[r.input_at(k) + i]))
          detail::contract_failed("ctnn::quantized_weights",
                                  "a dense node's input range is empty or NaN (observe calibration "
                                  "inputs with ctnn::observe)");
        const auto v = detail::value_quantization_of(r.low[r.input_at(k) + i] * options.headroom,
                                                     r.high[r.input_at(k) + i] * options.headroom, floor);
        floats_[inverse_scales_at + at + i] = 1 / v.scale;
        floats_[lows_at + at + i] = v.low;
        floats_[highs_at + at + i] = v.high;
        zero_points_[at + i] = v.zero_point;
      }
      const T* w = p.data() + layout::offset[G::block_of(k, 0)];
      std::int8_t* q = bytes_.data() + byte_offsets[k];
      for (std::size_t o = 0; o < out; ++o) {
        // W'_oi = W_oi s_i, in T; its row quantized with r_o = max_i |W'_oi| / 127.
        T m = 0;
        for (std::size_t i = 0; i < in; ++i)
          m = std::max(m, detail::absolute(w[o * in + i] / T(floats_[inverse_scales_at + at + i])));
        const float r_o = m > 0 ? static_cast<float>(m / 127) : 1.0f;
        std::int32_t start = 0;
        for (std::size_t i = 0; i < in; ++i) {
          const float folded = static_cast<float>(w[o * in + i] / T(floats_[inverse_scales_at + at + i]));
          const auto v = static_cast<std::int8_t>(simd::quantize_value(folded, 1 / r_o, -127, 127, 0));
          q[(i / simd::int8_group * padded + o) * simd::int8_group + i % simd::int8_group] = v;
          start -= zero_points_[at + i] * v;
        }
        floats_[scales_at + output_offsets[k] + o] = r_o;
        starts_[output_offsets[k] + o] = start;
      }
    }
  }

  constexpr const std::int8_t* bytes() const { return bytes_.data(); }
  constexpr const float* floats() const { return floats_.data(); }
  constexpr const std::int32_t* starts() const { return starts_.data(); }
  constexpr const std::int32_t* zero_points() const { return zero_points_.data(); }

  // The weight dense node K computes with in place of W_oi: r_o q'_oi / s_i.
  constexpr double weight(std::size_t k, std::size_t o, std::size_t i) const {
    const std::size_t padded = simd::int8_padded_outputs(dense::outs[k]);
    const double q = bytes_[byte_offsets[k] + (i / simd::int8_group * padded + o) * simd::int8_group +
                            i % simd::int8_group];
    return double(floats_[scales_at + output_offsets[k] + o]) * q *
           double(floats_[inverse_scales_at + input_offsets[k] + i]);
  }

 private:
  alignas(64) std::array<std::int8_t, byte_offsets[node_count] + 1> bytes_{};
  alignas(64) std::array<float, float_count + 1> floats_{};
  alignas(64) std::array<std::int32_t, output_offsets[node_count] + 1> starts_{};
  alignas(64) std::array<std::int32_t, input_offsets[node_count] + 1> zero_points_{};
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
      const std::size_t at = ranges->input_at(K);
      for (std::size_t i = 0; i < N::in; ++i) {
        const auto v = static_cast<float>(x[i]);
        ranges->low[at + i] = std::min(ranges->low[at + i], v);
        ranges->high[at + i] = std::max(ranges->high[at + i], v);
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
      const std::size_t at = W::input_offsets[K];
      alignas(64) std::uint8_t xq[simd::int8_groups(N::in) * simd::int8_group];
      simd::quantize_input<N::in, Arch>(x, q->floats() + W::inverse_scales_at + at, q->floats() + W::lows_at + at,
                                        q->floats() + W::highs_at + at, q->zero_points() + at, xq);
      const std::int8_t* w = q->bytes() + W::byte_offsets[K];
      const std::int32_t* start = q->starts() + W::output_offsets[K];
      const float* scale = q->floats() + W::scales_at + W::output_offsets[K];
      const float* bias = q->floats() + W::block_offsets[G::block_of(K, 1)];
      if constexpr (M == simd::int8_method::plain)
        simd::dense_forward_int8_plain<N::in, N::out, F>(w, start, scale, bias, xq, z, y);
      else
        simd::dense_forward_int8<N::in, N::out, F, Arch, M>(w, start, scale, bias, xq, z, y);
    } else {
      tile_rule_node<Arch, G, Plan, K>(q->floats(), W::block_offsets, b, y);
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
