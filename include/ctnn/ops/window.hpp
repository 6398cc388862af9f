#pragma once
// The window of a convolution or a pooling node over an image (channels × height × width): its
// kernel, stride, padding and dilation, written as option types after the input, in any order:
//   op::conv2d<"conv1", 32, op::kernel<5>, x, op::padding<2>>
//   op::max_pool2d<h, op::kernel<2>>                  (stride: the kernel's, as in PyTorch)
//   op::conv2d<"down", 64, op::kernel<3>, h, op::stride<2>, op::padding<1>, op::dilation<1, 2>>
// The stride defaults to 1 for conv2d and to the kernel for the pools, as in PyTorch. One number
// means the same along height and width; two are height then width. The output
// height is ⌊(H + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1, PyTorch's rule; a window
// that does not fit is a compile error naming the node and the sizes (shape_error::window_of).

#include <array>
#include <cstddef>
#include <type_traits>

#include "../core/op.hpp"
#include "../core/shape.hpp"

namespace ctnn::op {

template <std::size_t Height, std::size_t Width = Height>
struct kernel {
  static constexpr std::array<std::size_t, 2> value{Height, Width};
};
template <std::size_t Height, std::size_t Width = Height>
struct stride {
  static constexpr std::array<std::size_t, 2> value{Height, Width};
};
template <std::size_t Height, std::size_t Width = Height>
struct padding {
  static constexpr std::array<std::size_t, 2> value{Height, Width};
};
template <std::size_t Height, std::size_t Width = Height>
struct dilation {
  static constexpr std::array<std::size_t, 2> value{Height, Width};
};
struct no_bias {};  // a conv2d without its bias block

namespace detail {

template <template <std::size_t, std::size_t> class Option, class T>
inline constexpr bool is_option = false;
template <template <std::size_t, std::size_t> class Option, std::size_t H, std::size_t W>
inline constexpr bool is_option<Option, Option<H, W>> = true;

// The value of the option of kind Option among Options (at most one), or fallback.
template <template <std::size_t, std::size_t> class Option, class T>
constexpr std::array<std::size_t, 2> option_or(std::array<std::size_t, 2> v) {
  if constexpr (is_option<Option, T>) return T::value;
  else return v;
}
template <template <std::size_t, std::size_t> class Option, class... Options>
constexpr std::array<std::size_t, 2> option_value(std::array<std::size_t, 2> fallback) {
  static_assert((std::size_t{0} + ... + std::size_t(is_option<Option, Options>)) <= 1,
                "ctnn: a window option (stride, padding, dilation) is given twice");
  std::array<std::size_t, 2> v = fallback;
  ((v = option_or<Option, Options>(v)), ...);
  return v;
}

// The kernel's size, or 1 × 1 for a misplaced argument (its error is reported on its own).
template <class Kernel>
constexpr std::array<std::size_t, 2> kernel_size() {
  if constexpr (is_option<op::kernel, Kernel>) return Kernel::value;
  else return {1, 1};
}

// An input's shape, or a stand-in image for something that is not a node (its error is reported
// on its own).
template <class X>
struct window_input_shape {
  using type = ctnn::shape<1, 1, 1>;
};
template <core::node X>
struct window_input_shape<X> {
  using type = core::shape_of<X>;
};

template <class T>
inline constexpr bool is_window_option =
    is_option<stride, T> || is_option<padding, T> || is_option<dilation, T> ||
    std::is_same_v<T, no_bias>;

// The geometry of a window over an input of shape C × H × W. The stride defaults to 1 for a
// convolution and to the kernel for a pool (PyTorch's defaults).
enum class default_stride { one, kernel };
template <class InputShape, default_stride Default, class Kernel, class... Options>
struct window_geometry {
  static constexpr bool image_input = InputShape::rank == 3;
  static constexpr std::size_t channels = InputShape::dims[0];
  static constexpr std::size_t height = image_input ? InputShape::dims[1] : 1;
  static constexpr std::size_t width = image_input ? InputShape::dims[2] : 1;
  static constexpr auto kernel = kernel_size<Kernel>();
  static constexpr auto stride = option_value<op::stride, Options...>(
      Default == default_stride::kernel ? kernel : std::array<std::size_t, 2>{1, 1});
  static constexpr auto padding = option_value<op::padding, Options...>({0, 0});
  static constexpr auto dilation = option_value<op::dilation, Options...>({1, 1});
  static constexpr std::size_t kernel_height = kernel[0], kernel_width = kernel[1];
  // The span of the dilated kernel, and of the padded input.
  static constexpr std::size_t span_height = dilation[0] * (kernel[0] - 1) + 1;
  static constexpr std::size_t span_width = dilation[1] * (kernel[1] - 1) + 1;
  static constexpr std::size_t padded_height = height + 2 * padding[0];
  static constexpr std::size_t padded_width = width + 2 * padding[1];
  static constexpr bool fits = kernel[0] > 0 && kernel[1] > 0 && stride[0] > 0 &&
                               stride[1] > 0 && dilation[0] > 0 && dilation[1] > 0 &&
                               span_height <= padded_height && span_width <= padded_width;
  static constexpr std::size_t out_height = fits ? (padded_height - span_height) / stride[0] + 1 : 1;
  static constexpr std::size_t out_width = fits ? (padded_width - span_width) / stride[1] + 1 : 1;
  static constexpr std::size_t in_size = channels * height * width;
  static constexpr std::size_t plane = height * width;          // one input channel
  static constexpr std::size_t out_plane = out_height * out_width;  // one output channel

  // The input row and column under kernel tap (kh, kw) of output (oh, ow), or `outside` when the
  // tap lies in the padding.
  static constexpr std::size_t outside = std::size_t(-1);
  // Without padding every tap of every window is inside: the checks fold away.
  static constexpr std::size_t row_of(std::size_t oh, std::size_t kh) {
    if constexpr (padding[0] == 0) return oh * stride[0] + kh * dilation[0];
    const std::size_t padded = oh * stride[0] + kh * dilation[0];
    return padded < padding[0] || padded - padding[0] >= height ? outside : padded - padding[0];
  }
  static constexpr std::size_t column_of(std::size_t ow, std::size_t kw) {
    if constexpr (padding[1] == 0) return ow * stride[1] + kw * dilation[1];
    const std::size_t padded = ow * stride[1] + kw * dilation[1];
    return padded < padding[1] || padded - padding[1] >= width ? outside : padded - padding[1];
  }
};

}  // namespace detail
}  // namespace ctnn::op
