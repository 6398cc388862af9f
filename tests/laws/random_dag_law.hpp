#pragma once
// The body of gradcheck_random_dags*.cpp: the gradient law (graph_gradcheck.hpp) on the random
// graphs of random_dag.hpp, with the runs each graph's plan asks for: batches of 1, 3, 33 and 70
// samples as its size allows (float and double), one sample (double; float one time in three),
// and one time in three the scalar architecture on one sample and a batch (float and double).
// Each file checks its share of dag_seeds (dag_file_of); the coverage of the whole list is
// asserted here, so every file repeats it.

#include <doctest/doctest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include "graph_gradcheck.hpp"
#include "random_dag.hpp"

namespace laws {

// The seeds the gradient law runs on, split between the gradcheck_random_dags*.cpp files.
inline constexpr std::array<std::uint64_t, 52> dag_seeds = [] {
  std::array<std::uint64_t, 52> s{};
  for (std::size_t k = 0; k < s.size(); ++k) s[k] = k;
  return s;
}();

// The files the seeds are split between. A graph's cost to the compiler grows with its nodes and
// with its runs (the scalar architecture's add a quarter), so the seeds are dealt to the files
// largest first, each to the file with the least weight so far: the files come out within a few
// nodes of each other, each under a minute with g++ -O3.
inline constexpr std::size_t dag_files = 13;

constexpr double compile_weight(std::uint64_t seed) {
  const dag::dag_plan p = dag::plan_for(seed);
  return double(p.count) * (p.scalar ? 1.25 : 1.0);
}

inline constexpr std::array<std::size_t, dag_seeds.size()> dag_file_of = [] {
  std::array<double, dag_seeds.size()> weight{};
  for (std::size_t k = 0; k < dag_seeds.size(); ++k) weight[k] = compile_weight(dag_seeds[k]);
  std::array<std::size_t, dag_seeds.size()> file{};
  std::array<bool, dag_seeds.size()> dealt{};
  std::array<double, dag_files> load{};
  for (std::size_t round = 0; round < dag_seeds.size(); ++round) {
    std::size_t heaviest = 0;
    bool found = false;
    for (std::size_t k = 0; k < dag_seeds.size(); ++k)
      if (!dealt[k] && (!found || weight[k] > weight[heaviest])) heaviest = k, found = true;
    std::size_t lightest = 0;
    for (std::size_t f = 1; f < dag_files; ++f)
      if (load[f] < load[lightest]) lightest = f;
    dealt[heaviest] = true;
    file[heaviest] = lightest;
    load[lightest] += weight[heaviest];
  }
  return file;
}();

template <std::size_t F>
constexpr auto seeds_of_file() {
  constexpr std::size_t count = [] {
    std::size_t c = 0;
    for (std::size_t f : dag_file_of) c += f == F;
    return c;
  }();
  std::array<std::uint64_t, count> seeds{};
  std::size_t at = 0;
  for (std::size_t k = 0; k < dag_seeds.size(); ++k)
    if (dag_file_of[k] == F) seeds[at++] = dag_seeds[k];
  return seeds;
}

// What the seeds must reach (random_dag.hpp: dag_coverage).
inline constexpr dag_coverage dag_covered = dag_coverage_of(dag_seeds);
static_assert([] {
  for (std::size_t a = 0; a < no_activation; ++a)
    if (!dag_covered.activation[a]) return false;
  return true;
}(), "the random graphs must use every activation and softmax");
static_assert(dag_covered.loss[0] && dag_covered.loss[1] && dag_covered.loss[2],
              "the random graphs must use every loss");
static_assert(dag_covered.fan_out && dag_covered.residual_add && dag_covered.sub &&
                  dag_covered.mul && dag_covered.square && dag_covered.scale,
              "the random graphs must have fan-out, residual adds, sub, mul (h ⊙ h too), scale");
static_assert(dag_covered.concat && dag_covered.concat_repeated && dag_covered.concat_many &&
                  dag_covered.slice && dag_covered.views && dag_covered.rank2_slice,
              "the random graphs must have concat (of one node twice, of 3 or more), slice, "
              "reshape/flatten views and a slice of a rank-2 view");
static_assert(dag_covered.shared && dag_covered.shared_distant,
              "the random graphs must share parameter blocks between dense nodes");
static_assert(dag_covered.two_inputs && dag_covered.declared_inputs && dag_covered.reversed_inputs,
              "the random graphs must have two inputs, declared in ctnn::inputs<...> in both orders");
static_assert(dag_covered.two_heads && dag_covered.add_scale_objective &&
                  dag_covered.two_losses_one_node && dag_covered.unfused_loss &&
                  dag_covered.extra_output && dag_covered.softmax_inside,
              "the random graphs must have two losses in a weighted objective "
              "(op::add<op::scale<l1, r>, l2>), two losses on one node, a cross-entropy that "
              "cannot fuse with its activation, an output no loss reads, softmax inside");
static_assert(dag_covered.long_row && dag_covered.long_row_ragged &&
                  dag_covered.long_row_odd_float && dag_covered.long_row_odd_double &&
                  dag_covered.wide_out && dag_covered.wide_out_ragged &&
                  dag_covered.out_whole_packs && dag_covered.out_one && dag_covered.in_one &&
                  dag_covered.wide_elementwise_ragged && dag_covered.widest == dag::max_width,
              "the random graphs must take every branch of the SIMD kernels: dense rows longer "
              "than 64 (with part packs, an odd count of whole packs), more than 128 outputs "
              "(ragged), whole packs of outputs, width 1, wide ragged elementwise nodes, "
              "width 300");
static_assert(dag_covered.batch[0] && dag_covered.batch[1] && dag_covered.batch[2] &&
                  dag_covered.batch[3] && dag_covered.float_sample && dag_covered.scalar &&
                  dag_covered.scalar_multi_tile && dag_covered.scalar_two_inputs &&
                  dag_covered.multi_tile_long_row,
              "the random graphs must be checked on batches of 1, 3, 33 and 70, on one sample in "
              "float, with the scalar architecture (on several tiles, two inputs), and on "
              "several tiles through a long-row dense node");

namespace dag_law {

template <std::uint64_t Seed, class T, class Arch>
void check_runs() {
  using generated = random_dag<Seed>;
  using net = typename generated::graph;
  constexpr dag::dag_plan plan = generated::plan;
  constexpr bool scalar = std::is_same_v<Arch, ctnn::simd::scalar_arch>;
  const auto p = random_graph_parameters<net, T>(1000 + Seed);
  auto report = [&](const gradcheck_report& r, const char* what) {
    CHECK_MESSAGE(r.ok(), "seed ", Seed, std::string(scalar ? " (scalar_arch)" : ""), ", ",
                  std::string(what), ": ", r.describe(), "\n  plan:", describe(plan));
  };
  if (std::is_same_v<T, double> || plan.float_sample) {
    const auto d = random_graph_data<net, T>(1, 2000 + Seed);
    report(check_graph_gradient<Arch>(*p, d), "one sample");
  }
  for (std::size_t b = 0; b < dag::batch_sizes.size(); ++b) {
    const std::size_t n = dag::batch_sizes[b];
    if (scalar ? n != plan.scalar_batch : !plan.batch[b]) continue;
    const auto d = random_graph_data<net, T>(n, 4000 + 100 * Seed + n);
    report(check_graph_gradient_batch<Arch>(*p, d), "batch");
  }
}

template <std::uint64_t Seed, class T>
void check_dag() {
  check_runs<Seed, T, ctnn::simd::default_arch>();
  if constexpr (random_dag<Seed>::plan.scalar) check_runs<Seed, T, ctnn::simd::scalar_arch>();
}

// The seeds of file F (gradcheck_random_dags.cpp is file 0, gradcheck_random_dags_K.cpp file
// K − 1), checked for T.
template <std::size_t F, class T>
void check_file() {
  static_assert(F < dag_files);
  for_each_index<seeds_of_file<F>().size()>(
      []<std::size_t K>() { check_dag<seeds_of_file<F>()[K], T>(); });
}

}  // namespace dag_law
}  // namespace laws
