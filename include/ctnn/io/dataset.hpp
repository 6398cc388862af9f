#pragma once
// Preparing what the readers return for training: standardising inputs, one-hot targets and a
// seeded shuffle. They live in io/ beside the readers because they work on io::matrix and know
// nothing of networks (dependencies point downward); the training loop will call them, not the
// other way round.
//
//   auto stats = ctnn::io::fit_standardisation(train.inputs);  // on the training set only
//   ctnn::io::standardise(train.inputs, stats);
//   ctnn::io::standardise(test.inputs, stats);                 // the same mean/std_dev
//   auto targets = ctnn::io::one_hot<float>(train.labels, 10);
//   auto order = ctnn::io::shuffled_indices(train.labels.size(), /*seed=*/epoch);
//
// Wrong arguments (a label >= the number of classes, widths that differ, an index out of range)
// throw ctnn::contract_error naming the function, the index and the sizes.

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "../detail/contract.hpp"
#include "../detail/random.hpp"
#include "matrix.hpp"

namespace ctnn::io {

// Per-column mean and standard deviation of a training set, kept so the same transform can be
// applied to validation and test data (and saved with a model). Applying is always
// x -> (x - mean) / std_dev; a constant column gets std_dev = 1, so it becomes 0 instead of NaN.
template <std::floating_point T>
struct standardisation {
  std::vector<T> mean;
  std::vector<T> std_dev;  // population standard deviation (divides by n, as scikit-learn does)
};

template <std::floating_point T>
standardisation<T> fit_standardisation(const matrix<T>& train) {
  ctnn::detail::require_batch("io::fit_standardisation", train.rows);
  ctnn::detail::require_rows("io::fit_standardisation", "train.values", train.values.size(),
                             train.rows, train.cols);
  standardisation<T> s;
  s.mean.resize(train.cols);
  s.std_dev.resize(train.cols);
  const auto n = static_cast<double>(train.rows);
  for (std::size_t c = 0; c < train.cols; ++c) {
    // Two passes in double: the one-pass formula loses the variance of large, similar values.
    double sum = 0;
    T low = train(0, c), high = train(0, c);
    for (std::size_t r = 0; r < train.rows; ++r) {
      sum += static_cast<double>(train(r, c));
      low = std::min(low, train(r, c));
      high = std::max(high, train(r, c));
    }
    if (low == high) {
      // Exactly constant (e.g. MNIST's border pixels). Testing the computed variance for zero
      // would miss it: the rounded mean leaves a tiny variance, and dividing by it amplifies noise.
      s.mean[c] = low;
      s.std_dev[c] = 1;
      continue;
    }
    const double mean = sum / n;
    double squares = 0;
    for (std::size_t r = 0; r < train.rows; ++r) {
      const double d = static_cast<double>(train(r, c)) - mean;
      squares += d * d;
    }
    s.mean[c] = static_cast<T>(mean);
    s.std_dev[c] = static_cast<T>(std::sqrt(squares / n));
    if (!(s.std_dev[c] > 0)) s.std_dev[c] = 1;  // spread below T's smallest normal numbers
  }
  return s;
}

// In place: every row x becomes (x - mean) / std_dev.
template <std::floating_point T>
void standardise(matrix<T>& data, const standardisation<T>& s) {
  if (s.mean.size() != data.cols || s.std_dev.size() != data.cols)
    ctnn::detail::contract_failed("io::standardise",
                                  "the data has " + std::to_string(data.cols) +
                                      " columns, but the standardisation was fitted on " +
                                      std::to_string(s.mean.size()) +
                                      " (std_dev: " + std::to_string(s.std_dev.size()) + ")");
  ctnn::detail::require_rows("io::standardise", "data.values", data.values.size(), data.rows,
                             data.cols);
  for (std::size_t r = 0; r < data.rows; ++r)
    for (std::size_t c = 0; c < data.cols; ++c)
      data(r, c) = (data(r, c) - s.mean[c]) / s.std_dev[c];
}

// n labels in 0..classes-1 -> an n x classes matrix with a 1 in column labels[i] of row i.
template <std::floating_point T>
matrix<T> one_hot(std::span<const std::size_t> labels, std::size_t classes) {
  if (classes == 0) ctnn::detail::contract_failed("io::one_hot", "the number of classes is 0");
  matrix<T> m{labels.size(), classes, std::vector<T>(labels.size() * classes, T(0))};
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] >= classes)
      ctnn::detail::contract_failed(
          "io::one_hot", "label " + std::to_string(labels[i]) + " at index " + std::to_string(i) +
                             " is out of range for " + std::to_string(classes) + " classes (0.." +
                             std::to_string(classes - 1) + ")");
    m(i, labels[i]) = T(1);
  }
  return m;
}

// 0..n-1 in an order fixed by the seed: the same seed gives the same order with every compiler
// and standard library (ctnn's own generator; std::shuffle's result is implementation-defined).
inline std::vector<std::size_t> shuffled_indices(std::size_t n, std::uint64_t seed) {
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  ctnn::detail::random_generator rng(seed);
  for (std::size_t i = n; i > 1; --i)  // Fisher-Yates
    std::swap(order[i - 1], order[static_cast<std::size_t>(rng.below(i))]);
  return order;
}

// The rows of `data` in the order of `indices` (a shuffle, or a subset for a validation split).
template <std::floating_point T>
matrix<T> take_rows(const matrix<T>& data, std::span<const std::size_t> indices) {
  matrix<T> out{indices.size(), data.cols, {}};
  out.values.reserve(indices.size() * data.cols);
  for (std::size_t i = 0; i < indices.size(); ++i) {
    if (indices[i] >= data.rows)
      ctnn::detail::contract_failed("io::take_rows", "index " + std::to_string(indices[i]) +
                                                         " at position " + std::to_string(i) +
                                                         " is out of range for " +
                                                         std::to_string(data.rows) + " rows");
    const auto row = data.row(indices[i]);
    out.values.insert(out.values.end(), row.begin(), row.end());
  }
  return out;
}

// The entries of `items` (labels, say) in the order of `indices`, to go with take_rows.
template <class Item>
std::vector<Item> take(std::span<const Item> items, std::span<const std::size_t> indices) {
  std::vector<Item> out;
  out.reserve(indices.size());
  for (std::size_t i = 0; i < indices.size(); ++i) {
    if (indices[i] >= items.size())
      ctnn::detail::contract_failed(
          "io::take", "index " + std::to_string(indices[i]) + " at position " + std::to_string(i) +
                          " is out of range for " + std::to_string(items.size()) + " items");
    out.push_back(items[indices[i]]);
  }
  return out;
}

// Splits one column off (a regression target, say): {the other columns, that column}.
template <std::floating_point T>
std::pair<matrix<T>, std::vector<T>> split_column(const matrix<T>& data, std::size_t column) {
  if (column >= data.cols)
    ctnn::detail::contract_failed("io::split_column", "column " + std::to_string(column) +
                                                          " is out of range for " +
                                                          std::to_string(data.cols) + " columns");
  std::pair<matrix<T>, std::vector<T>> out{matrix<T>{data.rows, data.cols - 1, {}}, {}};
  for (std::size_t r = 0; r < data.rows; ++r)
    for (std::size_t c = 0; c < data.cols; ++c)
      (c == column ? out.second : out.first.values).push_back(data(r, c));
  return out;
}

}  // namespace ctnn::io
