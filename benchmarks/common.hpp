#pragma once
// Shared pieces of the benchmark binary: FLOP counts of the performance model (DESIGN.md), the
// counters every case reports, seeded data, and the start-up agreement checks that make sure a
// ctnn case and its Eigen twin compute the same thing before anything is timed.
//
// Naming: every case is registered twice, as "ctnn/<case>" and "eigen/<case>";
// benchmarks/bench_report.py pairs them by <case> and divides their times.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace bench {

// ---- FLOP counts ---------------------------------------------------------------------------
// A dense layer in×out costs 2·in·out FLOPs forward. Backward costs 2·in·out for ∂W = δ aᵀ and
// 2·in·out for δ_prev = Wᵀ δ, except at the first layer, whose δ_prev nobody needs.
// Activations, biases and losses are O(out) and not counted.
struct layer_size {
  double in, out;
};

inline double forward_flops(std::initializer_list<layer_size> layers) {
  double f = 0;
  for (const auto& l : layers) f += 2 * l.in * l.out;
  return f;
}

inline double gradient_flops(std::initializer_list<layer_size> layers) {
  double f = 0;
  bool first = true;
  for (const auto& l : layers) {
    f += 2 * l.in * l.out;                 // forward
    f += 2 * l.in * l.out;                 // ∂W
    if (!first) f += 2 * l.in * l.out;     // δ_prev
    first = false;
  }
  return f;
}

// Sets the two counters of a case: ns_per_sample and gflops, both from the benchmark's own
// (CPU) time, so they average correctly over iterations and repetitions.
inline void report(benchmark::State& state, double flops_per_iteration,
                   double samples_per_iteration) {
  const double iterations = static_cast<double>(state.iterations());
  state.counters["gflops"] =
      benchmark::Counter(flops_per_iteration * iterations * 1e-9, benchmark::Counter::kIsRate);
  state.counters["ns_per_sample"] = benchmark::Counter(
      samples_per_iteration * iterations * 1e-9,
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// ---- data -----------------------------------------------------------------------------------
inline std::vector<float> uniform(std::size_t n, float lo, float hi, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// n one-hot rows of `classes` values.
inline std::vector<float> one_hot_rows(std::size_t n, std::size_t classes, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::size_t> d(0, classes - 1);
  std::vector<float> v(n * classes, 0.0f);
  for (std::size_t s = 0; s < n; ++s) v[s * classes + d(rng)] = 1.0f;
  return v;
}

// ---- agreement checks, run once by main() before any timing ---------------------------------
using check_fn = std::function<bool()>;

inline std::vector<std::pair<std::string, check_fn>>& checks() {
  static std::vector<std::pair<std::string, check_fn>> all;
  return all;
}

struct register_check {
  register_check(std::string name, check_fn f) { checks().emplace_back(std::move(name), std::move(f)); }
};

// True when every |got - want| <= tolerance·(1 + max|want|); prints the worst difference.
// `sides` names the two computations in the printed line.
inline bool close(const char* what, std::span<const float> got, std::span<const float> want,
                  double tolerance = 1e-4, const char* sides = "ctnn - eigen") {
  if (got.size() != want.size()) {
    std::fprintf(stderr, "  %s: sizes differ (%zu vs %zu)\n", what, got.size(), want.size());
    return false;
  }
  double worst = 0, scale = 0;
  std::size_t at = 0;
  bool finite = true;
  for (std::size_t k = 0; k < got.size(); ++k) {
    scale = std::max(scale, std::fabs(static_cast<double>(want[k])));
    const double d = std::fabs(static_cast<double>(got[k]) - static_cast<double>(want[k]));
    if (!std::isfinite(d)) finite = false;
    if (d > worst) worst = d, at = k;
  }
  const bool ok = finite && worst <= tolerance * (1 + scale);
  std::fprintf(stderr, "  %-28s max |%s| = %.3g (max |want| = %.3g, at %zu)%s\n", what, sides,
               worst, scale, at, ok ? "" : "  <-- MISMATCH");
  return ok;
}

inline bool close(const char* what, float got, float want, double tolerance = 1e-4) {
  return close(what, std::span<const float>(&got, 1), std::span<const float>(&want, 1), tolerance);
}

}  // namespace bench
