#pragma once
// Learning-rate schedules: the learning rate as a function of the step, schedule(step) -> double,
// where step counts the optimizer steps already taken (0 for the first). Each is the closed form
// of the torch.optim.lr_scheduler class named beside it, with one step of ours for one
// scheduler.step() of PyTorch's:
//
//   constant_lr(γ)                    γ
//   step_lr(γ, n, f = 0.1)            γ · f^⌊step / n⌋                             StepLR
//   exponential_lr(γ, f)              γ · f^step                                   ExponentialLR
//   cosine_lr(γ, T, γ_min = 0)        γ_min + (γ − γ_min)(1 + cos(π step / T)) / 2
//   CosineAnnealingLR
//                                     and γ_min once step >= T (PyTorch's would climb back up)
//   linear_warmup(S, n, f₀ = 1/3)     S(0) · (f₀ + (1 − f₀) step / n) while step < n, then
//                                     S(step − n): the warm-up ramps from f₀·S(0) to S(0), and S
//                                     starts when it ends (SequentialLR([LinearLR, S], [n]))
//
// Any callable with that signature is a schedule; a fit loop takes one as
// `ctnn::learning_rate_schedule auto const& schedule`.

#include <cmath>
#include <concepts>
#include <cstddef>
#include <numbers>
#include <string>
#include <utility>

#include "../detail/contract.hpp"

namespace ctnn {

template <class S>
concept learning_rate_schedule = requires(const S& s, std::size_t step) {
  { s(step) } -> std::convertible_to<double>;
};

class constant_lr {
 public:
  explicit constant_lr(double learning_rate) : lr_(learning_rate) {}
  double operator()(std::size_t) const { return lr_; }

 private:
  double lr_;
};

class step_lr {
 public:
  step_lr(double learning_rate, std::size_t step_size, double gamma = 0.1)
      : lr_(learning_rate), step_size_(step_size), gamma_(gamma) {
    if (step_size == 0) detail::contract_failed("step_lr", "step_size must be > 0");
  }
  double operator()(std::size_t step) const {
    return lr_ * std::pow(gamma_, double(step / step_size_));
  }

 private:
  double lr_;
  std::size_t step_size_;
  double gamma_;
};

class exponential_lr {
 public:
  exponential_lr(double learning_rate, double gamma) : lr_(learning_rate), gamma_(gamma) {}
  double operator()(std::size_t step) const { return lr_ * std::pow(gamma_, double(step)); }

 private:
  double lr_, gamma_;
};

class cosine_lr {
 public:
  cosine_lr(double learning_rate, std::size_t period, double min_learning_rate = 0)
      : lr_(learning_rate), min_(min_learning_rate), period_(period) {
    if (period == 0) detail::contract_failed("cosine_lr", "the period (T_max) must be > 0");
  }
  double operator()(std::size_t step) const {
    if (step >= period_) return min_;
    return min_ +
           (lr_ - min_) * (1 + std::cos(std::numbers::pi * double(step) / double(period_))) / 2;
  }

 private:
  double lr_, min_;
  std::size_t period_;
};

template <learning_rate_schedule S>
class linear_warmup {
 public:
  linear_warmup(S after, std::size_t warmup_steps, double start_factor = 1.0 / 3)
      : after_(std::move(after)), steps_(warmup_steps), start_(start_factor) {
    if (!(start_factor >= 0 && start_factor <= 1))
      detail::contract_failed(
          "linear_warmup", "start_factor must be in [0, 1], got " + std::to_string(start_factor));
  }
  double operator()(std::size_t step) const {
    if (step >= steps_) return double(after_(step - steps_));
    return double(after_(0)) * (start_ + (1 - start_) * double(step) / double(steps_));
  }

 private:
  S after_;
  std::size_t steps_;
  double start_;
};

}  // namespace ctnn
