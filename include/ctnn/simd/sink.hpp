#pragma once
// Where a kernel's results go. A kernel that produces a block of values (a gradient, an adjoint)
// hands each pack to a sink, sink.template put<Count, Arch>(k, v): the first Count lanes of v are
// the values k .. k + Count − 1 of the block. Which sink a kernel gets is the caller's choice:
//   store_sink        writes them (the first contribution to an adjoint, a gradient)
//   add_sink          adds them to what is there (a later contribution: a node used twice)
//   derivative_sink   multiplies them by f'(z, a) first, then hands them on: the adjoint of an
//                     elementwise node's input, written while the node's consumer computes it
//   accumulate_sink   adds the sums so far first (for kernels that only store)
//   optional_sink     one that may be switched off at run time (∇ₓ the caller did not ask for)
//   skip_sink         wants nothing
// and optim/update_sink.hpp hands gradient values to an optimizer's update instead, so the
// gradient is never stored and read back. active() says whether a sink wants anything: a kernel
// skips the product whose results would go to an inactive sink.

#include <cstddef>
#include <type_traits>

#include "pack.hpp"

namespace ctnn::simd {

template <class T>
struct store_sink {
  T* base;

  static constexpr bool active() { return true; }
  template <std::size_t Count, class Arch>
  constexpr void put(std::size_t k, const pack<T, Arch>& v) const {
    detail::store_part<Count, Arch>(base + k, v);
  }
};

template <class T>
struct add_sink {
  T* base;

  static constexpr bool active() { return true; }
  template <std::size_t Count, class Arch>
  constexpr void put(std::size_t k, const pack<T, Arch>& v) const {
    detail::store_part<Count, Arch>(base + k, detail::load_part<Count, Arch>(base + k) + v);
  }
};

// v ⊙ F::derivative(z, a) to Inner, with z and a read at the same positions (F an elementwise
// function: see core/op.hpp).
template <class F, class T, class Inner>
struct derivative_sink {
  const T* z;
  const T* a;
  Inner inner;

  constexpr bool active() const { return inner.active(); }
  template <std::size_t Count, class Arch>
  constexpr void put(std::size_t k, const pack<T, Arch>& v) const {
    inner.template put<Count, Arch>(
        k, v * F::derivative(detail::load_part<Count, Arch>(z + k), detail::load_part<Count, Arch>(a + k)));
  }
};

// v plus the sums so far at the same positions, to Inner: a contribution that adds to earlier
// ones, for kernels that only ever store.
template <class T, class Inner>
struct accumulate_sink {
  const T* sums;
  Inner inner;

  constexpr bool active() const { return inner.active(); }
  template <std::size_t Count, class Arch>
  constexpr void put(std::size_t k, const pack<T, Arch>& v) const {
    inner.template put<Count, Arch>(k, v + detail::load_part<Count, Arch>(sums + k));
  }
};

template <class Inner>
struct optional_sink {
  bool on;
  Inner inner;

  constexpr bool active() const { return on && inner.active(); }
  template <std::size_t Count, class Arch, class V>
  constexpr void put(std::size_t k, const V& v) const {
    inner.template put<Count, Arch>(k, v);
  }
};

struct skip_sink {
  static constexpr bool active() { return false; }
  template <std::size_t Count, class Arch, class V>
  constexpr void put(std::size_t, const V&) const {}
};

// dense_backward_one's finish(pack, i, width): the packs of δx to sink S, or nowhere. Named types,
// not lambdas, so that dense nodes of one shape share one instantiation of the kernel (a lambda
// is a new type in every node's vjp).
template <class Arch, class S>
struct to_sink {
  const S& sink;
  template <class V, class Width>
  constexpr void operator()(const V& v, std::size_t i, Width) const {
    sink.template put<Width::value, Arch>(i, v);
  }
};
struct to_nowhere {
  template <class... A>
  constexpr void operator()(const A&...) const {}
};

// Whether a sink of type S always (never) wants its values, known at compile time: a kernel can
// then leave out the branch that skips the product (or the product). Wrappers inherit their inner
// sink's.
template <class S>
constexpr bool statically_active() {
  if constexpr (requires { std::bool_constant<S::active()>{}; }) return S::active();
  else return false;
}
template <class S>
struct activity {
  static constexpr bool always = statically_active<S>();
  static constexpr bool never = false;
};
template <>
struct activity<skip_sink> {
  static constexpr bool always = false;
  static constexpr bool never = true;
};
template <class F, class T, class Inner>
struct activity<derivative_sink<F, T, Inner>> : activity<Inner> {};
template <class T, class Inner>
struct activity<accumulate_sink<T, Inner>> : activity<Inner> {};

template <class S>
constexpr bool always_active() {
  return activity<std::remove_cvref_t<S>>::always;
}
template <class S>
constexpr bool never_active() {
  return activity<std::remove_cvref_t<S>>::never;
}

}  // namespace ctnn::simd
