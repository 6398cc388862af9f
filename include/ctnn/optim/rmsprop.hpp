#pragma once
// RMSprop as torch.optim.RMSprop computes it with centered=False and momentum=0. With g the
// gradient (times the clipping scale s), θ the parameters, γ the learning rate, α the smoothing
// constant, λ the weight decay, ε added outside the square root:
//
//   g ← s·g + λθ
//   v ← α v + (1 − α) g²            v starts at 0
//   θ ← θ − γ g / (√v + ε)
//
// PyTorch's defaults: γ = 1e-2, α = 0.99, ε = 1e-8, λ = 0.

#include <array>
#include <cstddef>
#include <string>

#include "../detail/contract.hpp"
#include "optimizer.hpp"

namespace ctnn {

struct rmsprop_options {
  double alpha = 0.99;      // α
  double eps = 1e-8;        // ε
  double weight_decay = 0;  // λ
};

template <class Net, class T, class Arch = simd::default_arch>
class rmsprop {
 public:
  static constexpr double default_learning_rate = 1e-2;

  explicit rmsprop(rmsprop_options o = {}) : o_(o) {
    if (!(o.alpha >= 0 && o.alpha <= 1 && o.eps >= 0 && o.weight_decay >= 0))
      detail::contract_failed("rmsprop", "alpha must be in [0, 1], eps and weight_decay >= 0");
  }

  // One step's update of parameter k (see optimizer.hpp).
  struct update {
    T lr, alpha, rest, wd, eps, s;
    T* theta;
    T* avg;
    template <class V>
    void operator()(V, std::size_t k, const typename V::type& g) const {
      const auto x = V::load(theta + k);
      const auto d = g * V::broadcast(s) + V::broadcast(wd) * x;
      const auto v = V::broadcast(alpha) * V::load(avg + k) + V::broadcast(rest) * d * d;
      V::store(avg + k, v);
      V::store(theta + k, x - V::broadcast(lr) * d / (math::sqrt(v) + V::broadcast(eps)));
    }
  };

  auto start_step(parameters<Net, T>& p, double learning_rate, T gradient_scale = T(1)) {
    ++steps_;
    const update u{T(learning_rate), T(o_.alpha), T(1 - o_.alpha), T(o_.weight_decay),
                   T(o_.eps), gradient_scale, p.data(), square_avg_.data()};
    return optim::detail::keeping_state<Net>(u, p.data());
  }

  void step(parameters<Net, T>& p, const gradient<Net, T>& g, double learning_rate,
            T gradient_scale = T(1)) {
    optim::detail::apply_update<Arch, T>(start_step(p, learning_rate, gradient_scale), p.size(),
                                         g.data());
  }

  std::size_t steps() const { return steps_; }
  void reset() {
    square_avg_.fill(T(0));
    steps_ = 0;
  }
  const rmsprop_options& options() const { return o_; }

 private:
  rmsprop_options o_;
  std::size_t steps_ = 0;
  alignas(64) std::array<T, Net::parameter_count> square_avg_{};  // v
};

}  // namespace ctnn
