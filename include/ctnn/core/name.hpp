#pragma once
// A compile-time name: a string literal used as a template argument, as in
//   ctnn::op::input<"x", 784>      ctnn::op::dense<"fc1", 256, x>
// Names identify what users name: graph inputs and parameter blocks (two nodes that use the same
// parameter name share one block). A name is a structural type, so two uses of "fc1" are the
// same template argument.

#include <cstddef>
#include <string_view>

namespace ctnn {

template <std::size_t N>  // N counts the terminating 0, as the literal's array does
struct name {
  char chars[N]{};

  constexpr name(const char (&s)[N]) {
    for (std::size_t k = 0; k < N; ++k) chars[k] = s[k];
  }
  constexpr name() = default;

  static constexpr std::size_t size() { return N - 1; }
  constexpr std::string_view view() const { return {chars, N - 1}; }
};

namespace core {

// The decimal digits of V as a name ("0", "12"): the parameter names of network<...>, which
// follow PyTorch's nn.Sequential module numbering.
template <std::size_t V>
constexpr auto decimal_name() {
  constexpr std::size_t digits = [] {
    std::size_t d = 1;
    for (std::size_t v = V; v >= 10; v /= 10) ++d;
    return d;
  }();
  name<digits + 1> n;
  std::size_t v = V;
  for (std::size_t k = digits; k-- > 0; v /= 10) n.chars[k] = static_cast<char>('0' + v % 10);
  return n;
}

// A then B as one name ("weight_ih_l" then "0": "weight_ih_l0"), for names built from parts.
template <name A, name B>
constexpr auto joined_name() {
  name<A.size() + B.size() + 1> n;
  for (std::size_t k = 0; k < A.size(); ++k) n.chars[k] = A.chars[k];
  for (std::size_t k = 0; k < B.size(); ++k) n.chars[A.size() + k] = B.chars[k];
  return n;
}

}  // namespace core
}  // namespace ctnn
