// The fused training step (train/train_step.hpp) against the unfused one it replaces: the
// gradient pass (checked against finite differences by the gradient laws) followed by the
// optimizer's own step (checked against PyTorch's formulas in optim/optimizers). Every optimizer,
// one sample and batches of one to several tiles, float and double, the SIMD and the scalar
// kernels, on a net whose rows end in part packs (5 and 19 inputs); and on two threads, where the
// update is fused into the reduction of the threads' gradients. Also: a NaN loss updates nothing,
// bad buffers are contract errors, and a step allocates nothing.

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <ctnn/ctnn.hpp>
#include <limits>
#include <vector>

#include "../support/contract_message.hpp"
#include "../support/counting_new.hpp"

namespace {

using net = ctnn::network<ctnn::input<5>, ctnn::dense<19>, ctnn::tanh, ctnn::dense<7>, ctnn::relu,
                          ctnn::dense<3>>;

template <class T>
std::vector<T> values(std::size_t count, unsigned seed, T low, T high) {
  std::vector<T> v(count);
  std::uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
  for (auto& x : v) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    x = low + (high - low) * static_cast<T>(state >> 40) / static_cast<T>(1ull << 24);
  }
  return v;
}

// Relative difference, with an absolute floor for values near 0.
template <class T>
double worst_difference(const ctnn::parameters<net, T>& a, const ctnn::parameters<net, T>& b) {
  double worst = 0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    const double x = a.data()[k], y = b.data()[k];
    worst = std::max(worst, std::abs(x - y) / std::max(1.0, std::abs(y)));
  }
  return worst;
}

bool same(const ctnn::parameters<net, float>& a, const ctnn::parameters<net, float>& b) {
  return std::equal(a.data(), a.data() + a.size(), b.data());
}

// The two sides round differently in places (a row's last values go through the scalar update,
// and the compiler fuses multiply-adds per call site), and RMSprop's first steps divide by √v ≈ |g|,
// which magnifies an ulp of g: a few float ulps after three steps. A wrong update is off by far more.
template <class T>
constexpr double tolerance = std::is_same_v<T, float> ? 1e-5 : 1e-13;

// Runs `steps` fused and unfused steps side by side from the same start, batch by batch.
template <class Arch, class T, template <class, class, class> class Optimizer, class Options,
          std::size_t Tile>
void compare_batches(const Options& options, std::size_t batch, int steps) {
  CAPTURE(batch);
  CAPTURE(Tile);
  ctnn::parameters<net, T> fused, plain;
  ctnn::initialize(fused, 3);
  plain = fused;
  Optimizer<net, T, Arch> fused_opt(options), plain_opt(options);
  ctnn::gradient<net, T> g, scratch;
  ctnn::workspace<net, T, Tile> ws;
  const ctnn::softmax_cross_entropy loss;
  for (int s = 0; s < steps; ++s) {
    const auto x = values<T>(batch * net::input_size, 10 + s, T(-1), T(1));
    auto t = values<T>(batch * net::output_size, 20 + s, T(0), T(1));
    std::vector<T> y_fused(batch * net::output_size), y_plain(batch * net::output_size);
    const T l_fused = ctnn::train_step_batch<Arch>(fused, loss, x, t, fused_opt, 0.05, scratch, ws,
                                                   y_fused);
    const T l_plain = ctnn::loss_and_gradient_batch<Arch>(plain, loss, x, t, g, ws, {}, y_plain);
    plain_opt.step(plain, g, 0.05);
    // The first step starts from the same parameters: the same forward pass, bit for bit.
    // Later ones start from parameters that may differ in their last bits, and a batch of one
    // runs the single-sample kernels, whose sums round differently from the tile kernels'.
    if (s == 0 && batch > 1) {
      CHECK(l_fused == l_plain);
      CHECK(y_fused == y_plain);
    } else {
      CHECK(l_fused == doctest::Approx(l_plain).epsilon(1e-5));
      for (std::size_t k = 0; k < y_fused.size(); ++k)
        CHECK(y_fused[k] == doctest::Approx(y_plain[k]).epsilon(1e-5));
    }
  }
  CHECK(fused_opt.steps() == plain_opt.steps());
  CHECK(worst_difference(fused, plain) <= tolerance<T>);
  CHECK(worst_difference(fused, plain) >= 0);
}

template <class Arch, class T, template <class, class, class> class Optimizer, class Options>
void compare_samples(const Options& options, int steps) {
  ctnn::parameters<net, T> fused, plain, start;
  ctnn::initialize(fused, 4);
  plain = start = fused;
  Optimizer<net, T, Arch> fused_opt(options), plain_opt(options);
  ctnn::gradient<net, T> g;
  const ctnn::squared_error loss;
  for (int s = 0; s < steps; ++s) {
    const auto xv = values<T>(net::input_size, 30 + s, T(-1), T(1));
    const auto tv = values<T>(net::output_size, 40 + s, T(-1), T(1));
    std::array<T, net::input_size> x;
    std::array<T, net::output_size> t;
    std::copy(xv.begin(), xv.end(), x.begin());
    std::copy(tv.begin(), tv.end(), t.begin());
    const T l_fused = ctnn::train_step<Arch>(fused, loss, x, t, fused_opt, 0.05);
    const T l_plain = ctnn::loss_and_gradient<Arch>(plain, loss, x, t, g);
    plain_opt.step(plain, g, 0.05);
    if (s == 0) CHECK(l_fused == l_plain);
    else CHECK(l_fused == doctest::Approx(l_plain).epsilon(1e-5));
  }
  CHECK(worst_difference(fused, plain) <= tolerance<T>);
  CHECK(worst_difference(fused, start) > 1e-4);  // the steps did move the parameters
}

template <class Arch, class T, template <class, class, class> class Optimizer, class Options>
void compare_all(const Options& options) {
  compare_samples<Arch, T, Optimizer>(options, 5);
  for (std::size_t batch : {1, 7, 8, 9, 29})
    compare_batches<Arch, T, Optimizer, Options, 8>(options, batch, 3);
  compare_batches<Arch, T, Optimizer, Options, 32>(options, 32, 2);
}

template <class Arch, class T>
void every_optimizer() {
  SUBCASE("sgd") { compare_all<Arch, T, ctnn::sgd>(ctnn::sgd_options{.weight_decay = 0.01}); }
  SUBCASE("momentum") {
    compare_all<Arch, T, ctnn::momentum_sgd>(ctnn::momentum_options{.momentum = 0.9});
  }
  SUBCASE("nesterov") {
    compare_all<Arch, T, ctnn::momentum_sgd>(
        ctnn::momentum_options{.momentum = 0.8, .nesterov = true, .weight_decay = 0.01});
  }
  SUBCASE("adagrad") { compare_all<Arch, T, ctnn::adagrad>(ctnn::adagrad_options{.lr_decay = 0.1}); }
  SUBCASE("rmsprop") { compare_all<Arch, T, ctnn::rmsprop>(ctnn::rmsprop_options{}); }
  SUBCASE("adam") { compare_all<Arch, T, ctnn::adam>(ctnn::adam_options{.weight_decay = 0.01}); }
  SUBCASE("adamw") { compare_all<Arch, T, ctnn::adamw>(ctnn::adamw_options{}); }
}

}  // namespace

TEST_CASE_TEMPLATE("fused step = gradient pass + optimizer step: every optimizer, SIMD kernels", T,
                   float, double) {
  every_optimizer<ctnn::simd::default_arch, T>();
}

TEST_CASE_TEMPLATE("fused step = gradient pass + optimizer step: every optimizer, scalar kernels",
                   T, float, double) {
  every_optimizer<ctnn::simd::scalar_arch, T>();
}

TEST_CASE("threaded fused step = threaded gradient pass + optimizer step, reproducible") {
  ctnn::thread_pool pool(2);
  ctnn::parallel_workspace<net, float, 8> pws(pool);
  for (std::size_t batch : {3, 29, 64}) {
    CAPTURE(batch);
    ctnn::parameters<net, float> fused, plain;
    ctnn::initialize(fused, 8);
    plain = fused;
    const auto start = fused;
    ctnn::adam<net, float> fused_opt, plain_opt;
    ctnn::gradient<net, float> g, scratch;
    const ctnn::softmax_cross_entropy loss;
    std::vector<float> y_fused(batch * 3), y_plain(batch * 3);
    for (int s = 0; s < 3; ++s) {
      const auto x = values<float>(batch * 5, 50 + s, -1.0f, 1.0f);
      const auto t = values<float>(batch * 3, 60 + s, 0.0f, 1.0f);
      const float l_fused =
          ctnn::train_step_batch(pool, fused, loss, x, t, fused_opt, 0.01, scratch, pws, y_fused);
      const float l_plain =
          ctnn::loss_and_gradient_batch(pool, plain, loss, x, t, g, pws, {}, y_plain);
      plain_opt.step(plain, g, 0.01);
      if (s == 0) {
        CHECK(l_fused == l_plain);
        CHECK(y_fused == y_plain);
      }
    }
    CHECK(worst_difference(fused, plain) <= tolerance<float>);
    CHECK(worst_difference(fused, start) > 1e-3);

    // The same steps again from the same start: the same bits.
    ctnn::parameters<net, float> again = start;
    ctnn::adam<net, float> again_opt;
    for (int s = 0; s < 3; ++s) {
      const auto x = values<float>(batch * 5, 50 + s, -1.0f, 1.0f);
      const auto t = values<float>(batch * 3, 60 + s, 0.0f, 1.0f);
      ctnn::train_step_batch(pool, again, loss, x, t, again_opt, 0.01, scratch, pws);
    }
    CHECK(std::equal(again.data(), again.data() + again.size(), fused.data()));
  }
}

TEST_CASE("a NaN loss leaves the parameters and the optimizer as they were") {
  ctnn::parameters<net, float> p;
  ctnn::initialize(p, 5);
  const auto before = p;
  ctnn::adam<net, float> opt;
  // A NaN target: the relu layer would turn a NaN input into 0 (max(NaN, 0) is 0 on x86).
  std::array<float, 5> x{0.1f, 0.2f, 0.3f, 0.4f, 0.5f};
  std::array<float, 3> t{0, std::numeric_limits<float>::quiet_NaN(), 0};
  CHECK(std::isnan(ctnn::train_step(p, ctnn::squared_error{}, x, t, opt, 1e-2)));
  CHECK(opt.steps() == 0);
  CHECK(same(p, before));

  // A batch of two tiles whose first tile has an infinite target: nothing moves.
  ctnn::gradient<net, float> scratch;
  ctnn::workspace<net, float, 4> ws;
  const auto xs = values<float>(6 * 5, 1, -1.0f, 1.0f);
  auto ts = values<float>(6 * 3, 2, 0.0f, 1.0f);
  ts[4] = std::numeric_limits<float>::infinity();
  CHECK(!std::isfinite(
      ctnn::train_step_batch(p, ctnn::softmax_cross_entropy{}, xs, ts, opt, 1e-2, scratch, ws)));
  CHECK(opt.steps() == 0);
  CHECK(same(p, before));

  // On two threads.
  ctnn::thread_pool pool(2);
  ctnn::parallel_workspace<net, float, 4> pws(pool);
  CHECK(!std::isfinite(ctnn::train_step_batch(pool, p, ctnn::softmax_cross_entropy{}, xs, ts, opt,
                                              1e-2, scratch, pws)));
  CHECK(opt.steps() == 0);
  CHECK(same(p, before));
}

TEST_CASE("train_step_batch: buffers that do not fit are contract errors that name them") {
  ctnn::parameters<net, float> p;
  ctnn::sgd<net, float> opt;
  ctnn::gradient<net, float> scratch;
  ctnn::workspace<net, float> ws;
  const std::vector<float> x(10), t(6), short_t(5);
  std::vector<float> y(5);
  const ctnn::squared_error loss;
  const std::string bad_targets = ctnn_test::contract_message(
      [&] { ctnn::train_step_batch(p, loss, x, short_t, opt, 0.1, scratch, ws); });
  CHECK(ctnn_test::contains(bad_targets, "train_step_batch"));
  CHECK(ctnn_test::contains(bad_targets, "target buffer"));
  CHECK(ctnn_test::contains(
      ctnn_test::contract_message([&] { ctnn::train_step_batch(p, loss, x, t, opt, 0.1, scratch, ws, y); }),
      "output buffer"));
  CHECK(ctnn_test::contains(ctnn_test::contract_message([&] {
          ctnn::train_step_batch(p, loss, std::vector<float>{}, t, opt, 0.1, scratch, ws);
        }),
        "the batch is empty"));
  CHECK(opt.steps() == 0);
}

#if CTNN_TEST_COUNTS_ALLOCATIONS
TEST_CASE("a fused step allocates nothing") {
  ctnn::parameters<net, float> p;
  ctnn::initialize(p, 6);
  ctnn::adam<net, float> opt;
  ctnn::gradient<net, float> scratch;
  ctnn::workspace<net, float, 8> ws;
  const auto xs = values<float>(20 * 5, 3, -1.0f, 1.0f);
  const auto ts = values<float>(20 * 3, 4, 0.0f, 1.0f);
  const std::array<float, 5> x{0.1f, 0.2f, 0.3f, 0.4f, 0.5f};
  const std::array<float, 3> t{0, 1, 0};
  const std::size_t before = ctnn_test::allocation_count();
  for (int k = 0; k < 10; ++k) {
    ctnn::train_step(p, ctnn::squared_error{}, x, t, opt, 1e-3);
    ctnn::train_step_batch(p, ctnn::softmax_cross_entropy{}, xs, ts, opt, 1e-3, scratch, ws);
  }
  CHECK(ctnn_test::allocation_count() == before);
  CHECK(opt.steps() == 20);
}
#endif
