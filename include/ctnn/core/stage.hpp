#pragma once
// A node of the forward graph: one affine map followed by its activation,
//   z = W a_prev + b,   a = f(z),
// with every shape and offset a compile-time constant. Its forward rule and the rules of its
// adjoint (the δ recursion of backprop) sit side by side:
//   δz      = f'(z) ⊙ δa                 (activation_backward)
//   ∂W     += δz a_prevᵀ,  ∂b += δz       (parameter_gradient; = on a batch's first tile)
//   δa_prev = Wᵀ δz                      (input_delta)
// The forward graph of a sequential network is the list of its stages; autodiff/ derives the
// backward graph from that list. All rules work on a tile of n samples stored row-major.

#include <cstddef>
#include <limits>

#include "../simd/affine.hpp"
#include "../simd/elementwise.hpp"

namespace ctnn::core {

inline constexpr std::size_t no_position = std::numeric_limits<std::size_t>::max();

template <std::size_t Index,               // 0-based among the stages
          std::size_t Position,            // position of the dense layer in network<...>
          std::size_t ActivationPosition,  // position of its activation, or no_position
          std::size_t In, std::size_t Out,
          class Activation,
          std::size_t ParameterOffset,     // where W starts in the flat parameter block
          std::size_t ValueOffset>         // where z and a start in a sample's value storage
struct affine_stage {
  using activation = Activation;
  static constexpr std::size_t index = Index;
  static constexpr std::size_t position = Position;
  static constexpr std::size_t activation_position = ActivationPosition;
  static constexpr std::size_t in = In;
  static constexpr std::size_t out = Out;
  static constexpr std::size_t weight_offset = ParameterOffset;
  static constexpr std::size_t bias_offset = ParameterOffset + In * Out;
  static constexpr std::size_t parameter_count = In * Out + Out;
  static constexpr std::size_t value_offset = ValueOffset;

  // z = a_prev Wᵀ + b, then a = f(z), for n samples (a_prev rows are a_stride apart).
  template <class Arch, class T>
  static constexpr void forward(const T* parameters, const T* a_prev, std::size_t a_stride, T* z, T* a,
                      std::size_t n) {
    simd::affine_forward<In, Out, Arch>(parameters + weight_offset, parameters + bias_offset,
                                        a_prev, a_stride, z, n);
    if constexpr (Activation::elementwise)
      simd::map<Arch>(z, a, n * Out, [](auto v) { return Activation::value(v); });
    else
      Activation::template forward_rows<Arch>(z, a, Out, n);
  }

  // delta holds δa on entry and δz on exit.
  template <class Arch, class T>
  static constexpr void activation_backward(const T* z, const T* a, T* delta, std::size_t n) {
    if constexpr (Activation::elementwise)
      simd::map3<Arch>(z, a, delta, n * Out,
                       [](auto zv, auto av, auto dv) { return Activation::derivative(zv, av) * dv; });
    else
      Activation::template backward_rows<Arch>(a, delta, Out, n);
  }

  template <class Arch, class T>
  static constexpr void parameter_gradient(const T* delta, const T* a_prev, std::size_t a_stride,
                                 T* gradient, std::size_t n, bool accumulate) {
    simd::affine_weight_gradient<In, Out, Arch>(delta, a_prev, a_stride, gradient + weight_offset,
                                                gradient + bias_offset, n, accumulate);
  }

  template <class Arch, class T>
  static constexpr void input_delta(const T* parameters, const T* delta, T* delta_prev,
                          std::size_t d_stride, std::size_t n) {
    simd::affine_input_delta<In, Out, Arch>(delta, parameters + weight_offset, delta_prev, d_stride,
                                            n);
  }
};

}  // namespace ctnn::core
