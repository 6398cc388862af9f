// Each optimizer against steps computed by hand. The hand versions below are plain double loops
// written from the algorithm boxes of PyTorch's documentation (torch.optim.SGD, Adagrad, RMSprop,
// Adam, AdamW), in the form the documentation states them (Adam with the bias-corrected m̂ and v̂),
// not in the rearranged form the library uses; they never call into ctnn's optimizers.
//
// The problem: f(θ) = Σₖ ½ cₖ (θₖ − aₖ)², so g = c ⊙ (θ − a) depends on the current parameters
// and weight decay, momentum and moments all feed back into later steps. Its 20 parameters are
// more than one SIMD pack and not a multiple of one, so both the vector body and the scalar tail
// of the fused loop run. The learning rate changes from step to step, as a schedule would make it.

#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <ctnn/ctnn.hpp>
#include <vector>

namespace {

using net = ctnn::network<ctnn::input<3>, ctnn::dense<5>>;  // 5·3 + 5 = 20 parameters
constexpr std::size_t n = net::parameter_count;
static_assert(n == 20);

constexpr int steps = 5;
double learning_rate_at(double base, int t) { return base * (1 - 0.1 * t); }  // t = 0, 1, ...

// Start θ, centre a and curvature c, rounded to T so that the hand run starts from exactly the
// numbers ctnn sees. |θ − a| >= 0.3 at the start, so no gradient entry is close to 0 (where
// Adam's m / √v would turn rounding noise into a full step).
template <class T>
struct problem {
  std::array<double, n> start, centre, curvature;
  problem() {
    for (std::size_t k = 0; k < n; ++k) {
      start[k] = double(T(0.5 - 0.07 * double(k)));
      centre[k] = double(T(start[k] - (k % 2 == 0 ? 1.0 : -1.0) * (0.3 + 0.05 * double(k))));
      curvature[k] = double(T(0.5 + 0.075 * double(k)));
    }
  }
};

// ---- the hand versions --------------------------------------------------------------------------

struct hand_sgd {
  double weight_decay = 0;
  void step(std::vector<double>& theta, std::vector<double> g, double lr) {
    for (std::size_t k = 0; k < theta.size(); ++k) {
      if (weight_decay != 0) g[k] += weight_decay * theta[k];
      theta[k] -= lr * g[k];
    }
  }
};

struct hand_momentum {
  double momentum, dampening = 0;
  bool nesterov = false;
  double weight_decay = 0;
  std::vector<double> b = std::vector<double>(n);
  int t = 0;
  void step(std::vector<double>& theta, std::vector<double> g, double lr) {
    ++t;
    for (std::size_t k = 0; k < theta.size(); ++k) {
      if (weight_decay != 0) g[k] += weight_decay * theta[k];
      if (t > 1)
        b[k] = momentum * b[k] + (1 - dampening) * g[k];
      else
        b[k] = g[k];
      if (nesterov)
        g[k] = g[k] + momentum * b[k];
      else
        g[k] = b[k];
      theta[k] -= lr * g[k];
    }
  }
};

struct hand_adagrad {
  double lr_decay = 0, weight_decay = 0, initial = 0, eps = 1e-10;
  std::vector<double> state_sum{};
  int t = 0;
  void step(std::vector<double>& theta, std::vector<double> g, double lr) {
    if (t == 0) state_sum.assign(theta.size(), initial);
    ++t;
    const double clr = lr / (1 + (t - 1) * lr_decay);
    for (std::size_t k = 0; k < theta.size(); ++k) {
      if (weight_decay != 0) g[k] += weight_decay * theta[k];
      state_sum[k] += g[k] * g[k];
      theta[k] -= clr * g[k] / (std::sqrt(state_sum[k]) + eps);
    }
  }
};

struct hand_rmsprop {
  double alpha = 0.99, eps = 1e-8, weight_decay = 0;
  std::vector<double> v = std::vector<double>(n);
  void step(std::vector<double>& theta, std::vector<double> g, double lr) {
    for (std::size_t k = 0; k < theta.size(); ++k) {
      if (weight_decay != 0) g[k] += weight_decay * theta[k];
      v[k] = alpha * v[k] + (1 - alpha) * g[k] * g[k];
      theta[k] -= lr * g[k] / (std::sqrt(v[k]) + eps);
    }
  }
};

// Adam (decoupled = false: λ added to g) and AdamW (decoupled = true: θ ← θ − γλθ first).
struct hand_adam {
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
  bool decoupled = false;
  std::vector<double> m = std::vector<double>(n), v = std::vector<double>(n);
  int t = 0;
  void step(std::vector<double>& theta, std::vector<double> g, double lr) {
    ++t;
    for (std::size_t k = 0; k < theta.size(); ++k) {
      if (decoupled)
        theta[k] -= lr * weight_decay * theta[k];
      else if (weight_decay != 0)
        g[k] += weight_decay * theta[k];
      m[k] = beta1 * m[k] + (1 - beta1) * g[k];
      v[k] = beta2 * v[k] + (1 - beta2) * g[k] * g[k];
      const double m_hat = m[k] / (1 - std::pow(beta1, t));
      const double v_hat = v[k] / (1 - std::pow(beta2, t));
      theta[k] -= lr * m_hat / (std::sqrt(v_hat) + eps);
    }
  }
};

// ---- the comparison -----------------------------------------------------------------------------

// Entry-wise |ctnn − hand| <= tol·(1 + |hand|). Five steps of a few operations each on values of
// order 1 stay within some tens of ulp of T; a wrong coefficient, a missing bias correction or a
// term in the wrong place is off by 1e-3 or more.
template <class T>
constexpr double tolerance = std::is_same_v<T, float> ? 4e-6 : 1e-13;

// Runs `steps` steps of opt and of hand on the problem with gradient scale s, comparing every
// parameter after every step.
template <class T, class Opt, class Hand>
void check_against_hand(Opt opt, Hand hand, double base_lr, double s = 1) {
  static_assert(ctnn::optimizer<Opt, net, T>);
  const problem<T> pb;
  ctnn::parameters<net, T> p;
  std::vector<double> theta(n);
  for (std::size_t k = 0; k < n; ++k) {
    p[k] = T(pb.start[k]);
    theta[k] = pb.start[k];
  }
  for (int t = 0; t < steps; ++t) {
    const double lr = learning_rate_at(base_lr, t);
    ctnn::gradient<net, T> g;
    std::vector<double> hand_g(n);
    for (std::size_t k = 0; k < n; ++k) {
      g[k] = T(pb.curvature[k]) * (p[k] - T(pb.centre[k]));
      hand_g[k] = s * pb.curvature[k] * (theta[k] - pb.centre[k]);
    }
    if (s == 1)
      opt.step(p, g, lr);  // the default scale
    else
      opt.step(p, g, lr, T(s));
    hand.step(theta, hand_g, lr);
    for (std::size_t k = 0; k < n; ++k) {
      INFO("step ", t + 1, ", entry ", k, ": ctnn ", double(p[k]), ", by hand ", theta[k]);
      CHECK(std::abs(double(p[k]) - theta[k]) <= tolerance<T> * (1 + std::abs(theta[k])));
    }
  }
  CHECK(opt.steps() == std::size_t(steps));
}

// Runs f.template operator()<Arch>() for the default architecture and for the scalar one.
template <class F>
void for_both_archs(F f) {
  SUBCASE("default architecture") { f.template operator()<ctnn::simd::default_arch>(); }
  SUBCASE("scalar architecture") { f.template operator()<ctnn::simd::scalar_arch>(); }
}

}  // namespace

TEST_CASE_TEMPLATE("sgd, with and without L2 weight decay and gradient scale", T, float, double) {
  for_both_archs([]<class A>() {
    check_against_hand<T>(ctnn::sgd<net, T, A>(), hand_sgd{}, 0.1);
    check_against_hand<T>(ctnn::sgd<net, T, A>({.weight_decay = 0.2}), hand_sgd{0.2}, 0.1);
    check_against_hand<T>(ctnn::sgd<net, T, A>({.weight_decay = 0.2}), hand_sgd{0.2}, 0.1, 0.5);
  });
}

TEST_CASE_TEMPLATE("heavy-ball momentum, with dampening and weight decay", T, float, double) {
  for_both_archs([]<class A>() {
    using opt = ctnn::momentum_sgd<net, T, A>;
    check_against_hand<T>(opt(), hand_momentum{0.9}, 0.1);
    // τ ≠ 0 shows PyTorch's first step (b ← g, not (1 − τ) g).
    check_against_hand<T>(opt({.momentum = 0.8, .dampening = 0.5}), hand_momentum{0.8, 0.5}, 0.1);
    check_against_hand<T>(opt({.momentum = 0.9, .weight_decay = 0.1}),
                          hand_momentum{0.9, 0, false, 0.1}, 0.1, 0.5);
  });
}

TEST_CASE_TEMPLATE("Nesterov momentum, with weight decay", T, float, double) {
  for_both_archs([]<class A>() {
    using opt = ctnn::momentum_sgd<net, T, A>;
    check_against_hand<T>(opt({.nesterov = true}), hand_momentum{0.9, 0, true}, 0.1);
    check_against_hand<T>(opt({.momentum = 0.7, .nesterov = true, .weight_decay = 0.3}),
                          hand_momentum{0.7, 0, true, 0.3}, 0.05, 2);
  });
}

TEST_CASE_TEMPLATE("AdaGrad: defaults, learning-rate decay, weight decay, accumulator", T, float,
                   double) {
  for_both_archs([]<class A>() {
    using opt = ctnn::adagrad<net, T, A>;
    check_against_hand<T>(opt(), hand_adagrad{}, 0.1);
    check_against_hand<T>(
        opt({.lr_decay = 0.5, .weight_decay = 0.1, .initial_accumulator_value = 0.25}),
        hand_adagrad{0.5, 0.1, 0.25}, 0.1, 0.5);
    // A large ε shows where it is added (outside the root).
    check_against_hand<T>(opt({.eps = 0.1}), hand_adagrad{0, 0, 0, 0.1}, 0.1);
  });
}

TEST_CASE_TEMPLATE("RMSprop: defaults and with weight decay", T, float, double) {
  for_both_archs([]<class A>() {
    using opt = ctnn::rmsprop<net, T, A>;
    check_against_hand<T>(opt(), hand_rmsprop{}, 0.01);
    check_against_hand<T>(opt({.alpha = 0.9, .weight_decay = 0.1}), hand_rmsprop{0.9, 1e-8, 0.1},
                          0.01, 0.5);
    check_against_hand<T>(opt({.eps = 0.1}), hand_rmsprop{0.99, 0.1}, 0.01);  // where ε goes
  });
}

TEST_CASE_TEMPLATE("Adam: defaults and with L2 weight decay", T, float, double) {
  for_both_archs([]<class A>() {
    using opt = ctnn::adam<net, T, A>;
    check_against_hand<T>(opt(), hand_adam{}, 0.05);
    check_against_hand<T>(opt({.beta1 = 0.8, .beta2 = 0.99, .weight_decay = 0.2}),
                          hand_adam{0.8, 0.99, 1e-8, 0.2}, 0.05, 0.5);
    // A large ε shows where PyTorch adds it: to √v̂, outside the root, after the correction.
    check_against_hand<T>(opt({.eps = 0.1}), hand_adam{0.9, 0.999, 0.1}, 0.05);
  });
}

TEST_CASE_TEMPLATE("AdamW: defaults (decoupled λ = 1e-2) and a larger λ", T, float, double) {
  for_both_archs([]<class A>() {
    using opt = ctnn::adamw<net, T, A>;
    check_against_hand<T>(opt(), hand_adam{0.9, 0.999, 1e-8, 1e-2, true}, 0.05);
    check_against_hand<T>(opt({.weight_decay = 0.5}), hand_adam{0.9, 0.999, 1e-8, 0.5, true}, 0.05,
                          0.5);
    check_against_hand<T>(opt({.beta1 = 0.5, .eps = 0.1}), hand_adam{0.5, 0.999, 0.1, 1e-2, true},
                          0.05);
  });
}

TEST_CASE_TEMPLATE("AdamW and Adam with L2 differ as they should", T, float, double) {
  // With g = 0 and θ ≠ 0 the whole step comes from λ. Adam+L2 feeds λθ through the moments, whose
  // normalisation m̂/√v̂ = ±1 turns it into a full step of γ against sign(θ), whatever λ is. AdamW
  // only shrinks θ by the factor 1 − γλ and leaves m and v at 0.
  const double lr = 0.01, wd = 0.1;
  ctnn::parameters<net, T> p_adam, p_adamw;
  for (std::size_t k = 0; k < n; ++k) p_adam[k] = p_adamw[k] = T(k % 2 == 0 ? 0.5 : -2.0);
  const ctnn::gradient<net, T> zero{};
  ctnn::adam<net, T> adam({.weight_decay = wd});
  ctnn::adamw<net, T> adamw({.weight_decay = wd});
  double expected_adamw[n];
  for (std::size_t k = 0; k < n; ++k) expected_adamw[k] = double(p_adamw[k]);
  for (int t = 0; t < 3; ++t) {
    const ctnn::parameters<net, T> before = p_adam;
    adam.step(p_adam, zero, lr);
    adamw.step(p_adamw, zero, lr);
    for (std::size_t k = 0; k < n; ++k) {
      expected_adamw[k] *= 1 - lr * wd;
      CAPTURE(k);
      // Adam+L2: |Δθ| ≈ γ (to within ε/|λθ| and the drift of the moments), toward 0.
      const double sign = before[k] > 0 ? 1.0 : -1.0;
      CHECK(double(before[k] - p_adam[k]) * sign == doctest::Approx(lr).epsilon(0.02));
      CHECK(double(p_adamw[k]) == doctest::Approx(expected_adamw[k]).epsilon(1e-6));
    }
  }
  // With λ = 0 the two are the same algorithm, to the bit.
  ctnn::adam<net, T> plain;
  ctnn::adamw<net, T> plain_w({.weight_decay = 0});
  const problem<T> pb;
  ctnn::parameters<net, T> a, b;
  ctnn::gradient<net, T> g;
  for (std::size_t k = 0; k < n; ++k) {
    a[k] = b[k] = T(pb.start[k]);
    g[k] = T(pb.curvature[k]);
  }
  for (int t = 0; t < 3; ++t) {
    plain.step(a, g, lr);
    plain_w.step(b, g, lr);
  }
  CHECK(a == b);
}

TEST_CASE("reset returns an optimizer to its freshly constructed state") {
  const problem<double> pb;
  ctnn::parameters<net, double> p1, p2;
  ctnn::gradient<net, double> g;
  for (std::size_t k = 0; k < n; ++k) {
    p1[k] = p2[k] = pb.start[k];
    g[k] = pb.curvature[k];
  }
  ctnn::adam<net, double> used;
  for (int t = 0; t < 3; ++t) used.step(p1, g, 0.1);
  used.reset();
  CHECK(used.steps() == 0);
  ctnn::adam<net, double> fresh;
  p1 = p2;
  used.step(p1, g, 0.1);
  fresh.step(p2, g, 0.1);
  CHECK(p1 == p2);

  ctnn::adagrad<net, double> ada({.initial_accumulator_value = 0.5});
  ctnn::adagrad<net, double> ada_fresh({.initial_accumulator_value = 0.5});
  for (int t = 0; t < 3; ++t) ada.step(p1, g, 0.1);
  ada.reset();
  p1 = p2;
  ada.step(p1, g, 0.1);
  ada_fresh.step(p2, g, 0.1);
  CHECK(p1 == p2);
}

TEST_CASE("options that PyTorch rejects throw ctnn::contract_error") {
  using opt = ctnn::momentum_sgd<net, float>;
  CHECK_THROWS_AS(opt({.momentum = 0}), ctnn::contract_error);
  CHECK_THROWS_AS(opt({.momentum = 0.9, .dampening = 0.1, .nesterov = true}), ctnn::contract_error);
  CHECK_NOTHROW(opt({.momentum = 0.9, .dampening = 0.1}));
  CHECK_THROWS_AS((ctnn::sgd<net, float>({.weight_decay = -1})), ctnn::contract_error);
  CHECK_THROWS_AS((ctnn::adagrad<net, float>({.eps = -1})), ctnn::contract_error);
  CHECK_THROWS_AS((ctnn::rmsprop<net, float>({.alpha = 1.5})), ctnn::contract_error);
  CHECK_THROWS_AS((ctnn::adam<net, float>({.beta1 = 1})), ctnn::contract_error);
  CHECK_THROWS_WITH_AS((ctnn::adamw<net, float>({.beta2 = -0.5})),
                       doctest::Contains("ctnn::adamw: beta1 and beta2"), ctnn::contract_error);
}

// A fit loop holds any of them through the concept.
static_assert(ctnn::optimizer<ctnn::sgd<net, float>, net, float>);
static_assert(ctnn::optimizer<ctnn::momentum_sgd<net, double>, net, double>);
static_assert(ctnn::optimizer<ctnn::adagrad<net, float, ctnn::simd::scalar_arch>, net, float>);
static_assert(ctnn::optimizer<ctnn::rmsprop<net, double>, net, double>);
static_assert(ctnn::optimizer<ctnn::adam<net, float>, net, float>);
static_assert(ctnn::optimizer<ctnn::adamw<net, double>, net, double>);
// ... and only for the network and scalar type they were made for.
static_assert(!ctnn::optimizer<ctnn::adam<net, float>, net, double>);
static_assert(
    !ctnn::optimizer<ctnn::adam<net, float>, ctnn::network<ctnn::input<3>, ctnn::dense<4>>, float>);
