#pragma once
// Pooling over an image x (C × H × W), channel by channel, with the window of ops/window.hpp:
//   op::max_pool2d<x, op::kernel<2>, options...>   y = the largest value under the window
//   op::avg_pool2d<x, op::kernel<2>, options...>   y = the window's sum / (KH·KW)
//   op::global_avg_pool<x>                        y[c] = the mean of channel c (shape <C>)
// The stride defaults to the kernel and padding to 0, as in PyTorch. max_pool2d's padding never
// wins (it reads as −∞); avg_pool2d counts it as zeros (PyTorch's count_include_pad=True).
//
//   max_pool2d  vjp: δy goes to the window's first largest value (PyTorch's choice on ties)
//               jvp: ẏ = ẋ at that value
//   avg_pool2d  vjp: δy / (KH·KW) to every value under the window;  jvp: the same map on ẋ
// Windows may overlap (stride < kernel): a channel's input adjoint is summed in a scratch plane on
// the stack and handed to the sink once.

#include <array>
#include <cstddef>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "../core/list.hpp"
#include "../core/op.hpp"
#include "../core/shape.hpp"
#include "shape_checks.hpp"
#include "structure.hpp"
#include "window.hpp"

namespace ctnn::op {

namespace detail {

// What max and average pooling share: the shape checks, the output shape, and the walk over the
// windows. Rule::pool(values of the window through a visitor) gives y; Rule::spread hands δy's
// share to the window's positions.
template <class Node, class X, class Kernel, class... Options>
struct pooling_node {
  using input_shape = typename window_input_shape<X>::type;
  using geometry = window_geometry<input_shape, default_stride::kernel, Kernel, Options...>;
  static_assert(shape_error::window_of<Node>::template kernel_argument_is<Kernel>::template check<
                is_option<op::kernel, Kernel>>::ok);
  static_assert(shape_error::window_of<Node>::template takes<X, input_shape>::template check<
                input_shape::rank == 3>::ok);
  static_assert(shape_error::window_of<Node>::template padded_input_is<
                geometry::padded_height, geometry::padded_width>::template kernel_spans<
                geometry::span_height, geometry::span_width>::template check<
                !geometry::image_input || geometry::fits>::ok);
  static_assert(shape_error::window_of<Node>::template options_are_window_options<
                ((is_window_option<Options> && !std::is_same_v<Options, no_bias>) && ...)>::ok);
  static_assert(shape_error::window_of<Node>::template pool_padding_is<
                geometry::padding[0], geometry::padding[1]>::template kernel_is<
                geometry::kernel[0], geometry::kernel[1]>::template check<
                (2 * geometry::padding[0] <= geometry::kernel[0] &&
                 2 * geometry::padding[1] <= geometry::kernel[1])>::ok);

  using inputs = core::list<X>;
  using shape = ctnn::shape<geometry::channels, geometry::out_height, geometry::out_width>;
  static constexpr std::size_t in_size = geometry::in_size;
  static constexpr std::size_t size = shape::size;
  static constexpr std::size_t window = geometry::kernel_height * geometry::kernel_width;
  static constexpr std::array<std::size_t, 8> signature_numbers{
      geometry::kernel[0],  geometry::kernel[1],  geometry::stride[0],   geometry::stride[1],
      geometry::padding[0], geometry::padding[1], geometry::dilation[0], geometry::dilation[1]};
  template <std::size_t K>
  static constexpr bool absorbs_input = true;

  static constexpr std::size_t plane = geometry::plane;          // one input channel
  static constexpr std::size_t out_plane = geometry::out_plane;  // one output channel

  // f(output index, input index) for every tap of every window over one channel's plane, in
  // PyTorch's scan order (row by row inside a window); taps in the padding are skipped. Windows
  // never cross channels, so the passes work one plane at a time (their scratch is one plane).
  template <class F>
  static constexpr void each_tap(F&& f) {
    for (std::size_t oh = 0; oh < geometry::out_height; ++oh)
      for (std::size_t ow = 0; ow < geometry::out_width; ++ow) {
        const std::size_t o = oh * geometry::out_width + ow;
        for (std::size_t p = 0; p < geometry::kernel_height; ++p) {
          const std::size_t ih = geometry::row_of(oh, p);
          if (ih == geometry::outside) continue;
          for (std::size_t q = 0; q < geometry::kernel_width; ++q) {
            const std::size_t iw = geometry::column_of(ow, q);
            if (iw != geometry::outside) f(o, ih * geometry::width + iw);
          }
        }
      }
  }
};

}  // namespace detail

template <class X, class Kernel, class... Options>
struct max_pool2d : detail::pooling_node<max_pool2d<X, Kernel, Options...>, X, Kernel, Options...> {
  using base = detail::pooling_node<max_pool2d, X, Kernel, Options...>;
  using base::in_size, base::size;
  static constexpr std::size_t channels = base::geometry::channels;
  static constexpr std::string_view op_name = "max_pool2d";
  static constexpr bool kinked = true;  // where the window's largest value changes
  static constexpr std::string_view spelling =
      "ctnn::op::max_pool2d<{in0}, ctnn::op::kernel<{n0}, {n1}>, ctnn::op::stride<{n2}, {n3}>, "
      "ctnn::op::padding<{n4}, {n5}>, ctnn::op::dilation<{n6}, {n7}>>";
  struct notation {
    static constexpr std::string_view value = "maxpool({x0})";
    static constexpr std::string_view adjoint[1] = {"{dy} at each window's largest value"};
  };
  static constexpr bool vjp_reads_output = false;  // the largest values are found again
  static constexpr std::size_t forward_flops = size * base::window;
  static constexpr std::size_t vjp_flops = size * base::window;

  // The index of the first largest value under window o of a plane x (NaN counts as largest,
  // as in PyTorch).
  template <class T>
  static constexpr std::size_t winner(const T* x, std::size_t o) {
    using G = typename base::geometry;
    const std::size_t oh = o / G::out_width, ow = o % G::out_width;
    std::size_t at = std::size_t(-1);
    T best = T(0);
    for (std::size_t p = 0; p < G::kernel_height; ++p) {
      const std::size_t ih = G::row_of(oh, p);
      if (ih == G::outside) continue;
      for (std::size_t q = 0; q < G::kernel_width; ++q) {
        const std::size_t iw = G::column_of(ow, q);
        if (iw == G::outside) continue;
        const std::size_t i = ih * G::width + iw;
        if (at == std::size_t(-1) || x[i] > best || x[i] != x[i]) at = i, best = x[i];
        if (best != best) return at;
      }
    }
    return at;
  }

  // The largest of a and b, NaN winning.
  template <class T>
  static constexpr T larger(const T& a, const T& b) {
    return b > a || b != b ? b : a;
  }

  // The forward pass needs values only, so it takes the maximum in two steps that vectorize:
  // over the window's rows, a whole input row at a time, then over its columns. (Ties between
  // −0 and +0 may then give the other zero than PyTorch's first.)
  template <class Arch, class T>
  static constexpr void forward(const core::forward_args<T, 1, 0>& a) {
    using G = typename base::geometry;
    for (std::size_t s = 0; s < a.n; ++s)
      for (std::size_t c = 0; c < channels; ++c) {
        const T* x = a.in[0] + s * in_size + c * base::plane;
        T* y = a.out + s * size + c * base::out_plane;
        for (std::size_t oh = 0; oh < G::out_height; ++oh) {
          std::array<T, G::width> rows;
          bool first = true;
          for (std::size_t p = 0; p < G::kernel_height; ++p) {
            const std::size_t ih = G::row_of(oh, p);
            if (ih == G::outside) continue;
            const T* row = x + ih * G::width;
            for (std::size_t iw = 0; iw < G::width; ++iw)
              rows[iw] = first ? row[iw] : larger(rows[iw], row[iw]);
            first = false;
          }
          for (std::size_t ow = 0; ow < G::out_width; ++ow) {
            T best = T(0);
            bool any = false;
            for (std::size_t q = 0; q < G::kernel_width; ++q) {
              const std::size_t iw = G::column_of(ow, q);
              if (iw == G::outside) continue;
              best = any ? larger(best, rows[iw]) : rows[iw];
              any = true;
            }
            y[oh * G::out_width + ow] = best;
          }
        }
      }
  }

  template <class Arch, class A>
  static constexpr void vjp(const A& a) {
    using T = std::remove_cvref_t<decltype(*a.dout)>;
    const auto& dx = std::get<0>(a.din);
    if (!dx.active()) return;
    for (std::size_t s = 0; s < a.n; ++s)
      for (std::size_t c = 0; c < channels; ++c) {
        const T* x = a.in[0] + s * in_size + c * base::plane;
        const T* dy = a.dout + s * size + c * base::out_plane;
        std::array<T, base::plane> sums{};
        for (std::size_t o = 0; o < base::out_plane; ++o) sums[winner(x, o)] += dy[o];
        detail::put_row<Arch, T>(sums.data(), base::plane, dx, s * in_size + c * base::plane);
      }
  }

  template <class Arch, class T>
  static constexpr void jvp(const core::jvp_args<T, 1, 0>& a) {
    for (std::size_t s = 0; s < a.n; ++s)
      for (std::size_t c = 0; c < channels; ++c) {
        const std::size_t from = s * in_size + c * base::plane;
        for (std::size_t o = 0; o < base::out_plane; ++o)
          a.tout[s * size + c * base::out_plane + o] = a.tin[0][from + winner(a.in[0] + from, o)];
      }
  }
};

template <class X, class Kernel, class... Options>
struct avg_pool2d : detail::pooling_node<avg_pool2d<X, Kernel, Options...>, X, Kernel, Options...> {
  using base = detail::pooling_node<avg_pool2d, X, Kernel, Options...>;
  using base::in_size, base::size;
  static constexpr std::size_t channels = base::geometry::channels;
  static constexpr std::string_view op_name = "avg_pool2d";
  static constexpr std::string_view spelling =
      "ctnn::op::avg_pool2d<{in0}, ctnn::op::kernel<{n0}, {n1}>, ctnn::op::stride<{n2}, {n3}>, "
      "ctnn::op::padding<{n4}, {n5}>, ctnn::op::dilation<{n6}, {n7}>>";
  struct notation {
    static constexpr std::string_view value = "avgpool({x0})";
    static constexpr std::string_view adjoint[1] = {"{dy} / window, spread over each window"};
  };
  static constexpr bool vjp_reads_inputs = false;
  static constexpr bool vjp_reads_output = false;
  static constexpr std::size_t forward_flops = size * base::window;
  static constexpr std::size_t vjp_flops = size * base::window;

  template <class T>
  static constexpr void average(const T* x, T* y, std::size_t n) {
    const T scale = T(1) / T(base::window);
    for (std::size_t s = 0; s < n; ++s)
      for (std::size_t c = 0; c < channels; ++c) {
        const T* plane = x + s * in_size + c * base::plane;
        std::array<T, base::out_plane> sums{};
        base::each_tap([&](std::size_t o, std::size_t i) { sums[o] += plane[i]; });
        for (std::size_t o = 0; o < base::out_plane; ++o)
          y[s * size + c * base::out_plane + o] = sums[o] * scale;
      }
  }

  template <class Arch, class T>
  static constexpr void forward(const core::forward_args<T, 1, 0>& a) {
    average(a.in[0], a.out, a.n);
  }

  template <class Arch, class A>
  static constexpr void vjp(const A& a) {
    using T = std::remove_cvref_t<decltype(*a.dout)>;
    const auto& dx = std::get<0>(a.din);
    if (!dx.active()) return;
    const T scale = T(1) / T(base::window);
    for (std::size_t s = 0; s < a.n; ++s)
      for (std::size_t c = 0; c < channels; ++c) {
        const T* dy = a.dout + s * size + c * base::out_plane;
        std::array<T, base::plane> sums{};
        base::each_tap([&](std::size_t o, std::size_t i) { sums[i] += dy[o]; });
        for (T& v : sums) v *= scale;
        detail::put_row<Arch, T>(sums.data(), base::plane, dx, s * in_size + c * base::plane);
      }
  }

  template <class Arch, class T>
  static constexpr void jvp(const core::jvp_args<T, 1, 0>& a) {
    average(a.tin[0], a.tout, a.n);
  }
};

// y[c] = the mean of channel c over its H × W values.
template <class X>
struct global_avg_pool {
  using input_shape = core::shape_of<X>;
  static_assert(shape_error::window_of<global_avg_pool>::template takes<
                X, input_shape>::template check<input_shape::rank == 3>::ok);
  static constexpr std::size_t channels = input_shape::dims[0];
  static constexpr std::size_t plane = input_shape::size / channels;
  static constexpr std::size_t in_size = input_shape::size;
  using inputs = core::list<X>;
  using shape = ctnn::shape<channels>;
  static constexpr std::string_view op_name = "global_avg_pool";
  static constexpr std::string_view spelling = "ctnn::op::global_avg_pool<{in0}>";
  struct notation {
    static constexpr std::string_view value = "mean_hw({x0})";
    static constexpr std::string_view adjoint[1] = {"{dy} / (h·w) over each channel"};
  };
  template <std::size_t K>
  static constexpr bool absorbs_input = true;
  static constexpr bool vjp_reads_inputs = false;
  static constexpr bool vjp_reads_output = false;
  static constexpr std::size_t forward_flops = in_size;
  static constexpr std::size_t vjp_flops = in_size;

  template <class T>
  static constexpr void average(const T* x, T* y, std::size_t n) {
    for (std::size_t s = 0; s < n; ++s)
      for (std::size_t c = 0; c < channels; ++c) {
        T sum = T(0);
        for (std::size_t i = 0; i < plane; ++i) sum += x[s * in_size + c * plane + i];
        y[s * channels + c] = sum / T(plane);
      }
  }

  template <class Arch, class T>
  static constexpr void forward(const core::forward_args<T, 1, 0>& a) {
    average(a.in[0], a.out, a.n);
  }

  template <class Arch, class A>
  static constexpr void vjp(const A& a) {
    using T = std::remove_cvref_t<decltype(*a.dout)>;
    const auto& dx = std::get<0>(a.din);
    if (!dx.active()) return;
    for (std::size_t s = 0; s < a.n; ++s)
      for (std::size_t c = 0; c < channels; ++c) {
        std::array<T, plane> share;
        share.fill(a.dout[s * channels + c] / T(plane));
        detail::put_row<Arch, T>(share.data(), plane, dx, s * in_size + c * plane);
      }
  }

  template <class Arch, class T>
  static constexpr void jvp(const core::jvp_args<T, 1, 0>& a) {
    average(a.tin[0], a.tout, a.n);
  }
};

}  // namespace ctnn::op
