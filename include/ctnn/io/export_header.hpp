#pragma once
// Exports a trained network as a C++ header of constants, so a program can run it with no file at
// run time (and even in constant evaluation: the passes are constexpr).
//
//   ctnn::io::export_header("xor_model.hpp", p, "xor_model");
//
// writes (values abridged)
//
//   #pragma once
//   #include <ctnn/inference.hpp>
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
#include <vector>

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
    std::is_same_v<A, mish> || std::is_same_v<A, gelu> || std::is_same_v<A, softmax> ||
    std::is_same_v<A, step> || std::is_same_v<A, sign>;
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

// Node N's type from its op's spelling pattern (core/op.hpp), its inputs named `inputs`.
template <class N>
std::string spell_node(const std::vector<std::string>& inputs) {
  const std::string_view pattern = N::spelling;
  std::string out;
  for (std::size_t k = 0; k < pattern.size(); ++k) {
    if (pattern[k] != '{') {
      out += pattern[k];
      continue;
    }
    const std::size_t close = pattern.find('}', k);
    const std::string_view key = pattern.substr(k + 1, close - k - 1);
    k = close;
    if (key == "label") {
      if constexpr (requires { N::label; }) out += std::string(N::label.view());
    } else if (key == "numbers") {
      if constexpr (requires { N::signature_numbers; })
        for (std::size_t i = 0; i < N::signature_numbers.size(); ++i)
          out += (i > 0 ? ", " : "") + std::to_string(N::signature_numbers[i]);
    } else if (key == "inputs") {
      for (std::size_t i = 0; i < inputs.size(); ++i) out += (i > 0 ? ", " : "") + inputs[i];
    } else if (key == "f") {
      if constexpr (requires { typename N::elementwise_function; })
        out += spell_layer<typename N::elementwise_function>();
    } else if (key == "loss") {
      if constexpr (requires { typename N::function; }) out += "ctnn::" + std::string(N::function::name);
    } else if (key.substr(0, 2) == "in") {
      out += inputs[static_cast<std::size_t>(key[2] - '0')];
    } else if (key[0] == 'n') {
      if constexpr (requires { N::signature_numbers; })
        out += std::to_string(N::signature_numbers[static_cast<std::size_t>(key[1] - '0')]);
    }
  }
  return out;
}

// The C++ spelling of Net: a chain as network<...> with its layers; any other graph as one using
// declaration per node, then the graph.
template <class Net>
struct layer_list {
  static std::string declarations() {
    using table = typename Net::table;
    std::string s;
    [&]<class... N>(core::list<N...>) {
      std::size_t k = 0;
      (
          [&] {
            std::vector<std::string> inputs;
            for (std::size_t e = table::edge_begin[k]; e < table::edge_begin[k + 1]; ++e)
              inputs.push_back("n" + std::to_string(table::edge[e]));
            s += "using n" + std::to_string(k) + " = " + spell_node<N>(inputs) + ";\n";
            ++k;
          }(),
          ...);
    }(typename Net::nodes{});
    return s;
  }
  static std::string spell() {
    std::string parts = "ctnn::inputs<";
    for (std::size_t k = 0; k < Net::input_count; ++k)
      parts += (k > 0 ? ", n" : "n") + std::to_string(Net::input_index[k]);
    parts += ">";
    if constexpr (Net::output_count > 0) {
      parts += ", ctnn::outputs<";
      for (std::size_t k = 0; k < Net::output_count; ++k)
        parts += (k > 0 ? ", n" : "n") + std::to_string(Net::output_index[k]);
      parts += ">";
    }
    if constexpr (Net::has_objective)
      parts += ", ctnn::objective<n" + std::to_string(Net::objective_index) + ">";
    return "ctnn::graph<" + parts + ">";
  }
};
template <class... Layers>
struct layer_list<network<Layers...>> {
  static std::string declarations() { return ""; }
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
      "#include <ctnn/inference.hpp>\n"
      "#include <limits>\n\n"
      "namespace " + std::string(namespace_name) + " {\n\n"
      "// " + std::string(architecture_signature<Net>) + "\n" + detail::layer_list<Net>::declarations() +
      "using network = " + detail::layer_list<Net>::spell() + ";\n"
      "using scalar = " + (std::is_same_v<T, float> ? "float" : "double") + ";\n\n"
      "inline constexpr ctnn::parameters<network, scalar> parameters = {{\n";
  for (std::size_t b = 0; b < Net::block_count; ++b) {
    const auto& r = Net::table::records[Net::layout::first_record[b]];
    std::string title = std::string(Net::block_owner(b)) + "." + std::string(Net::block_role(b)) + " [";
    for (std::size_t d = 0; d < r.rank; ++d) title += (d > 0 ? " x " : "") + std::to_string(r.dims[d]);
    title += r.rank == 2 ? "], row-major" : "]";
    out += "    // " + title + "\n";
    const std::size_t begin = Net::layout::offset[b];
    for (std::size_t k = 0; k < r.size; ++k)
      out += std::string(k % 4 == 0 ? "    " : " ") + detail::exact_literal(p[begin + k]) + "," +
             (k % 4 == 3 || k + 1 == r.size ? "\n" : "");
  }
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
