#pragma once
// fixed_string<N>: at most N chars, built in constant evaluation, so that generated text (the
// equations of a network, its DOT graph) is a compile-time constant a static_assert can compare:
//
//   static_assert(ctnn::inspect::equations<net, loss>().contains("δ¹ = tanh'(z¹) ⊙ δa¹"));
//
// Text is written twice by the same writer function: once into a text_length that only counts,
// then into a fixed_string of exactly that capacity (detail::build_text). A writer is any type
// with `constexpr void append(std::string_view)`; detail::put appends string pieces, decimal
// numbers and superscript layer numbers (¹, ², …, ¹²).

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ctnn::inspect {

template <std::size_t N>
struct fixed_string {
  char chars[N + 1]{};  // zero-filled, so chars[length] is always the terminating 0
  std::size_t length = 0;

  static constexpr std::size_t capacity() { return N; }
  constexpr std::size_t size() const { return length; }
  constexpr const char* data() const { return chars; }
  constexpr const char* c_str() const { return chars; }
  constexpr std::string_view view() const { return {chars, length}; }
  std::string str() const { return std::string(view()); }

  // The first position of `part`, or npos. Written out rather than view().find(part): g++ 12
  // rejects string_view::find on a temporary in a constant expression (it compares the
  // temporary's address with null), and `equations<...>().find(...)` is the natural assert.
  static constexpr std::size_t npos = std::string_view::npos;
  constexpr std::size_t find(std::string_view part, std::size_t from = 0) const {
    for (std::size_t k = from; k <= length && part.size() <= length - k; ++k) {
      std::size_t m = 0;
      while (m < part.size() && chars[k + m] == part[m]) ++m;
      if (m == part.size()) return k;
    }
    return npos;
  }
  constexpr bool contains(std::string_view part) const { return find(part) != npos; }

  constexpr void append(std::string_view s) {
    // Unreachable when the capacity came from the measuring pass; a throw is a compile error in
    // constant evaluation and a clear failure at run time.
    if (s.size() > N - length)
      throw std::length_error("ctnn::inspect::fixed_string: text longer than its capacity");
    for (char c : s) chars[length++] = c;
  }

  friend constexpr bool operator==(const fixed_string& a, std::string_view b) {
    return a.view() == b;
  }

  // std::cout << ctnn::inspect::equations<net, loss>();
  template <class Stream>
    requires requires(Stream& s, std::string_view v) { s << v; }
  friend Stream& operator<<(Stream& out, const fixed_string& s) {
    out << s.view();
    return out;
  }
};

namespace detail {

// The measuring pass.
struct text_length {
  std::size_t size = 0;
  constexpr void append(std::string_view s) { size += s.size(); }
};

// A decimal number, and a layer number written in superscript digits.
struct number {
  std::intmax_t value;
};
struct superscript {
  std::size_t value;
};
struct subscript {
  std::size_t value;
};

template <class Out>
constexpr void put_part(Out& out, std::string_view s) {
  out.append(s);
}

template <class Out>
constexpr void put_part(Out& out, number n) {
  if (n.value < 0) out.append("−");
  std::uintmax_t v =
      n.value < 0 ? std::uintmax_t(0) - std::uintmax_t(n.value) : std::uintmax_t(n.value);
  char digits[24]{};
  std::size_t count = 0;
  do {
    digits[count++] = char('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (count > 0) out.append(std::string_view(&digits[--count], 1));
}

template <class Out>
constexpr void put_part(Out& out, superscript n) {
  constexpr std::string_view digit[10] = {"⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"};
  std::size_t v = n.value;
  std::size_t scale = 1;
  while (v / scale >= 10) scale *= 10;
  for (; scale > 0; scale /= 10) out.append(digit[(v / scale) % 10]);
}

template <class Out>
constexpr void put_part(Out& out, subscript n) {
  constexpr std::string_view digit[10] = {"₀", "₁", "₂", "₃", "₄", "₅", "₆", "₇", "₈", "₉"};
  std::size_t v = n.value;
  std::size_t scale = 1;
  while (v / scale >= 10) scale *= 10;
  for (; scale > 0; scale /= 10) out.append(digit[(v / scale) % 10]);
}

template <class Out, class... Parts>
constexpr void put(Out& out, const Parts&... parts) {
  (put_part(out, parts), ...);
}

// The text Text::write(out) produces, in a fixed_string of exactly its length.
template <class Text>
constexpr auto build_text() {
  constexpr std::size_t n = [] {
    text_length m;
    Text::write(m);
    return m.size;
  }();
  fixed_string<n> s;
  Text::write(s);
  return s;
}

}  // namespace detail
}  // namespace ctnn::inspect
