#pragma once
// Randomly generated network types, for laws that must hold for every network:
//
//   using r = laws::random_network<7>;
//   r::network   ctnn::network<input<..>, dense<..>, act, ...>, depth 1–4, widths 1–33
//   r::loss      a loss that fits its last layer
//   r::plan      the choices, as constexpr data
//
// A constexpr generator (splitmix64, seeded from Seed) picks, for each seed:
//   depth         1 to 4 dense layers
//   widths        input and every dense layer, 1 to 33: half the time one of the sizes where
//                 SIMD loops change shape (1, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33: one lane, a
//                 whole AVX-512 float or double register, one more or less), else uniform in 1–33
//   activation    per dense layer, from every activation ctnn has, or none; half the time the
//                 last one is drawn from those the cross-entropies take (none, identity,
//                 sigmoid, softmax)
//   loss          squared_error for any last layer; softmax_cross_entropy when the last layer ends
//                 in softmax or in logits (no activation, identity) and has ≥ 2 outputs;
//                 binary_cross_entropy when it ends in sigmoid or in logits
// coverage_of(seeds) summarises a set of seeds, so a test can static_assert that its set reaches
// every activation, every loss and the interesting widths.

#include <array>
#include <cstddef>
#include <cstdint>
#include <ctnn/ctnn.hpp>
#include <ratio>
#include <tuple>
#include <type_traits>
#include <utility>

#include "gradcheck.hpp"

namespace laws {

// Every activation, by index; `no_activation` means the dense layer is not followed by one.
// leaky_relu and elu appear with their default and with a custom parameter.
inline constexpr std::size_t activation_kinds = 14;
inline constexpr std::size_t no_activation = 13;

using activations =
    std::tuple<ctnn::identity, ctnn::sigmoid, ctnn::tanh, ctnn::relu, ctnn::leaky_relu<>,
               ctnn::leaky_relu<std::ratio<1, 5>>, ctnn::elu<>, ctnn::elu<std::ratio<3, 2>>,
               ctnn::softplus, ctnn::swish, ctnn::mish, ctnn::gelu, ctnn::softmax>;
static_assert(std::tuple_size_v<activations> == no_activation);
template <std::size_t A>
using activation_at = std::tuple_element_t<A, activations>;
template <class A, std::size_t... I>
constexpr std::size_t index_of(std::index_sequence<I...>) {
  std::size_t k = 0;
  ((std::is_same_v<A, activation_at<I>> ? void(k = I) : void()), ...);
  return k;
}
template <class A>
inline constexpr std::size_t activation_index =
    index_of<A>(std::make_index_sequence<no_activation>{});

enum class loss_kind : std::size_t { squared_error, softmax_cross_entropy, binary_cross_entropy };
using losses =
    std::tuple<ctnn::squared_error, ctnn::softmax_cross_entropy, ctnn::binary_cross_entropy>;
inline constexpr std::size_t loss_kinds = std::tuple_size_v<losses>;
template <loss_kind L>
using loss_at = std::tuple_element_t<static_cast<std::size_t>(L), losses>;

struct network_plan {
  std::size_t depth = 0;               // dense layers
  std::array<std::size_t, 5> width{};  // width[0] input, width[k] the k-th dense layer's output
  std::array<std::size_t, 4> activation{};
  loss_kind loss = loss_kind::squared_error;
};

inline constexpr std::array<std::size_t, 11> simd_edge_widths{1,  7,  8,  9,  15, 16,
                                                              17, 24, 31, 32, 33};

constexpr network_plan plan_for(std::uint64_t seed) {
  random_stream rng(seed * 0x2545f4914f6cdd1dull + 0x0c7a11);
  network_plan plan;
  plan.depth = 1 + rng.below(4);
  auto pick_width = [&] {
    return rng.below(2) == 0 ? simd_edge_widths[rng.below(simd_edge_widths.size())]
                             : 1 + rng.below(33);
  };
  for (std::size_t k = 0; k <= plan.depth; ++k) plan.width[k] = pick_width();
  for (std::size_t k = 0; k < plan.depth; ++k) plan.activation[k] = rng.below(activation_kinds);
  // Half the time the last layer ends the way the cross-entropies want (logits, sigmoid,
  // softmax), so that all three losses come up often.
  constexpr std::size_t identity = activation_index<ctnn::identity>;
  constexpr std::size_t sigmoid = activation_index<ctnn::sigmoid>;
  constexpr std::size_t softmax = activation_index<ctnn::softmax>;
  constexpr std::size_t loss_friendly[4] = {no_activation, identity, sigmoid, softmax};
  if (rng.below(2) == 0) plan.activation[plan.depth - 1] = loss_friendly[rng.below(4)];

  const std::size_t last = plan.activation[plan.depth - 1];
  const bool logits = last == no_activation || last == identity;
  const bool wide = plan.width[plan.depth] >= 2;
  // squared_error fits everything; when a cross-entropy fits too, it is chosen 3 times in 4.
  loss_kind cross_entropies[2] = {};
  std::size_t n = 0;
  if ((last == softmax || logits) && wide) cross_entropies[n++] = loss_kind::softmax_cross_entropy;
  if (last == sigmoid || logits) cross_entropies[n++] = loss_kind::binary_cross_entropy;
  const bool cross = n > 0 && rng.below(4) != 0;
  plan.loss = cross ? cross_entropies[rng.below(n)] : loss_kind::squared_error;
  return plan;
}

namespace detail {

template <class... L>
struct layer_list {};

template <class... A, class... B>
constexpr layer_list<A..., B...> operator+(layer_list<A...>, layer_list<B...>) {
  return {};
}

template <std::size_t Width, std::size_t Activation>
constexpr auto dense_block() {
  if constexpr (Activation == no_activation)
    return layer_list<ctnn::dense<Width>>{};
  else
    return layer_list<ctnn::dense<Width>, activation_at<Activation>>{};
}

template <class... L>
ctnn::network<L...> to_network(layer_list<L...>);

}  // namespace detail

template <std::uint64_t Seed>
struct random_network {
  static constexpr std::uint64_t seed = Seed;
  static constexpr network_plan plan = plan_for(Seed);

 private:
  template <std::size_t... K>
  static constexpr auto layers(std::index_sequence<K...>) {
    return (detail::layer_list<ctnn::input<plan.width[0]>>{} + ... +
            detail::dense_block<plan.width[K + 1], plan.activation[K]>());
  }

 public:
  using network = decltype(detail::to_network(layers(std::make_index_sequence<plan.depth>{})));
  using loss = loss_at<plan.loss>;
};

// What a set of seeds reaches.
struct coverage {
  std::array<bool, activation_kinds> activation{};  // indexed as activation_at (13: none)
  std::array<bool, loss_kinds> loss{};
  std::array<bool, 34> width{};  // any input or layer width
  std::array<bool, 5> depth{};
  std::size_t largest_parameter_count = 0;

  constexpr bool all_activations() const {
    for (bool seen : activation)
      if (!seen) return false;
    return true;
  }
  constexpr bool all_losses() const { return loss[0] && loss[1] && loss[2]; }
  constexpr bool all_depths() const { return depth[1] && depth[2] && depth[3] && depth[4]; }
  // Widths that fill whole float and double registers (multiples of 8 and 16), widths that leave
  // a remainder, and the edges 1, 16, 17, 32, 33.
  constexpr bool simd_edges() const {
    bool multiple_of_8 = false, multiple_of_16 = false, ragged = false;
    for (std::size_t w = 1; w < width.size(); ++w) {
      if (!width[w]) continue;
      multiple_of_8 |= w % 8 == 0 && w % 16 != 0;
      multiple_of_16 |= w % 16 == 0;
      ragged |= w % 8 != 0 && w > 1;
    }
    return multiple_of_8 && multiple_of_16 && ragged && width[1] && width[16] && width[17] &&
           width[32] && width[33];
  }
};

// The seeds the gradient law runs on (split between gradcheck_random_networks*.cpp).
inline constexpr std::array<std::uint64_t, 24> law_seeds{
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23};

template <std::size_t N>
constexpr coverage coverage_of(const std::array<std::uint64_t, N>& seeds) {
  coverage c;
  for (std::uint64_t seed : seeds) {
    const network_plan plan = plan_for(seed);
    c.depth[plan.depth] = true;
    c.loss[static_cast<std::size_t>(plan.loss)] = true;
    std::size_t parameters = 0;
    for (std::size_t k = 0; k <= plan.depth; ++k) c.width[plan.width[k]] = true;
    for (std::size_t k = 0; k < plan.depth; ++k) {
      c.activation[plan.activation[k]] = true;
      parameters += plan.width[k + 1] * (plan.width[k] + 1);
    }
    c.largest_parameter_count =
        parameters > c.largest_parameter_count ? parameters : c.largest_parameter_count;
  }
  return c;
}

}  // namespace laws
