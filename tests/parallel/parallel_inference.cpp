// Batched inference on a thread_pool (parallel/data_parallel.hpp: forward_batch(pool, ...)):
// every output row equals the one-thread forward_batch of passes.hpp, the reference, and the
// single-sample forward of that row, for 1 to 4 threads, batches from 1 sample (fewer than the
// threads) to 1000, tiles of 32 and of 8 samples, float and double, and three networks (a
// 784-128-10 ReLU classifier, a tanh/sigmoid net, a softmax output). Every row is written (the
// output starts as NaN), repeated runs give identical outputs, and a tile-sized workspace of a
// larger pool serves a smaller one.

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <ctnn/ctnn.hpp>
#include <ctnn/parallel/data_parallel.hpp>
#include <limits>
#include <memory>
#include <span>
#include <type_traits>
#include <vector>

#include "../laws/gradcheck.hpp"

namespace {

using mnist_net = ctnn::network<ctnn::input<784>, ctnn::dense<128>, ctnn::relu, ctnn::dense<10>>;
using tanh_net =
    ctnn::network<ctnn::input<5>, ctnn::dense<7>, ctnn::tanh, ctnn::dense<3>, ctnn::sigmoid>;
using softmax_net =
    ctnn::network<ctnn::input<9>, ctnn::dense<17>, ctnn::gelu, ctnn::dense<4>, ctnn::softmax>;

// Rows are computed independently, so only the kernels' blocking of samples (and g++'s FMA
// contraction) can differ between the paths; observed differences are a few ulps.
template <class T>
constexpr double tolerance = std::is_same_v<T, float> ? 1e-5 : 1e-12;

template <class T>
double relative_difference(std::span<const T> a, std::span<const T> b) {
  REQUIRE(a.size() == b.size());
  double worst = 0, scale = 0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    const double d = std::abs(double(a[k]) - double(b[k]));
    worst = std::isnan(d) ? std::numeric_limits<double>::infinity() : std::max(worst, d);
    scale = std::max(scale, std::abs(double(b[k])));
  }
  return scale > 0 ? worst / scale : worst;
}

template <class Net, class T, std::size_t Tile = 32>
void check_inference(std::size_t threads, std::size_t n, std::uint64_t seed) {
  constexpr std::size_t in = Net::input_size, out = Net::output_size;
  CAPTURE(threads);
  CAPTURE(n);
  CAPTURE(Tile);
  const auto p = laws::random_parameters<Net, T>(seed);
  const std::vector<T> x = laws::random_values<T>(n * in, seed + 1);

  auto ws = std::make_unique<ctnn::workspace<Net, T, Tile>>();
  std::vector<T> reference(n * out);
  ctnn::forward_batch(*p, x, reference, *ws);

  ctnn::thread_pool pool(threads);
  auto pws = std::make_unique<ctnn::parallel_workspace<Net, T, Tile>>(pool);
  std::vector<T> y(n * out, std::numeric_limits<T>::quiet_NaN());
  ctnn::forward_batch(pool, *p, x, y, *pws);
  const double error = relative_difference<T>(y, reference);
  CAPTURE(error);
  CHECK(error <= tolerance<T>);

  // Against the single-sample pass, row by row (first, last, and every row of small batches).
  for (std::size_t s = 0; s < n; s += (n > 40 ? n / 7 + 1 : 1)) {
    std::array<T, in> row;
    std::copy_n(x.begin() + std::ptrdiff_t(s * in), in, row.begin());
    const std::array<T, out> single = ctnn::forward(*p, row);
    CHECK(relative_difference<T>(std::span<const T>(y).subspan(s * out, out), single) <=
          tolerance<T>);
  }

  // Again: the same outputs, bit for bit.
  std::vector<T> again(n * out);
  ctnn::forward_batch(pool, *p, x, again, *pws);
  CHECK(std::memcmp(again.data(), y.data(), y.size() * sizeof(T)) == 0);
}

constexpr std::size_t thread_counts[] = {1, 2, 3, 4};
constexpr std::size_t batch_sizes[] = {1, 2, 3, 31, 32, 33, 257, 1000};

TEST_CASE("784-128-10: threaded forward_batch equals the one-thread one (float)") {
  for (std::size_t threads : thread_counts)
    for (std::size_t n : batch_sizes) check_inference<mnist_net, float>(threads, n, 40 + n);
}

TEST_CASE_TEMPLATE("small nets: threaded forward_batch equals the one-thread one", T, float,
                   double) {
  for (std::size_t threads : thread_counts)
    for (std::size_t n : batch_sizes) {
      check_inference<tanh_net, T>(threads, n, 50 + n);
      check_inference<softmax_net, T>(threads, n, 60 + n);
      check_inference<softmax_net, T, 8>(threads, n, 70 + n);
    }
}

TEST_CASE("a workspace made for a larger pool serves a smaller one") {
  using T = float;
  constexpr std::size_t n = 45;
  const auto p = laws::random_parameters<tanh_net, T>(3);
  const std::vector<T> x = laws::random_values<T>(n * tanh_net::input_size, 4);
  ctnn::thread_pool big(4), small(2);
  auto pws = std::make_unique<ctnn::parallel_workspace<tanh_net, T>>(big);
  std::vector<T> from_big(n * tanh_net::output_size), from_small(n * tanh_net::output_size),
      reference(n * tanh_net::output_size);
  ctnn::forward_batch(big, *p, x, from_big, *pws);
  ctnn::forward_batch(small, *p, x, from_small, *pws);
  auto ws = std::make_unique<ctnn::workspace<tanh_net, T>>();
  ctnn::forward_batch(*p, x, reference, *ws);
  CHECK(relative_difference<T>(from_big, reference) <= tolerance<T>);
  CHECK(relative_difference<T>(from_small, reference) <= tolerance<T>);
}

}  // namespace
