#pragma once
// Exports a trained network as a C++ header of constants, so a program can run it with no file at
// run time (and even in constant evaluation: the passes are constexpr).
//
//   ctnn::io::export_header("xor_model.hpp", p, "xor_model");
//
// writes (values abridged)
//
//   #pragma once
//   #include <ctnn/ctnn.hpp>
//   namespace xor_model {
//   using network = ctnn::network<ctnn::input<2>, ctnn::dense<8>, ctnn::tanh, ctnn::dense<1>,
//                                 ctnn::sigmoid>;
//   using scalar = float;
//   inline constexpr ctnn::parameters<network, scalar> parameters = {{
//       0x1.6a09e6p-1f, ...
//   }};
//   }  // namespace xor_model
//
// Every value is a hexadecimal floating literal (std::to_chars, chars_format::hex), which names
// the binary value exactly, so the header's parameters equal p bit for bit (±infinity are spelled
// with std::numeric_limits; a NaN becomes quiet_NaN(), dropping its payload). The network type is
// spelled with the layers it was written with (linear<I, O> stays linear, leaky_relu keeps its
// std::ratio). An activation of your own needs
//   template <> struct ctnn::io::type_spelling<my_activation> {
//     static constexpr std::string_view value = "my_namespace::my_activation";
//   };
// (and the generated header then needs your activation's header included before it).

#include <charconv>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <ratio>
#include <string>
#include <string_view>
#include <type_traits>

#include "../nn/layers.hpp"
#include "../nn/network.hpp"
#include "../nn/softmax.hpp"
#include "detail/architecture.hpp"
#include "detail/atomic_write.hpp"
#include "file_error.hpp"
#include "model_file.hpp"

namespace ctnn::io {

// Specialise with `static constexpr std::string_view value` for activations outside ctnn.
template <class Layer>
struct type_spelling;

namespace detail {

template <class A>
inline constexpr bool is_ctnn_activation =
    std::is_same_v<A, identity> || std::is_same_v<A, sigmoid> || std::is_same_v<A, ctnn::tanh> ||
    std::is_same_v<A, relu> || std::is_same_v<A, softplus> || std::is_same_v<A, swish> ||
    std::is_same_v<A, mish> || std::is_same_v<A, gelu> || std::is_same_v<A, softmax>;
template <class Slope>
inline constexpr bool is_ctnn_activation<leaky_relu<Slope>> = ratio_argument<leaky_relu<Slope>>::present;
template <class Alpha>
inline constexpr bool is_ctnn_activation<elu<Alpha>> = ratio_argument<elu<Alpha>>::present;

template <class A>
inline constexpr bool has_type_spelling = requires { std::string_view(type_spelling<A>::value); };

template <class L>
std::string spell_layer() {
  if constexpr (ctnn::detail::is_input_layer<L>::value) {
    return "ctnn::input<" + std::to_string(L::width) + ">";
  } else if constexpr (ctnn::detail::is_affine_layer<L>::value) {
    if constexpr (L::declared_in == 0) return "ctnn::dense<" + std::to_string(L::out) + ">";
    else return "ctnn::linear<" + std::to_string(L::declared_in) + ", " + std::to_string(L::out) + ">";
  } else if constexpr (has_type_spelling<L>) {
    return std::string(type_spelling<L>::value);
  } else {
    static_assert(is_ctnn_activation<L>,
                  "ctnn::io::export_header: this activation is not one of ctnn's, so its C++ "
                  "spelling is unknown; specialise ctnn::io::type_spelling<YourActivation> with "
                  "static constexpr std::string_view value = \"your_namespace::your_activation\"");
    std::string s = "ctnn::" + std::string(L::name);
    if constexpr (ratio_argument<L>::present)
      s += "<std::ratio<" + std::to_string(ratio_argument<L>::num) + ", " +
           std::to_string(ratio_argument<L>::den) + ">>";
    return s;
  }
}

template <class Net>
struct layer_list;
template <class... Layers>
struct layer_list<network<Layers...>> {
  static std::string spell() {
    std::string s;
    ((s += (s.empty() ? "" : ", ") + spell_layer<Layers>()), ...);
    return "ctnn::network<" + s + ">";
  }
};

// An exact C++ literal for v: a hexadecimal floating literal with the type's suffix.
template <class T>
std::string exact_literal(T v) {
  if (std::isnan(v)) return "std::numeric_limits<scalar>::quiet_NaN()";
  if (std::isinf(v))
    return std::string(v < 0 ? "-" : "") + "std::numeric_limits<scalar>::infinity()";
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::hex);
  std::string digits(buf, ec == std::errc{} ? end : buf);
  const bool negative = !digits.empty() && digits[0] == '-';
  return (negative ? "-0x" : "0x") + digits.substr(negative ? 1 : 0) +
         (std::is_same_v<T, float> ? "f" : "");
}

inline bool valid_namespace_name(std::string_view name) {
  // One identifier or several joined by "::" (a nested namespace definition).
  if (name.empty()) return false;
  bool start = true;
  for (std::size_t k = 0; k < name.size(); ++k) {
    const char c = name[k];
    if (c == ':' && k + 1 < name.size() && name[k + 1] == ':' && !start) {
      ++k;
      start = true;
      continue;
    }
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!(letter || (digit && !start))) return false;
    start = false;
  }
  return !start;
}

}  // namespace detail

// The text export_header writes (useful to compare or embed without a file).
template <class Net, class T>
std::string header_text(const parameters<Net, T>& p, std::string_view namespace_name) {
  std::string out =
      "// Generated by ctnn::io::export_header: a trained network's parameters as constants.\n"
      "// Regenerate it from the model rather than editing it.\n"
      "#pragma once\n\n"
      "#include <ctnn/ctnn.hpp>\n"
      "#include <limits>\n\n"
      "namespace " + std::string(namespace_name) + " {\n\n"
      "// " + std::string(architecture_signature<Net>) + "\n"
      "using network = " + detail::layer_list<Net>::spell() + ";\n"
      "using scalar = " + (std::is_same_v<T, float> ? "float" : "double") + ";\n\n"
      "inline constexpr ctnn::parameters<network, scalar> parameters = {{\n";
  [&]<std::size_t... S>(std::index_sequence<S...>) {
    const auto block = [&](const std::string& title, std::size_t begin, std::size_t count) {
      out += "    // " + title + "\n";
      for (std::size_t k = 0; k < count; ++k)
        out += std::string(k % 4 == 0 ? "    " : " ") + detail::exact_literal(p[begin + k]) + "," +
               (k % 4 == 3 || k + 1 == count ? "\n" : "");
    };
    const auto layer = [&]<class Stage>() {
      const std::string name = "layer " + std::to_string(Stage::index) + ", " +
                               std::to_string(Stage::in) + " -> " + std::to_string(Stage::out);
      block(name + ": W (" + std::to_string(Stage::out) + " x " + std::to_string(Stage::in) +
                ", row-major)",
            Stage::weight_offset, Stage::in * Stage::out);
      block(name + ": b", Stage::bias_offset, Stage::out);
    };
    (layer.template operator()<typename Net::template stage<S>>(), ...);
  }(std::make_index_sequence<Net::stage_count>{});
  out += "}};\n\n}  // namespace " + std::string(namespace_name) + "\n";
  return out;
}

// Writes header_text(p, namespace_name) to `file`, atomically. Throws file_error if the file
// cannot be written or the namespace name is not a C++ identifier (or a::b).
template <class Net, class T>
void export_header(const std::filesystem::path& file, const parameters<Net, T>& p,
                   std::string_view namespace_name) {
  if (!detail::valid_namespace_name(namespace_name))
    detail::file_failed("export_header", file, "",
                        "'" + std::string(namespace_name) +
                            "' is not a valid C++ namespace name (identifiers joined by ::)");
  const std::string text = header_text(p, namespace_name);
  detail::atomic_write("export_header", file,
                       std::span(reinterpret_cast<const unsigned char*>(text.data()), text.size()));
}

}  // namespace ctnn::io
