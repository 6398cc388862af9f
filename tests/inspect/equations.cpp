// ctnn::inspect::equations at run time, checked line by line against what is derived here from
// the network type:
//   - the layout: "forward", one line per dense layer and one per activation layer, the loss,
//     "backward", then the backward lines;
//   - every stage's shapes (W out×in, b, z, ∂W, δ of its input, ∇ₓC) appear, with layer numbers
//     written in superscripts by a table of this file;
//   - the backward lines follow the derivation (autodiff::reverse of the network with the loss
//     as its objective) step by step, and agree with the order the chain rule gives by hand for
//     a chain (written out below, and in full for a 3-stage net);
//   - the derivative named for each activation, and the output δ for each loss;
//   - a user-defined activation and loss are printed by name;
//   - a residual block (a graph, not a chain) in full, written out by hand;
//   - fixed_string's own find/contains/append.

#include <doctest/doctest.h>

#include <boost/hana/for_each.hpp>
#include <cstddef>
#include <ctnn/autodiff/reverse.hpp>
#include <ctnn/inspect/equations.hpp>
#include <ctnn/nn/network.hpp>
#include <ctnn/ops/arithmetic.hpp>
#include <ctnn/ops/conv2d.hpp>
#include <ctnn/ops/loss.hpp>
#include <ctnn/ops/pooling.hpp>
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

// What the stage list says about each dense layer: its shapes, and whether an activation layer
// follows it (an explicit identity included; a dense layer followed by another has none).
struct stage_shape {
  std::size_t index, in, out;
  bool activation;
};

template <class Net>
std::vector<stage_shape> shapes_of() {
  std::vector<stage_shape> shapes;
  boost::hana::for_each(Net::stages, [&](auto stage) {
    using S = typename decltype(stage)::type;
    shapes.push_back({S::index, S::in, S::out, S::activation_position != ctnn::nn::no_position});
  });
  return shapes;
}

std::size_t forward_line_count(const std::vector<stage_shape>& shapes) {
  std::size_t n = 1;  // the loss
  for (const stage_shape& s : shapes) n += s.activation ? 2 : 1;
  return n;
}

struct sections {
  std::vector<std::string> forward, backward;
};

// Splits the text into its forward and backward lines, checking the layout on the way:
// "forward", a line per dense and per activation layer, the loss, "backward", the rest.
sections split(std::string_view text, const std::vector<stage_shape>& shapes) {
  const std::vector<std::string> lines = lines_of(text);
  const std::size_t forward = forward_line_count(shapes);
  REQUIRE(lines.size() > 2 + forward);
  CHECK(lines[0] == "forward");
  CHECK(lines[forward + 1] == "backward");
  sections s;
  s.forward.assign(lines.begin() + 1, lines.begin() + std::ptrdiff_t(forward + 1));
  s.backward.assign(lines.begin() + std::ptrdiff_t(forward + 2), lines.end());
  return s;
}

template <class Net, class Loss>
sections split() {
  return split(equations<Net, Loss>().view(), shapes_of<Net>());
}

// The symbol a layer's input has: x, aˡ⁻¹ after an activation, zˡ⁻¹ straight after a dense layer.
std::string input_of(const std::vector<stage_shape>& shapes, std::size_t index) {
  if (index == 0) return "x";
  return cat(shapes[index - 1].activation ? "a" : "z", sup(index));
}

// The backward order by hand, from the chain rule on a chain: the loss's δ (through the last
// activation as δaᴸ then δᴸ, unless the loss is fused with it or there is none), then per layer
// from the last: ∂Wˡ, ∂bˡ, and δ of its input (δaˡ⁻¹ then δˡ⁻¹ through an activation, δˡ⁻¹ straight
// into a dense layer, ∇ₓC for the first).
std::vector<std::string> backward_lhs_by_hand(const std::vector<stage_shape>& shapes,
                                              bool loss_fused_with_activation) {
  std::vector<std::string> names;
  const std::size_t L = shapes.size();
  if (shapes.back().activation && !loss_fused_with_activation) names.push_back(cat("δa", sup(L)));
  names.push_back(cat("δ", sup(L)));
  for (std::size_t l = L; l >= 1; --l) {
    names.push_back(cat("∂W", sup(l)));
    names.push_back(cat("∂b", sup(l)));
    if (l == 1) {
      names.push_back("∇ₓC");
    } else {
      if (shapes[l - 2].activation) names.push_back(cat("δa", sup(l - 1)));
      names.push_back(cat("δ", sup(l - 1)));
    }
  }
  return names;
}

// The left-hand sides the derivation's steps give, in its order: a loss writes the δ of its
// target; an activation with a step of its own writes δ of the dense layer it reads; a dense
// layer writes ∂W, ∂b and δ of its input, passing through an activation it absorbs (δa, then the
// δ of that activation's input).
enum class node_kind { input, dense, activation, loss };

template <class G>
std::vector<node_kind> kinds_of() {
  return []<class... N>(ctnn::core::list<N...>) {
    return std::vector<node_kind>{[] {
      if constexpr (ctnn::core::is_input<N>()) return node_kind::input;
      else if constexpr (ctnn::core::is_loss<N>()) return node_kind::loss;
      else if constexpr (ctnn::detail::dense_node<N>) return node_kind::dense;
      else return node_kind::activation;
    }()...};
  }(typename G::nodes{});
}

template <class Net, class Loss>
std::vector<std::string> backward_lhs_of_derivation() {
  using G = ctnn::detail::objective_graph<Net, Loss>;
  using R = ctnn::autodiff::reverse<G>;
  using table = typename G::table;
  const std::vector<node_kind> kind = kinds_of<G>();
  REQUIRE(kind.size() == G::node_count);
  // Layer numbers: dense nodes count from 1 in topological order; an activation takes its input's.
  std::vector<std::size_t> layer(kind.size());
  std::size_t dense = 0;
  for (std::size_t k = 0; k < kind.size(); ++k) {
    if (kind[k] == node_kind::dense) layer[k] = ++dense;
    if (kind[k] == node_kind::activation) layer[k] = layer[table::edge[table::edge_begin[k]]];
  }
  auto adjoint = [&](std::size_t k) {
    switch (kind[k]) {
      case node_kind::input: return std::string("∇ₓC");
      case node_kind::dense: return cat("δ", sup(layer[k]));
      case node_kind::activation: return cat("δa", sup(layer[k]));
      case node_kind::loss: break;
    }
    FAIL("a loss has no adjoint");
    return std::string();
  };
  std::vector<std::string> names;
  for (const std::size_t k : R::steps) {
    const std::size_t e = table::edge_begin[k];
    CHECK(table::edge_begin[k + 1] == e + 1);  // every node of a chain reads one node
    if (kind[k] == node_kind::dense) {
      names.push_back(cat("∂W", sup(layer[k])));
      names.push_back(cat("∂b", sup(layer[k])));
    }
    if (R::mode[e] == ctnn::autodiff::contribution::skip) continue;
    if (kind[k] == node_kind::dense && R::fused[e] == ctnn::core::fusion::yes)
      names.push_back(adjoint(table::edge[e]));
    names.push_back(adjoint(R::target(e)));
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
                     const std::vector<std::string>& by_hand,
                     const std::vector<std::string>& from_derivation) {
  CHECK(lhs(s.forward.back()) == "C");
  std::vector<std::string> got;
  for (const auto& line : s.backward) got.push_back(lhs(line));
  CHECK(got == by_hand);
  CHECK(got == from_derivation);

  std::size_t line = 0;
  for (const stage_shape& stage : shapes) {
    const std::string l = sup(stage.index + 1), in = std::to_string(stage.in),
                      out = std::to_string(stage.out);
    const std::string input = input_of(shapes, stage.index);
    CAPTURE(l);
    // Forward: zˡ, then aˡ when an activation follows.
    REQUIRE(line + 1 < s.forward.size());
    CHECK(s.forward[line++] == cat("  z", l, " = W", l, " ", input, " + b", l, "   [W", l, ": ",
                                   out, "×", in, ", b", l, ": ", out, ", z", l, ": ", out, "]"));
    if (stage.activation) CHECK(lhs(s.forward[line++]) == cat("a", l));
    CHECK(contains(s.backward, cat("  ∂W", l, " = δ", l, " ", input, "ᵀ   [", out, "×", in, "]")));
    CHECK(contains(s.backward, cat("  ∂b", l, " = δ", l, "   [", out, "]")));
    if (stage.index == 0)
      CHECK(contains(s.backward, cat("  ∇ₓC = W¹ᵀ δ¹   [", in, "]   (on request)")));
    else
      CHECK(contains(s.backward, cat("  δ", shapes[stage.index - 1].activation ? "a" : "",
                                     sup(stage.index), " = W", l, "ᵀ δ", l, "   [", in, "]")));
  }
  CHECK(line + 1 == s.forward.size());
}

template <class Net, class Loss>
void check_structure(bool loss_fused_with_activation) {
  const auto shapes = shapes_of<Net>();
  check_structure(split<Net, Loss>(), shapes, backward_lhs_by_hand(shapes, loss_fused_with_activation),
                  backward_lhs_of_derivation<Net, Loss>());
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
  template <class F>
  static constexpr bool fuses_with = false;
  template <class F>
  static constexpr bool takes_activation = true;
  static constexpr std::size_t min_width = 1;
};

}  // namespace

TEST_CASE("equations: layout, shapes and backward order follow the network and its derivation") {
  // The cross-entropies fuse with the activation they belong to (sigmoid, softmax) only.
  check_structure<xor_net, ctnn::binary_cross_entropy>(true);
  check_structure<xor_net, ctnn::squared_error>(false);
  check_structure<mnist_net, ctnn::softmax_cross_entropy>(false);
  check_structure<three, ctnn::squared_error>(false);
  check_structure<three, ctnn::binary_cross_entropy>(true);
  check_structure<deep, ctnn::squared_error>(false);
  check_structure<ctnn::network<ctnn::input<3>, ctnn::dense<2>>, ctnn::squared_error>(false);
  check_structure<ctnn::network<ctnn::input<3>, ctnn::dense<4>, ctnn::softmax>,
                  ctnn::softmax_cross_entropy>(true);
  check_structure<ctnn::network<ctnn::input<3>, ctnn::dense<4>, ctnn::identity, ctnn::dense<2>,
                                ctnn::identity>,
                  ctnn::squared_error>(false);
}

TEST_CASE("equations: the backward order of a 3-stage net, written out by hand") {
  const sections s = split<three, ctnn::squared_error>();
  std::vector<std::string> got;
  for (const auto& line : s.backward) got.push_back(lhs(line));
  const std::vector<std::string> expected = {"δa³", "δ³",  "∂W³", "∂b³", "δa²", "δ²",  "∂W²",
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
  // C = Σ softplus(z) − t z after a sigmoid: ∂C/∂z = σ(z) − t = a − t, fused with the sigmoid.
  CHECK(split<xor_net, ctnn::binary_cross_entropy>().backward[0] ==
        "  δ² = a² − t   (binary_cross_entropy fused with sigmoid)");
  // C = ½‖a − t‖²: ∂C/∂a = a − t, then through σ' (the sigmoid's own step).
  const sections se = split<xor_net, ctnn::squared_error>();
  CHECK(se.backward[0] == "  δa² = a² − t   (squared_error)");
  CHECK(se.backward[1] == "  δ² = σ'(z²) ⊙ δa²   (σ'(z) = a(1 − a))");
  // Logits: −⟨t, log softmax(z)⟩ has ∂C/∂z = softmax(z)·Σt − t.
  CHECK(split<mnist_net, ctnn::softmax_cross_entropy>().backward[0] ==
        "  δ² = softmax(z²) − t   (softmax_cross_entropy on logits, for Σt = 1)");
  CHECK(split<mnist_net, ctnn::binary_cross_entropy>().backward[0] ==
        "  δ² = σ(z²) − t   (binary_cross_entropy on logits)");
  // No activation: the prediction is z² itself.
  CHECK(split<mnist_net, ctnn::squared_error>().backward[0] == "  δ² = z² − t   (squared_error)");
  CHECK(split<mnist_net, ctnn::squared_error>().forward.back() ==
        "  C = ½‖z² − t‖²   (squared_error)");
  using soft = ctnn::network<ctnn::input<3>, ctnn::dense<4>, ctnn::softmax>;
  CHECK(split<soft, ctnn::softmax_cross_entropy>().backward[0] ==
        "  δ¹ = a¹ − t   (softmax_cross_entropy fused with softmax, for Σt = 1)");
  // Squared error through softmax: δa = a − t, then softmax's vjp δz = a ⊙ (δa − ⟨δa, a⟩).
  const sections soft_se = split<soft, ctnn::squared_error>();
  CHECK(soft_se.backward[0] == "  δa¹ = a¹ − t   (squared_error)");
  CHECK(soft_se.backward[1] == "  δ¹ = a¹ ⊙ (δa¹ − ⟨δa¹, a¹⟩)   (softmax)");
  // A loss inspect/ does not know: named, its derivative left symbolic, not fused.
  const sections h = split<xor_net, hinge>();
  CHECK(h.backward[0] == "  δa² = ∂C/∂a²   (hinge)");
  CHECK(h.backward[1] == "  δ² = σ'(z²) ⊙ δa²   (σ'(z) = a(1 − a))");
  CHECK(h.forward.back() == "  C = hinge(a², t)   (hinge)");
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

// A graph that is not a chain: h = relu(W¹x + b¹) feeds both a second layer and a sum,
// y = W³(h + relu(W²h + b²)) + b³. By the chain rule: δ³ = z³ − t; δv₅ = W³ᵀδ³; the sum hands
// δv₅ to both of its inputs; a² = relu(z²) has its own step (the sum does not absorb it); δa¹
// gets its second contribution, W²ᵀδ², added; then relu' into δ¹.
namespace op = ctnn::op;
using rx = op::input<"x", 3>;
using rh = op::relu<op::dense<"fc1", 4, rx>>;
using ry = op::dense<"head", 2, op::add<rh, op::relu<op::dense<"fc2", 4, rh>>>>;
using residual = ctnn::graph<ctnn::outputs<ry>, ctnn::objective<op::squared_error<ry>>>;

TEST_CASE("equations: a residual block, whose δ sums two contributions") {
  const std::vector<std::string> expected = {
      "forward",
      "  z¹ = W¹ x + b¹   [W¹: 4×3, b¹: 4, z¹: 4]",
      "  a¹ = relu(z¹)",
      "  z² = W² a¹ + b²   [W²: 4×4, b²: 4, z²: 4]",
      "  a² = relu(z²)",
      "  v₅ = a¹ + a²   [4]",
      "  z³ = W³ v₅ + b³   [W³: 2×4, b³: 2, z³: 2]",
      "  C = ½‖z³ − t‖²   (squared_error)",
      "backward",
      "  δ³ = z³ − t   (squared_error)",
      "  ∂W³ = δ³ v₅ᵀ   [2×4]",
      "  ∂b³ = δ³   [2]",
      "  δv₅ = W³ᵀ δ³   [4]",
      "  δa¹ = δv₅   [4]",
      "  δa² = δv₅   [4]",
      "  δ² = relu'(z²) ⊙ δa²   (relu'(z) = [z > 0])",
      "  ∂W² = δ² a¹ᵀ   [4×4]",
      "  ∂b² = δ²   [4]",
      "  δa¹ += W²ᵀ δ²   [4]",
      "  δ¹ = relu'(z¹) ⊙ δa¹   (relu'(z) = [z > 0])",
      "  ∂W¹ = δ¹ xᵀ   [4×3]",
      "  ∂b¹ = δ¹   [4]",
      "  ∇ₓC = W¹ᵀ δ¹   [3]   (on request)",
  };
  CHECK(lines_of(equations<residual>().view()) == expected);
}

namespace small_cnn {
namespace op = ctnn::op;
using x = op::input<"x", 1, 6, 6>;
using c = op::max_pool2d<op::relu<op::conv2d<"c1", 2, op::kernel<3>, x>>, op::kernel<2>>;
using y = op::dense<"head", 3, op::flatten<c>>;
using net = ctnn::graph<ctnn::outputs<y>>;
}  // namespace small_cnn

TEST_CASE("equations: a convolution, a pool and a flatten before the dense head") {
  const std::vector<std::string> expected = {
      "forward",
      "  v₁ = c1.weight ⋆ x + c1.bias   [c1.weight: 2×1×3×3, c1.bias: 2, v₁: 32]",
      "  v₂ = relu(v₁)",
      "  v₃ = maxpool(v₂)   [8]",
      "  v₄ = v₃ as [8]   [8]",
      "  z¹ = W¹ v₄ + b¹   [W¹: 3×8, b¹: 3, z¹: 3]",
      "  C = −⟨t, log softmax(z¹)⟩   (softmax_cross_entropy)",
      "backward",
      "  δ¹ = softmax(z¹) − t   (softmax_cross_entropy on logits, for Σt = 1)",
      "  ∂W¹ = δ¹ v₄ᵀ   [3×8]",
      "  ∂b¹ = δ¹   [3]",
      "  δv₃ = W¹ᵀ δ¹   [8]",
      "  δv₂ = δv₃ at each window's largest value   [32]",
      "  δv₁ = relu'(v₁) ⊙ δv₂   (relu'(z) = [z > 0])",
      "  ∂c1.weight = δv₁ ⋆ x   [2×1×3×3]",
      "  ∂c1.bias = Σ δv₁   [2]",
      "  ∇ₓC = c1.weightᵀ ⋆ δv₁   [36]   (on request)",
  };
  CHECK(lines_of(ctnn::inspect::equations<small_cnn::net, ctnn::softmax_cross_entropy>().view()) ==
        expected);
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
