#pragma once
// The diagonal of the Hessian of the mean loss with respect to the parameters, two ways:
//
//   ctnn::diagonal_hessian(p, loss, X, T, d);              // second-order backpropagation
//   ctnn::exact_diagonal_hessian(p, loss, X, T, d, hws);   // e_kᵀ H e_k by hessian_vector
//
// Second-order backpropagation (for chains, network<...>) carries, beside δ = ∂C/∂a, the second
// derivatives ∂²C/∂a² back layer by layer, with x the pre-activations, a = f(x), x = W a' + b:
//
//   ∂²C/∂x_i² = f'(x_i)² ∂²C/∂a_i² + f''(x_i) ∂C/∂a_i
//   ∂²C/∂a'_j² ≈ Σ_i W_ij² ∂²C/∂x_i²          (the diagonal approximation: terms i ≠ i' dropped)
//   ∂²C/∂W_ij² = a'_j² ∂²C/∂x_i²,   ∂²C/∂b_i² = ∂²C/∂x_i²
//
// started at the loss: squared error ½(a − t)² gives ∂²C/∂a² = 1; softmax cross-entropy on the
// logits p(1 − p) (the diagonal of diag(p) − ppᵀ); binary cross-entropy σ(1 − σ). The recursion
// for ∂²C/∂x is exact; only the step to the layer below drops the cross terms, so on a net with
// one dense layer the result is the exact diagonal (a test holds them equal) and below the last
// layer it is an approximation (examples/levenberg_marquardt prints how far it is on its net).
// f'' is the derivative of the activation's own derivative rule, taken on dual numbers: no
// activation declares it. The cost is about two gradients; the exact diagonal costs one H·e_k
// per parameter.

#include <array>
#include <cstddef>
#include <memory>
#include <span>
#include <type_traits>

#include "../simd/dual.hpp"
#include "../simd/math.hpp"
#include "activations.hpp"
#include "hessian.hpp"
#include "losses.hpp"
#include "network.hpp"
#include "passes.hpp"
#include "softmax.hpp"

namespace ctnn {

namespace detail {

// f''(x) from f's derivative rule run on x + ε (and a = f(x) + f'(x)·ε).
template <class F>
double second_derivative(double x, double a) {
  const double slope = double(F::derivative(x, a));
  return F::derivative(dual<double>(x, 1), dual<double>(a, slope)).t;
}

template <class Net, class Loss>
constexpr void require_diagonal_support() {
  static_assert(chain<Net>, "ctnn: diagonal_hessian runs second-order backpropagation on chains (network<...>); "
                            "exact_diagonal_hessian takes any graph");
  if constexpr (chain<Net>) {
    using last = typename Net::template stage<Net::stage_count - 1>;
    using A = typename last::activation;
    [&]<std::size_t... S>(std::index_sequence<S...>) {
      static_assert(((!std::is_same_v<typename Net::template stage<S>::activation, softmax> ||
                      S + 1 == Net::stage_count) && ...),
                    "ctnn: diagonal_hessian: softmax is supported as the last activation only");
    }(std::make_index_sequence<Net::stage_count>{});
    if constexpr (std::is_same_v<Loss, squared_error>)
      static_assert(!std::is_same_v<A, softmax>,
                    "ctnn: diagonal_hessian: squared error after softmax is not supported (use "
                    "softmax_cross_entropy)");
  }
}

}  // namespace detail

// d = the diagonal of the Hessian of the mean loss over the batch, by second-order
// backpropagation with the diagonal approximation (see the top of this file). Chains only.
template <class Net, class T, loss_function Loss>
  requires(!Net::has_objective)
void diagonal_hessian(const parameters<Net, T>& p, const Loss&, batch_inputs<Net, T> x, batch_targets<Net, T> t,
                      gradient<Net, T>& d) {
  detail::require_diagonal_support<Net, Loss>();
  if constexpr (detail::chain<Net>) {
    constexpr std::size_t L = Net::stage_count;
    constexpr std::size_t in0 = Net::template stage<0>::in;
    constexpr std::size_t out_last = Net::template stage<L - 1>::out;
    constexpr std::size_t widest = [] {
      std::size_t w = in0;
      [&]<std::size_t... S>(std::index_sequence<S...>) {
        ((w = w > Net::template stage<S>::out ? w : Net::template stage<S>::out), ...);
      }(std::make_index_sequence<L>{});
      return w;
    }();
    const std::size_t n = detail::checked_batch<Net>("diagonal_hessian", x, nullptr, nullptr, nullptr);
    detail::require_buffers("diagonal_hessian", "the target buffer", std::array<std::size_t, 1>{t.size()}, n,
                            std::array<std::size_t, 1>{out_last});
    // Per sample: every layer's pre-activations and activations (layer 0's a is the input).
    std::array<std::array<double, widest>, L + 1> a{};
    std::array<std::array<double, widest>, L> z{};
    std::array<double, widest> delta{}, second{}, below_delta{}, below_second{};
    for (std::size_t k = 0; k < Net::parameter_count; ++k) d[k] = T(0);
    for (std::size_t s = 0; s < n; ++s) {
      for (std::size_t i = 0; i < in0; ++i) a[0][i] = double(x[s * in0 + i]);
      [&]<std::size_t... S>(std::index_sequence<S...>) {
        (
            [&] {
              using st = typename Net::template stage<S>;
              using F = typename st::activation;
              for (std::size_t o = 0; o < st::out; ++o) {
                double v = double(p[st::bias_offset + o]);
                for (std::size_t i = 0; i < st::in; ++i) v += double(p[st::weight_offset + o * st::in + i]) * a[S][i];
                z[S][o] = v;
              }
              if constexpr (std::is_same_v<F, softmax>) {
                double top = z[S][0], total = 0;
                for (std::size_t o = 1; o < st::out; ++o) top = top > z[S][o] ? top : z[S][o];
                for (std::size_t o = 0; o < st::out; ++o) total += a[S + 1][o] = math::exp(z[S][o] - top);
                for (std::size_t o = 0; o < st::out; ++o) a[S + 1][o] /= total;
              } else {
                for (std::size_t o = 0; o < st::out; ++o) a[S + 1][o] = double(F::value(z[S][o]));
              }
            }(),
            ...);
      }(std::make_index_sequence<L>{});

      // The loss: δ and ∂²C/∂x² at the last layer's pre-activations.
      {
        using st = typename Net::template stage<L - 1>;
        using F = typename st::activation;
        const T* ts = t.data() + s * out_last;
        if constexpr (std::is_same_v<Loss, squared_error>) {
          for (std::size_t o = 0; o < out_last; ++o) {
            const double da = a[L][o] - double(ts[o]);
            const double f1 = double(F::derivative(z[L - 1][o], a[L][o]));
            delta[o] = f1 * da;
            second[o] = f1 * f1 + detail::second_derivative<F>(z[L - 1][o], a[L][o]) * da;
          }
        } else if constexpr (std::is_same_v<Loss, softmax_cross_entropy>) {
          double top = z[L - 1][0], total = 0, mass = 0;
          std::array<double, out_last> prob{};
          for (std::size_t o = 1; o < out_last; ++o) top = top > z[L - 1][o] ? top : z[L - 1][o];
          for (std::size_t o = 0; o < out_last; ++o) total += prob[o] = math::exp(z[L - 1][o] - top);
          for (std::size_t o = 0; o < out_last; ++o) prob[o] /= total, mass += double(ts[o]);
          for (std::size_t o = 0; o < out_last; ++o) {
            delta[o] = prob[o] * mass - double(ts[o]);
            second[o] = mass * prob[o] * (1 - prob[o]);
          }
        } else {
          static_assert(std::is_same_v<Loss, binary_cross_entropy>, "ctnn: diagonal_hessian: unknown loss");
          for (std::size_t o = 0; o < out_last; ++o) {
            const double sig = double(math::sigmoid(z[L - 1][o]));
            delta[o] = sig - double(ts[o]);
            second[o] = sig * (1 - sig);
          }
        }
      }
      // Down the layers: parameters' diagonal, then δ and ∂²C/∂x² of the layer below.
      [&]<std::size_t... R>(std::index_sequence<R...>) {
        (
            [&] {
              constexpr std::size_t S = L - 1 - R;
              using st = typename Net::template stage<S>;
              for (std::size_t o = 0; o < st::out; ++o) {
                for (std::size_t i = 0; i < st::in; ++i)
                  d[st::weight_offset + o * st::in + i] += T(a[S][i] * a[S][i] * second[o] / double(n));
                d[st::bias_offset + o] += T(second[o] / double(n));
              }
              if constexpr (S > 0) {
                using below = typename Net::template stage<S - 1>;
                using G = typename below::activation;
                for (std::size_t i = 0; i < st::in; ++i) {
                  double d1 = 0, d2 = 0;
                  for (std::size_t o = 0; o < st::out; ++o) {
                    const double w = double(p[st::weight_offset + o * st::in + i]);
                    d1 += w * delta[o];
                    d2 += w * w * second[o];
                  }
                  const double f1 = double(G::derivative(z[S - 1][i], a[S][i]));
                  below_delta[i] = f1 * d1;
                  below_second[i] = f1 * f1 * d2 + detail::second_derivative<G>(z[S - 1][i], a[S][i]) * d1;
                }
                delta = below_delta;
                second = below_second;
              }
            }(),
            ...);
      }(std::make_index_sequence<L>{});
    }
  }
}

// d = the exact diagonal, H_kk = e_kᵀ H e_k, by one hessian_vector per parameter (any graph
// without an objective of its own).
template <class Net, class T, std::size_t Tile, loss_function Loss>
  requires(!Net::has_objective)
void exact_diagonal_hessian(const parameters<Net, T>& p, const Loss& loss, batch_inputs<Net, T> x,
                            batch_targets<Net, T> t, gradient<Net, T>& d, hessian_workspace<Net, T, Tile>& hws) {
  auto e = std::make_unique<parameters<Net, T>>();
  auto column = std::make_unique<gradient<Net, T>>();
  for (std::size_t k = 0; k < Net::parameter_count; ++k) {
    (*e)[k] = T(1);
    hessian_vector(p, loss, x, t, *e, *column, hws);
    (*e)[k] = T(0);
    d[k] = (*column)[k];
  }
}

}  // namespace ctnn
