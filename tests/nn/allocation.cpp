// passes.hpp promises "Nothing here allocates": forward, loss and gradient passes run on the
// caller's parameters, gradient and workspace only. This binary replaces every global operator
// new/delete with counting versions (on top of malloc) and checks that the count does not move
// while the passes run many times, for float and double, single samples and batches that are
// smaller than, equal to and larger than a tile.
//
// Everything that may allocate (doctest's bookkeeping, std::vector buffers, big parameter blocks)
// happens outside the counted regions; the counted regions contain only ctnn calls.

#include <doctest/doctest.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <ctnn/ctnn.hpp>
#include <memory>
#include <new>
#include <span>
#include <vector>

#include "../support/counting_new.hpp"
#include "../support/sanitizer.hpp"

namespace {

using ctnn_test::allocation_count;

// Stores through a volatile pointer so the compiler cannot elide the new/delete pairs below
// (C++14 lets it drop an allocation whose result is never observed).
const void* volatile escaped = nullptr;
void keep(const void* p) { escaped = p; }

// ---- the counter itself must see allocations, or the tests below could never fail ------------

struct alignas(128) over_aligned {
  unsigned char bytes[128];
};

TEST_CASE("the counting operator new sees every kind of allocation") {
  std::size_t before = allocation_count();
  int* one = new int(7);
  keep(one);
  CHECK(allocation_count() == before + 1);
  delete one;

  before = allocation_count();
  int* many = new int[100];
  keep(many);
  CHECK(allocation_count() == before + 1);
  delete[] many;

  before = allocation_count();
  over_aligned* aligned = new over_aligned;  // operator new(size_t, align_val_t)
  keep(aligned);
  CHECK(reinterpret_cast<std::uintptr_t>(aligned) % 128 == 0);
  CHECK(allocation_count() == before + 1);
  delete aligned;

  before = allocation_count();
  over_aligned* aligned_many = new over_aligned[3];
  keep(aligned_many);
  CHECK(allocation_count() == before + 1);
  delete[] aligned_many;

  before = allocation_count();
  int* quiet = new (std::nothrow) int(3);
  keep(quiet);
  CHECK(allocation_count() == before + 1);
  delete quiet;

  before = allocation_count();
  {
    std::vector<double> v(1000);  // through std::allocator
    keep(v.data());
  }
  CHECK(allocation_count() == before + 1);
}

// ---- the passes ---------------------------------------------------------------------------------

// Runs every pass of the public API `repeats` times on one network, with batches of the given
// sizes, and returns how many allocations happened meanwhile. Buffers are made beforehand.
template <class Net, class T, class Loss>
struct pass_runner {
  static constexpr std::size_t in = Net::input_size, out = Net::output_size;
  static constexpr std::size_t largest_batch = 100;

  // Big blocks (the 784-128-10 net's parameters are ~400 KB in float) live on the heap, made
  // before counting starts.
  std::unique_ptr<ctnn::parameters<Net, T>> p = std::make_unique<ctnn::parameters<Net, T>>();
  std::unique_ptr<ctnn::gradient<Net, T>> g = std::make_unique<ctnn::gradient<Net, T>>();
  std::unique_ptr<ctnn::workspace<Net, T>> ws = std::make_unique<ctnn::workspace<Net, T>>();
  std::vector<T> x = std::vector<T>(largest_batch * in);
  std::vector<T> targets = std::vector<T>(largest_batch * out);
  std::vector<T> y = std::vector<T>(largest_batch * out);
  std::vector<T> dx = std::vector<T>(largest_batch * in);
  std::array<T, in> x1{};
  std::array<T, out> t1{};
  std::array<T, out> y1{};
  std::array<T, in> dx1{};
  double sink = 0;  // results are summed so the calls cannot be optimised away

  pass_runner() {
    ctnn::initialize(*p, 7);
    for (std::size_t k = 0; k < x.size(); ++k) x[k] = T(0.01) * T(int(k % 97) - 48);
    // One-hot rows are valid targets for every loss used here.
    for (std::size_t s = 0; s < largest_batch; ++s) targets[s * out + s % out] = T(1);
    for (std::size_t k = 0; k < in; ++k) x1[k] = x[k];
    t1[0] = T(1);
  }

  std::size_t allocations_while_running(int repeats) {
    const Loss loss{};
    const std::size_t before = allocation_count();
    for (int r = 0; r < repeats; ++r) {
      y1 = ctnn::forward(*p, x1);
      ctnn::forward(*p, x1, std::span<T, out>(y1));
      sink += double(y1[0]);
      sink += double(ctnn::loss(*p, loss, x1, t1));
      sink += double(ctnn::loss_and_gradient(*p, loss, x1, t1, *g));
      sink += double(ctnn::loss_and_gradient(*p, loss, x1, t1, *g, dx1));
      for (const std::size_t n : {1, 31, 32, 33, 100}) {
        const std::span<const T> xs(x.data(), n * in), ts(targets.data(), n * out);
        ctnn::forward_batch(*p, xs, std::span<T>(y.data(), n * out), *ws);
        sink += double(y[0]);
        sink += double(ctnn::loss_batch(*p, loss, xs, ts, *ws));
        sink += double(ctnn::loss_and_gradient_batch(*p, loss, xs, ts, *g, *ws));
        sink += double(ctnn::loss_and_gradient_batch(*p, loss, xs, ts, *g, *ws,
                                                     std::span<T>(dx.data(), n * in)));
        sink += double((*g)[0]) + double(dx[0]);
      }
      // The scalar kernels, selected explicitly, must not allocate either.
      ctnn::forward_batch<ctnn::simd::scalar_arch>(*p, std::span<const T>(x.data(), 33 * in),
                                                   std::span<T>(y.data(), 33 * out), *ws);
      sink += double(ctnn::loss_and_gradient_batch<ctnn::simd::scalar_arch>(
          *p, loss, std::span<const T>(x.data(), 33 * in),
          std::span<const T>(targets.data(), 33 * out), *g, *ws, std::span<T>(dx.data(), 33 * in)));
    }
    return allocation_count() - before;
  }
};

template <class Net, class T, class Loss>
void check_no_allocation(int repeats) {
  pass_runner<Net, T, Loss> runner;
  const std::size_t during = runner.allocations_while_running(repeats);
  CHECK(during == 0);
  // The passes produced numbers, not NaN (NaN != NaN).
  CHECK(runner.sink == runner.sink);
}

using mnist_net = ctnn::network<ctnn::input<784>, ctnn::dense<128>, ctnn::relu, ctnn::dense<10>>;
using softmax_inside =
    ctnn::network<ctnn::input<5>, ctnn::dense<7>, ctnn::softmax, ctnn::dense<3>, ctnn::sigmoid>;
using xor_net =
    ctnn::network<ctnn::input<2>, ctnn::dense<8>, ctnn::tanh, ctnn::dense<1>, ctnn::sigmoid>;
using softmax_output =
    ctnn::network<ctnn::input<3>, ctnn::linear<3, 17>, ctnn::gelu, ctnn::dense<4>, ctnn::softmax>;

// Under AddressSanitizer (-O0) one round of the 784-128-10 passes takes seconds; one round shows
// an allocation as well as three.
TEST_CASE_TEMPLATE("784-128-10 relu, softmax cross-entropy: no allocation", T, float, double) {
  check_no_allocation<mnist_net, T, ctnn::softmax_cross_entropy>(
      ctnn_test::under_address_sanitizer ? 1 : 3);
}

TEST_CASE_TEMPLATE("softmax between dense layers, binary cross-entropy: no allocation", T, float,
                   double) {
  check_no_allocation<softmax_inside, T, ctnn::binary_cross_entropy>(20);
  check_no_allocation<softmax_inside, T, ctnn::squared_error>(20);
}

TEST_CASE_TEMPLATE("small tanh/sigmoid net and a softmax output: no allocation", T, float, double) {
  check_no_allocation<xor_net, T, ctnn::squared_error>(20);
  check_no_allocation<softmax_output, T, ctnn::softmax_cross_entropy>(20);
}

}  // namespace
