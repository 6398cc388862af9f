// The gradient law (gradcheck.hpp) on randomly generated networks (random_network.hpp): depth
// 1–4, widths 1–33, every activation and every loss, float and double, one sample and batches of
// 1, 3, 33 and 70 (one tile, a few samples, one past a 32-sample tile, two tiles and a part).
// Seeds 12–23 are here and 0–11 in gradcheck_random_networks.cpp, so that each translation
// unit stays fast to compile; the coverage of the whole list is asserted below.

#include <doctest/doctest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <utility>

#include "gradcheck.hpp"
#include "random_network.hpp"

namespace {

constexpr laws::coverage covered = laws::coverage_of(laws::law_seeds);
static_assert(covered.all_activations(),
              "the random networks must use every activation (and a layer without one)");
static_assert(covered.all_losses(), "the random networks must use every loss");
static_assert(covered.all_depths(), "the random networks must have every depth from 1 to 4");
static_assert(covered.simd_edges(),
              "the random networks must have widths 1, 16, 17, 32, 33, multiples of 8 and 16, "
              "and widths that leave a SIMD remainder");

template <std::uint64_t Seed, class T>
void check_random_network() {
  using generated = laws::random_network<Seed>;
  using net = typename generated::network;
  using loss = typename generated::loss;
  constexpr std::size_t in = net::input_size, out = net::output_size;
  const auto p = laws::random_parameters<net, T>(1000 + Seed);

  // The single-sample entry point in double only: in float it would need two more instantiations
  // of the whole network (float and double with a 1-sample workspace) for little news, as the
  // kernels are the ones the batch of 1 below runs; gradcheck_activations.cpp runs it in both.
  if constexpr (std::is_same_v<T, double>) {
    const auto x = laws::random_values<T>(in, 2000 + Seed);
    const auto t = laws::random_targets<loss, T>(1, out, 3000 + Seed);
    const laws::gradcheck_report r = laws::check_gradient(
        *p, loss{}, std::span<const T, in>(x.data(), in), std::span<const T, out>(t.data(), out));
    CHECK_MESSAGE(r.ok(), "seed ", Seed, ": ", r.describe());
  }
  for (const std::size_t n : {1, 3, 33, 70}) {
    const auto x = laws::random_values<T>(n * in, 4000 + 100 * Seed + n);
    const auto t = laws::random_targets<loss, T>(n, out, 5000 + 100 * Seed + n);
    const laws::gradcheck_report r = laws::check_gradient_batch(*p, loss{}, x, t);
    CHECK_MESSAGE(r.ok(), "seed ", Seed, ": ", r.describe());
  }
}

template <std::size_t First, std::size_t Count, class T>
void check_seeds() {
  laws::for_each_index<Count>(
      []<std::size_t K>() { check_random_network<laws::law_seeds[First + K], T>(); });
}

}  // namespace

TEST_CASE_TEMPLATE("backprop matches central differences on random networks (seeds 12-23)", T,
                   float, double) {
  check_seeds<12, 12, T>();
}
