#pragma once
// Ops that move values without arithmetic. concat and slice work along the outermost dimension
// (the values of a vector, the channels of an image), where a sample's values are contiguous:
//   op::concat<a, b, ...>      y = [a; b; ...]         δ of each input: its part of δy
//   op::slice<x, Begin, End>   y = x[Begin, End)       δx = δy inside [Begin, End), 0 outside
//   op::columns<x, Begin, End> y[r] = x[r][Begin, End) for each row r of a matrix x (a recurrent
//                              layer's hidden part of its state sequence); δx likewise
//   op::reshape<x, shape<...>> the same values in another shape: a view (no copy, no step)
//   op::flatten<x>             reshape to a vector
//   op::stop_gradient<x>       x's values, through which no gradient flows (a view): what is
//                              behind it gets no gradient through this path (jvp: ẏ = 0)

#include <algorithm>
#include <array>
#include <cstddef>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "../core/list.hpp"
#include "../core/op.hpp"
#include "../core/shape.hpp"
#include "../simd/elementwise.hpp"
#include "../simd/pack.hpp"
#include "shape_checks.hpp"

namespace ctnn::op {

namespace detail {

// dst[k] (a row of `count` values) handed to sink at `at` + k.
template <class Arch, class T, class Sink>
constexpr void put_row(const T* src, std::size_t count, const Sink& sink, std::size_t at) {
  simd::for_each_pack<Arch, T>(count, [&]<class P>(std::size_t k) {
    using V = simd::pack_traits<T, P>;
    sink.template put<V::lanes, P>(at + k, V::load(src + k));
  });
}
template <class Arch, class T, class Sink>
constexpr void put_zeros(std::size_t count, const Sink& sink, std::size_t at) {
  simd::for_each_pack<Arch, T>(count, [&]<class P>(std::size_t k) {
    using V = simd::pack_traits<T, P>;
    sink.template put<V::lanes, P>(at + k, V::broadcast(T(0)));
  });
}

template <class First, class... Rest>
constexpr bool inner_dims_agree() {
  using S = core::shape_of<First>;
  return ((core::shape_of<Rest>::rank == S::rank &&
           core::shape_of<Rest>::size / core::shape_of<Rest>::dims[0] == S::inner) &&
          ...);
}

}  // namespace detail

template <class... X>
struct concat {
  static_assert(sizeof...(X) >= 1, "ctnn: op::concat needs at least one operand");
  using inputs = core::list<X...>;
  using first = core::at_t<inputs, 0>;
  static constexpr std::size_t count = sizeof...(X);
  static constexpr std::array<std::size_t, count> part{core::shape_of<X>::size...};
  static constexpr std::array<std::size_t, count> part_offset = [] {
    std::array<std::size_t, count> o{};
    for (std::size_t k = 1; k < count; ++k) o[k] = o[k - 1] + part[k - 1];
    return o;
  }();
  static constexpr std::size_t size = (std::size_t{0} + ... + core::shape_of<X>::size);

 private:
  template <class B>
  static constexpr bool check_operand() {
    using A = first;
    constexpr bool ok = detail::inner_dims_agree<A, B>();
    return shape_error::operands_of<concat>::template left<A, core::shape_of<A>>::template right<
        B, core::shape_of<B>>::template concat_check<ok>::ok;
  }
  static_assert((check_operand<X>() && ...));

 public:
  using shape = typename core::with_outer<core::shape_of<first>,
                                          size / core::shape_of<first>::inner>::type;
  static constexpr std::string_view op_name = "concat";
  static constexpr std::string_view spelling = "ctnn::op::concat<{inputs}>";
  struct notation {
    static constexpr std::string_view value = "concat({inputs})";
    static constexpr std::string_view adjoint[1] = {"part {slot} of {dy}"};  // every input
  };
  static constexpr bool vjp_reads_inputs = false;
  static constexpr bool vjp_reads_output = false;

  template <class Arch, class T>
  static constexpr void forward(const core::forward_args<T, count, 0>& a) {
    for (std::size_t s = 0; s < a.n; ++s)
      for (std::size_t k = 0; k < count; ++k)
        std::copy_n(a.in[k] + s * part[k], part[k], a.out + s * size + part_offset[k]);
  }

  template <class Arch, class Args>
  static constexpr void vjp(const Args& a) {
    using T = std::remove_cvref_t<decltype(*a.dout)>;
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (
          [&] {
            const auto& dx = std::get<K>(a.din);
            if (!dx.active()) return;
            for (std::size_t s = 0; s < a.n; ++s)
              detail::put_row<Arch, T>(a.dout + s * size + part_offset[K], part[K], dx, s * part[K]);
          }(),
          ...);
    }(std::make_index_sequence<count>{});
  }

  template <class Arch, class T>
  static constexpr void jvp(const core::jvp_args<T, count, 0>& a) {
    for (std::size_t s = 0; s < a.n; ++s)
      for (std::size_t k = 0; k < count; ++k)
        std::copy_n(a.tin[k] + s * part[k], part[k], a.tout + s * size + part_offset[k]);
  }
};

template <class X, std::size_t Begin, std::size_t End>
struct slice {
  using input_shape = core::shape_of<X>;
  static_assert(shape_error::slice_of<slice>::template range<Begin, End>::template of_input<
                X, input_shape>::template check<(Begin < End && End <= input_shape::dims[0])>::ok);
  using inputs = core::list<X>;
  using shape = typename core::with_outer<input_shape, End - Begin>::type;
  static constexpr std::string_view op_name = "slice";
  static constexpr std::string_view spelling = "ctnn::op::slice<{in0}, {n0}, {n1}>";
  struct notation {
    static constexpr std::string_view value = "{x0}[{n0}:{n1}]";
    static constexpr std::string_view adjoint[1] = {"{dy} in [{n0}:{n1}], 0 elsewhere"};
  };
  static constexpr std::array<std::size_t, 2> signature_numbers{Begin, End};
  static constexpr std::size_t size = shape::size;
  static constexpr std::size_t from = Begin * input_shape::inner;  // first value taken
  static constexpr std::size_t whole = input_shape::size;
  static constexpr bool vjp_reads_inputs = false;
  static constexpr bool vjp_reads_output = false;

  template <class Arch, class T>
  static constexpr void forward(const core::forward_args<T, 1, 0>& a) {
    for (std::size_t s = 0; s < a.n; ++s) std::copy_n(a.in[0] + s * whole + from, size, a.out + s * size);
  }

  template <class Arch, class Args>
  static constexpr void vjp(const Args& a) {
    using T = std::remove_cvref_t<decltype(*a.dout)>;
    const auto& dx = std::get<0>(a.din);
    if (!dx.active()) return;
    // A first contribution writes every value of δx, so the values outside the slice get 0; a
    // later one adds only inside. (Adding zeros is the same sum, one pass more.)
    for (std::size_t s = 0; s < a.n; ++s) {
      detail::put_zeros<Arch, T>(from, dx, s * whole);
      detail::put_row<Arch, T>(a.dout + s * size, size, dx, s * whole + from);
      detail::put_zeros<Arch, T>(whole - from - size, dx, s * whole + from + size);
    }
  }

  template <class Arch, class T>
  static constexpr void jvp(const core::jvp_args<T, 1, 0>& a) {
    for (std::size_t s = 0; s < a.n; ++s) std::copy_n(a.tin[0] + s * whole + from, size, a.tout + s * size);
  }
};

template <class X, std::size_t Begin, std::size_t End>
struct columns {
  using input_shape = core::shape_of<X>;
  static_assert(shape_error::slice_of<columns>::template range<Begin, End>::template of_input<
                X, input_shape>::template check<(input_shape::rank == 2 && Begin < End &&
                                                 End <= input_shape::dims[input_shape::rank - 1])>::ok);
  static constexpr std::size_t rows = input_shape::dims[0];
  static constexpr std::size_t width = input_shape::dims[input_shape::rank - 1];
  static constexpr std::size_t taken = End - Begin;
  using inputs = core::list<X>;
  using shape = ctnn::shape<rows, taken>;
  static constexpr std::string_view op_name = "columns";
  static constexpr std::string_view spelling = "ctnn::op::columns<{in0}, {n0}, {n1}>";
  struct notation {
    static constexpr std::string_view value = "{x0}[:, {n0}:{n1}]";
    static constexpr std::string_view adjoint[1] = {"{dy} in [:, {n0}:{n1}], 0 elsewhere"};
  };
  static constexpr std::array<std::size_t, 2> signature_numbers{Begin, End};
  static constexpr std::size_t size = shape::size;
  static constexpr std::size_t whole = input_shape::size;
  static constexpr bool vjp_reads_inputs = false;
  static constexpr bool vjp_reads_output = false;

  template <class Arch, class T>
  static constexpr void forward(const core::forward_args<T, 1, 0>& a) {
    for (std::size_t s = 0; s < a.n; ++s)
      for (std::size_t r = 0; r < rows; ++r)
        std::copy_n(a.in[0] + s * whole + r * width + Begin, taken, a.out + s * size + r * taken);
  }

  template <class Arch, class Args>
  static constexpr void vjp(const Args& a) {
    using T = std::remove_cvref_t<decltype(*a.dout)>;
    const auto& dx = std::get<0>(a.din);
    if (!dx.active()) return;
    for (std::size_t s = 0; s < a.n; ++s)
      for (std::size_t r = 0; r < rows; ++r) {
        const std::size_t at = s * whole + r * width;
        detail::put_zeros<Arch, T>(Begin, dx, at);
        detail::put_row<Arch, T>(a.dout + s * size + r * taken, taken, dx, at + Begin);
        detail::put_zeros<Arch, T>(width - End, dx, at + End);
      }
  }

  template <class Arch, class T>
  static constexpr void jvp(const core::jvp_args<T, 1, 0>& a) {
    for (std::size_t s = 0; s < a.n; ++s)
      for (std::size_t r = 0; r < rows; ++r)
        std::copy_n(a.tin[0] + s * whole + r * width + Begin, taken, a.tout + s * size + r * taken);
  }
};

template <class X, class Shape>
struct reshape {
  using inputs = core::list<X>;
  static_assert(shape_error::reshape_of<reshape>::template from<core::shape_of<X>>::template to<
                Shape>::template check<core::valid_shape<Shape>() &&
                                       Shape::size == core::shape_of<X>::size>::ok);
  using shape = Shape;
  static constexpr std::string_view op_name = "reshape";
  static constexpr std::string_view spelling = "ctnn::op::reshape<{in0}, ctnn::shape<{numbers}>>";
  struct notation {
    static constexpr std::string_view value = "{x0} as [{numbers}]";
  };
  static constexpr auto signature_numbers = Shape::dims;
  static constexpr bool is_view = true;
};

template <class X>
using flatten = reshape<X, ctnn::shape<core::shape_of<X>::size>>;

template <class X>
struct stop_gradient {
  using inputs = core::list<X>;
  using shape = core::shape_of<X>;
  static constexpr std::string_view op_name = "stop_gradient";
  static constexpr std::string_view spelling = "ctnn::op::stop_gradient<{in0}>";
  struct notation {
    static constexpr std::string_view value = "stop_gradient({x0})";
  };
  static constexpr bool is_view = true;
  static constexpr bool stops_gradient = true;
};

}  // namespace ctnn::op
