#pragma once
// How inspect/ writes activations, losses and layer quantities, in the seeds' notation. Shared by
// equations.hpp and dot.hpp so that the printout and the graph say the same thing.
//   stage l (1-based):  zˡ = Wˡ aˡ⁻¹ + bˡ  (a⁰ is written x),  aˡ = f(zˡ)
//   f is written by its name (σ for sigmoid); f'(z) is named per activation, e.g.
//   tanh'(z) = 1 − a²,  σ'(z) = a(1 − a),  relu'(z) = [z > 0] (Iverson bracket).
// Internal (namespace detail): the public interface is equations<Net, Loss>() and dot<Net, Loss>().

#include <cstddef>
#include <cstdint>
#include <ratio>
#include <string_view>
#include <type_traits>

#include "../nn/activations.hpp"
#include "../nn/losses.hpp"
#include "../nn/softmax.hpp"
#include "fixed_string.hpp"

namespace ctnn::inspect::detail {

// The std::ratio parameter of leaky_relu (slope) and elu (α).
template <class A>
struct leaky_relu_slope : std::false_type {};
template <class R>
struct leaky_relu_slope<leaky_relu<R>> : std::true_type {
  using ratio = R;
};
template <class A>
struct elu_alpha : std::false_type {};
template <class R>
struct elu_alpha<elu<R>> : std::true_type {
  using ratio = R;
};

// A std::ratio as "p" or "p/q".
template <class R, class Out>
constexpr void put_ratio(Out& out) {
  put(out, number{R::num});
  if constexpr (R::den != 1) put(out, "/", number{std::intmax_t(R::den)});
}

template <class A>
constexpr std::string_view symbol() {
  if constexpr (std::is_same_v<A, sigmoid>)
    return "σ";
  else
    return A::name;
}

// The input of stage S: x for the first stage, else the previous stage's activation.
template <class S, class Out>
constexpr void put_input(Out& out) {
  if constexpr (S::index == 0)
    put(out, "x");
  else
    put(out, "a", superscript{S::index});
}

// "tanh'(z) = 1 − a²": the derivative rule of an elementwise activation. An activation this
// file does not know is named only ("name'(z)").
template <class A, class Out>
constexpr void put_derivative_rule(Out& out) {
  put(out, symbol<A>(), "'(z)");
  if constexpr (std::is_same_v<A, sigmoid>)
    put(out, " = a(1 − a)");
  else if constexpr (std::is_same_v<A, tanh>)
    put(out, " = 1 − a²");
  else if constexpr (std::is_same_v<A, relu>)
    put(out, " = [z > 0]");
  else if constexpr (std::is_same_v<A, softplus>)
    put(out, " = σ(z)");
  else if constexpr (std::is_same_v<A, swish>)
    put(out, " = σ(z) + a(1 − σ(z))");
  else if constexpr (std::is_same_v<A, mish>)
    put(out, " = τ + z(1 − τ²)σ(z), τ = tanh(softplus(z))");
  else if constexpr (std::is_same_v<A, gelu>)
    put(out, " = Φ(z) + z φ(z)");
  else if constexpr (leaky_relu_slope<A>::value) {
    put(out, " = [z > 0] + ");
    put_ratio<typename leaky_relu_slope<A>::ratio>(out);
    put(out, " [z ≤ 0]");
  } else if constexpr (elu_alpha<A>::value) {
    put(out, " = [z > 0] + (a + ");
    put_ratio<typename elu_alpha<A>::ratio>(out);
    put(out, ") [z ≤ 0]");
  }
}

// "aˡ = f(zˡ)", the right-hand side only.
template <class S, class Out>
constexpr void put_activation_value(Out& out) {
  using A = typename S::activation;
  constexpr std::size_t l = S::index + 1;
  if constexpr (std::is_same_v<A, identity>)
    put(out, "z", superscript{l});
  else
    put(out, symbol<A>(), "(z", superscript{l}, ")");
}

// δˡ from δaˡ through the activation of stage S: the right-hand side, and the note that follows
// it in the equations (the derivative rule).
template <class S, class Out>
constexpr void put_activation_delta(Out& out) {
  using A = typename S::activation;
  constexpr superscript l{S::index + 1};
  if constexpr (std::is_same_v<A, identity>)
    put(out, "δa", l);
  else if constexpr (std::is_same_v<A, softmax>)
    put(out, "a", l, " ⊙ (δa", l, " − ⟨δa", l, ", a", l, "⟩)");
  else if constexpr (A::elementwise)
    put(out, symbol<A>(), "'(z", l, ") ⊙ δa", l);
  else
    put(out, symbol<A>(), "'(z", l, ")ᵀ δa", l);
}

template <class S, class Out>
constexpr void put_activation_delta_note(Out& out) {
  using A = typename S::activation;
  if constexpr (std::is_same_v<A, identity>)
    put(out, "no activation");
  else if constexpr (A::elementwise)
    put_derivative_rule<A>(out);
  else
    put(out, A::name);
}

// The loss of one sample, right-hand side, for a last stage S.
template <class Loss, class S, class Out>
constexpr void put_loss_value(Out& out) {
  constexpr superscript l{S::index + 1};
  if constexpr (std::is_same_v<Loss, squared_error>)
    put(out, "½‖a", l, " − t‖²");
  else if constexpr (std::is_same_v<Loss, binary_cross_entropy>)
    put(out, "Σ (softplus(z", l, ") − t ⊙ z", l, ")");
  else if constexpr (std::is_same_v<Loss, softmax_cross_entropy>)
    put(out, "−⟨t, log softmax(z", l, ")⟩");
  else
    put(out, Loss::name, "(a", l, ", t)");
}

// δ of the last stage S from the loss: the right-hand side, and the note. The cross-entropies
// are fused with their activation (δ = a − t); squared error goes through the derivative of the
// activation.
template <class Loss, class S, class Out>
constexpr void put_output_delta(Out& out) {
  using A = typename S::activation;
  constexpr superscript l{S::index + 1};
  if constexpr (std::is_same_v<Loss, binary_cross_entropy>) {
    if constexpr (std::is_same_v<A, sigmoid>)
      put(out, "a", l, " − t");
    else
      put(out, "σ(z", l, ") − t");
  } else if constexpr (std::is_same_v<Loss, softmax_cross_entropy>) {
    if constexpr (std::is_same_v<A, softmax>)
      put(out, "a", l, " − t");
    else
      put(out, "softmax(z", l, ") − t");
  } else if constexpr (std::is_same_v<Loss, squared_error>) {
    if constexpr (std::is_same_v<A, identity>)
      put(out, "a", l, " − t");
    else if constexpr (std::is_same_v<A, softmax>)
      put(out, "a", l, " ⊙ (e − ⟨e, a", l, "⟩), e = a", l, " − t");
    else if constexpr (A::elementwise)
      put(out, symbol<A>(), "'(z", l, ") ⊙ (a", l, " − t)");
    else
      put(out, symbol<A>(), "'(z", l, ")ᵀ (a", l, " − t)");
  } else {
    put(out, "∂C/∂z", l);
  }
}

template <class Loss, class S, class Out>
constexpr void put_output_delta_note(Out& out) {
  using A = typename S::activation;
  if constexpr (std::is_same_v<Loss, binary_cross_entropy>) {
    if constexpr (std::is_same_v<A, sigmoid>)
      put(out, "binary_cross_entropy fused with sigmoid");
    else
      put(out, "binary_cross_entropy on logits");
  } else if constexpr (std::is_same_v<Loss, softmax_cross_entropy>) {
    if constexpr (std::is_same_v<A, softmax>)
      put(out, "softmax_cross_entropy fused with softmax, for Σt = 1");
    else
      put(out, "softmax_cross_entropy on logits, for Σt = 1");
  } else if constexpr (std::is_same_v<Loss, squared_error>) {
    if constexpr (std::is_same_v<A, identity>)
      put(out, "squared_error, no activation");
    else if constexpr (A::elementwise) {
      put(out, "squared_error; ");
      put_derivative_rule<A>(out);
    } else {
      put(out, "squared_error through ", A::name);
    }
  } else {
    put(out, Loss::name);
  }
}

}  // namespace ctnn::inspect::detail
