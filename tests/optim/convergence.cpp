// Each optimizer trains, through one generic fit loop that holds it by the ctnn::optimizer concept
// and takes its learning rate from a schedule:
//   - XOR (2-8-1, tanh then sigmoid, binary cross-entropy, the 4 samples as one full batch, fixed
//     seed) to a mean loss below 0.05 within a fixed number of steps; at the start it is about
//     0.7 (ln 2 for a net that has not learnt anything), so this needs real learning;
//   - a quadratic bowl: a linear net y = W x + b with squared error on data from a known map
//     (W*, b*), which it must recover to 1e-6. The bowl's minimum is exactly (W*, b*), so
//     finishing there shows the steps point downhill all the way, not just at the start.

#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <ctnn/ctnn.hpp>

namespace {

// The fit loop a training module would have: it knows nothing of the optimizer or schedule.
template <class Net, class T, ctnn::optimizer<Net, T> O, ctnn::learning_rate_schedule S, class Loss,
          std::size_t N_in, std::size_t N_out>
T fit(ctnn::parameters<Net, T>& p, O& opt, const S& schedule, Loss loss,
      const std::array<T, N_in>& x, const std::array<T, N_out>& t, std::size_t steps) {
  ctnn::gradient<Net, T> g;
  ctnn::workspace<Net, T> ws;
  for (std::size_t k = 0; k < steps; ++k) {
    ctnn::loss_and_gradient_batch(p, loss, x, t, g, ws);
    opt.step(p, g, schedule(k));
  }
  return ctnn::loss_batch(p, loss, x, t, ws);
}

// ---- XOR ---------------------------------------------------------------------------------------

using xor_net =
    ctnn::network<ctnn::input<2>, ctnn::dense<8>, ctnn::tanh, ctnn::dense<1>, ctnn::sigmoid>;
constexpr std::array<float, 8> xor_x = {0, 0, 0, 1, 1, 0, 1, 1};
constexpr std::array<float, 4> xor_t = {0, 1, 1, 0};
constexpr std::size_t xor_steps = 500;

template <class O, class S>
float train_xor(O opt, const S& schedule) {
  ctnn::parameters<xor_net, float> p;
  ctnn::initialize(p, 7);
  ctnn::workspace<xor_net, float> ws;
  const float start = ctnn::loss_batch(p, ctnn::binary_cross_entropy{}, xor_x, xor_t, ws);
  const float end = fit(p, opt, schedule, ctnn::binary_cross_entropy{}, xor_x, xor_t, xor_steps);
  MESSAGE("XOR: mean loss ", start, " at the start, ", end, " after ", xor_steps, " steps");
  return end;
}

}  // namespace

TEST_CASE("every optimizer learns XOR") {
  using ctnn::constant_lr;
  CHECK(train_xor(ctnn::sgd<xor_net, float>(), constant_lr(0.5)) < 0.05f);
  CHECK(train_xor(ctnn::momentum_sgd<xor_net, float>(), ctnn::step_lr(0.1, 200, 0.5)) < 0.05f);
  CHECK(train_xor(ctnn::momentum_sgd<xor_net, float>({.nesterov = true}),
                  ctnn::exponential_lr(0.1, 0.999)) < 0.05f);
  CHECK(train_xor(ctnn::adagrad<xor_net, float>(), constant_lr(0.1)) < 0.05f);
  CHECK(train_xor(ctnn::rmsprop<xor_net, float>(), ctnn::cosine_lr(0.01, xor_steps, 1e-3)) < 0.05f);
  CHECK(train_xor(ctnn::adam<xor_net, float>(),
                  ctnn::linear_warmup(ctnn::cosine_lr(0.02, xor_steps - 50), 50)) < 0.05f);
  CHECK(train_xor(ctnn::adamw<xor_net, float>(), constant_lr(0.01)) < 0.05f);
}

namespace {

// ---- the quadratic bowl ------------------------------------------------------------------------

using linear_net = ctnn::network<ctnn::input<3>, ctnn::dense<2>>;
constexpr std::size_t bowl_samples = 16;
constexpr std::array<double, 8> known = {1.0,  -2.0, 0.5,   // W* row 0
                                         0.25, 3.0,  -1.0,  // W* row 1
                                         0.5,  -1.5};       // b*

struct bowl_data {
  std::array<double, bowl_samples * 3> x;
  std::array<double, bowl_samples * 2> t;
  bowl_data() {
    for (std::size_t s = 0; s < bowl_samples; ++s) {
      // Over [-1, 1]^3, each input at its own frequency so that no input is a combination of the
      // others (the same frequency with other phases would span only a plane, and the bowl would
      // have a valley of minima instead of one point).
      const std::array<double, 3> frequency = {1.3, 2.9, 0.7};
      for (std::size_t i = 0; i < 3; ++i)
        x[s * 3 + i] = std::sin(double(s + 1) * frequency[i] + 0.3);
      for (std::size_t o = 0; o < 2; ++o) {
        t[s * 2 + o] = known[6 + o];
        for (std::size_t i = 0; i < 3; ++i) t[s * 2 + o] += known[o * 3 + i] * x[s * 3 + i];
      }
    }
  }
};

template <class O, class S>
void check_bowl(O opt, const S& schedule, std::size_t steps) {
  const bowl_data data;
  ctnn::parameters<linear_net, double> p;
  ctnn::initialize(p, 3);
  const double end = fit(p, opt, schedule, ctnn::squared_error{}, data.x, data.t, steps);
  MESSAGE("bowl: mean loss ", end, " after ", steps, " steps");
  for (std::size_t k = 0; k < known.size(); ++k) {
    INFO("parameter ", k, ": trained ", p[k], ", known ", known[k]);
    CHECK(std::abs(p[k] - known[k]) < 1e-6);
  }
}

}  // namespace

TEST_CASE("every optimizer finds the bottom of a quadratic bowl") {
  using ctnn::constant_lr;
  using net = linear_net;
  check_bowl(ctnn::sgd<net, double>(), constant_lr(0.3), 2000);
  check_bowl(ctnn::momentum_sgd<net, double>(), constant_lr(0.1), 2000);
  check_bowl(ctnn::momentum_sgd<net, double>({.nesterov = true}), constant_lr(0.1), 2000);
  check_bowl(ctnn::adagrad<net, double>(), constant_lr(0.5), 2000);
  check_bowl(ctnn::rmsprop<net, double>(), ctnn::cosine_lr(0.01, 2000), 2000);
  check_bowl(ctnn::adam<net, double>(), ctnn::cosine_lr(0.05, 2000), 2000);
  // AdamW's decoupled decay pulls toward 0 and would stop short of (W*, b*): λ = 0 here.
  check_bowl(ctnn::adamw<net, double>({.weight_decay = 0}), ctnn::cosine_lr(0.05, 2000), 2000);
}
