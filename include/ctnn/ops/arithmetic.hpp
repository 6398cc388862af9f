#pragma once
// Elementwise arithmetic of nodes of one shape, and scaling by a compile-time constant:
//   op::add<a, b>        y = a + b        δa = δy,      δb = δy        ẏ = ȧ + ḃ
//   op::sub<a, b>        y = a − b        δa = δy,      δb = −δy       ẏ = ȧ − ḃ
//   op::mul<a, b>        y = a ⊙ b        δa = δy ⊙ b,  δb = δy ⊙ a    ẏ = ȧ ⊙ b + a ⊙ ḃ
//   op::scale<x, R>      y = r·x          δx = r·δy                    ẏ = r·ẋ
// with r = R::num / R::den (a std::ratio: C++20 compilers disagree on floating-point template
// arguments). add, sub and scale are linear with constant coefficients, which is how a weighted
// sum of losses forms an objective: op::add<op::scale<l1, std::ratio<1, 2>>, l2>.

#include <array>
#include <cstddef>
#include <cstdint>
#include <ratio>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "../core/list.hpp"
#include "../core/op.hpp"
#include "../simd/elementwise.hpp"
#include "../simd/pack.hpp"
#include "shape_checks.hpp"

namespace ctnn::op {

namespace detail {

// The rules of y = f(a, b) with per-element partial derivatives, written once for all three.
// Rule supplies value(a, b), left(a, b) = ∂y/∂a and right(a, b) = ∂y/∂b over packs.
template <class Node, class A, class B, class Rule>
struct binary {
  using inputs = core::list<A, B>;
  static_assert(shape_error::operands_of<Node>::template left<A, core::shape_of<A>>::template right<
                B, core::shape_of<B>>::template check<std::is_same_v<core::shape_of<A>,
                                                                     core::shape_of<B>>>::ok);
  using shape = core::shape_of<A>;
  static constexpr std::size_t size = shape::size;
  static constexpr bool vjp_reads_output = false;
  static constexpr std::size_t forward_flops = size;
  static constexpr std::size_t vjp_flops = 2 * size;
  static constexpr bool pointwise = true;
  template <class V>
  static constexpr V apply(const V& a, const V& b) {
    return Rule::value(a, b);
  }

  template <class Arch, class T>
  static constexpr void forward(const core::forward_args<T, 2, 0>& a) {
    simd::map2<Arch>(a.in[0], a.in[1], a.out, a.n * size,
                     [](auto x, auto y) { return Rule::value(x, y); });
  }

  template <class Arch, class Args>
  static constexpr void vjp(const Args& a) {
    using T = std::remove_cvref_t<decltype(*a.dout)>;
    const auto& da = std::get<0>(a.din);
    const auto& db = std::get<1>(a.din);
    // Slot 0 before slot 1 at every position: a node read twice (mul<h, h>) gets its second
    // contribution added to its first.
    simd::for_each_pack<Arch, T>(a.n * size, [&]<class P>(std::size_t k) {
      using V = simd::pack_traits<T, P>;
      const auto d = V::load(a.dout + k);
      if constexpr (Rule::reads_inputs) {
        const auto x = V::load(a.in[0] + k), y = V::load(a.in[1] + k);
        if (da.active()) da.template put<V::lanes, P>(k, d * Rule::left(x, y));
        if (db.active()) db.template put<V::lanes, P>(k, d * Rule::right(x, y));
      } else {
        if (da.active()) da.template put<V::lanes, P>(k, Rule::left(d));
        if (db.active()) db.template put<V::lanes, P>(k, Rule::right(d));
      }
    });
  }

  template <class Arch, class T>
  static constexpr void jvp(const core::jvp_args<T, 2, 0>& a) {
    simd::for_each_pack<Arch, T>(a.n * size, [&]<class P>(std::size_t k) {
      using V = simd::pack_traits<T, P>;
      V::store(a.tout + k, Rule::tangent(V::load(a.in[0] + k), V::load(a.in[1] + k),
                                         V::load(a.tin[0] + k), V::load(a.tin[1] + k)));
    });
  }
};

struct add_rule {
  static constexpr bool reads_inputs = false;
  template <class V> static constexpr V value(const V& a, const V& b) { return a + b; }
  template <class V> static constexpr V left(const V& d) { return d; }
  template <class V> static constexpr V right(const V& d) { return d; }
  template <class V> static constexpr V tangent(const V&, const V&, const V& da, const V& db) { return da + db; }
};
struct sub_rule {
  static constexpr bool reads_inputs = false;
  template <class V> static constexpr V value(const V& a, const V& b) { return a - b; }
  template <class V> static constexpr V left(const V& d) { return d; }
  template <class V> static constexpr V right(const V& d) { return -d; }
  template <class V> static constexpr V tangent(const V&, const V&, const V& da, const V& db) { return da - db; }
};
struct mul_rule {
  static constexpr bool reads_inputs = true;
  template <class V> static constexpr V value(const V& a, const V& b) { return a * b; }
  template <class V> static constexpr V left(const V&, const V& b) { return b; }
  template <class V> static constexpr V right(const V& a, const V&) { return a; }
  template <class V> static constexpr V tangent(const V& a, const V& b, const V& da, const V& db) { return da * b + a * db; }
};

}  // namespace detail

template <class A, class B>
struct add : detail::binary<add<A, B>, A, B, detail::add_rule> {
  static constexpr std::string_view op_name = "add";
  static constexpr std::string_view spelling = "ctnn::op::add<{in0}, {in1}>";
  struct notation {
    static constexpr std::string_view value = "{x0} + {x1}";
    static constexpr std::string_view adjoint[2] = {"{dy}", "{dy}"};
  };
  static constexpr bool vjp_reads_inputs = false;
  static constexpr std::array<double, 2> linear_coefficients{1.0, 1.0};
};

template <class A, class B>
struct sub : detail::binary<sub<A, B>, A, B, detail::sub_rule> {
  static constexpr std::string_view op_name = "sub";
  static constexpr std::string_view spelling = "ctnn::op::sub<{in0}, {in1}>";
  struct notation {
    static constexpr std::string_view value = "{x0} − {x1}";
    static constexpr std::string_view adjoint[2] = {"{dy}", "−{dy}"};
  };
  static constexpr bool vjp_reads_inputs = false;
  static constexpr std::array<double, 2> linear_coefficients{1.0, -1.0};
};

template <class A, class B>
struct mul : detail::binary<mul<A, B>, A, B, detail::mul_rule> {
  static constexpr std::string_view op_name = "mul";
  static constexpr std::string_view spelling = "ctnn::op::mul<{in0}, {in1}>";
  struct notation {
    static constexpr std::string_view value = "{x0} ⊙ {x1}";
    static constexpr std::string_view adjoint[2] = {"{dy} ⊙ {x1}", "{dy} ⊙ {x0}"};
  };
};

template <class X, class R>
struct scale {
  using inputs = core::list<X>;
  using shape = core::shape_of<X>;
  using ratio = R;
  static constexpr double factor = double(R::num) / double(R::den);
  static constexpr std::string_view op_name = "scale";
  static constexpr std::string_view spelling = "ctnn::op::scale<{in0}, std::ratio<{n0}, {n1}>>";
  struct notation {
    static constexpr std::string_view value = "{n0}/{n1} {x0}";
    static constexpr std::string_view adjoint[1] = {"{n0}/{n1} {dy}"};
  };
  static constexpr std::array<std::intmax_t, 2> signature_numbers{R::num, R::den};
  static constexpr bool vjp_reads_inputs = false;
  static constexpr bool vjp_reads_output = false;
  static constexpr std::array<double, 1> linear_coefficients{factor};
  static constexpr std::size_t size = shape::size;
  static constexpr std::size_t forward_flops = size;
  static constexpr std::size_t vjp_flops = size;
  static constexpr bool pointwise = true;
  template <class V>
  static constexpr V apply(const V& x) {
    if constexpr (std::is_floating_point_v<V>) return x * V(factor);
    else return x * V(typename V::value_type(factor));
  }

  template <class Arch, class T>
  static constexpr void forward(const core::forward_args<T, 1, 0>& a) {
    simd::map<Arch>(a.in[0], a.out, a.n * size, [](auto v) {
      using V = decltype(v);
      return v * V(T(factor));
    });
  }
  template <class Arch, class Args>
  static constexpr void vjp(const Args& a) {
    using T = std::remove_cvref_t<decltype(*a.dout)>;
    const auto& dx = std::get<0>(a.din);
    if (!dx.active()) return;
    simd::for_each_pack<Arch, T>(a.n * size, [&]<class P>(std::size_t k) {
      using V = simd::pack_traits<T, P>;
      dx.template put<V::lanes, P>(k, V::load(a.dout + k) * V::broadcast(T(factor)));
    });
  }
  template <class Arch, class T>
  static constexpr void jvp(const core::jvp_args<T, 1, 0>& a) {
    simd::map<Arch>(a.tin[0], a.tout, a.n * size, [](auto v) {
      using V = decltype(v);
      return v * V(T(factor));
    });
  }
};

}  // namespace ctnn::op
