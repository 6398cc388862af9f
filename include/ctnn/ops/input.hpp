#pragma once
// op::input<"x", dims...>: a graph input, named (the name is what model files and printouts call
// it). Its values come from the caller, one row of shape::size values per sample.

#include <array>
#include <cstddef>
#include <string_view>

#include "../core/list.hpp"
#include "../core/name.hpp"
#include "../core/shape.hpp"
#include "shape_checks.hpp"

namespace ctnn::op {

template <name Name, std::size_t... Dims>
struct input {
  using inputs = core::list<>;
  using shape = ctnn::shape<Dims...>;
  static_assert(shape_error::input_shape<input>::template check<core::valid_shape<shape>()>::ok);
  static constexpr bool is_input = true;
  static constexpr auto label = Name;
  static constexpr std::string_view op_name = "input";
  static constexpr std::string_view spelling = "ctnn::op::input<\"{label}\", {numbers}>";
  static constexpr std::array<std::size_t, sizeof...(Dims)> signature_numbers{Dims...};
};

}  // namespace ctnn::op
