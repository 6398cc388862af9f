#pragma once
// ctnn::inference_weights: a network's weights laid out for one-sample inference.
//
//   ctnn::inference_weights<net, float> frozen(p);   // after training or loading a model file
//   auto y = ctnn::forward(frozen, x);               // the same outputs as ctnn::forward(p, x)
//
// parameters<Net, T> keeps each W out×in row-major (PyTorch's layout), which training and the
// model files need. One sample through a row-major W is a set of dot products, each ending in a
// sum across the lanes of a pack, and in layers a few packs wide those sums cost more than the
// multiplications. This copy stores every layer with at least 64 bytes of outputs (16 floats,
// 8 doubles) as Wᵀ, column by column, each column padded to whole 64 bytes, and runs it by
// broadcasting each input into its column (simd/column_forward.hpp). Narrower layers (1 to 15
// float outputs, such as a regression or 10-class head) keep the row layout, where a dot product
// is the cheaper shape, and the row kernel (simd/matvec.hpp).
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

#include "../simd/column_forward.hpp"
#include "../simd/matvec.hpp"
#include "../simd/pack.hpp"
#include "network.hpp"
#include "passes.hpp"

namespace ctnn {

template <class Net, class T>
class inference_weights {
  static_assert(detail::scalar_type_check<T>::ok);
  static constexpr std::size_t pad = 64 / sizeof(T);  // values per 64 bytes
  static constexpr std::size_t round_up(std::size_t n) { return (n + pad - 1) / pad * pad; }

 public:
  using network_type = Net;
  using value_type = T;

  // Stage K's layer is stored as Wᵀ (in columns) rather than W (in rows).
  template <std::size_t K>
  static constexpr bool by_columns = Net::template stage<K>::out * sizeof(T) >= 64;

  // Where stage K's weights and biases start, and the distance between two columns (by_columns)
  // or two rows of its weights. Every block starts on 64 bytes.
  template <std::size_t K>
  static constexpr std::size_t stride =
      by_columns<K> ? round_up(Net::template stage<K>::out) : Net::template stage<K>::in;
  template <std::size_t K>
  static constexpr std::size_t weight_offset() {
    if constexpr (K == 0) {
      return 0;
    } else {
      using S = typename Net::template stage<K - 1>;
      return bias_offset<K - 1>() + round_up(S::out);
    }
  }
  template <std::size_t K>
  static constexpr std::size_t bias_offset() {
    using S = typename Net::template stage<K>;
    return weight_offset<K>() + round_up((by_columns<K> ? S::in : S::out) * stride<K>);
  }
  static constexpr std::size_t size = weight_offset<Net::stage_count>();

  constexpr inference_weights() = default;
  constexpr explicit inference_weights(const parameters<Net, T>& p) { assign(p); }

  // Copies p into this layout (padding stays 0).
  constexpr void assign(const parameters<Net, T>& p) {
    [&]<std::size_t... K>(std::index_sequence<K...>) { (assign_stage<K>(p), ...); }(
        std::make_index_sequence<Net::stage_count>{});
  }

  constexpr const T* data() const { return values_.data(); }

 private:
  template <std::size_t K>
  constexpr void assign_stage(const parameters<Net, T>& p) {
    using S = typename Net::template stage<K>;
    const T* w = p.data() + S::weight_offset;
    T* to = values_.data() + weight_offset<K>();
    for (std::size_t o = 0; o < S::out; ++o)
      for (std::size_t i = 0; i < S::in; ++i)
        (by_columns<K> ? to[i * stride<K> + o] : to[o * stride<K> + i]) = w[o * S::in + i];
    std::copy_n(p.data() + S::bias_offset, S::out, values_.data() + bias_offset<K>());
  }

  alignas(64) std::array<T, size> values_{};
};

namespace detail {

// Stage K of the inference layout on one sample: x (S::in values) → a (S::out values); z is
// scratch of S::out values. SIMD architectures run the kernels; the scalar architecture and
// constant evaluation, plain loops over the same layout.
template <std::size_t K, class Arch, class Net, class T>
constexpr void inference_stage(const T* weights, const T* x, T* z, T* a) {
  using S = typename Net::template stage<K>;
  using W = inference_weights<Net, T>;
  using f = typename S::activation;
  constexpr bool by_columns = W::template by_columns<K>;
  constexpr std::size_t stride = W::template stride<K>;
  const T* w = weights + W::template weight_offset<K>();
  const T* b = weights + W::template bias_offset<K>();
  if constexpr (simd::lanes<T, Arch> > 1) {
    if (!std::is_constant_evaluated()) {
      if constexpr (by_columns)
        simd::dense_forward_columns<S::in, S::out, stride, f, Arch>(w, b, x, z, a);
      else
        simd::dense_forward_one<S::in, S::out, f, Arch>(w, b, simd::load_vector<S::in, Arch>(x), z, a);
      return;
    }
  }
  for (std::size_t o = 0; o < S::out; ++o) {
    T sum = b[o];
    for (std::size_t i = 0; i < S::in; ++i)
      sum += x[i] * (by_columns ? w[i * stride + o] : w[o * stride + i]);
    z[o] = sum;
    if constexpr (f::elementwise) a[o] = f::value(sum);
  }
  if constexpr (!f::elementwise) f::template forward_rows<simd::scalar_arch>(z, a, S::out, 1);
}

// Every stage, values passing through two stack buffers; the last stage writes y.
// flatten: one function with the kernels inlined, as forward_sample.
template <class Arch, class Net, class T>
[[gnu::flatten]] constexpr void inference_forward(const T* weights, const T* x, T* y) {
  constexpr std::size_t stages = Net::stage_count;
  constexpr std::size_t width = Net::max_width;
  alignas(64) T buffer[2][width];
  alignas(64) T z[width];
  // Constant evaluation reads only values that were set.
  if (std::is_constant_evaluated())
    for (T* b : {buffer[0], buffer[1], z}) std::fill_n(b, width, T(0));
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    (inference_stage<K, Arch, Net>(weights, K == 0 ? x : buffer[(K + 1) % 2], z,
                                   K + 1 == stages ? y : buffer[K % 2]),
     ...);
  }(std::make_index_sequence<stages>{});
}

}  // namespace detail

// The network's outputs for one sample, from the inference layout: the same values as
// forward(p, x) for the p it was built from, up to the order of the additions.
template <class Arch = simd::default_arch, class Net, class T>
constexpr void forward(const inference_weights<Net, T>& w, fixed_span<const T, Net::input_size> x,
                       fixed_span<T, Net::output_size> y) {
  detail::inference_forward<Arch, Net>(w.data(), x.data(), y.data());
}

template <class Arch = simd::default_arch, class Net, class T>
constexpr std::array<T, Net::output_size> forward(const inference_weights<Net, T>& w,
                                                  fixed_span<const T, Net::input_size> x) {
  std::array<T, Net::output_size> y{};
  forward<Arch>(w, x, std::span<T, Net::output_size>(y));
  return y;
}

}  // namespace ctnn
