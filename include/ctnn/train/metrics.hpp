#pragma once
// Metrics of a trained network on labelled data: the mean loss and the accuracy.
//
//   accuracy, argmax rule   a row is right when the largest output and the largest target are in
//                           the same column (one-hot classes; ties go to the first column)
//   accuracy, binary rule   each output value is right when (y > threshold) == (t > 0.5);
//                           the fraction is over all values (multi-label), as Keras'
//                           binary_accuracy. The threshold is 0.5 for probabilities (a last
//                           sigmoid) and 0 for logits or tanh.
//
//   ctnn::accuracy_counter c;
//   ctnn::count_argmax_matches(c, outputs, targets, 10);     // any number of times
//   double a = c.value();                                    // correct / counted
//
//   auto rule = ctnn::resolve_accuracy<net, ctnn::softmax_cross_entropy>();   // from the loss
//   ctnn::evaluation e = ctnn::evaluate(p, loss, x, t, ws, rule);             // e.loss, e.accuracy
//
// evaluate runs one forward pass per sample (tile by tile through the caller's workspace) and
// takes the loss from the same pass, so the loss and the accuracy cost one pass together; it
// allocates nothing. A graph with one output takes the loss at the call; a graph with an
// objective takes its inputs and targets as arrays of spans:
//   ctnn::evaluate(p, {x0, x1}, {t0, t1});                   // e.loss: the mean objective

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <type_traits>

#include "../detail/contract.hpp"
#include "../nn/activations.hpp"
#include "../nn/losses.hpp"
#include "../nn/network.hpp"
#include "../nn/passes.hpp"
#include "../simd/pack.hpp"

namespace ctnn {

enum class accuracy_kind {
  automatic,  // from the loss: softmax_cross_entropy -> argmax, binary_cross_entropy -> binary,
              // squared_error -> none (a regression has no accuracy)
  argmax,
  binary,
  none,
};

// How accuracy is counted; threshold is used by the binary rule only.
struct accuracy_rule {
  accuracy_kind kind = accuracy_kind::none;
  double threshold = 0.5;
};

struct accuracy_counter {
  std::size_t correct = 0;
  std::size_t counted = 0;
  // NaN when nothing was counted (no accuracy is not 0 accuracy).
  double value() const {
    return counted == 0 ? std::numeric_limits<double>::quiet_NaN()
                        : static_cast<double>(correct) / static_cast<double>(counted);
  }
};

// Rows of `width` values: adds one count per row, correct when argmax(output) == argmax(target).
template <class T>
void count_argmax_matches(accuracy_counter& c, std::span<const T> outputs,
                          std::span<const T> targets, std::size_t width) {
  if (width == 0) detail::contract_failed("count_argmax_matches", "the row width is 0");
  if (outputs.size() != targets.size() || outputs.size() % width != 0)
    detail::contract_failed("count_argmax_matches",
                            "outputs hold " + std::to_string(outputs.size()) + " values, targets " +
                                std::to_string(targets.size()) +
                                ": they must be the same whole number of rows of " +
                                std::to_string(width));
  const std::size_t rows = outputs.size() / width;
  for (std::size_t r = 0; r < rows; ++r) {
    const T* y = outputs.data() + r * width;
    const T* t = targets.data() + r * width;
    std::size_t best_y = 0, best_t = 0;
    for (std::size_t k = 1; k < width; ++k) {
      if (y[k] > y[best_y]) best_y = k;
      if (t[k] > t[best_t]) best_t = k;
    }
    c.correct += best_y == best_t ? 1 : 0;
  }
  c.counted += rows;
}

// Adds one count per value, correct when (output > threshold) == (target > 0.5).
template <class T>
void count_binary_matches(accuracy_counter& c, std::span<const T> outputs,
                          std::span<const T> targets, double threshold = 0.5) {
  if (outputs.size() != targets.size())
    detail::contract_failed("count_binary_matches",
                            "outputs hold " + std::to_string(outputs.size()) + " values, targets " +
                                std::to_string(targets.size()) + ": they must be the same size");
  for (std::size_t k = 0; k < outputs.size(); ++k)
    c.correct += ((double(outputs[k]) > threshold) == (double(targets[k]) > 0.5)) ? 1 : 0;
  c.counted += outputs.size();
}

template <class T>
void count_matches(accuracy_counter& c, const accuracy_rule& rule, std::span<const T> outputs,
                   std::span<const T> targets, std::size_t width) {
  if (rule.kind == accuracy_kind::argmax) count_argmax_matches(c, outputs, targets, width);
  else if (rule.kind == accuracy_kind::binary)
    count_binary_matches(c, outputs, targets, rule.threshold);
}

template <class T>
double argmax_accuracy(std::span<const T> outputs, std::span<const T> targets, std::size_t width) {
  accuracy_counter c;
  count_argmax_matches(c, outputs, targets, width);
  return c.value();
}

template <class T>
double binary_accuracy(std::span<const T> outputs, std::span<const T> targets,
                       double threshold = 0.5) {
  accuracy_counter c;
  count_binary_matches(c, outputs, targets, threshold);
  return c.value();
}

namespace detail {
// f of the graph's output y = f(z), identity when the output is not an activation's.
template <class Net>
constexpr auto output_activation() {
  using Y = typename Net::template node_at<Net::output_index[0]>;
  if constexpr (requires { typename Y::function; }) return std::type_identity<typename Y::function>{};
  else return std::type_identity<identity>{};
}
}  // namespace detail

// The rule `requested` means for a loss on a prediction a = A(z) (automatic picks one from the
// loss).
template <class Loss, class A>
constexpr accuracy_rule accuracy_rule_of(accuracy_kind requested) {
  // Where a binary decision lies on the output's scale: probabilities split at 0.5; logits
  // (binary cross-entropy without a last sigmoid) and tanh split at 0.
  constexpr bool zero_centred =
      std::is_same_v<A, tanh> ||
      (std::is_same_v<A, identity> && std::is_same_v<Loss, binary_cross_entropy>);
  constexpr double threshold = zero_centred ? 0.0 : 0.5;
  switch (requested) {
    case accuracy_kind::automatic:
      if constexpr (std::is_same_v<Loss, softmax_cross_entropy>) return {accuracy_kind::argmax, 0.5};
      else if constexpr (std::is_same_v<Loss, binary_cross_entropy>)
        return {accuracy_kind::binary, threshold};
      else return {accuracy_kind::none, threshold};
    case accuracy_kind::argmax:
      return {accuracy_kind::argmax, threshold};
    case accuracy_kind::binary:
      return {accuracy_kind::binary, threshold};
    case accuracy_kind::none:
      break;
  }
  return {accuracy_kind::none, threshold};
}

// The rule for a graph and the loss given at the call (on its one output).
template <class Net, class Loss>
constexpr accuracy_rule resolve_accuracy(accuracy_kind requested = accuracy_kind::automatic) {
  return accuracy_rule_of<Loss, typename decltype(detail::output_activation<Net>())::type>(requested);
}

// The rule for a graph with an objective: from its first loss node.
template <class Net>
  requires(Net::has_objective)
constexpr accuracy_rule resolve_accuracy(accuracy_kind requested = accuracy_kind::automatic) {
  using L = typename Net::template node_at<Net::loss_index[0]>;
  return accuracy_rule_of<typename L::function, typename L::activation>(requested);
}

struct evaluation {
  double loss = std::numeric_limits<double>::quiet_NaN();      // mean over the samples
  double accuracy = std::numeric_limits<double>::quiet_NaN();  // NaN under accuracy_kind::none
  std::size_t samples = 0;
};

namespace detail {
// Mean objective of G over the data, and the accuracy of its first loss's prediction against
// that loss's target, tile by tile through ws.
template <class Arch, class G, class Net, class T, std::size_t Tile, std::size_t I, std::size_t Tg>
evaluation evaluate_graph(const parameters<Net, T>& p, const std::array<std::span<const T>, I>& inputs,
                          const std::array<std::span<const T>, Tg>& targets, workspace<Net, T, Tile>& ws,
                          const accuracy_rule& rule) {
  using program = exec::program<G, plan_of<G, T, Tile>>;
  const std::size_t n = checked_batch<G>("evaluate", inputs, targets, nullptr, nullptr);
  const auto d = bind<G, T>(inputs, targets, nullptr, nullptr);
  constexpr std::size_t prediction = G::table::edge[G::table::edge_begin[G::loss_index[0]]];
  constexpr std::size_t out = G::target_sizes[0];
  double total = 0;
  accuracy_counter c;
  for (std::size_t s0 = 0; s0 < n; s0 += Tile) {
    const std::size_t m = std::min(Tile, n - s0);
    const auto b = tile_at(p.data(), d, s0, m, ws.data());
    program::template forward<Arch, T>(b);
    total += program::template objective<Arch, T>(b);
    const T* y = program::template value<prediction, T>(b);
    count_matches<T>(c, rule, std::span<const T>(y, m * out),
                     std::span<const T>(targets[0].data() + s0 * out, m * out), out);
  }
  return {total / double(n), c.value(), n};
}
}  // namespace detail

// Mean loss and accuracy of p on n samples (inputs: n rows of Net::input_size, targets: n rows
// of Net::output_size), tile by tile through ws.
template <class Arch = simd::default_arch, class Net, class T, std::size_t Tile, loss_function Loss>
evaluation evaluate(const parameters<Net, T>& p, const Loss&, std::span<const T> inputs,
                    std::span<const T> targets, workspace<Net, T, Tile>& ws,
                    const accuracy_rule& rule) {
  static_assert(detail::loss_fits<Net, Loss>());
  return detail::evaluate_graph<Arch, detail::objective_graph<Net, Loss>>(
      p, std::array<std::span<const T>, 1>{inputs}, std::array<std::span<const T>, 1>{targets}, ws,
      rule);
}

// The same with a workspace of its own (allocated once per call: not for a hot loop).
template <class Arch = simd::default_arch, class Net, class T, loss_function Loss>
evaluation evaluate(const parameters<Net, T>& p, const Loss& loss, std::span<const T> inputs,
                    std::span<const T> targets,
                    accuracy_kind kind = accuracy_kind::automatic) {
  auto ws = std::make_unique<workspace<Net, T>>();
  return evaluate<Arch>(p, loss, inputs, targets, *ws, resolve_accuracy<Net, Loss>(kind));
}

// A graph with an objective (its losses are nodes): the mean objective over n samples and the
// accuracy of its first loss's prediction against that loss's target. inputs and targets hold n
// rows each, in the graph's input and target order.
template <class Arch = simd::default_arch, class Net, class T, std::size_t Tile>
  requires(Net::has_objective)
evaluation evaluate(const parameters<Net, T>& p,
                    const std::array<std::span<const T>, Net::input_count>& inputs,
                    const std::array<std::span<const T>, Net::target_count>& targets,
                    workspace<Net, T, Tile>& ws, const accuracy_rule& rule) {
  return detail::evaluate_graph<Arch, Net>(p, inputs, targets, ws, rule);
}

template <class Arch = simd::default_arch, class Net, class T>
  requires(Net::has_objective)
evaluation evaluate(const parameters<Net, T>& p,
                    const std::array<std::span<const T>, Net::input_count>& inputs,
                    const std::array<std::span<const T>, Net::target_count>& targets,
                    accuracy_kind kind = accuracy_kind::automatic) {
  auto ws = std::make_unique<workspace<Net, T>>();
  return evaluate<Arch>(p, inputs, targets, *ws, resolve_accuracy<Net>(kind));
}

}  // namespace ctnn
