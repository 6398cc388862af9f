// The fit loop (train/fit.hpp): reproducible shuffling, the validation split, early stopping and
// restoring the best weights, the per-epoch callback, non-finite losses, the schedule and
// clipping against a hand-written loop, argument errors, and no allocation per step.
//
// The data is a small learnable task: 4 inputs uniform in [-1, 1], 3 classes given by the
// largest of three fixed linear functions of the inputs (linearly separable), one-hot targets.

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctnn/ctnn.hpp>
#include <limits>
#include <memory>
#include <new>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "../support/counting_new.hpp"

namespace {

using net = ctnn::network<ctnn::input<4>, ctnn::dense<16>, ctnn::tanh, ctnn::dense<3>>;
using params = ctnn::parameters<net, float>;
constexpr ctnn::softmax_cross_entropy loss{};

struct task {
  std::vector<float> x, t;
  std::size_t n = 0;
  ctnn::labelled_data<float> data() const { return {x, t}; }
};

task make_task(std::size_t n, std::uint64_t seed) {
  static constexpr float w[3][4] = {{1, -1, 0.5f, 0}, {-0.5f, 1, 1, -1}, {0, 0.5f, -1, 1}};
  ctnn::detail::random_generator rng(seed);
  task d;
  d.n = n;
  for (std::size_t s = 0; s < n; ++s) {
    float in[4];
    for (float& v : in) v = static_cast<float>(rng.uniform(-1, 1));
    std::size_t best = 0;
    float best_score = -1e9f;
    for (std::size_t c = 0; c < 3; ++c) {
      float score = 0;
      for (std::size_t i = 0; i < 4; ++i) score += w[c][i] * in[i];
      if (score > best_score) best_score = score, best = c;
    }
    d.x.insert(d.x.end(), in, in + 4);
    for (std::size_t c = 0; c < 3; ++c) d.t.push_back(c == best ? 1.0f : 0.0f);
  }
  return d;
}

ctnn::fit_options quiet(std::size_t epochs, std::size_t batch, std::uint64_t seed) {
  ctnn::fit_options o;
  o.epochs = epochs;
  o.batch_size = batch;
  o.seed = seed;
  o.output = nullptr;
  return o;
}

params initial(std::uint64_t seed = 3) {
  params p;
  ctnn::initialize(p, seed);
  return p;
}

bool bit_identical(const params& a, const params& b) {
  return std::memcmp(a.data(), b.data(), sizeof(float) * a.size()) == 0;
}

// The mean loss of the samples listed in `rows`, each computed on its own.
double mean_loss_of(const params& p, const task& d, const std::vector<std::size_t>& rows) {
  double sum = 0;
  for (std::size_t r : rows)
    sum += ctnn::loss(p, loss, std::span<const float, 4>(d.x.data() + 4 * r, 4),
                      std::span<const float, 3>(d.t.data() + 3 * r, 3));
  return sum / double(rows.size());
}

}  // namespace

TEST_CASE("fit: the same seed gives bit-identical weights, another seed other weights") {
  const task d = make_task(200, 1);
  const auto run = [&](std::uint64_t seed) {
    params p = initial();
    ctnn::adam<net, float> opt;
    ctnn::fit(p, loss, opt, ctnn::constant_lr(0.01), d.data(), quiet(3, 16, seed));
    return p;
  };
  const params a = run(7), b = run(7), c = run(8);
  CHECK(bit_identical(a, b));
  CHECK_FALSE(bit_identical(a, c));
  CHECK_FALSE(bit_identical(a, initial()));
}

TEST_CASE("fit: with 2 threads, reproducible, and equal to one thread up to rounding") {
  const task d = make_task(200, 1);
  const auto run = [&](std::size_t threads) {
    params p = initial();
    ctnn::sgd<net, float> opt;
    auto o = quiet(3, 32, 7);
    o.threads = threads;
    const auto r = ctnn::fit(p, loss, opt, ctnn::constant_lr(0.1), d.data(), o);
    CHECK(r.history.size() == 3);
    return p;
  };
  const params one = run(1), two = run(2), two_again = run(2);
  CHECK(bit_identical(two, two_again));
  // Plain SGD over 3 epochs amplifies no rounding much: the weights agree closely.
  for (std::size_t k = 0; k < one.size(); ++k) CHECK(two[k] == doctest::Approx(one[k]).epsilon(1e-3).scale(1));
}

TEST_CASE("fit: loss decreases on a learnable task and accuracy rises") {
  const task d = make_task(600, 2);
  params p = initial();
  ctnn::momentum_sgd<net, float> opt;
  auto o = quiet(30, 16, 1);
  o.validation_fraction = 0.2;
  const auto r = ctnn::fit(p, loss, opt, ctnn::constant_lr(0.05), d.data(), o);
  REQUIRE(r.history.size() == 30);
  const auto& first = r.history.front();
  const auto& last = r.history.back();
  MESSAGE("loss ", first.train_loss, " -> ", last.train_loss, ", val accuracy ",
          first.validation_accuracy, " -> ", last.validation_accuracy);
  CHECK(last.train_loss < 0.3 * first.train_loss);
  CHECK(last.validation_loss < 0.3 * first.validation_loss);
  CHECK(last.validation_accuracy > 0.9);
  CHECK(last.train_accuracy > first.train_accuracy);
  CHECK(r.stopped == ctnn::fit_stop::completed);
  CHECK(r.steps == 30 * ((480 + 15) / 16));
  CHECK(r.steps == ctnn::fit_steps(d.n, o));
  CHECK(opt.steps() == r.steps);
}

TEST_CASE("fit: a validation split holds out floor(fraction * n) samples, evaluated after each epoch") {
  for (const auto& c : {std::array<double, 3>{10, 0.3, 3}, {11, 0.5, 5}, {40, 0.1, 4}}) {
    const double n = c[0], fraction = c[1], held = c[2];
    const task d = make_task(std::size_t(n), 3);
    params p = initial();
    ctnn::sgd<net, float> opt;
    auto o = quiet(1, 4, 5);
    o.validation_fraction = fraction;
    const auto r = ctnn::fit(p, loss, opt, ctnn::constant_lr(0.1), d.data(), o);
    REQUIRE(r.history.size() == 1);
    CHECK(r.history[0].samples == std::size_t(n - held));
    // The validation loss is the mean loss, with the final weights, of `held` distinct samples:
    // search all subsets of that size for one whose mean matches.
    std::vector<double> single(static_cast<std::size_t>(n));
    for (std::size_t s = 0; s < single.size(); ++s) single[s] = mean_loss_of(p, d, {s});
    std::vector<bool> pick(single.size(), false);
    std::fill(pick.end() - std::ptrdiff_t(held), pick.end(), true);
    bool found = false;
    do {
      double sum = 0;
      for (std::size_t s = 0; s < single.size(); ++s) sum += pick[s] ? single[s] : 0.0;
      found = found || std::abs(sum / held - r.history[0].validation_loss) < 1e-6;
    } while (std::next_permutation(pick.begin(), pick.end()));
    CHECK_MESSAGE(found, "n=", n, " fraction=", fraction);
  }
}

TEST_CASE("fit: explicit validation data is evaluated with the epoch's final weights") {
  const task d = make_task(64, 4), v = make_task(30, 5);
  params p = initial();
  ctnn::adam<net, float> opt;
  std::vector<params> after_epoch;
  auto o = quiet(3, 8, 1);
  o.on_epoch_end = [&](const ctnn::epoch_stats&) {
    after_epoch.push_back(p);
    return ctnn::fit_control::proceed;
  };
  const auto r = ctnn::fit(p, loss, opt, ctnn::constant_lr(0.01), d.data(), v.data(), o);
  REQUIRE(after_epoch.size() == 3);
  for (std::size_t e = 0; e < 3; ++e) {
    ctnn::workspace<net, float> ws;
    const double expected = ctnn::loss_batch(after_epoch[e], loss, std::span<const float>(v.x),
                                             std::span<const float>(v.t), ws);
    CHECK(r.history[e].validation_loss == doctest::Approx(expected).epsilon(1e-5));
    // Accuracy by hand: argmax of each forward output against the label.
    std::size_t right = 0;
    for (std::size_t s = 0; s < v.n; ++s) {
      const auto y = ctnn::forward(after_epoch[e], std::span<const float, 4>(v.x.data() + 4 * s, 4));
      const auto label = std::size_t(std::max_element(v.t.begin() + 3 * s, v.t.begin() + 3 * s + 3) -
                                     (v.t.begin() + 3 * s));
      right += std::size_t(std::max_element(y.begin(), y.end()) - y.begin()) == label;
    }
    CHECK(r.history[e].validation_accuracy == doctest::Approx(double(right) / double(v.n)));
    CHECK(r.history[e].samples == 64);
  }
}

TEST_CASE("fit: early stopping stops after `patience` epochs without improvement and restores the best") {
  // Validation on the training inputs with the other labels: as training fits the real labels,
  // the validation loss soon rises, so the best epoch comes early.
  const task d = make_task(120, 6);
  task flipped = d;
  for (std::size_t s = 0; s < d.n; ++s) std::rotate(&flipped.t[3 * s], &flipped.t[3 * s + 1], &flipped.t[3 * s + 3]);
  for (std::size_t patience : {std::size_t{2}, std::size_t{4}}) {
    params p = initial();
    ctnn::adam<net, float> opt;
    std::vector<params> after_epoch;
    auto o = quiet(40, 8, 2);
    o.early_stop = ctnn::early_stopping{.patience = patience, .min_delta = 0, .restore_best_weights = true};
    o.on_epoch_end = [&](const ctnn::epoch_stats&) {
      after_epoch.push_back(p);
      return ctnn::fit_control::proceed;
    };
    const auto r = ctnn::fit(p, loss, opt, ctnn::constant_lr(0.02), d.data(), flipped.data(), o);
    REQUIRE(r.stopped == ctnn::fit_stop::early_stopping);
    // The best epoch is the first minimum of the validation losses, and the fit ran exactly
    // `patience` epochs past it.
    std::size_t best = 0;
    for (std::size_t e = 1; e < r.history.size(); ++e)
      if (r.history[e].validation_loss < r.history[best].validation_loss) best = e;
    CHECK(r.best_epoch == best + 1);
    CHECK(r.history.size() == best + 1 + patience);
    CHECK(r.best_loss == r.history[best].validation_loss);
    CHECK(r.restored_best_weights);
    CHECK(bit_identical(p, after_epoch[best]));
    CHECK_FALSE(bit_identical(p, after_epoch.back()));
  }
}

TEST_CASE("fit: early stopping on the training loss; min_delta demands a real improvement") {
  const task d = make_task(100, 7);
  params p = initial();
  ctnn::sgd<net, float> opt;
  auto o = quiet(50, 10, 3);
  // The training loss keeps falling slowly; with a min_delta above each epoch's gain it stops.
  o.early_stop = ctnn::early_stopping{.patience = 1, .min_delta = 1.0, .restore_best_weights = false};
  const auto r = ctnn::fit(p, loss, opt, ctnn::constant_lr(0.01), d.data(), o);
  CHECK(r.stopped == ctnn::fit_stop::early_stopping);
  CHECK(r.best_epoch == 1);
  CHECK(r.history.size() == 2);
  CHECK_FALSE(r.restored_best_weights);
  CHECK(r.history[1].train_loss < r.history[0].train_loss);  // it improved, just not by 1.0
}

TEST_CASE("fit: the per-epoch callback sees every epoch's stats and can stop the fit") {
  const task d = make_task(50, 8);
  params p = initial();
  ctnn::sgd<net, float> opt;
  std::vector<std::size_t> seen;
  auto o = quiet(10, 5, 1);
  o.on_epoch_end = [&](const ctnn::epoch_stats& e) {
    seen.push_back(e.epoch);
    CHECK(e.epochs == 10);
    CHECK(e.samples == 50);
    CHECK(std::isfinite(e.train_loss));
    return e.epoch == 3 ? ctnn::fit_control::stop : ctnn::fit_control::proceed;
  };
  const auto r = ctnn::fit(p, loss, opt, ctnn::constant_lr(0.1), d.data(), o);
  CHECK(seen == std::vector<std::size_t>{1, 2, 3});
  CHECK(r.history.size() == 3);
  CHECK(r.stopped == ctnn::fit_stop::callback);
  CHECK(opt.steps() == 30);
}

TEST_CASE("fit: a non-finite loss stops the fit naming the epoch and the batch") {
  const task d = make_task(40, 9);
  params p = initial();
  ctnn::sgd<net, float> opt;
  // 4 batches of 10 per epoch; step 9 (0-based) is epoch 3's second step. A NaN learning rate
  // there makes the parameters NaN, so epoch 3's third batch has a NaN loss.
  const auto schedule = [](std::size_t step) {
    return step == 9 ? std::numeric_limits<double>::quiet_NaN() : 0.1;
  };
  std::string message;
  try {
    ctnn::fit(p, loss, opt, schedule, d.data(), quiet(5, 10, 1));
  } catch (const ctnn::non_finite_loss& e) {
    message = e.what();
    CHECK(e.epoch() == 3);
    CHECK(e.batch() == 3);
    CHECK(std::isnan(e.loss()));
  }
  CHECK(message ==
        "ctnn::fit: loss is nan at epoch 3, batch 3 of 4 (positions 20-29 of the epoch's order); "
        "set options.stop_on_non_finite = false to continue");
  CHECK(opt.steps() == 10);  // the bad batch took no step
}

TEST_CASE("fit: with stop_on_non_finite = false, non-finite batches are skipped and counted") {
  task d = make_task(20, 10);
  d.t[3 * 7] = std::numeric_limits<float>::quiet_NaN();  // sample 7's target
  params p = initial();
  ctnn::sgd<net, float> opt;
  auto o = quiet(3, 1, 1);
  o.stop_on_non_finite = false;
  const auto r = ctnn::fit(p, loss, opt, ctnn::constant_lr(0.05), d.data(), o);
  REQUIRE(r.history.size() == 3);
  for (const auto& e : r.history) {
    CHECK(e.skipped_batches == 1);
    CHECK(e.samples == 19);
    CHECK(std::isfinite(e.train_loss));
    // The accuracy is over the 19 samples that stepped: k/19 for a whole k (k/20 is not, for
    // 0 < k < 20), and the skipped sample is not counted.
    const double correct = e.train_accuracy * 19;
    CHECK(e.train_accuracy > 0);
    CHECK(std::abs(correct - std::round(correct)) < 1e-9);
  }
  CHECK(opt.steps() == 3 * 19);
  CHECK(std::all_of(p.values.begin(), p.values.end(), [](float v) { return std::isfinite(v); }));
  // And stopping is the default.
  params q = initial();
  ctnn::sgd<net, float> opt2;
  CHECK_THROWS_AS(ctnn::fit(q, loss, opt2, ctnn::constant_lr(0.05), d.data(), quiet(1, 1, 1)),
                  ctnn::non_finite_loss);
}

TEST_CASE("fit: full-batch steps follow the schedule and the clipping of a hand-written loop") {
  const task d = make_task(48, 11);
  const ctnn::step_lr schedule(0.5, 3, 0.5);
  const float max_norm = 0.05f;  // small enough to clip every step
  params p = initial(), q = initial();
  ctnn::momentum_sgd<net, float> opt, opt_by_hand;
  auto o = quiet(7, 48, 1);  // one batch: the whole set (in the epoch's order)
  o.clip_norm = max_norm;
  const auto r = ctnn::fit(p, loss, opt, schedule, d.data(), o);
  ctnn::gradient<net, float> g;
  ctnn::workspace<net, float> ws;
  bool clipped = true;
  for (std::size_t step = 0; step < 7; ++step) {
    ctnn::loss_and_gradient_batch(q, loss, std::span<const float>(d.x), std::span<const float>(d.t), g, ws);
    clipped = clipped && ctnn::global_norm(g) > max_norm;
    opt_by_hand.step(q, g, schedule(step), ctnn::clip_scale(g, max_norm));
  }
  CHECK(clipped);
  for (std::size_t k = 0; k < p.size(); ++k) CHECK(p[k] == doctest::Approx(q[k]).epsilon(1e-4));
  for (std::size_t e = 0; e < 7; ++e) CHECK(r.history[e].learning_rate == schedule(e));
}

TEST_CASE("fit: bad arguments throw contract_error naming the argument") {
  const task d = make_task(20, 12);
  params p = initial();
  ctnn::sgd<net, float> opt;
  const auto message = [&](ctnn::fit_options o, ctnn::labelled_data<float> data) {
    try {
      ctnn::fit(p, loss, opt, ctnn::constant_lr(0.1), data, o);
    } catch (const ctnn::contract_error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  const auto contains = [](const std::string& s, const char* part) {
    return s.find(part) != std::string::npos;
  };
  auto o = quiet(1, 0, 1);
  CHECK(contains(message(o, d.data()), "options.batch_size is 0"));
  o = quiet(0, 4, 1);
  CHECK(contains(message(o, d.data()), "options.epochs is 0"));
  for (double bad : {1.0, -0.1, 1.5, std::numeric_limits<double>::quiet_NaN()}) {
    o = quiet(1, 4, 1);
    o.validation_fraction = bad;
    CHECK(contains(message(o, d.data()), "options.validation_fraction must be in [0, 1)"));
  }
  o = quiet(1, 4, 1);
  o.validation_fraction = 0.01;  // of 20 samples: none held out
  CHECK(contains(message(o, d.data()), "options.validation_fraction 0.010000 of 20 samples holds out 0"));
  o = quiet(1, 4, 1);
  o.threads = 0;
  CHECK(contains(message(o, d.data()), "options.threads is 0"));
  o = quiet(1, 4, 1);
  o.clip_norm = -1;
  CHECK(contains(message(o, d.data()), "options.clip_norm must be >= 0"));
  o = quiet(1, 4, 1);
  const std::span<const float> x(d.x), t(d.t);
  CHECK(contains(message(o, {x.first(10), t}), "training data.inputs holds 10 values"));
  CHECK(contains(message(o, {x, t.first(57)}), "training data.targets holds 57 values, expected 20 samples x 3"));
  CHECK(contains(message(o, {x.first(0), t.first(0)}), "the training data holds 0 samples"));
  // Validation data of the wrong shape, and validation data together with a fraction.
  ctnn::fit_options both = quiet(1, 4, 1);
  both.validation_fraction = 0.2;
  std::string m;
  try {
    ctnn::fit(p, loss, opt, ctnn::constant_lr(0.1), d.data(), d.data(), both);
  } catch (const ctnn::contract_error& e) {
    m = e.what();
  }
  CHECK(contains(m, "validation data was given too"));
  m.clear();
  try {
    ctnn::fit(p, loss, opt, ctnn::constant_lr(0.1), d.data(), {x.first(8), t.first(7)}, quiet(1, 4, 1));
  } catch (const ctnn::contract_error& e) {
    m = e.what();
  }
  CHECK(contains(m, "validation data.targets holds 7 values"));
  CHECK(opt.steps() == 0);  // every check comes before the first step
}

TEST_CASE("fit: the number of allocations does not depend on the number of steps") {
  const task d = make_task(200, 13);
  const auto count = [&](std::size_t epochs, std::size_t batch, bool validation,
                         std::size_t threads = 1) {
    params p = initial();
    auto opt = std::make_unique<ctnn::adam<net, float>>();
    auto o = quiet(epochs, batch, 1);
    o.validation_fraction = validation ? 0.25 : 0.0;
    o.early_stop = ctnn::early_stopping{.patience = 1000};  // bookkeeping runs, never stops
    o.clip_norm = 1.0;
    o.threads = threads;
    const std::size_t before = ctnn_test::allocation_count();
    const auto r = ctnn::fit(p, loss, *opt, ctnn::cosine_lr(0.01, 500), d.data(), o);
    const std::size_t used = ctnn_test::allocation_count() - before;
    REQUIRE(r.history.size() == epochs);
    return used;
  };
  // 1 epoch of 7 steps against 12 epochs of 200 steps: the same allocations (the setup).
  const std::size_t few = count(1, 32, false), many = count(12, 1, false);
  MESSAGE("allocations of a fit: ", few, " (7 steps), ", many, " (2400 steps)");
  CHECK(few == many);
  CHECK(count(1, 16, true) == count(9, 1, true));
  CHECK(count(1, 16, true, 2) == count(6, 1, true, 2));  // with a thread pool
}
