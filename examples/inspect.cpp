// Inspection: prints the forward and backward passes the compiler generates for two chains and a
// residual graph, as equations, and writes their graphs as Graphviz DOT files (rendered to SVG
// when the `dot` program is on PATH). In the residual graph, h is read by two nodes: its adjoint
// is the sum of their contributions (the second one reads "+=").
//
// Usage: inspect [--out DIR]     (DOT files go next to this program unless --out is given)

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctnn/ctnn.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

// [networks]
using xor_net =
    ctnn::network<ctnn::input<2>, ctnn::dense<8>, ctnn::tanh, ctnn::dense<1>, ctnn::sigmoid>;
using mnist_net = ctnn::network<ctnn::input<784>, ctnn::dense<128>, ctnn::relu, ctnn::dense<10>>;
// [networks]

// [residual]
namespace op = ctnn::op;
using x = op::input<"x", 4>;
using h = op::relu<op::dense<"fc1", 8, x>>;
using y = op::dense<"head", 3, op::add<h, op::tanh<op::dense<"fc2", 8, h>>>>;
using residual = ctnn::graph<ctnn::outputs<y>, ctnn::objective<op::softmax_cross_entropy<y>>>;
// [residual]

namespace {

// A path as one shell word: in single quotes, with every ' written as '\''.
std::string shell_quoted(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'')
      q += "'\\''";
    else
      q += c;
  }
  q += "'";
  return q;
}

bool write_file(const std::filesystem::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path out_dir = std::filesystem::path(argv[0]).parent_path();
  for (int k = 1; k < argc; ++k) {
    if (std::strcmp(argv[k], "--out") == 0 && k + 1 < argc) {
      out_dir = argv[++k];
    } else {
      std::fprintf(stderr,
                   "inspect: unknown or incomplete option '%s'\nusage: inspect [--out DIR]\n",
                   argv[k]);
      return 2;
    }
  }
  if (out_dir.empty()) out_dir = ".";

  // [equations]
  const auto& xor_equations = ctnn::inspect::equations<xor_net, ctnn::binary_cross_entropy>();
  std::printf("2-8-1 XOR net, tanh and sigmoid, binary_cross_entropy:\n%s\n",
              xor_equations.c_str());
  // [equations]
  std::printf("784-128-10 net, relu, softmax_cross_entropy on the logits:\n%s\n",
              ctnn::inspect::equations<mnist_net, ctnn::softmax_cross_entropy>().c_str());
  std::printf("residual graph, y = head(h + tanh(fc2(h))), h = relu(fc1(x)), with its objective:\n%s\n",
              ctnn::inspect::equations<residual>().c_str());

  std::error_code error;
  std::filesystem::create_directories(out_dir, error);
  const struct {
    const char* name;
    std::string_view text;
  } graphs[] = {
      {"xor", ctnn::inspect::dot<xor_net, ctnn::binary_cross_entropy>().view()},
      {"mnist_mlp", ctnn::inspect::dot<mnist_net, ctnn::softmax_cross_entropy>().view()},
      {"residual", ctnn::inspect::dot<residual>().view()},
  };
  const bool have_dot = std::system("command -v dot >/dev/null 2>&1") == 0;
  for (const auto& g : graphs) {
    const std::filesystem::path dot_file = out_dir / (std::string(g.name) + ".dot");
    if (!write_file(dot_file, g.text)) {
      std::fprintf(stderr, "inspect: cannot write %s\n", dot_file.string().c_str());
      return 1;
    }
    std::printf("wrote %s\n", dot_file.string().c_str());
    if (!have_dot) continue;
    std::filesystem::path svg_file = dot_file;
    svg_file.replace_extension(".svg");
    const std::string command =
        "dot -Tsvg " + shell_quoted(dot_file.string()) + " -o " + shell_quoted(svg_file.string());
    if (std::system(command.c_str()) != 0) {
      std::fprintf(stderr, "inspect: '%s' failed\n", command.c_str());
      return 1;
    }
    std::printf("wrote %s\n", svg_file.string().c_str());
  }
  if (!have_dot)
    std::printf(
        "Graphviz 'dot' is not on PATH, so no SVG was rendered (Debian package graphviz;\n"
        "then: dot -Tsvg xor.dot -o xor.svg)\n");
  return 0;
}
