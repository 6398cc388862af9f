// Data preparation helpers: standardisation fitted on one set and applied to another, one-hot
// targets, and the seeded shuffle (same seed, same order; a permutation; different seeds differ).

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <ctnn/detail/contract.hpp>
#include <ctnn/io/dataset.hpp>
#include <numeric>
#include <string>
#include <vector>

namespace {

template <class E>
std::string message_of(const E& call) {
  try {
    call();
  } catch (const ctnn::contract_error& e) {
    return e.what();
  }
  FAIL("no contract_error");
  return {};
}

}  // namespace

TEST_CASE_TEMPLATE("standardisation: fitted per column on the training set", T, float, double) {
  // Column 0: 1,2,3,4 (mean 2.5, population std sqrt(1.25)); column 1 constant 7;
  // column 2: large and close together, where a one-pass variance would cancel badly.
  ctnn::io::matrix<T> train{4, 3, {1, 7, 1000, 2, 7, 1001, 3, 7, 1002, 4, 7, 1003}};
  const auto s = ctnn::io::fit_standardisation(train);
  REQUIRE(s.mean.size() == 3);
  CHECK(s.mean[0] == doctest::Approx(2.5));
  CHECK(s.std_dev[0] == doctest::Approx(std::sqrt(1.25)));
  CHECK(s.mean[1] == T(7));
  CHECK(s.std_dev[1] == T(1));  // constant: centred only, never divided by 0
  CHECK(s.mean[2] == doctest::Approx(1001.5));
  CHECK(s.std_dev[2] == doctest::Approx(std::sqrt(1.25)));

  ctnn::io::standardise(train, s);
  for (std::size_t c = 0; c < 3; ++c) {
    double mean = 0, squares = 0;
    for (std::size_t r = 0; r < 4; ++r) mean += train(r, c) / 4.0;
    for (std::size_t r = 0; r < 4; ++r) squares += (train(r, c) - mean) * (train(r, c) - mean);
    CHECK(mean == doctest::Approx(0).epsilon(1e-6).scale(1));
    CHECK(std::sqrt(squares / 4) == doctest::Approx(c == 1 ? 0.0 : 1.0).epsilon(1e-5));
  }
  CHECK(train(0, 1) == T(0));

  // Other data gets the training set's statistics, not its own.
  ctnn::io::matrix<T> test{1, 3, {5, 8, 999}};
  ctnn::io::standardise(test, s);
  CHECK(test(0, 0) == doctest::Approx((5 - 2.5) / std::sqrt(1.25)));
  CHECK(test(0, 1) == doctest::Approx(1.0));
  CHECK(test(0, 2) == doctest::Approx((999 - 1001.5) / std::sqrt(1.25)).epsilon(1e-4));
}

TEST_CASE("standardisation: wrong widths and empty sets are contract errors") {
  ctnn::io::matrix<float> train{2, 2, {1, 2, 3, 4}};
  const auto s = ctnn::io::fit_standardisation(train);
  ctnn::io::matrix<float> narrow{1, 3, {1, 2, 3}};
  const std::string m = message_of([&] { ctnn::io::standardise(narrow, s); });
  CHECK(m.find("ctnn::io::standardise") != std::string::npos);
  CHECK(m.find("3 columns") != std::string::npos);
  CHECK(m.find("fitted on 2") != std::string::npos);
  ctnn::io::matrix<float> empty{0, 2, {}};
  CHECK(message_of([&] { (void)ctnn::io::fit_standardisation(empty); }).find("empty") !=
        std::string::npos);
}

TEST_CASE("one_hot: n labels, K classes -> n x K with one 1 per row") {
  const std::vector<std::size_t> labels = {2, 0, 1, 2};
  const auto m = ctnn::io::one_hot<float>(labels, 3);
  CHECK(m.rows == 4);
  CHECK(m.cols == 3);
  CHECK(m.values == std::vector<float>{0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1});

  const std::vector<std::size_t> bad = {0, 1, 10, 2};
  const std::string message = message_of([&] { (void)ctnn::io::one_hot<double>(bad, 10); });
  CHECK(message.find("label 10 at index 2 is out of range for 10 classes (0..9)") !=
        std::string::npos);
  CHECK(message_of([&] {
          (void)ctnn::io::one_hot<double>(labels, 0);
        }).find("the number of classes is 0") != std::string::npos);
}

TEST_CASE("shuffled_indices: a permutation, fixed by the seed") {
  const auto a = ctnn::io::shuffled_indices(1000, 42);
  const auto b = ctnn::io::shuffled_indices(1000, 42);
  const auto c = ctnn::io::shuffled_indices(1000, 43);
  CHECK(a == b);
  CHECK(a != c);
  std::vector<std::size_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::size_t> identity(1000);
  std::iota(identity.begin(), identity.end(), std::size_t{0});
  CHECK(sorted == identity);
  CHECK(a != identity);  // it does move things
  // Pinned: the order must not change between compilers, standard libraries or releases
  // (ctnn's own generator). Computed once with this implementation.
  CHECK(ctnn::io::shuffled_indices(8, 7) == std::vector<std::size_t>{6, 0, 2, 3, 4, 7, 1, 5});
  CHECK(ctnn::io::shuffled_indices(0, 1).empty());
  CHECK(ctnn::io::shuffled_indices(1, 1) == std::vector<std::size_t>{0});

  // Every position receives every index about equally often (no bias towards the identity).
  std::vector<int> first(10);
  for (std::uint64_t seed = 0; seed < 10000; ++seed)
    ++first[ctnn::io::shuffled_indices(10, seed)[0]];
  for (int count : first) CHECK(std::abs(count - 1000) < 150);
}

TEST_CASE("take_rows, take and split_column reorder and split consistently") {
  const ctnn::io::matrix<double> m{3, 2, {1, 2, 3, 4, 5, 6}};
  const std::vector<std::size_t> order = {2, 0, 1};
  const auto r = ctnn::io::take_rows(m, order);
  CHECK(r.rows == 3);
  CHECK(r.values == std::vector<double>{5, 6, 1, 2, 3, 4});
  const std::vector<int> labels = {10, 20, 30};
  CHECK(ctnn::io::take<int>(labels, order) == std::vector<int>{30, 10, 20});

  const auto [rest, column] = ctnn::io::split_column(m, 0);
  CHECK(rest.rows == 3);
  CHECK(rest.cols == 1);
  CHECK(rest.values == std::vector<double>{2, 4, 6});
  CHECK(column == std::vector<double>{1, 3, 5});

  const std::vector<std::size_t> out_of_range = {0, 3};
  CHECK(message_of([&] {
          (void)ctnn::io::take_rows(m, out_of_range);
        }).find("index 3 at position 1 is out of range for 3 rows") != std::string::npos);
  CHECK(message_of([&] { (void)ctnn::io::take<int>(labels, out_of_range); }).find("index 3") !=
        std::string::npos);
  CHECK(message_of([&] { (void)ctnn::io::split_column(m, 2); }).find("column 2") !=
        std::string::npos);
}
