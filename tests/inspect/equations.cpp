// ctnn::inspect::equations at run time, checked line by line against what is derived here from
// the network type:
//   - the layout: "forward", two lines per stage, the loss, "backward", four lines per stage;
//   - every stage's shapes (W out×in, b, z, ∂W, δa, ∇ₓC) appear, with layer numbers written in
//     superscripts by a table of this file;
//   - the backward lines follow autodiff::backward_graph<Net>() step by step, and for a 3-stage
//     net the order is also written out by hand;
//   - the derivative named for each activation, and the output δ for each loss;
//   - a user-defined activation and loss are printed by name;
//   - fixed_string's own find/contains/append.

#include <doctest/doctest.h>

#include <boost/hana/for_each.hpp>
#include <cstddef>
#include <ctnn/inspect/equations.hpp>
#include <ctnn/nn/network.hpp>
#include <ratio>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace {

using ctnn::inspect::equations;

std::vector<std::string> lines_of(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    REQUIRE(end != std::string_view::npos);  // every line, the last included, ends in '\n'
    lines.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::string sup(std::size_t n) {
  static const char* const digit[10] = {"⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"};
  const std::string decimal = std::to_string(n);
  std::string s;
  for (char c : decimal) s += digit[c - '0'];
  return s;
}

template <class... Parts>
std::string cat(const Parts&... parts) {
  std::string s;
  (s.append(std::string_view(parts)), ...);
  return s;
}

// The left-hand side of a line: from after the two-space indent to " = ".
std::string lhs(const std::string& line) {
  REQUIRE(line.rfind("  ", 0) == 0);
  const std::size_t eq = line.find(" = ");
  REQUIRE(eq != std::string::npos);
  return line.substr(2, eq - 2);
}

struct sections {
  std::vector<std::string> forward, backward;
};

// Splits the text into its forward and backward lines, checking the layout on the way:
// "forward", 2 lines per stage, the loss, "backward", 4 lines per stage.
sections split(std::string_view text, std::size_t stages) {
  const std::vector<std::string> lines = lines_of(text);
  REQUIRE(lines.size() == 1 + 2 * stages + 1 + 1 + 4 * stages);
  CHECK(lines[0] == "forward");
  CHECK(lines[2 * stages + 2] == "backward");
  sections s;
  s.forward.assign(lines.begin() + 1, lines.begin() + std::ptrdiff_t(2 * stages + 2));
  s.backward.assign(lines.begin() + std::ptrdiff_t(2 * stages + 3), lines.end());
  return s;
}

template <class Net, class Loss>
sections split() {
  return split(equations<Net, Loss>().view(), Net::stage_count);
}

// What the type-level walks below collect; the string work is done once, outside templates.
struct stage_shape {
  std::size_t index, in, out;
};
enum class step_kind { output_delta, activation_delta, parameter_gradient, propagate, input };
struct step_info {
  step_kind kind;
  std::size_t index;
};

template <class Net>
std::vector<stage_shape> shapes_of() {
  std::vector<stage_shape> shapes;
  boost::hana::for_each(Net::stages, [&](auto stage) {
    using S = typename decltype(stage)::type;
    shapes.push_back({S::index, S::in, S::out});
  });
  return shapes;
}

template <class Net>
std::vector<step_info> steps_of() {
  namespace ad = ctnn::autodiff;
  std::vector<step_info> steps;
  boost::hana::for_each(ad::backward_graph<Net>(), [&](auto step) {
    using Step = typename decltype(step)::type;
    using S = typename Step::stage;
    if constexpr (std::is_same_v<Step, ad::output_delta<S>>)
      steps.push_back({step_kind::output_delta, S::index});
    else if constexpr (std::is_same_v<Step, ad::activation_delta<S>>)
      steps.push_back({step_kind::activation_delta, S::index});
    else if constexpr (std::is_same_v<Step, ad::parameter_gradient<S>>)
      steps.push_back({step_kind::parameter_gradient, S::index});
    else if constexpr (std::is_same_v<Step, ad::propagate_delta<S>>)
      steps.push_back({step_kind::propagate, S::index});
    else if constexpr (std::is_same_v<Step, ad::input_gradient<S>>)
      steps.push_back({step_kind::input, S::index});
  });
  return steps;
}

// The left-hand sides the backward lines must have, one or two per step of the backward graph.
std::vector<std::string> expected_backward_lhs(const std::vector<step_info>& steps) {
  std::vector<std::string> names;
  for (const step_info& step : steps) {
    const std::string l = sup(step.index + 1);
    switch (step.kind) {
      case step_kind::output_delta:
      case step_kind::activation_delta:
        names.push_back(cat("δ", l));
        break;
      case step_kind::parameter_gradient:
        names.push_back(cat("∂W", l));
        names.push_back(cat("∂b", l));
        break;
      case step_kind::propagate:
        names.push_back(cat("δa", sup(step.index)));
        break;
      case step_kind::input:
        names.push_back("∇ₓC");
        break;
    }
  }
  return names;
}

bool contains(const std::vector<std::string>& lines, const std::string& part) {
  for (const auto& line : lines)
    if (line.find(part) != std::string::npos) return true;
  return false;
}

// Layout, shapes and backward order of any network.
void check_structure(const sections& s, const std::vector<stage_shape>& shapes,
                     const std::vector<step_info>& steps) {
  CHECK(lhs(s.forward.back()) == "C");
  std::vector<std::string> got;
  for (const auto& line : s.backward) got.push_back(lhs(line));
  CHECK(got == expected_backward_lhs(steps));

  for (const stage_shape& stage : shapes) {
    const std::string l = sup(stage.index + 1), in = std::to_string(stage.in),
                      out = std::to_string(stage.out);
    const std::string input = stage.index == 0 ? std::string("x") : cat("a", sup(stage.index));
    CAPTURE(l);
    // Forward: zˡ then aˡ, at lines 2·index and 2·index + 1.
    CHECK(s.forward[2 * stage.index] == cat("  z", l, " = W", l, " ", input, " + b", l, "   [W", l,
                                            ": ", out, "×", in, ", b", l, ": ", out, ", z", l, ": ",
                                            out, "]"));
    CHECK(lhs(s.forward[2 * stage.index + 1]) == cat("a", l));
    CHECK(contains(s.backward, cat("  ∂W", l, " = δ", l, " ", input, "ᵀ   [", out, "×", in, "]")));
    CHECK(contains(s.backward, cat("  ∂b", l, " = δ", l, "   [", out, "]")));
    if (stage.index == 0)
      CHECK(contains(s.backward, cat("  ∇ₓC = W¹ᵀ δ¹   [", in, "]   (on request)")));
    else
      CHECK(contains(s.backward,
                     cat("  δa", sup(stage.index), " = W", l, "ᵀ δ", l, "   [", in, "]")));
  }
}

template <class Net, class Loss>
void check_structure() {
  check_structure(split<Net, Loss>(), shapes_of<Net>(), steps_of<Net>());
}

using xor_net =
    ctnn::network<ctnn::input<2>, ctnn::dense<8>, ctnn::tanh, ctnn::dense<1>, ctnn::sigmoid>;
using mnist_net = ctnn::network<ctnn::input<784>, ctnn::dense<128>, ctnn::relu, ctnn::dense<10>>;
using three = ctnn::network<ctnn::input<4>, ctnn::dense<6>, ctnn::relu, ctnn::dense<5>,
                            ctnn::softmax, ctnn::dense<3>, ctnn::sigmoid>;
using deep = ctnn::network<ctnn::input<1>, ctnn::dense<2>, ctnn::dense<3>, ctnn::dense<2>,
                           ctnn::dense<3>, ctnn::dense<2>, ctnn::dense<3>, ctnn::dense<2>,
                           ctnn::dense<3>, ctnn::dense<2>, ctnn::dense<3>, ctnn::dense<4>>;

// A user-defined activation and loss, which inspect/ does not know: printed by name.
struct cube : ctnn::elementwise_activation {
  static constexpr std::string_view name = "cube";
  template <class V>
  static V value(const V& z) {
    return z * z * z;
  }
  template <class V>
  static V derivative(const V& z, const V&) {
    return V(3) * z * z;
  }
};
struct hinge : ctnn::loss_tag {
  static constexpr std::string_view name = "hinge";
  template <class Stage>
  static constexpr bool accepts() {
    return true;
  }
};

}  // namespace

TEST_CASE(
    "equations: layout, shapes and backward order follow the network and its backward graph") {
  check_structure<xor_net, ctnn::binary_cross_entropy>();
  check_structure<mnist_net, ctnn::softmax_cross_entropy>();
  check_structure<three, ctnn::squared_error>();
  check_structure<deep, ctnn::squared_error>();
  check_structure<ctnn::network<ctnn::input<3>, ctnn::dense<2>>, ctnn::squared_error>();
}

TEST_CASE("equations: the backward order of a 3-stage net, written out by hand") {
  const sections s = split<three, ctnn::squared_error>();
  std::vector<std::string> got;
  for (const auto& line : s.backward) got.push_back(lhs(line));
  const std::vector<std::string> expected = {"δ³",  "∂W³", "∂b³", "δa²", "δ²",  "∂W²",
                                             "∂b²", "δa¹", "δ¹",  "∂W¹", "∂b¹", "∇ₓC"};
  CHECK(got == expected);
}

TEST_CASE("equations: the XOR net line by line") {
  const sections s = split<xor_net, ctnn::binary_cross_entropy>();
  const std::vector<std::string> forward = {
      "  z¹ = W¹ x + b¹   [W¹: 8×2, b¹: 8, z¹: 8]",
      "  a¹ = tanh(z¹)",
      "  z² = W² a¹ + b²   [W²: 1×8, b²: 1, z²: 1]",
      "  a² = σ(z²)",
      "  C = Σ (softplus(z²) − t ⊙ z²)   (binary_cross_entropy)",
  };
  const std::vector<std::string> backward = {
      "  δ² = a² − t   (binary_cross_entropy fused with sigmoid)",
      "  ∂W² = δ² a¹ᵀ   [1×8]",
      "  ∂b² = δ²   [1]",
      "  δa¹ = W²ᵀ δ²   [8]",
      "  δ¹ = tanh'(z¹) ⊙ δa¹   (tanh'(z) = 1 − a²)",
      "  ∂W¹ = δ¹ xᵀ   [8×2]",
      "  ∂b¹ = δ¹   [8]",
      "  ∇ₓC = W¹ᵀ δ¹   [2]   (on request)",
  };
  CHECK(s.forward == forward);
  CHECK(s.backward == backward);
}

TEST_CASE("equations: the loss decides the output delta") {
  CHECK(split<xor_net, ctnn::binary_cross_entropy>().backward[0] ==
        "  δ² = a² − t   (binary_cross_entropy fused with sigmoid)");
  CHECK(split<xor_net, ctnn::squared_error>().backward[0] ==
        "  δ² = σ'(z²) ⊙ (a² − t)   (squared_error; σ'(z) = a(1 − a))");
  CHECK(split<mnist_net, ctnn::softmax_cross_entropy>().backward[0] ==
        "  δ² = softmax(z²) − t   (softmax_cross_entropy on logits, for Σt = 1)");
  CHECK(split<mnist_net, ctnn::binary_cross_entropy>().backward[0] ==
        "  δ² = σ(z²) − t   (binary_cross_entropy on logits)");
  CHECK(split<mnist_net, ctnn::squared_error>().backward[0] ==
        "  δ² = a² − t   (squared_error, no activation)");
  using soft = ctnn::network<ctnn::input<3>, ctnn::dense<4>, ctnn::softmax>;
  CHECK(split<soft, ctnn::softmax_cross_entropy>().backward[0] ==
        "  δ¹ = a¹ − t   (softmax_cross_entropy fused with softmax, for Σt = 1)");
  CHECK(split<soft, ctnn::squared_error>().backward[0] ==
        "  δ¹ = a¹ ⊙ (e − ⟨e, a¹⟩), e = a¹ − t   (squared_error through softmax)");
  CHECK(split<xor_net, hinge>().backward[0] == "  δ² = ∂C/∂z²   (hinge)");
  CHECK(split<xor_net, hinge>().forward.back() == "  C = hinge(a², t)   (hinge)");
}

namespace {
// The δ¹ line of input<2>, dense<3>, A, dense<1> must be exactly `line`, and a¹ = `value`.
template <class A>
void check_activation(const std::string& value, const std::string& line) {
  using net = ctnn::network<ctnn::input<2>, ctnn::dense<3>, A, ctnn::dense<1>>;
  const sections s = split<net, ctnn::squared_error>();
  CHECK(s.forward[1] == cat("  a¹ = ", value));
  CHECK(s.backward[4] == line);
}
}  // namespace

TEST_CASE("equations: the derivative is named per activation") {
  check_activation<ctnn::tanh>("tanh(z¹)", "  δ¹ = tanh'(z¹) ⊙ δa¹   (tanh'(z) = 1 − a²)");
  check_activation<ctnn::sigmoid>("σ(z¹)", "  δ¹ = σ'(z¹) ⊙ δa¹   (σ'(z) = a(1 − a))");
  check_activation<ctnn::relu>("relu(z¹)", "  δ¹ = relu'(z¹) ⊙ δa¹   (relu'(z) = [z > 0])");
  check_activation<ctnn::leaky_relu<>>(
      "leaky_relu(z¹)",
      "  δ¹ = leaky_relu'(z¹) ⊙ δa¹   (leaky_relu'(z) = [z > 0] + 1/100 [z ≤ 0])");
  check_activation<ctnn::leaky_relu<std::ratio<-1, 4>>>(
      "leaky_relu(z¹)", "  δ¹ = leaky_relu'(z¹) ⊙ δa¹   (leaky_relu'(z) = [z > 0] + −1/4 [z ≤ 0])");
  check_activation<ctnn::elu<>>("elu(z¹)",
                                "  δ¹ = elu'(z¹) ⊙ δa¹   (elu'(z) = [z > 0] + (a + 1) [z ≤ 0])");
  check_activation<ctnn::softplus>("softplus(z¹)",
                                   "  δ¹ = softplus'(z¹) ⊙ δa¹   (softplus'(z) = σ(z))");
  check_activation<ctnn::silu>("swish(z¹)",
                               "  δ¹ = swish'(z¹) ⊙ δa¹   (swish'(z) = σ(z) + a(1 − σ(z)))");
  check_activation<ctnn::mish>(
      "mish(z¹)", "  δ¹ = mish'(z¹) ⊙ δa¹   (mish'(z) = τ + z(1 − τ²)σ(z), τ = tanh(softplus(z)))");
  check_activation<ctnn::gelu>("gelu(z¹)", "  δ¹ = gelu'(z¹) ⊙ δa¹   (gelu'(z) = Φ(z) + z φ(z))");
  check_activation<ctnn::softmax>("softmax(z¹)", "  δ¹ = a¹ ⊙ (δa¹ − ⟨δa¹, a¹⟩)   (softmax)");
  check_activation<ctnn::identity>("z¹   (no activation)", "  δ¹ = δa¹   (no activation)");
  check_activation<cube>("cube(z¹)", "  δ¹ = cube'(z¹) ⊙ δa¹   (cube'(z))");
}

TEST_CASE("equations: the run-time text equals the compile-time one") {
  constexpr auto at_compile_time = equations<mnist_net, ctnn::softmax_cross_entropy>();
  const auto at_run_time = equations<mnist_net, ctnn::softmax_cross_entropy>();
  CHECK(at_run_time.view() == at_compile_time.view());
  CHECK(at_run_time.str() == std::string(at_compile_time.c_str()));
  CHECK(at_run_time.size() == at_run_time.capacity());
}

TEST_CASE("fixed_string: find, contains and a capacity that append cannot exceed") {
  ctnn::inspect::fixed_string<8> s;
  s.append("ab⊙c");  // ⊙ is three bytes: 6 in all
  CHECK(s.size() == 6);
  CHECK(s.view() == "ab⊙c");
  CHECK(s.find("b") == 1);
  CHECK(s.find("c") == 5);
  CHECK(s.find("⊙c") == 2);
  CHECK(s.find("b", 2) == s.npos);
  CHECK(s.find("") == 0);
  CHECK(s.find("ab⊙cd") == s.npos);
  CHECK(s.contains("ab⊙c"));
  CHECK_FALSE(s.contains("ac"));
  CHECK_THROWS_AS(s.append("xyz"), std::length_error);
  s.append("xy");
  CHECK(s.view() == "ab⊙cxy");
  CHECK(std::string_view(s.c_str()) == "ab⊙cxy");
}
