#pragma once
// softmax over each sample's row. Its Jacobian is not diagonal, so instead of a derivative per
// element it states the backward rule for a whole row: δz = a ⊙ (δa - ⟨δa, a⟩).

#include <cstddef>
#include <string_view>

#include "../simd/softmax.hpp"
#include "activations.hpp"

namespace ctnn {

struct softmax : activation_tag {
  static constexpr std::string_view name = "softmax";
  static constexpr bool elementwise = false;
  // |softmax(z̃) − softmax(z)|_∞ ≤ ½ |z̃ − z|_∞: row i of the Jacobian sums to 2 a_i (1 − a_i).
  static constexpr double lipschitz = 0.5;

  template <class Arch, class T>
  static constexpr void forward_rows(const T* z, T* a, std::size_t width, std::size_t rows) {
    for (std::size_t s = 0; s < rows; ++s) simd::softmax_row<Arch>(z + s * width, a + s * width, width);
  }

  // delta holds δa on entry and δz on exit.
  template <class Arch, class T>
  static constexpr void backward_rows(const T* a, T* delta, std::size_t width, std::size_t rows) {
    for (std::size_t s = 0; s < rows; ++s) {
      const T* as = a + s * width;
      T* ds = delta + s * width;
      const T inner = simd::sum_map<Arch>(as, ds, width, [](auto x, auto y) { return x * y; });
      simd::map3<Arch>(as, as, ds, width, [inner](auto av, auto, auto dv) {
        using V = decltype(av);
        return av * (dv - V(inner));
      });
    }
  }
};

}  // namespace ctnn
