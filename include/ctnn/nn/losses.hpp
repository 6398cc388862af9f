#pragma once
// Losses. Each states, for the network's last stage (z = W a + b, a = f(z)):
//   value(z, a, t)         the summed loss of n samples
//   output_delta(z, a, t)  δz of the last stage, times `scale` (1/n for a batch mean)
//   accepts<Stage>()       a compile-time check that the loss can take that stage's output
// Cross-entropies are fused with the activation they belong to (δz = a - t), and computed from z
// so that they stay finite for any logits.

#include <cstddef>
#include <string_view>
#include <type_traits>

#include "../simd/elementwise.hpp"
#include "../simd/math.hpp"
#include "../simd/softmax.hpp"
#include "activations.hpp"
#include "diagnostics.hpp"
#include "softmax.hpp"

namespace ctnn {

struct loss_tag {};

template <class L>
concept loss_function = std::is_base_of_v<loss_tag, L>;

// C = ½‖a - t‖² per sample; any output.
struct squared_error : loss_tag {
  static constexpr std::string_view name = "squared_error";

  template <class Stage>
  static constexpr bool accepts() { return true; }

  template <class Stage, class Arch, class T>
  static constexpr T value(const T*, const T* a, const T* t, std::size_t n) {
    return T(0.5) * simd::sum_map<Arch>(a, t, n * Stage::out, [](auto av, auto tv) {
             const auto e = av - tv;
             return e * e;
           });
  }

  template <class Stage, class Arch, class T>
  static constexpr void output_delta(const T* z, const T* a, const T* t, T* dz, std::size_t n, T scale) {
    simd::map2<Arch>(a, t, dz, n * Stage::out, [scale](auto av, auto tv) {
      using V = decltype(av);
      return (av - tv) * V(scale);
    });
    Stage::template activation_backward<Arch>(z, a, dz, n);
  }
};

// Categorical cross-entropy of softmax(z): C = -Σ_k t_k log softmax(z)_k
//   = (Σ_k t_k)·logsumexp(z) - Σ_k t_k z_k, and δz = softmax(z)·Σt - t (= a - t for one-hot t).
// Takes logits (a last dense layer without activation) or a last softmax, fused with it.
struct softmax_cross_entropy : loss_tag {
  static constexpr std::string_view name = "softmax_cross_entropy";

  template <class Stage>
  static constexpr bool accepts() {
    using A = typename Stage::activation;
    constexpr bool fits = std::is_same_v<A, softmax> || std::is_same_v<A, identity>;
    using here = loss_error::loss<softmax_cross_entropy>;
    return here::template needs_at_least_outputs<2>::template but_the_network_outputs<
               Stage::out>::ok &&
           here::template cannot_follow_activation<A>::template at_layer_position<
               Stage::activation_position>::template check<fits>::ok;
  }

  template <class Stage, class Arch, class T>
  static constexpr T value(const T* z, const T*, const T* t, std::size_t n) {
    constexpr std::size_t W = Stage::out;
    T total = 0;
    for (std::size_t s = 0; s < n; ++s) {
      const T* zs = z + s * W;
      const T* ts = t + s * W;
      T shift = zs[0];
      for (std::size_t k = 1; k < W; ++k) shift = zs[k] > shift ? zs[k] : shift;
      const T sum_exp = simd::sum_map<Arch>(zs, zs, W, [shift](auto zv, auto) {
        using V = decltype(zv);
        return math::exp(zv - V(shift));
      });
      const T log_sum_exp = shift + math::log(sum_exp);
      const T target_mass = simd::sum_map<Arch>(ts, ts, W, [](auto tv, auto) { return tv; });
      const T target_dot_z = simd::sum_map<Arch>(ts, zs, W, [](auto tv, auto zv) { return tv * zv; });
      total += target_mass * log_sum_exp - target_dot_z;
    }
    return total;
  }

  template <class Stage, class Arch, class T>
  static constexpr void output_delta(const T* z, const T* a, const T* t, T* dz, std::size_t n, T scale) {
    constexpr std::size_t W = Stage::out;
    for (std::size_t s = 0; s < n; ++s) {
      const T* ts = t + s * W;
      T* ds = dz + s * W;
      // ds = softmax(z): the stage's own output when it ends in softmax, else computed here.
      if constexpr (std::is_same_v<typename Stage::activation, softmax>)
        simd::map<Arch>(a + s * W, ds, W, [](auto v) { return v; });
      else
        simd::softmax_row<Arch>(z + s * W, ds, W);
      const T target_mass = simd::sum_map<Arch>(ts, ts, W, [](auto tv, auto) { return tv; });
      simd::map3<Arch>(ts, ts, ds, W, [target_mass, scale](auto tv, auto, auto pv) {
        using V = decltype(tv);
        return (pv * V(target_mass) - tv) * V(scale);
      });
    }
  }
};

// Binary cross-entropy of σ(z), per output: C = -t log σ(z) - (1-t) log(1-σ(z))
//   = softplus(z) - t z (finite for any z), and δz = σ(z) - t.
// Takes logits (a last dense layer without activation) or a last sigmoid, fused with it.
struct binary_cross_entropy : loss_tag {
  static constexpr std::string_view name = "binary_cross_entropy";

  template <class Stage>
  static constexpr bool accepts() {
    using A = typename Stage::activation;
    constexpr bool fits = std::is_same_v<A, sigmoid> || std::is_same_v<A, identity>;
    return loss_error::loss<binary_cross_entropy>::template cannot_follow_activation<
        A>::template at_layer_position<Stage::activation_position>::template check<fits>::ok;
  }

  template <class Stage, class Arch, class T>
  static constexpr T value(const T* z, const T*, const T* t, std::size_t n) {
    return simd::sum_map<Arch>(z, t, n * Stage::out,
                               [](auto zv, auto tv) { return math::softplus(zv) - tv * zv; });
  }

  template <class Stage, class Arch, class T>
  static constexpr void output_delta(const T* z, const T* a, const T* t, T* dz, std::size_t n, T scale) {
    const T* probability = z;
    if constexpr (std::is_same_v<typename Stage::activation, sigmoid>) probability = a;
    simd::map2<Arch>(probability, t, dz, n * Stage::out, [scale](auto v, auto tv) {
      using V = decltype(v);
      if constexpr (std::is_same_v<typename Stage::activation, sigmoid>)
        return (v - tv) * V(scale);
      else
        return (math::sigmoid(v) - tv) * V(scale);
    });
  }
};

}  // namespace ctnn
