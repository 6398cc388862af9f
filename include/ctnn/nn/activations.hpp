#pragma once
// Activation functions. Each elementwise activation states its forward rule `value(z)` and its
// derivative rule `derivative(z, a)` (with a = value(z), which several derivatives reuse) side by
// side, as templates over V so the same formula runs on scalars and on SIMD packs.
// softmax, which mixes a whole row, lives in softmax.hpp.
// `lipschitz` (a bound on |f'|), `increasing` and `max_slope(low, high)` (a bound on |f'| over
// [low, high], where it is cheap to state) are what quantization_error_bound
// (nn/quantization_bound.hpp) knows of f; tests/nn/activations.cpp checks them against f'.

#include <cmath>
#include <ratio>
#include <string_view>

#include "../simd/math.hpp"

namespace ctnn {

// Marks a type as an activation layer usable in network<...>.
struct activation_tag {};

// Elementwise activations: a = f(z), δz = f'(z) ⊙ δa.
struct elementwise_activation : activation_tag {
  static constexpr bool elementwise = true;
};

struct identity : elementwise_activation {
  static constexpr std::string_view name = "identity";
  static constexpr double lipschitz = 1;
  static constexpr bool increasing = true;
  static constexpr double max_slope(double, double) { return 1; }
  template <class V> static constexpr V value(const V& z) { return z; }
  template <class V> static constexpr V derivative(const V&, const V&) { return V(1); }
};

// Logistic sigmoid σ(z) = 1/(1+e^-z);  σ' = a(1-a).
struct sigmoid : elementwise_activation {
  static constexpr std::string_view name = "sigmoid";
  static constexpr double lipschitz = 0.25;
  static constexpr bool increasing = true;
  // f' peaks at 0 and falls off on both sides.
  static constexpr double max_slope(double low, double high) {
    const double c = low > 0 ? low : (high < 0 ? high : 0);
    const double a = math::sigmoid(c);
    return a * (1 - a);
  }
  template <class V> static constexpr V value(const V& z) { return math::sigmoid(z); }
  template <class V> static constexpr V derivative(const V&, const V& a) { return a * (V(1) - a); }
};

// tanh;  tanh' = 1 - a².
struct tanh : elementwise_activation {
  static constexpr std::string_view name = "tanh";
  static constexpr double lipschitz = 1;
  static constexpr bool increasing = true;
  static constexpr double max_slope(double low, double high) {  // f' peaks at 0
    const double a = math::tanh(low > 0 ? low : (high < 0 ? high : 0));
    return 1 - a * a;
  }
  template <class V> static constexpr V value(const V& z) { return math::tanh(z); }
  template <class V> static constexpr V derivative(const V&, const V& a) { return V(1) - a * a; }
};

// max(z, 0);  derivative 1 for z > 0, else 0 (the subgradient 0 at z = 0, as PyTorch uses).
struct relu : elementwise_activation {
  static constexpr std::string_view name = "relu";
  static constexpr double lipschitz = 1;
  static constexpr bool increasing = true;
  static constexpr double max_slope(double, double high) { return high < 0 ? 0 : 1; }
  static constexpr bool he_initialization = true;  // initialize: the ReLU family
  template <class V> static constexpr V value(const V& z) { return math::max(z, V(0)); }
  template <class V> static constexpr V derivative(const V& z, const V&) {
    return math::select(z > V(0), V(1), V(0));
  }
};

// z for z > 0, slope·z otherwise. The slope is a std::ratio (C++20 compilers disagree on
// floating-point template arguments): leaky_relu<std::ratio<1, 10>> has slope 0.1.
template <class Slope = std::ratio<1, 100>>
struct leaky_relu : elementwise_activation {
  static constexpr std::string_view name = "leaky_relu";
  static constexpr bool he_initialization = true;  // initialize: the ReLU family
  static constexpr double slope = double(Slope::num) / double(Slope::den);
  static constexpr double lipschitz = slope > 1 ? slope : (slope < -1 ? -slope : 1);
  static constexpr bool increasing = slope >= 0;
  template <class V> static constexpr V value(const V& z) { return math::select(z > V(0), z, V(slope) * z); }
  template <class V> static constexpr V derivative(const V& z, const V&) {
    return math::select(z > V(0), V(1), V(slope));
  }
};

// ELU: z for z > 0, α(e^z - 1) otherwise;  derivative 1 or a + α.
template <class Alpha = std::ratio<1>>
struct elu : elementwise_activation {
  static constexpr std::string_view name = "elu";
  static constexpr bool he_initialization = true;  // initialize: the ReLU family
  static constexpr double alpha = double(Alpha::num) / double(Alpha::den);
  static constexpr double lipschitz = alpha > 1 ? alpha : (alpha < -1 ? -alpha : 1);
  static constexpr bool increasing = alpha >= 0;
  template <class V> static constexpr V value(const V& z) {
    return math::select(z > V(0), z, V(alpha) * math::expm1(math::min(z, V(0))));
  }
  template <class V> static constexpr V derivative(const V& z, const V& a) {
    return math::select(z > V(0), V(1), a + V(alpha));
  }
};

// softplus log(1 + e^z), computed without overflow;  derivative σ(z).
struct softplus : elementwise_activation {
  static constexpr std::string_view name = "softplus";
  static constexpr double lipschitz = 1;
  static constexpr bool increasing = true;
  static constexpr double max_slope(double, double high) { return math::sigmoid(high); }  // f' rises
  template <class V> static constexpr V value(const V& z) { return math::softplus(z); }
  template <class V> static constexpr V derivative(const V& z, const V&) { return math::sigmoid(z); }
};

// swish / SiLU: z·σ(z);  derivative σ + a(1 - σ).
struct swish : elementwise_activation {
  static constexpr std::string_view name = "swish";
  static constexpr double lipschitz = 1.1;  // max f' = 1.0998 near z = 2.4
  static constexpr bool he_initialization = true;  // initialize: the ReLU family
  template <class V> static constexpr V value(const V& z) { return z * math::sigmoid(z); }
  template <class V> static constexpr V derivative(const V& z, const V& a) {
    const V s = math::sigmoid(z);
    return s + a * (V(1) - s);
  }
};
using silu = swish;

// mish: z·tanh(softplus(z));  derivative t + z(1 - t²)σ(z) with t = tanh(softplus(z)).
struct mish : elementwise_activation {
  static constexpr std::string_view name = "mish";
  static constexpr double lipschitz = 1.1;  // max f' = 1.0886 near z = 1.6
  static constexpr bool he_initialization = true;  // initialize: the ReLU family
  template <class V> static constexpr V value(const V& z) { return z * math::tanh(math::softplus(z)); }
  template <class V> static constexpr V derivative(const V& z, const V&) {
    const V t = math::tanh(math::softplus(z));
    return t + z * (V(1) - t * t) * math::sigmoid(z);
  }
};

// GELU, exact form z·Φ(z) with Φ(z) = ½(1 + erf(z/√2)) (PyTorch's default);
// derivative Φ(z) + z·φ(z) with φ the standard normal density.
struct gelu : elementwise_activation {
  static constexpr std::string_view name = "gelu";
  static constexpr double lipschitz = 1.13;  // max f' = 1.1290 at z = √2
  static constexpr bool he_initialization = true;  // initialize: the ReLU family
  template <class V> static constexpr V value(const V& z) {
    return V(0.5) * z * (V(1) + math::erf(z * V(0.70710678118654752440)));
  }
  template <class V> static constexpr V derivative(const V& z, const V&) {
    const V cdf = V(0.5) * (V(1) + math::erf(z * V(0.70710678118654752440)));
    const V density = V(0.39894228040143267794) * math::exp(V(-0.5) * z * z);
    return cdf + z * density;
  }
};

// ---- activations without a derivative: forward passes and inference only ----------------------
// Their value is defined everywhere, but their derivative is 0 wherever it exists (and undefined
// at the jump), so backprop through them would silently train nothing. They state
// `differentiable = false` and have no derivative rule; every pass that differentiates
// (loss_and_gradient, its batch form, gradient_check) refuses them at compile time, naming the
// layer (require_differentiable in nn/passes.hpp, gradient_error in diagnostics.hpp).

// Heaviside step: 1 for z > 0, else 0 (the value 0 at z = 0).
struct step : elementwise_activation {
  static constexpr std::string_view name = "step";
  static constexpr bool differentiable = false;
  template <class V> static constexpr V value(const V& z) {
    return math::select(z > V(0), V(1), V(0));
  }
};

// Sign: 1 for z > 0, -1 for z < 0, 0 at z = 0.
struct sign : elementwise_activation {
  static constexpr std::string_view name = "sign";
  static constexpr bool differentiable = false;
  template <class V> static constexpr V value(const V& z) {
    return math::select(z > V(0), V(1), V(0)) - math::select(z < V(0), V(1), V(0));
  }
};

template <class A>
concept activation = std::is_base_of_v<activation_tag, A>;

// Whether backprop can pass through A: yes unless A declares `differentiable = false`.
template <class A>
constexpr bool has_derivative() {
  if constexpr (requires { A::differentiable; }) return bool(A::differentiable);
  else return true;
}


template <class A>
concept elementwise = activation<A> && A::elementwise;

}  // namespace ctnn
