#pragma once
// Stochastic gradient descent, plain and with momentum (heavy ball or Nesterov), as
// torch.optim.SGD computes it. With g the gradient (times the clipping scale s, see clip.hpp),
// θ the parameters, γ the learning rate, λ the weight decay, μ the momentum, τ the dampening:
//
//   g ← s·g + λθ                          L2 weight decay, added to the gradient (PyTorch: λ = 0)
//   sgd:           θ ← θ − γ g
//   momentum_sgd:  b ← g                  on the first step (PyTorch's buffer starts as a copy of
//   g)
//                  b ← μ b + (1 − τ) g    afterwards
//                  θ ← θ − γ b            heavy ball
//                  θ ← θ − γ (g + μ b)    Nesterov (PyTorch's form; needs μ > 0 and τ = 0)
//
// PyTorch's SGD has no default learning rate and defaults to μ = 0, τ = 0, λ = 0; μ = 0 is the
// plain `sgd` here (it needs no buffer), so momentum_sgd defaults to μ = 0.9.

#include <array>
#include <cstddef>
#include <string>

#include "../detail/contract.hpp"
#include "optimizer.hpp"

namespace ctnn {

struct sgd_options {
  double weight_decay = 0;  // λ
};

template <class Net, class T, class Arch = simd::default_arch>
class sgd {
 public:
  explicit sgd(sgd_options o = {}) : o_(o) {
    if (!(o.weight_decay >= 0))
      detail::contract_failed("sgd",
                              "weight_decay must be >= 0, got " + std::to_string(o.weight_decay));
  }

  // One step's update of parameter k (see optimizer.hpp).
  struct update {
    T lr, wd, s;
    T* theta;
    template <class V>
    void operator()(V, std::size_t k, const typename V::type& g) const {
      const auto x = V::load(theta + k);
      const auto d = g * V::broadcast(s) + V::broadcast(wd) * x;
      V::store(theta + k, x - V::broadcast(lr) * d);
    }
  };

  auto start_step(parameters<Net, T>& p, double learning_rate, T gradient_scale = T(1)) {
    ++steps_;
    const update u{T(learning_rate), T(o_.weight_decay), gradient_scale, p.data()};
    return optim::detail::keeping_state<Net>(u, p.data());
  }

  void step(parameters<Net, T>& p, const gradient<Net, T>& g, double learning_rate,
            T gradient_scale = T(1)) {
    optim::detail::apply_update<Arch, T>(start_step(p, learning_rate, gradient_scale), p.size(),
                                         g.data());
  }

  std::size_t steps() const { return steps_; }
  void reset() { steps_ = 0; }
  const sgd_options& options() const { return o_; }

 private:
  sgd_options o_;
  std::size_t steps_ = 0;
};

struct momentum_options {
  double momentum = 0.9;  // μ
  double dampening = 0;   // τ
  bool nesterov = false;
  double weight_decay = 0;  // λ
};

template <class Net, class T, class Arch = simd::default_arch>
class momentum_sgd {
 public:
  explicit momentum_sgd(momentum_options o = {}) : o_(o) {
    if (!(o.momentum > 0))
      detail::contract_failed(
          "momentum_sgd",
          "momentum must be > 0 (use ctnn::sgd for none), got " + std::to_string(o.momentum));
    if (o.nesterov && o.dampening != 0)
      detail::contract_failed("momentum_sgd", "Nesterov momentum requires dampening = 0, got " +
                                                  std::to_string(o.dampening));
    if (!(o.weight_decay >= 0))
      detail::contract_failed("momentum_sgd",
                              "weight_decay must be >= 0, got " + std::to_string(o.weight_decay));
  }

  // One step's update of parameter k (see optimizer.hpp).
  struct update {
    T lr, wd, s, mu, keep, take;
    bool nesterov;
    T* theta;
    T* b;
    template <class V>
    void operator()(V, std::size_t k, const typename V::type& g) const {
      const auto x = V::load(theta + k);
      const auto d = g * V::broadcast(s) + V::broadcast(wd) * x;
      const auto bk = V::broadcast(keep) * V::load(b + k) + V::broadcast(take) * d;
      V::store(b + k, bk);
      if (nesterov)
        V::store(theta + k, x - V::broadcast(lr) * (d + V::broadcast(mu) * bk));
      else
        V::store(theta + k, x - V::broadcast(lr) * bk);
    }
  };

  auto start_step(parameters<Net, T>& p, double learning_rate, T gradient_scale = T(1)) {
    // b starts at 0, so "b ← g on the first step" is b ← 0·b + 1·g: one formula, no branch.
    const T keep = steps_ == 0 ? T(0) : T(o_.momentum);
    const T take = steps_ == 0 ? T(1) : T(1 - o_.dampening);
    ++steps_;
    const update u{T(learning_rate), T(o_.weight_decay), gradient_scale, T(o_.momentum), keep, take,
                   o_.nesterov, p.data(), buffer_.data()};
    return optim::detail::keeping_state<Net>(u, p.data());
  }

  void step(parameters<Net, T>& p, const gradient<Net, T>& g, double learning_rate,
            T gradient_scale = T(1)) {
    optim::detail::apply_update<Arch, T>(start_step(p, learning_rate, gradient_scale), p.size(),
                                         g.data());
  }

  std::size_t steps() const { return steps_; }
  void reset() {
    buffer_.fill(T(0));
    steps_ = 0;
  }
  const momentum_options& options() const { return o_; }

 private:
  momentum_options o_;
  std::size_t steps_ = 0;
  alignas(64) std::array<T, Net::parameter_count> buffer_{};  // b
};

}  // namespace ctnn
