#pragma once
// Adam and AdamW as torch.optim.Adam and torch.optim.AdamW compute them (amsgrad=False). At step
// t = 1, 2, ..., with g the gradient (times the clipping scale s), θ the parameters, γ the
// learning rate, β₁, β₂ the moment decays, λ the weight decay, ε added outside the square root:
//
//   adam:   g ← s·g + λθ                    L2: the decay goes through the moments
//   adamw:  g ← s·g;  θ ← θ (1 − γλ)        decoupled: the decay bypasses the moments
//   m ← β₁ m + (1 − β₁) g                   m, v start at 0
//   v ← β₂ v + (1 − β₂) g²
//   θ ← θ − (γ / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
//
// The last line is PyTorch's arrangement of the bias corrections (ε is added after dividing √v
// by √(1 − β₂ᵗ), not to the corrected v̂ under the root); the corrections are computed in double
// once per step, as PyTorch computes them in Python floats.
// PyTorch's defaults: γ = 1e-3, β₁ = 0.9, β₂ = 0.999, ε = 1e-8; λ = 0 for Adam, 1e-2 for AdamW.

#include <array>
#include <cmath>
#include <cstddef>
#include <string>

#include "../detail/contract.hpp"
#include "optimizer.hpp"

namespace ctnn {

struct adam_options {
  double beta1 = 0.9;       // β₁
  double beta2 = 0.999;     // β₂
  double eps = 1e-8;        // ε
  double weight_decay = 0;  // λ, as L2 (added to the gradient)
};

struct adamw_options {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;  // λ, decoupled (θ shrinks by γλ per step)
};

namespace optim::detail {

// The one implementation behind adam and adamw; Decoupled picks where λ acts.
template <class Net, class T, class Arch, class Options, bool Decoupled>
class adam_family {
 public:
  using options_type = Options;
  static constexpr double default_learning_rate = 1e-3;

  explicit adam_family(Options o = {}) : o_(o) {
    if (!(o.beta1 >= 0 && o.beta1 < 1 && o.beta2 >= 0 && o.beta2 < 1))
      ctnn::detail::contract_failed(name(), "beta1 and beta2 must be in [0, 1), got " +
                                                std::to_string(o.beta1) + " and " +
                                                std::to_string(o.beta2));
    if (!(o.eps >= 0 && o.weight_decay >= 0))
      ctnn::detail::contract_failed(name(), "eps and weight_decay must be >= 0");
  }

  // One step's update of parameter k (see optimizer.hpp).
  struct update {
    T step_size, inv_bc2_sqrt, shrink, l2, b1, r1, b2, r2, eps, s;
    T* theta;
    T* m;
    T* v;
    template <class V>
    void operator()(V, std::size_t k, const typename V::type& g) const {
      const auto x = V::load(theta + k);
      const auto d = g * V::broadcast(s) + V::broadcast(l2) * x;
      const auto mk = V::broadcast(b1) * V::load(m + k) + V::broadcast(r1) * d;
      const auto vk = V::broadcast(b2) * V::load(v + k) + V::broadcast(r2) * d * d;
      V::store(m + k, mk);
      V::store(v + k, vk);
      const auto denom = math::sqrt(vk) * V::broadcast(inv_bc2_sqrt) + V::broadcast(eps);
      V::store(theta + k, V::broadcast(shrink) * x - V::broadcast(step_size) * mk / denom);
    }
  };

  auto start_step(parameters<Net, T>& p, double learning_rate, T gradient_scale = T(1)) {
    ++steps_;
    const double t = double(steps_);
    const update u{T(learning_rate / (1 - std::pow(o_.beta1, t))),
                   T(1 / std::sqrt(1 - std::pow(o_.beta2, t))),
                   Decoupled ? T(1 - learning_rate * o_.weight_decay) : T(1),
                   Decoupled ? T(0) : T(o_.weight_decay),
                   T(o_.beta1),
                   T(1 - o_.beta1),
                   T(o_.beta2),
                   T(1 - o_.beta2),
                   T(o_.eps),
                   gradient_scale,
                   p.data(),
                   m_.data(),
                   v_.data()};
    return optim::detail::keeping_state<Net>(u, p.data());
  }

  void step(parameters<Net, T>& p, const gradient<Net, T>& g, double learning_rate,
            T gradient_scale = T(1)) {
    apply_update<Arch, T>(start_step(p, learning_rate, gradient_scale), p.size(), g.data());
  }

  std::size_t steps() const { return steps_; }
  void reset() {
    m_.fill(T(0));
    v_.fill(T(0));
    steps_ = 0;
  }
  const Options& options() const { return o_; }

 private:
  static constexpr const char* name() { return Decoupled ? "adamw" : "adam"; }

  Options o_;
  std::size_t steps_ = 0;
  alignas(64) std::array<T, Net::parameter_count> m_{};  // first moment
  alignas(64) std::array<T, Net::parameter_count> v_{};  // second moment
};

}  // namespace optim::detail

template <class Net, class T, class Arch = simd::default_arch>
using adam = optim::detail::adam_family<Net, T, Arch, adam_options, false>;

template <class Net, class T, class Arch = simd::default_arch>
using adamw = optim::detail::adam_family<Net, T, Arch, adamw_options, true>;

}  // namespace ctnn
