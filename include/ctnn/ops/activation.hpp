#pragma once
// op::activation<F, x>: y = F(x) value by value, for an elementwise activation F of
// nn/activations.hpp (or your own: a type with value(v) and derivative(z, a) over scalars and
// packs, see there). The aliases name them as the graph reads: op::relu<x>, op::tanh<x>, ...
//
//   forward   y = F(x)
//   vjp       δx = F'(x, y) ⊙ δy
//   jvp       ẏ = F'(x, y) ⊙ ẋ
// As an elementwise node it may be lowered into its neighbours: computed in registers by the
// kernel that produces x (exec/), and its derivative applied inside the adjoint store of a
// consumer that absorbs it (op::dense), so that δy is never stored.

#include <cstddef>
#include <ratio>
#include <string_view>

#include "../core/list.hpp"
#include "../core/op.hpp"
#include "../nn/activations.hpp"
#include "../simd/elementwise.hpp"
#include "../simd/pack.hpp"

namespace ctnn::op {

template <class F, class X>
struct activation {
  using inputs = core::list<X>;
  using shape = core::shape_of<X>;
  using function = F;  // y = F(x): a loss reading y may fuse with F
  using elementwise_function = F;
  static constexpr std::string_view op_name = F::name;
  struct notation {
    static constexpr std::string_view value = "{f}({x0})";
    static constexpr std::string_view adjoint[1] = {"{f'} ⊙ {dy}"};
  };
  static constexpr std::string_view spelling = "ctnn::op::activation<{f}, {in0}>";
  static constexpr bool differentiable = has_derivative<F>();
  static constexpr std::size_t size = shape::size;
  static constexpr bool pointwise = true;
  template <class V>
  static constexpr V apply(const V& x) {
    return F::value(x);
  }

  template <class Arch, class T>
  static constexpr void forward(const core::forward_args<T, 1, 0>& a) {
    simd::map<Arch>(a.in[0], a.out, a.n * size, [](auto v) { return F::value(v); });
  }

  template <class Arch, class A>
  static constexpr void vjp(const A& a) {
    using T = std::remove_cvref_t<decltype(*a.dout)>;
    const auto& dx = std::get<0>(a.din);
    if (!dx.active()) return;
    simd::for_each_pack<Arch, T>(a.n * size, [&]<class P>(std::size_t k) {
      using V = simd::pack_traits<T, P>;
      dx.template put<V::lanes, P>(
          k, V::load(a.dout + k) * F::derivative(V::load(a.in[0] + k), V::load(a.out + k)));
    });
  }

  template <class Arch, class T>
  static constexpr void jvp(const core::jvp_args<T, 1, 0>& a) {
    simd::for_each_pack<Arch, T>(a.n * size, [&]<class P>(std::size_t k) {
      using V = simd::pack_traits<T, P>;
      V::store(a.tout + k,
               V::load(a.tin[0] + k) * F::derivative(V::load(a.in[0] + k), V::load(a.out + k)));
    });
  }
};

template <class X> using identity = activation<ctnn::identity, X>;
template <class X> using sigmoid = activation<ctnn::sigmoid, X>;
template <class X> using tanh = activation<ctnn::tanh, X>;
template <class X> using relu = activation<ctnn::relu, X>;
template <class X, class Slope = std::ratio<1, 100>> using leaky_relu = activation<ctnn::leaky_relu<Slope>, X>;
template <class X, class Alpha = std::ratio<1>> using elu = activation<ctnn::elu<Alpha>, X>;
template <class X> using softplus = activation<ctnn::softplus, X>;
template <class X> using swish = activation<ctnn::swish, X>;
template <class X> using silu = activation<ctnn::swish, X>;
template <class X> using mish = activation<ctnn::mish, X>;
template <class X> using gelu = activation<ctnn::gelu, X>;
template <class X> using step = activation<ctnn::step, X>;
template <class X> using sign = activation<ctnn::sign, X>;

}  // namespace ctnn::op
