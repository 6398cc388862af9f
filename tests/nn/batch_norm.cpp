// op::batch_norm against loops written from its definition (PyTorch's nn.BatchNorm2d):
//   (a) the training rule normalises with the tile's statistics, the evaluation rule with the
//       running ones;
//   (b) the gradient of the training loss equals its central differences (double), for γ, β, the
//       layer before and the input; the running statistics' entries are their next values;
//   (c) an optimizer's step copies those next values (no decay, no learning rate), the fused
//       training step does the same, and clipping leaves them out;
//   (d) over several tiles (and on two threads) the statistic is the tiles' mean;
//   (e) initialize gives γ = 1, β = 0, mean 0, variance 1; the files name the blocks as PyTorch.

#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <ctnn/ctnn.hpp>
#include <memory>
#include <ratio>
#include <span>
#include <string>
#include <vector>

namespace {

namespace op = ctnn::op;

constexpr std::size_t C = 3, H = 4, W = 5, plane = H * W, size = C * plane;
using image = op::input<"x", C, H, W>;
using normed = op::batch_norm<"bn", op::conv2d<"conv", C, op::kernel<1>, image>, std::ratio<1, 5>>;
using net = ctnn::graph<ctnn::outputs<op::dense<"head", 2, op::flatten<op::relu<normed>>>>>;
using bn_only = ctnn::graph<ctnn::outputs<op::batch_norm<"bn", image>>>;

constexpr double momentum = 0.2, eps = 1e-5;

std::vector<double> data(std::size_t n, double phase) {
  std::vector<double> x(n * size);
  for (std::size_t k = 0; k < x.size(); ++k)
    x[k] = std::sin(0.37 * double(k) + phase) * (1.0 + double(k % 7)) + 0.3 * double(k % 3);
  return x;
}

struct channel_stats {
  double mean, var;  // biased
};
channel_stats stats_of(const std::vector<double>& x, std::size_t first, std::size_t n, std::size_t c) {
  double sum = 0, sq = 0;
  for (std::size_t s = first; s < first + n; ++s)
    for (std::size_t i = 0; i < plane; ++i) sum += x[s * size + c * plane + i];
  const double mean = sum / double(n * plane);
  for (std::size_t s = first; s < first + n; ++s)
    for (std::size_t i = 0; i < plane; ++i) {
      const double d = x[s * size + c * plane + i] - mean;
      sq += d * d;
    }
  return {mean, sq / double(n * plane)};
}

template <class Net>
constexpr std::size_t bn_offset() {
  for (std::size_t b = 0; b < Net::block_count; ++b)
    if (Net::block_owner(b) == "bn" && Net::block_role(b) == "weight") return Net::layout::offset[b];
  return 0;
}

template <class Net>
void set_bn(ctnn::parameters<Net, double>& p, const std::array<double, C>& gamma,
            const std::array<double, C>& beta, const std::array<double, C>& mean,
            const std::array<double, C>& var) {
  constexpr std::size_t k = bn_offset<Net>();
  for (std::size_t c = 0; c < C; ++c) {
    p[k + c] = gamma[c];
    p[k + C + c] = beta[c];
    p[k + 2 * C + c] = mean[c];
    p[k + 3 * C + c] = var[c];
  }
}

TEST_CASE("batch_norm: training normalises with the tile's statistics, evaluation with the running ones") {
  const std::size_t n = 6;
  const auto x = data(n, 0.1);
  ctnn::parameters<bn_only, double> p;
  const std::array<double, C> gamma{1.5, -0.7, 0.9}, beta{0.2, 0.0, -1.1}, rmean{0.3, -0.2, 1.0},
      rvar{2.0, 0.5, 1.3};
  set_bn(p, gamma, beta, rmean, rvar);
  auto ws = std::make_unique<ctnn::workspace<bn_only, double, 8>>();
  std::vector<double> y(n * size);
  for (bool training : {true, false}) {
    ws->rule = training ? ctnn::run_rule::training : ctnn::run_rule::evaluation;
    ctnn::forward_batch(p, std::span<const double>(x), std::span<double>(y), *ws);
    double worst = 0;
    for (std::size_t c = 0; c < C; ++c) {
      const auto st = stats_of(x, 0, n, c);
      const double mean = training ? st.mean : rmean[c], var = training ? st.var : rvar[c];
      for (std::size_t s = 0; s < n; ++s)
        for (std::size_t i = 0; i < plane; ++i) {
          const std::size_t k = s * size + c * plane + i;
          const double want = gamma[c] * (x[k] - mean) / std::sqrt(var + eps) + beta[c];
          worst = std::max(worst, std::abs(y[k] - want));
        }
    }
    CHECK_MESSAGE(worst < 1e-12, (training ? "training" : "evaluation"));
  }
}

TEST_CASE("batch_norm: the training gradient equals central differences; state entries are next values") {
  const std::size_t n = 5;
  const auto x = data(n, 0.4);
  std::vector<double> t(n * 2);
  for (std::size_t k = 0; k < t.size(); ++k) t[k] = std::cos(0.9 * double(k));
  ctnn::parameters<net, double> p;
  ctnn::initialize(p, 7);
  const std::array<double, C> rmean{0.3, -0.2, 1.0}, rvar{2.0, 0.5, 1.3};
  set_bn(p, {1.2, 0.8, -0.5}, {0.1, -0.3, 0.05}, rmean, rvar);
  auto ws = std::make_unique<ctnn::workspace<net, double, 8>>();
  ctnn::gradient<net, double> g;
  std::vector<double> dx(n * size);
  ctnn::loss_and_gradient_batch(p, ctnn::squared_error{}, std::span<const double>(x),
                                std::span<const double>(t), g, *ws, std::span<double>(dx));
  ws->rule = ctnn::run_rule::training;
  auto loss_at = [&](const ctnn::parameters<net, double>& q, const std::vector<double>& xs) {
    return ctnn::loss_batch(q, ctnn::squared_error{}, std::span<const double>(xs),
                            std::span<const double>(t), *ws);
  };
  const double h = 1e-6;
  double worst = 0;
  std::size_t checked = 0;
  for (std::size_t k = 0; k < p.size(); ++k) {
    if (net::is_state(k)) continue;
    auto up = p, down = p;
    up[k] += h;
    down[k] -= h;
    const double fd = (loss_at(up, x) - loss_at(down, x)) / (2 * h);
    worst = std::max(worst, std::abs(fd - g[k]) / std::max(1e-2, std::abs(fd)));
    ++checked;
  }
  CHECK(checked == p.size() - 2 * C);
  CHECK(worst < 1e-6);
  double worst_x = 0;
  for (std::size_t k = 0; k < x.size(); k += 7) {
    auto up = x, down = x;
    up[k] += h;
    down[k] -= h;
    const double fd = (loss_at(p, up) - loss_at(p, down)) / (2 * h);
    worst_x = std::max(worst_x, std::abs(fd - dx[k]) / std::max(1e-2, std::abs(fd)));
  }
  CHECK(worst_x < 1e-6);

  // The next running statistics, from the statistics of the layer's input (the 1×1 convolution
  // of x), with the unbiased variance.
  std::vector<double> conv(n * size);
  constexpr std::size_t cw = 0;  // conv.weight is the first block, conv.bias the second
  for (std::size_t s = 0; s < n; ++s)
    for (std::size_t o = 0; o < C; ++o)
      for (std::size_t i = 0; i < plane; ++i) {
        double v = p[cw + C * C + o];
        for (std::size_t c = 0; c < C; ++c) v += p[cw + o * C + c] * x[s * size + c * plane + i];
        conv[s * size + o * plane + i] = v;
      }
  constexpr std::size_t b = bn_offset<net>();
  for (std::size_t c = 0; c < C; ++c) {
    const auto st = stats_of(conv, 0, n, c);
    const double m = double(n * plane);
    CHECK(std::abs(g[b + 2 * C + c] - ((1 - momentum) * rmean[c] + momentum * st.mean)) < 1e-12);
    CHECK(std::abs(g[b + 3 * C + c] - ((1 - momentum) * rvar[c] + momentum * st.var * m / (m - 1))) < 1e-12);
  }
}

TEST_CASE("batch_norm: steps copy the running statistics; clipping leaves them out") {
  const std::size_t n = 8;
  const auto x = data(n, 0.9);
  std::vector<double> t(n * 2, 0.5);
  ctnn::parameters<net, double> p0;
  ctnn::initialize(p0, 2);
  constexpr std::size_t b = bn_offset<net>();
  auto ws = std::make_unique<ctnn::workspace<net, double, 8>>();
  ctnn::gradient<net, double> g, scratch;
  ctnn::loss_and_gradient_batch(p0, ctnn::squared_error{}, std::span<const double>(x),
                                std::span<const double>(t), g, *ws);
  // AdamW with decay: the trainable values move, the state takes g's entries exactly.
  auto p1 = p0;
  ctnn::adamw<net, double> opt(ctnn::adamw_options{.weight_decay = 0.5});
  opt.step(p1, g, 0.01);
  for (std::size_t c = 0; c < 2 * C; ++c) CHECK(p1[b + 2 * C + c] == g[b + 2 * C + c]);
  CHECK(p1[b] != p0[b]);
  // The fused step: the same parameters (to rounding), the state bit for bit.
  auto p2 = p0;
  ctnn::adamw<net, double> fused(ctnn::adamw_options{.weight_decay = 0.5});
  auto ws2 = std::make_unique<ctnn::workspace<net, double, 8>>();
  ctnn::train_step_batch(p2, ctnn::squared_error{}, std::span<const double>(x),
                         std::span<const double>(t), fused, 0.01, scratch, *ws2);
  for (std::size_t k = 0; k < p1.size(); ++k) CHECK(std::abs(p1[k] - p2[k]) < 1e-12);
  // Clipping: the norm is the trainable entries' only.
  double sq = 0;
  for (std::size_t k = 0; k < g.size(); ++k)
    if (!net::is_state(k)) sq += g[k] * g[k];
  CHECK(std::abs(ctnn::global_norm(g) - std::sqrt(sq)) < 1e-12 * std::sqrt(sq));
  auto clipped = g;
  ctnn::clip_grad_norm(clipped, 1e-3);
  for (std::size_t c = 0; c < 2 * C; ++c) CHECK(clipped[b + 2 * C + c] == g[b + 2 * C + c]);
}

TEST_CASE("batch_norm: over several tiles and threads the statistic is the tiles' mean") {
  const std::size_t n = 8;
  const auto x = data(n, 1.3);
  std::vector<double> t(n * size, 0.1);
  ctnn::parameters<bn_only, double> p;
  ctnn::initialize(p, 1);
  ctnn::gradient<bn_only, double> g1, g2;
  auto ws = std::make_unique<ctnn::workspace<bn_only, double, 4>>();
  ctnn::loss_and_gradient_batch(p, ctnn::squared_error{}, std::span<const double>(x),
                                std::span<const double>(t), g1, *ws);
  for (std::size_t c = 0; c < C; ++c) {
    const auto a = stats_of(x, 0, 4, c), b = stats_of(x, 4, 4, c);
    const double m = 4.0 * plane;
    CHECK(std::abs(g1[2 * C + c] - 0.1 * 0.5 * (a.mean + b.mean)) < 1e-12);
    const double var = 0.5 * (a.var + b.var) * m / (m - 1);
    CHECK(std::abs(g1[3 * C + c] - (0.9 * 1.0 + 0.1 * var)) < 1e-12);
  }
  ctnn::thread_pool pool(2);
  auto pws = std::make_unique<ctnn::parallel_workspace<bn_only, double, 4>>(pool);
  ctnn::loss_and_gradient_batch(pool, p, ctnn::squared_error{}, std::span<const double>(x),
                                std::span<const double>(t), g2, *pws);
  for (std::size_t k = 0; k < g1.size(); ++k) CHECK(std::abs(g1[k] - g2[k]) < 1e-12);

  // The threads' chunks are whole tiles for a net with state: 24 samples in tiles of 8 are the
  // same three tiles on 1, 2 and 3 threads (chunks of 4-sample blocks would cut them at 12).
  const std::size_t m = 24;
  const auto x24 = data(m, 2.1);
  std::vector<double> t24(m * size, -0.2);
  auto ws8 = std::make_unique<ctnn::workspace<bn_only, double, 8>>();
  ctnn::gradient<bn_only, double> one, threaded;
  const double l1 = ctnn::loss_and_gradient_batch(p, ctnn::squared_error{}, std::span<const double>(x24),
                                                  std::span<const double>(t24), one, *ws8);
  for (std::size_t threads : {2, 3}) {
    ctnn::thread_pool pool8(threads);
    auto pws8 = std::make_unique<ctnn::parallel_workspace<bn_only, double, 8>>(pool8);
    const double l2 = ctnn::loss_and_gradient_batch(pool8, p, ctnn::squared_error{},
                                                    std::span<const double>(x24),
                                                    std::span<const double>(t24), threaded, *pws8);
    CAPTURE(threads);
    CHECK(std::abs(l1 - l2) < 1e-12 * std::abs(l1));
    for (std::size_t k = 0; k < one.size(); ++k) CHECK(std::abs(one[k] - threaded[k]) < 1e-12);
  }
}

// The reference's example (docs/reference.md, "Batch normalisation, dropout and the run rules").
namespace doc_example {
// [normalised_net]
namespace op = ctnn::op;
using x = op::input<"x", 1, 28, 28>;
using c = op::conv2d<"conv1", 16, op::kernel<5>, x, op::no_bias>;     // β plays the bias
using h = op::max_pool2d<op::relu<op::batch_norm<"bn1", c>>, op::kernel<2>>;
using d = op::dropout<op::relu<op::dense<"fc1", 128, op::flatten<h>>>, std::ratio<1, 4>>;
using net = ctnn::graph<ctnn::outputs<op::dense<"fc2", 10, d>>>;
// [normalised_net]
static_assert(net::has_state && net::block_count == 9);  // conv1 1, bn1 4, fc1 2, fc2 2
static_assert(net::block_is_state(3) && net::block_is_state(4) && !net::block_is_state(5));
}  // namespace doc_example

TEST_CASE("batch_norm: initial values, and the files name its blocks as PyTorch") {
  ctnn::parameters<bn_only, float> p;
  ctnn::initialize(p, 5);
  for (std::size_t c = 0; c < C; ++c) {
    CHECK(p[c] == 1.f);
    CHECK(p[C + c] == 0.f);
    CHECK(p[2 * C + c] == 0.f);
    CHECK(p[3 * C + c] == 1.f);
  }
  CHECK(bn_only::block_role(2) == "running_mean");
  CHECK(bn_only::block_role(3) == "running_var");
  CHECK(bn_only::block_is_state(2));
  CHECK(!bn_only::block_is_state(1));
  const std::string text = ctnn::io::header_text(p, "exported");
  CHECK(text.find("ctnn::op::batch_norm<\"bn\", n0, std::ratio<1, 10>, std::ratio<1, 100000>>") !=
        std::string::npos);
}

}  // namespace
