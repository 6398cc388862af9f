#pragma once
// Batch normalisation (PyTorch's nn.BatchNorm1d/2d): op::batch_norm<"name", x> normalises each
// channel of x (its first dimension: C of C × H × W, or each feature of a vector) and applies the
// affine parameters "name.weight" (γ, starts at 1) and "name.bias" (β, starts at 0).
//
//   training    μ, σ² = the mean and (biased) variance of the channel over the tile's samples
//               and positions;  x̂ = (x − μ) / √(σ² + ε);  y = γ x̂ + β
//               vjp: δx = γ/√(σ² + ε) · (δy − mean(δy) − x̂ · mean(δy x̂)),
//                    ∂γ = Σ δy x̂,  ∂β = Σ δy
//               jvp: ẏ = γ̇ x̂ + β̇ + γ/√(σ² + ε) · (ẋ − mean(ẋ) − x̂ · mean(ẋ x̂))
//   evaluation  the same with μ, σ² the running statistics "name.running_mean" (starts at 0) and
//               "name.running_var" (starts at 1), constants: δx = γ/√(σ² + ε) · δy
//
// The running statistics are state blocks (core/op.hpp: state_parameter): saved and loaded with the
// parameters (safetensors keys as nn.BatchNorm2d's state_dict, without num_batches_tracked), never
// stepped by an optimizer. A training pass gives, in their gradient entries, their next values by
// PyTorch's momentum convention, running ← (1 − momentum) · running + momentum · statistic, with
// the unbiased variance; the optimizers' steps copy them (optim/optimizer.hpp). Over a batch of
// several tiles the statistic is the mean of the tiles' (each weighted by its samples).
//
// Statistics are those of one tile: the whole batch when it fits in one tile of the workspace on
// one thread (PyTorch's batch statistics; give the workspace Tile ≥ the batch size), else of each
// tile of Tile samples a thread runs ("ghost" batch normalisation, which trains as well or better
// at small tiles). They are recomputed from x in the backward pass, so nothing is kept between
// the passes.

#include <array>
#include <cstddef>
#include <ratio>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "../core/list.hpp"
#include "../core/name.hpp"
#include "../core/op.hpp"
#include "../core/shape.hpp"
#include "../simd/elementwise.hpp"
#include "../simd/math.hpp"
#include "shape_checks.hpp"
#include "structure.hpp"

namespace ctnn::op {

template <name Name, class X, class Momentum = std::ratio<1, 10>, class Eps = std::ratio<1, 100000>>
struct batch_norm {
  static_assert(shape_error::batch_norm_of<batch_norm>::template momentum_is<Momentum::num, Momentum::den>::
                    template check<(Momentum::num >= 0 && Momentum::num <= Momentum::den)>::ok);
  static_assert(shape_error::batch_norm_of<batch_norm>::template epsilon_is<Eps::num, Eps::den>::
                    template check<(Eps::num > 0)>::ok);

  using input_shape = core::shape_of<X>;
  static constexpr std::size_t channels = input_shape::dims[0];
  static constexpr std::size_t size = input_shape::size;
  static constexpr std::size_t plane = size / channels;  // the positions of one channel
  using inputs = core::list<X>;
  using shape = input_shape;
  using parameters = core::list<core::parameter<Name, "weight", ctnn::shape<channels>>,
                                core::parameter<Name, "bias", ctnn::shape<channels>>,
                                core::state_parameter<Name, "running_mean", ctnn::shape<channels>>,
                                core::state_parameter<Name, "running_var", ctnn::shape<channels>>>;
  // What initialize() puts in each block (nn/init.hpp).
  static constexpr std::array<double, 4> initial_value{1, 0, 0, 1};
  static constexpr auto label = Name;
  static constexpr std::string_view op_name = "batch_norm";
  static constexpr std::array<std::size_t, 4> signature_numbers{
      std::size_t(Momentum::num), std::size_t(Momentum::den), std::size_t(Eps::num),
      std::size_t(Eps::den)};
  static constexpr std::string_view spelling =
      "ctnn::op::batch_norm<\"{label}\", {in0}, std::ratio<{n0}, {n1}>, std::ratio<{n2}, {n3}>>";
  struct notation {
    static constexpr std::string_view value = "{p0} ⊙ ({x0} − μ) / √(σ² + ε) + {p1}";
    static constexpr std::string_view adjoint[1] = {
        "{p0} / √(σ² + ε) ⊙ ({dy} − mean({dy}) − x̂ mean({dy} ⊙ x̂))"};
    static constexpr std::string_view gradient[4] = {"Σ {dy} ⊙ x̂", "Σ {dy}",
                                                     "(1 − m) {p2} + m μ (next value)",
                                                     "(1 − m) {p3} + m σ² (next value)"};
  };
  template <std::size_t K>
  static constexpr bool absorbs_input = true;
  static constexpr bool vjp_reads_output = false;
  static constexpr std::size_t forward_flops = 5 * size;
  static constexpr std::size_t vjp_flops = 8 * size;

  // A channel's statistics for one pass: the mean and 1/√(σ² + ε) the values are normalised
  // with, and σ² (biased) for the running variance.
  template <class T>
  struct statistics {
    T mean, inv_std, var;
  };

  template <class T>
  static constexpr T epsilon() {
    return T(double(Eps::num) / double(Eps::den));
  }

  // Σ f(a, b) over channel c's values in the tile's n samples (packs of Arch, then a scalar
  // tail, plane by plane).
  template <class Arch, class T, class F>
  static constexpr T channel_sum(const T* a, const T* b, std::size_t n, std::size_t c, F f) {
    T total = T(0);
    for (std::size_t s = 0; s < n; ++s)
      total += simd::sum_map<Arch>(a + s * size + c * plane, b + s * size + c * plane, plane, f);
    return total;
  }

  // Channel c's statistics: of the tile's values (training) or the running ones.
  template <class Arch, class T>
  static constexpr statistics<T> statistics_of(const core::run_mode& mode, const T* x, std::size_t n,
                                               std::size_t c, const T* running_mean,
                                               const T* running_var) {
    if (!mode.training) {
      return {running_mean[c], T(1) / math::sqrt(running_var[c] + epsilon<T>()), running_var[c]};
    }
    const T count = T(double(n * plane));
    const T mean = channel_sum<Arch>(x, x, n, c, [](const auto& v, const auto&) { return v; }) / count;
    const T var = channel_sum<Arch>(x, x, n, c, [mean](const auto& v, const auto&) {
                    const auto d = v - std::remove_cvref_t<decltype(v)>(mean);
                    return d * d;
                  }) / count;
    return {mean, T(1) / math::sqrt(var + epsilon<T>()), var};
  }

  template <class Arch, class T>
  static constexpr void forward(const core::forward_args<T, 1, 4>& a) {
    for (std::size_t c = 0; c < channels; ++c) {
      const auto st = statistics_of<Arch>(a.mode, a.in[0], a.n, c, a.param[2], a.param[3]);
      const T scale = a.param[0][c] * st.inv_std, shift = a.param[1][c] - st.mean * scale;
      for (std::size_t s = 0; s < a.n; ++s)
        simd::map<Arch>(a.in[0] + s * size + c * plane, a.out + s * size + c * plane, plane,
                        [scale, shift](const auto& v) {
                          using V = std::remove_cvref_t<decltype(v)>;
                          return v * V(scale) + V(shift);
                        });
    }
  }

  template <class Arch, class A>
  static constexpr void vjp(const A& a) {
    using T = std::remove_cvref_t<decltype(*a.dout)>;
    const auto& dx = std::get<0>(a.din);
    const T count = T(double(a.n * plane));
    const T* x = a.in[0];
    std::array<T, channels> dgamma, dbeta, next_mean, next_var;
    // The tile's share of the batch: its part of the running statistics' next values.
    const T share = T(double(a.n)) * a.batch_scale;
    const T momentum = T(double(Momentum::num) / double(Momentum::den));
    for (std::size_t c = 0; c < channels; ++c) {
      const auto st = statistics_of<Arch>(a.mode, x, a.n, c, a.param[2], a.param[3]);
      const T mean = st.mean, inv_std = st.inv_std;
      const T sum_dy = channel_sum<Arch>(a.dout, a.dout, a.n, c, [](const auto& d, const auto&) { return d; });
      const T sum_dy_xhat = channel_sum<Arch>(x, a.dout, a.n, c, [mean](const auto& v, const auto& d) {
                              return (v - std::remove_cvref_t<decltype(v)>(mean)) * d;
                            }) * inv_std;
      dgamma[c] = sum_dy_xhat;
      dbeta[c] = sum_dy;
      if (a.mode.training) {
        const T unbiased = count > T(1) ? st.var * count / (count - T(1)) : st.var;
        next_mean[c] = share * ((T(1) - momentum) * a.param[2][c] + momentum * st.mean);
        next_var[c] = share * ((T(1) - momentum) * a.param[3][c] + momentum * unbiased);
      } else {
        next_mean[c] = share * a.param[2][c];
        next_var[c] = share * a.param[3][c];
      }
      // δx first: it reads γ, which an optimizer's update sink may change once ∂γ is handed over.
      // δx = g · (δy − mean(δy) − (x − μ) · k) with k = mean(δy x̂) / √(σ² + ε).
      if (!dx.active()) continue;
      const T g = a.param[0][c] * inv_std;
      const T mean_dy = a.mode.training ? sum_dy / count : T(0);
      const T k = a.mode.training ? sum_dy_xhat / count * inv_std : T(0);
      constexpr std::size_t block = 256;
      for (std::size_t s = 0; s < a.n; ++s) {
        const std::size_t at = s * size + c * plane;
        for (std::size_t i0 = 0; i0 < plane; i0 += block) {
          const std::size_t m = plane - i0 < block ? plane - i0 : block;
          std::array<T, block> row;
          simd::map2<Arch>(x + at + i0, a.dout + at + i0, row.data(), m,
                           [g, mean, mean_dy, k](const auto& v, const auto& d) {
                             using V = std::remove_cvref_t<decltype(v)>;
                             return V(g) * (d - V(mean_dy) - (v - V(mean)) * V(k));
                           });
          detail::put_row<Arch, T>(row.data(), m, dx, at + i0);
        }
      }
    }
    const std::array<const std::array<T, channels>*, 4> blocks{&dgamma, &dbeta, &next_mean, &next_var};
    for (std::size_t j = 0; j < 4; ++j) {
      std::array<T, channels> values = *blocks[j];
      if (a.accumulate[j])
        for (std::size_t c = 0; c < channels; ++c) values[c] += a.g_in[a.param_offset[j] + c];
      detail::put_row<Arch, T>(values.data(), channels, a.gradient, a.param_offset[j]);
    }
  }

  // The running statistics' tangents are left out: they are state, not trained.
  template <class Arch, class T>
  static constexpr void jvp(const core::jvp_args<T, 1, 4>& a) {
    const T count = T(double(a.n * plane));
    for (std::size_t c = 0; c < channels; ++c) {
      const auto st = statistics_of<Arch>(a.mode, a.in[0], a.n, c, a.param[2], a.param[3]);
      T mean_dx = T(0), mean_dx_xhat = T(0);
      if (a.mode.training) {
        for (std::size_t s = 0; s < a.n; ++s)
          for (std::size_t i = 0; i < plane; ++i) {
            const std::size_t k = s * size + c * plane + i;
            mean_dx += a.tin[0][k];
            mean_dx_xhat += a.tin[0][k] * ((a.in[0][k] - st.mean) * st.inv_std);
          }
        mean_dx = mean_dx / count;
        mean_dx_xhat = mean_dx_xhat / count;
      }
      const T g = a.param[0][c] * st.inv_std;
      for (std::size_t s = 0; s < a.n; ++s)
        for (std::size_t i = 0; i < plane; ++i) {
          const std::size_t k = s * size + c * plane + i;
          const T xhat = (a.in[0][k] - st.mean) * st.inv_std;
          a.tout[k] = a.tparam[0][c] * xhat + a.tparam[1][c] +
                      g * (a.tin[0][k] - mean_dx - xhat * mean_dx_xhat);
        }
    }
  }
};

}  // namespace ctnn::op
