#pragma once
// AdaGrad as torch.optim.Adagrad computes it. At step t = 1, 2, ..., with g the gradient (times
// the clipping scale s), θ the parameters, γ the learning rate, η the learning-rate decay, λ the
// weight decay, ε added outside the square root:
//
//   γ̃ ← γ / (1 + (t − 1) η)
//   g ← s·g + λθ
//   S ← S + g²                      S starts at the initial accumulator value τ
//   θ ← θ − γ̃ g / (√S + ε)
//
// PyTorch's defaults: γ = 1e-2, η = 0, λ = 0, τ = 0, ε = 1e-10.

#include <array>
#include <cstddef>
#include <string>

#include "../detail/contract.hpp"
#include "optimizer.hpp"

namespace ctnn {

struct adagrad_options {
  double lr_decay = 0;                   // η
  double weight_decay = 0;               // λ
  double initial_accumulator_value = 0;  // τ
  double eps = 1e-10;                    // ε
};

template <class Net, class T, class Arch = simd::default_arch>
class adagrad {
 public:
  static constexpr double default_learning_rate = 1e-2;

  explicit adagrad(adagrad_options o = {}) : o_(o) {
    if (!(o.lr_decay >= 0 && o.weight_decay >= 0 && o.initial_accumulator_value >= 0 && o.eps >= 0))
      detail::contract_failed("adagrad",
                              "lr_decay, weight_decay, initial_accumulator_value and eps "
                              "must be >= 0");
    reset();
  }

  // One step's update of parameter k (see optimizer.hpp).
  struct update {
    T lr, wd, eps, s;
    T* theta;
    T* sum;
    template <class V>
    void operator()(V, std::size_t k, const typename V::type& g) const {
      const auto x = V::load(theta + k);
      const auto d = g * V::broadcast(s) + V::broadcast(wd) * x;
      const auto S = V::load(sum + k) + d * d;
      V::store(sum + k, S);
      V::store(theta + k, x - V::broadcast(lr) * d / (math::sqrt(S) + V::broadcast(eps)));
    }
  };

  auto start_step(parameters<Net, T>& p, double learning_rate, T gradient_scale = T(1)) {
    ++steps_;
    const T lr = T(learning_rate / (1 + double(steps_ - 1) * o_.lr_decay));
    const update u{lr, T(o_.weight_decay), T(o_.eps), gradient_scale, p.data(), sum_.data()};
    return optim::detail::keeping_state<Net>(u, p.data());
  }

  void step(parameters<Net, T>& p, const gradient<Net, T>& g, double learning_rate,
            T gradient_scale = T(1)) {
    optim::detail::apply_update<Arch, T>(start_step(p, learning_rate, gradient_scale), p.size(),
                                         g.data());
  }

  std::size_t steps() const { return steps_; }
  void reset() {
    sum_.fill(T(o_.initial_accumulator_value));
    steps_ = 0;
  }
  const adagrad_options& options() const { return o_; }

 private:
  adagrad_options o_;
  std::size_t steps_ = 0;
  alignas(64) std::array<T, Net::parameter_count> sum_;  // S
};

}  // namespace ctnn
