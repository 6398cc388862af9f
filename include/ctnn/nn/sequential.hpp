#pragma once
// The chain sugar: network<input<N>, dense<..>, act, ...> checked (with errors that name the
// layer's position) and turned into a graph of op nodes:
//   input<N>          op::input<"x", N>
//   dense<Out>        op::dense<"P-1", Out, previous>   (named after its nn.Sequential module
//   linear<In, Out>                                       index, as PyTorch numbers them)
//   an activation A   op::activation<A, previous>, or op::softmax<previous>
// The last node is the graph's one output. The stage view (stage<K>: a dense layer with the
// activation that follows it, and their offsets) is kept for code written against chains.

#include <array>
#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

#include "../core/graph.hpp"
#include "../core/name.hpp"
#include "../ops/activation.hpp"
#include "../ops/dense.hpp"
#include "../ops/input.hpp"
#include "../ops/softmax.hpp"
#include "activations.hpp"
#include "diagnostics.hpp"
#include "layers.hpp"
#include "softmax.hpp"

namespace ctnn::nn {

inline constexpr std::size_t no_position = core::none;

// A dense layer of a chain with the activation that follows it (identity when none does): the
// view of network<...> that code written for chains reads.
template <std::size_t Index, std::size_t Position, std::size_t ActivationPosition, std::size_t In,
          std::size_t Out, class Activation, std::size_t ParameterOffset>
struct affine_stage {
  using activation = Activation;
  static constexpr std::size_t index = Index;
  static constexpr std::size_t position = Position;
  static constexpr std::size_t activation_position = ActivationPosition;
  static constexpr std::size_t in = In;
  static constexpr std::size_t out = Out;
  static constexpr std::size_t weight_offset = ParameterOffset;
  static constexpr std::size_t bias_offset = ParameterOffset + In * Out;
  static constexpr std::size_t parameter_count = In * Out + Out;
};

enum class layer_kind { input, affine, activation, unknown };

template <class L>
constexpr layer_kind kind_of() {
  if constexpr (ctnn::detail::is_input_layer<L>::value) return layer_kind::input;
  else if constexpr (ctnn::detail::is_affine_layer<L>::value) return layer_kind::affine;
  else if constexpr (ctnn::activation<L>) return layer_kind::activation;
  else return layer_kind::unknown;
}

template <class L>
constexpr std::size_t own_width() {
  if constexpr (kind_of<L>() == layer_kind::input) return L::width;
  else if constexpr (kind_of<L>() == layer_kind::affine) return L::out;
  else return 0;
}

template <class L>
constexpr std::size_t declared_in() {
  if constexpr (kind_of<L>() == layer_kind::affine) return L::declared_in;
  else return 0;
}

// What the binding computes about a layer list, as plain arrays.
template <std::size_t N>
struct layer_plan {
  std::array<layer_kind, N> kind{};
  std::array<std::size_t, N> width{};  // output width after each position
  std::size_t stage_count = 0;
  std::array<std::size_t, N> stage_position{};
  std::array<std::size_t, N> stage_activation{};
  std::array<std::size_t, N> stage_in{};
  std::array<std::size_t, N> stage_out{};
  std::array<std::size_t, N> parameter_offset{};
  std::array<std::size_t, N> value_offset{};
  std::size_t parameter_count = 0;
  std::size_t value_count = 0;  // z (and a) values per sample over all stages
  std::size_t max_width = 0;
};

template <class... Layers>
constexpr auto make_plan() {
  constexpr std::size_t n = sizeof...(Layers);
  layer_plan<(n > 0 ? n : 1)> plan{};
  constexpr std::array<layer_kind, n> kinds{kind_of<Layers>()...};
  constexpr std::array<std::size_t, n> widths{own_width<Layers>()...};
  std::size_t current = 0;
  for (std::size_t p = 0; p < n; ++p) {
    plan.kind[p] = kinds[p];
    if (kinds[p] == layer_kind::input || kinds[p] == layer_kind::affine) {
      if (kinds[p] == layer_kind::affine) {
        const std::size_t s = plan.stage_count++;
        plan.stage_position[s] = p;
        plan.stage_activation[s] = no_position;
        plan.stage_in[s] = current;
        plan.stage_out[s] = widths[p];
        plan.parameter_offset[s] = plan.parameter_count;
        plan.value_offset[s] = plan.value_count;
        plan.parameter_count += current * widths[p] + widths[p];
        plan.value_count += widths[p];
      }
      current = widths[p];
    } else if (kinds[p] == layer_kind::activation && p > 0 &&
               kinds[p - 1] == layer_kind::affine) {
      plan.stage_activation[plan.stage_count - 1] = p;
    }
    plan.width[p] = current;
    plan.max_width = current > plan.max_width ? current : plan.max_width;
  }
  return plan;
}

// The node that the layer at position P outputs.
template <std::size_t P, class... Layers>
struct chain_node {
  using L = std::tuple_element_t<P, std::tuple<Layers...>>;
  using previous = typename chain_node<P - 1, Layers...>::type;
  static auto make() {
    if constexpr (kind_of<L>() == layer_kind::affine) {
      return std::type_identity<op::dense<core::decimal_name<P - 1>(), L::out, previous>>{};
    } else if constexpr (L::elementwise) {
      return std::type_identity<op::activation<L, previous>>{};
    } else {
      static_assert(std::is_same_v<L, softmax>,
                    "ctnn: network<...> takes elementwise activations and softmax");
      return std::type_identity<op::softmax<previous>>{};
    }
  }
  using type = typename decltype(make())::type;
};
template <class... Layers>
struct chain_node<0, Layers...> {
  using type = op::input<"x", std::tuple_element_t<0, std::tuple<Layers...>>::width>;
};

template <bool WellFormed, class... Layers>
struct chain_graph {
  using type = core::graph_base<ctnn::outputs<typename chain_node<sizeof...(Layers) - 1, Layers...>::type>>;
};
template <class... Layers>
struct chain_graph<false, Layers...> {
  using type = core::graph_base<ctnn::outputs<op::input<"x", 1>>>;
};

template <class... Layers>
struct sequential_graph {
  static constexpr std::size_t layer_count = sizeof...(Layers);
  static constexpr auto plan = make_plan<Layers...>();

  template <std::size_t P>
  using layer_at = std::tuple_element_t<P, std::tuple<Layers...>>;

  // No error: the base network<...> derives from when its layers are well formed.
  struct no_error {};

 private:
  // Each check names, without instantiating it, the diagnostics template (nn/diagnostics.hpp)
  // of its failure, whose static_assert reads as a sentence. network<...> derives from the first
  // one, so a wrong list is one error in both compilers: computed inside a constant expression,
  // clang would also reject every constant that reads the failed check (five more errors).
  template <std::size_t P>
  static constexpr auto layer_error() {
    using L = layer_at<P>;
    using here = shape_error::layer_at_position<P, L>;
    constexpr layer_kind k = plan.kind[P];
    if constexpr (k == layer_kind::unknown) {
      return boost::hana::type_c<typename here::is_not_a_ctnn_layer::template check<false>>;
    } else if constexpr (k == layer_kind::activation) {
      if constexpr (P == 0 || plan.kind[P == 0 ? 0 : P - 1] != layer_kind::affine)
        return boost::hana::type_c<typename here::must_follow_a_dense_layer::template check<false>>;
      else
        return boost::hana::type_c<no_error>;
    } else if constexpr (own_width<L>() == 0) {
      return boost::hana::type_c<typename here::has_zero_width::template check<false>>;
    } else if constexpr (k == layer_kind::affine && P > 0 && declared_in<L>() != 0 &&
                         declared_in<L>() != plan.width[P == 0 ? 0 : P - 1]) {
      return boost::hana::type_c<typename here::template expects_inputs<
          declared_in<L>()>::template but_receives<plan.width[P == 0 ? 0 : P - 1]>>;
    } else {
      return boost::hana::type_c<no_error>;
    }
  }

  template <std::size_t P>
  static constexpr auto first_layer_error() {
    if constexpr (P == sizeof...(Layers)) {
      return boost::hana::type_c<no_error>;
    } else {
      constexpr auto here = layer_error<P>();
      if constexpr (std::is_same_v<typename decltype(here)::type, no_error>)
        return first_layer_error<P + 1>();
      else
        return here;
    }
  }

  // The template arguments below repeat the branch's condition so that they stay dependent.
  static constexpr auto first_error() {
    if constexpr (sizeof...(Layers) == 0)
      return boost::hana::type_c<shape_error::network_has_no_layers<(sizeof...(Layers) != 0)>>;
    else if constexpr (plan.kind[0] != layer_kind::input)
      return boost::hana::type_c<
          shape_error::network_must_start_with_input<plan.kind[0] == layer_kind::input>>;
    else if constexpr (plan.stage_count == 0)
      return boost::hana::type_c<
          shape_error::network_needs_at_least_one_dense_layer<(plan.stage_count != 0)>>;
    else
      return first_layer_error<0>();
  }

  template <std::size_t S>
  static constexpr auto stage_type() {
    using A = std::conditional_t<plan.stage_activation[S] == no_position, identity,
                                 layer_at<(plan.stage_activation[S] == no_position
                                               ? 0
                                               : plan.stage_activation[S])>>;
    return boost::hana::type_c<affine_stage<S, plan.stage_position[S], plan.stage_activation[S],
                                            plan.stage_in[S], plan.stage_out[S], A,
                                            plan.parameter_offset[S]>>;
  }

  template <std::size_t... S>
  static constexpr auto make_stages(std::index_sequence<S...>) {
    return boost::hana::make_tuple(stage_type<S>()...);
  }

 public:
  // no_error, or the diagnostics template of the first fault (it fires when derived from).
  using diagnosis = typename decltype(first_error())::type;
  static constexpr bool layers_well_formed = std::is_same_v<diagnosis, no_error>;
  // The graph: one input, one output (after an error above, a stand-in).
  using graph_type = typename chain_graph<layers_well_formed, Layers...>::type;
  static constexpr std::size_t stage_count = layers_well_formed ? plan.stage_count : 0;

  // The forward graph: a hana tuple of hana::type<affine_stage<...>>, input to output.
  static constexpr auto stages = make_stages(std::make_index_sequence<stage_count>{});

  static constexpr std::size_t max_width = plan.max_width;

  template <std::size_t S>
  using stage = typename decltype(+stages[boost::hana::size_c<S>])::type;
};

}  // namespace ctnn::nn
