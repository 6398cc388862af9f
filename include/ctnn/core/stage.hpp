#pragma once
// A node of the forward graph: one affine map followed by its activation,
//   z = W a_prev + b,   a = f(z),
// with every shape and offset a compile-time constant. Its forward rule and the rules of its
// adjoint (the δ recursion of backprop) sit side by side:
//   δz      = f'(z) ⊙ δa                 (activation_backward)
//   ∂W     += δz a_prevᵀ,  ∂b += δz       (parameter_gradient; = on a batch's first tile)
//   δa_prev = Wᵀ δz                      (input_delta)
// The forward graph of a sequential network is the list of its stages; autodiff/ derives the
// backward graph from that list. All rules work on a tile of n samples stored row-major; the
// *_one rules are the single-sample kernels of SIMD architectures (simd/matvec.hpp), where the
// backward rule of one stage also applies the previous stage's activation derivative.

#include <cstddef>
#include <limits>
#include <type_traits>

#include "../simd/affine.hpp"
#include "../simd/elementwise.hpp"
#include "../simd/matvec.hpp"

namespace ctnn::core {

// Stands for the stage before the first: the network input, which has no activation.
struct network_input {
  using activation = void;
};

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

  // ∂W, ∂b of n samples go to sink (simd/sink.hpp) at the stage's offsets in the parameter
  // block; when accumulate, g_in (the gradient block) holds the sums of earlier tiles.
  template <class Arch, class T, class Sink>
  static constexpr void parameter_gradient(const T* delta, const T* a_prev, std::size_t a_stride,
                                           const T* g_in, const Sink& sink, std::size_t n,
                                           bool accumulate) {
    simd::affine_weight_gradient<In, Out, Arch>(delta, a_prev, a_stride, g_in, sink, weight_offset,
                                                bias_offset, n, accumulate);
  }

  // One sample (SIMD architectures): z = W a_prev + b, a = f(z), stored; a_prev comes and a
  // goes as packs (simd::vector_packs), from stage to stage in registers.
  template <class Arch, class T>
  static simd::vector_packs<T, Arch, Out> forward_one(const T* parameters,
                                                      const simd::vector_packs<T, Arch, In>& a_prev,
                                                      T* z, T* a) {
    return simd::dense_forward_one<In, Out, Activation, Arch>(
        parameters + weight_offset, parameters + bias_offset, a_prev, z, a);
  }

  // One sample (SIMD architectures), δz in delta: hands ∂W and ∂b to sink (simd/sink.hpp) at the
  // stage's offsets in the parameter block, and, when delta_prev is not null, writes δz of the
  // previous stage Prev (z_prev, a_prev its values), i.e. f'_prev(z_prev) ⊙ Wᵀδz, or Wᵀδz itself
  // when Prev is void (the network input).
  template <class Arch, class Prev, class T, class Sink>
  static void backward_one(const T* parameters, const T* delta, const T* z_prev, const T* a_prev,
                           const Sink& sink, T* delta_prev) {
    const T* w = parameters + weight_offset;
    if (delta_prev == nullptr) {
      simd::dense_backward_one<In, Out, false, Arch>(w, delta, a_prev, sink, weight_offset,
                                                     bias_offset, [](auto...) {});
      return;
    }
    using f_prev = typename std::conditional_t<std::is_void_v<Prev>, network_input, Prev>::activation;
    auto finish = [&](auto v, std::size_t i, auto width) {
      constexpr std::size_t count = decltype(width)::value;
      if constexpr (!std::is_void_v<f_prev>) {
        if constexpr (f_prev::elementwise)
          v *= f_prev::derivative(simd::detail::load_part<count, Arch>(z_prev + i),
                                  simd::detail::load_part<count, Arch>(a_prev + i));
      }
      simd::detail::store_part<count, Arch>(delta_prev + i, v);
    };
    simd::dense_backward_one<In, Out, true, Arch>(w, delta, a_prev, sink, weight_offset,
                                                  bias_offset, finish);
    if constexpr (!std::is_void_v<f_prev>) {
      if constexpr (!f_prev::elementwise) f_prev::template backward_rows<Arch>(a_prev, delta_prev, In, 1);
    }
  }

  template <class Arch, class T>
  static constexpr void input_delta(const T* parameters, const T* delta, T* delta_prev,
                          std::size_t d_stride, std::size_t n) {
    simd::affine_input_delta<In, Out, Arch>(delta, parameters + weight_offset, delta_prev, d_stride,
                                            n);
  }
};

}  // namespace ctnn::core
