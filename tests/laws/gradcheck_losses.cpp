// Every loss against the gradient law (gradcheck.hpp): squared_error, softmax_cross_entropy and
// binary_cross_entropy, each on logits and, for the cross-entropies, after the activation they
// fuse with (softmax, sigmoid), in float and double, for one sample and batches of 1, 33 and 70.
// (Their values, numerical stability and batch conventions are checked in nn/losses.cpp.)

#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <ctnn/ctnn.hpp>
#include <span>

#include "gradcheck.hpp"

namespace {

template <class... Last>
using two_layers =
    ctnn::network<ctnn::input<6>, ctnn::dense<9>, ctnn::softplus, ctnn::dense<4>, Last...>;

template <class Net, class Loss, class T>
void check_law(std::uint64_t seed) {
  constexpr std::size_t i = Net::input_size, o = Net::output_size;
  const auto p = laws::random_parameters<Net, T>(seed);
  {
    const auto x = laws::random_values<T>(i, seed + 1);
    const auto t = laws::random_targets<Loss, T>(1, o, seed + 2);
    const auto r = laws::check_gradient(*p, Loss{}, std::span<const T, i>(x.data(), i),
                                        std::span<const T, o>(t.data(), o));
    CHECK_MESSAGE(r.ok(), r.describe());
  }
  for (const std::size_t n : {1, 33, 70}) {
    const auto x = laws::random_values<T>(n * i, seed + 3 + n);
    const auto t = laws::random_targets<Loss, T>(n, o, seed + 4 + n);
    const auto r = laws::check_gradient_batch(*p, Loss{}, x, t);
    CHECK_MESSAGE(r.ok(), r.describe());
  }
}

}  // namespace

TEST_CASE_TEMPLATE("each loss passes the gradient law", T, float, double) {
  check_law<two_layers<>, ctnn::squared_error, T>(100);
  check_law<two_layers<>, ctnn::softmax_cross_entropy, T>(200);
  check_law<two_layers<ctnn::softmax>, ctnn::softmax_cross_entropy, T>(300);
  check_law<two_layers<>, ctnn::binary_cross_entropy, T>(400);
  check_law<two_layers<ctnn::sigmoid>, ctnn::binary_cross_entropy, T>(500);
}
