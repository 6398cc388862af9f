#pragma once
// The layers a network type is written with:
//   network<input<784>, dense<128>, relu, dense<10>>
// input<N> declares the input width; dense<Out> is an affine layer (W, b) whose input width is
// whatever the previous layer outputs; linear<In, Out> is the same layer with its input width
// stated, as PyTorch's nn.Linear(in, out) states it, and checked at compile time.

#include <cstddef>
#include <type_traits>

namespace ctnn {

template <std::size_t N>
struct input {
  static constexpr std::size_t width = N;
};

template <std::size_t Out>
struct dense {
  static constexpr std::size_t out = Out;
  static constexpr std::size_t declared_in = 0;  // 0: take the previous layer's width
};

template <std::size_t In, std::size_t Out>
struct linear {
  static constexpr std::size_t out = Out;
  static constexpr std::size_t declared_in = In;
};

namespace detail {
template <class L> struct is_input_layer : std::false_type {};
template <std::size_t N> struct is_input_layer<input<N>> : std::true_type {};
template <class L> struct is_affine_layer : std::false_type {};
template <std::size_t O> struct is_affine_layer<dense<O>> : std::true_type {};
template <std::size_t I, std::size_t O> struct is_affine_layer<linear<I, O>> : std::true_type {};
}  // namespace detail

}  // namespace ctnn
