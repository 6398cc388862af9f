#pragma once
// op::softmax<x>: y = softmax(x) over each sample's values. Its Jacobian is not diagonal, so its
// rules work on whole rows:
//   forward   y = e^{x − max x} / Σ e^{x − max x}
//   vjp       δx = y ⊙ (δy − ⟨δy, y⟩)
//   jvp       ẏ = y ⊙ (ẋ − ⟨ẋ, y⟩)
// A softmax_cross_entropy loss reading it is fused with it (δx = y − t).

#include <cstddef>
#include <string_view>

#include "../core/list.hpp"
#include "../core/op.hpp"
#include "../nn/softmax.hpp"
#include "../simd/elementwise.hpp"
#include "../simd/pack.hpp"

namespace ctnn::op {

template <class X>
struct softmax {
  using inputs = core::list<X>;
  using shape = core::shape_of<X>;
  using function = ctnn::softmax;
  static constexpr std::string_view op_name = "softmax";
  struct notation {
    static constexpr std::string_view value = "softmax({x0})";
    static constexpr std::string_view adjoint[1] = {"{y} ⊙ ({dy} − ⟨{dy}, {y}⟩)"};
  };
  static constexpr std::string_view spelling = "ctnn::op::softmax<{in0}>";
  static constexpr bool vjp_reads_inputs = false;
  static constexpr std::size_t width = shape::size;

  template <class Arch, class T>
  static constexpr void forward(const core::forward_args<T, 1, 0>& a) {
    ctnn::softmax::forward_rows<Arch>(a.in[0], a.out, width, a.n);
  }

  // δx or ẋ of one row: y ⊙ (d − ⟨d, y⟩), handed to put(k, pack).
  template <class Arch, class T, class Put>
  static constexpr void rows(std::size_t n, const T* y, const T* d, Put&& put) {
    for (std::size_t s = 0; s < n; ++s) {
      const std::size_t row = s * width;
      const T inner = simd::sum_map<Arch>(y + row, d + row, width, [](auto u, auto v) { return u * v; });
      simd::for_each_pack<Arch, T>(width, [&]<class P>(std::size_t k) {
        using V = simd::pack_traits<T, P>;
        put.template operator()<P>(row + k, V::load(y + row + k) * (V::load(d + row + k) - V::broadcast(inner)));
      });
    }
  }

  template <class Arch, class A>
  static constexpr void vjp(const A& a) {
    const auto& dx = std::get<0>(a.din);
    if (!dx.active()) return;
    rows<Arch>(a.n, a.out, a.dout, [&]<class P>(std::size_t k, const auto& v) {
      dx.template put<simd::pack_traits<std::remove_cvref_t<decltype(*a.dout)>, P>::lanes, P>(k, v);
    });
  }

  template <class Arch, class T>
  static constexpr void jvp(const core::jvp_args<T, 1, 0>& a) {
    rows<Arch>(a.n, a.out, a.tin[0], [&]<class P>(std::size_t k, const auto& v) {
      simd::pack_traits<T, P>::store(a.tout + k, v);
    });
  }
};

}  // namespace ctnn::op
