// The run-time contract of the batch passes (detail/contract.hpp, passes.hpp): a batch of 0
// samples, an input buffer that is not a whole number of samples, or a target, output or
// input-gradient buffer whose size does not fit, throws ctnn::contract_error before anything is
// computed. The message starts with "ctnn::<function>: " and names the buffer and both sizes; and
// no output or gradient buffer is touched.

#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <ctnn/ctnn.hpp>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "../support/contract_message.hpp"

namespace {

// 3 inputs, 2 outputs: every size below is unambiguous in a message.
using net =
    ctnn::network<ctnn::input<3>, ctnn::dense<4>, ctnn::tanh, ctnn::dense<2>, ctnn::sigmoid>;

static_assert(std::is_base_of_v<std::invalid_argument, ctnn::contract_error>);

using ctnn_test::contains, ctnn_test::contract_message, ctnn_test::starts_with;

template <class T>
constexpr T sentinel = T(-12345.5);

template <class Range>
bool all_sentinel(const Range& values) {
  using T = std::remove_cvref_t<decltype(*std::begin(values))>;
  return std::all_of(std::begin(values), std::end(values), [](T v) { return v == sentinel<T>; });
}

// Buffers for a batch of `samples` samples, all well formed; each case below breaks one of them.
template <class T>
struct batch {
  explicit batch(std::size_t samples)
      : x(samples * net::input_size),
        targets(samples * net::output_size),
        y(samples * net::output_size, sentinel<T>),
        dx(samples * net::input_size, sentinel<T>) {
    ctnn::initialize(p, 3);
    for (std::size_t k = 0; k < x.size(); ++k) x[k] = T(0.1) * T(k % 7);
    for (std::size_t k = 0; k < targets.size(); ++k) targets[k] = T(k % 2);
    g.values.fill(sentinel<T>);
  }
  ctnn::parameters<net, T> p;
  ctnn::gradient<net, T> g;
  ctnn::workspace<net, T> ws;
  std::vector<T> x, targets, y, dx;
};

TEST_CASE_TEMPLATE("well-formed buffers pass the checks and are written", T, float, double) {
  // The control for every case below: the same calls with fitting buffers do not throw, and do
  // overwrite the sentinels (so "unchanged" below is a real observation).
  batch<T> b(5);
  CHECK_NOTHROW(ctnn::forward_batch(b.p, b.x, b.y, b.ws));
  CHECK_FALSE(all_sentinel(b.y));
  CHECK_NOTHROW(ctnn::loss_batch(b.p, ctnn::binary_cross_entropy{}, b.x, b.targets, b.ws));
  CHECK_NOTHROW(ctnn::loss_and_gradient_batch(b.p, ctnn::binary_cross_entropy{}, b.x, b.targets,
                                              b.g, b.ws, b.dx));
  CHECK_FALSE(all_sentinel(b.g.values));
  CHECK(std::none_of(b.dx.begin(), b.dx.end(), [](T v) { return v == sentinel<T>; }));

  // An empty input-gradient span means "not requested" (the default argument), not a wrong size.
  b.g.values.fill(sentinel<T>);
  std::vector<T> no_dx;
  CHECK_NOTHROW(ctnn::loss_and_gradient_batch(b.p, ctnn::binary_cross_entropy{}, b.x, b.targets,
                                              b.g, b.ws, no_dx));
  CHECK_FALSE(all_sentinel(b.g.values));
}

TEST_CASE_TEMPLATE("a batch of 0 samples is a contract error", T, float, double) {
  batch<T> b(0);
  std::vector<T> y(4, sentinel<T>), dx(6, sentinel<T>);  // not empty: they must stay unwritten
  const ctnn::squared_error loss;

  CHECK_THROWS_AS(ctnn::forward_batch(b.p, b.x, y, b.ws), ctnn::contract_error);
  std::string m = contract_message([&] { ctnn::forward_batch(b.p, b.x, y, b.ws); });
  CHECK_MESSAGE(starts_with(m, "ctnn::forward_batch: "), m);
  CHECK_MESSAGE(contains(m, "empty (0 samples)"), m);
  CHECK(all_sentinel(y));

  CHECK_THROWS_AS(ctnn::loss_batch(b.p, loss, b.x, b.targets, b.ws), ctnn::contract_error);
  m = contract_message([&] { ctnn::loss_batch(b.p, loss, b.x, b.targets, b.ws); });
  CHECK_MESSAGE(starts_with(m, "ctnn::loss_batch: "), m);
  CHECK_MESSAGE(contains(m, "empty (0 samples)"), m);

  CHECK_THROWS_AS(ctnn::loss_and_gradient_batch(b.p, loss, b.x, b.targets, b.g, b.ws, dx),
                  ctnn::contract_error);
  m = contract_message(
      [&] { ctnn::loss_and_gradient_batch(b.p, loss, b.x, b.targets, b.g, b.ws); });
  CHECK_MESSAGE(starts_with(m, "ctnn::loss_and_gradient_batch: "), m);
  CHECK_MESSAGE(contains(m, "empty (0 samples)"), m);
  CHECK(all_sentinel(b.g.values));
  CHECK(all_sentinel(dx));

  // The scalar kernels run behind the same checks.
  CHECK_THROWS_AS(ctnn::forward_batch<ctnn::simd::scalar_arch>(b.p, b.x, y, b.ws),
                  ctnn::contract_error);
  // contract_error is a std::invalid_argument, so generic handlers catch it.
  CHECK_THROWS_AS(ctnn::forward_batch(b.p, b.x, y, b.ws), std::invalid_argument);
}

TEST_CASE_TEMPLATE("an input buffer that is not a whole number of samples", T, float, double) {
  batch<T> b(5);
  const ctnn::squared_error loss;
  for (const std::size_t values : {std::size_t{1}, std::size_t{7}, std::size_t{16}}) {
    CAPTURE(values);
    b.x.resize(values);  // 3 values per sample
    const std::string held = " holds " + std::to_string(values) + " values";

    CHECK_THROWS_AS(ctnn::forward_batch(b.p, b.x, b.y, b.ws), ctnn::contract_error);
    std::string m = contract_message([&] { ctnn::forward_batch(b.p, b.x, b.y, b.ws); });
    CHECK_MESSAGE(starts_with(m, "ctnn::forward_batch: "), m);
    CHECK_MESSAGE(contains(m, "the input buffer" + held), m);
    CHECK_MESSAGE(contains(m, "not a whole number of samples of width 3"), m);
    CHECK(all_sentinel(b.y));

    m = contract_message([&] { ctnn::loss_batch(b.p, loss, b.x, b.targets, b.ws); });
    CHECK_MESSAGE(starts_with(m, "ctnn::loss_batch: "), m);
    CHECK_MESSAGE(contains(m, "the input buffer" + held), m);
    CHECK_MESSAGE(contains(m, "width 3"), m);

    m = contract_message(
        [&] { ctnn::loss_and_gradient_batch(b.p, loss, b.x, b.targets, b.g, b.ws, b.dx); });
    CHECK_MESSAGE(starts_with(m, "ctnn::loss_and_gradient_batch: "), m);
    CHECK_MESSAGE(contains(m, "the input buffer" + held), m);
    CHECK_MESSAGE(contains(m, "width 3"), m);
    CHECK(all_sentinel(b.g.values));
    CHECK(all_sentinel(b.dx));
  }
}

TEST_CASE_TEMPLATE("a target buffer of the wrong size", T, float, double) {
  batch<T> b(5);  // 5 samples × 2 outputs = 10 target values expected
  const ctnn::binary_cross_entropy loss;
  for (const std::size_t values :
       {std::size_t{0}, std::size_t{9}, std::size_t{11}, std::size_t{5}}) {
    CAPTURE(values);
    b.targets.assign(values, T(1));
    const std::string expected = "the target buffer holds " + std::to_string(values) +
                                 " values, expected 5 samples x 2 = 10";

    CHECK_THROWS_AS(ctnn::loss_batch(b.p, loss, b.x, b.targets, b.ws), ctnn::contract_error);
    std::string m = contract_message([&] { ctnn::loss_batch(b.p, loss, b.x, b.targets, b.ws); });
    CHECK_MESSAGE(starts_with(m, "ctnn::loss_batch: "), m);
    CHECK_MESSAGE(contains(m, expected), m);

    CHECK_THROWS_AS(ctnn::loss_and_gradient_batch(b.p, loss, b.x, b.targets, b.g, b.ws, b.dx),
                    ctnn::contract_error);
    m = contract_message(
        [&] { ctnn::loss_and_gradient_batch(b.p, loss, b.x, b.targets, b.g, b.ws, b.dx); });
    CHECK_MESSAGE(starts_with(m, "ctnn::loss_and_gradient_batch: "), m);
    CHECK_MESSAGE(contains(m, expected), m);
    CHECK(all_sentinel(b.g.values));
    CHECK(all_sentinel(b.dx));

    // Without the input gradient as well.
    CHECK_THROWS_AS(ctnn::loss_and_gradient_batch(b.p, loss, b.x, b.targets, b.g, b.ws),
                    ctnn::contract_error);
    CHECK(all_sentinel(b.g.values));
  }
}

TEST_CASE_TEMPLATE("an output buffer of the wrong size", T, float, double) {
  batch<T> b(5);  // 5 samples × 2 outputs = 10 values expected
  for (const std::size_t values :
       {std::size_t{0}, std::size_t{9}, std::size_t{11}, std::size_t{15}}) {
    CAPTURE(values);
    std::vector<T> y(values, sentinel<T>);
    CHECK_THROWS_AS(ctnn::forward_batch(b.p, b.x, y, b.ws), ctnn::contract_error);
    const std::string m = contract_message([&] { ctnn::forward_batch(b.p, b.x, y, b.ws); });
    CHECK_MESSAGE(starts_with(m, "ctnn::forward_batch: "), m);
    CHECK_MESSAGE(contains(m, "the output buffer holds " + std::to_string(values) +
                                  " values, expected 5 samples x 2 = 10"),
                  m);
    CHECK(all_sentinel(y));
  }
}

TEST_CASE_TEMPLATE("an input-gradient buffer of the wrong size", T, float, double) {
  batch<T> b(5);  // 5 samples × 3 inputs = 15 values expected (0 means "not requested")
  const ctnn::squared_error loss;
  for (const std::size_t values :
       {std::size_t{3}, std::size_t{14}, std::size_t{16}, std::size_t{10}}) {
    CAPTURE(values);
    std::vector<T> dx(values, sentinel<T>);
    CHECK_THROWS_AS(ctnn::loss_and_gradient_batch(b.p, loss, b.x, b.targets, b.g, b.ws, dx),
                    ctnn::contract_error);
    const std::string m = contract_message(
        [&] { ctnn::loss_and_gradient_batch(b.p, loss, b.x, b.targets, b.g, b.ws, dx); });
    CHECK_MESSAGE(starts_with(m, "ctnn::loss_and_gradient_batch: "), m);
    CHECK_MESSAGE(contains(m, "the input-gradient buffer holds " + std::to_string(values) +
                                  " values, expected 5 samples x 3 = 15"),
                  m);
    CHECK(all_sentinel(dx));
    CHECK(all_sentinel(b.g.values));
  }
}

}  // namespace
