// Compile-time checks of ctnn::inspect::equations and dot: the generated text is a constant
// expression. The small net is compared in full with text written out here by hand; bigger nets
// by the lines that must appear. Compiling is passing.

#include <cstddef>
#include <ctnn/inspect/dot.hpp>
#include <ctnn/inspect/equations.hpp>
#include <ctnn/nn/network.hpp>
#include <ratio>
#include <string_view>

namespace {

using ctnn::inspect::dot;
using ctnn::inspect::equations;

// ---- the XOR net, in full ----

using xor_net =
    ctnn::network<ctnn::input<2>, ctnn::dense<8>, ctnn::tanh, ctnn::dense<1>, ctnn::sigmoid>;

static_assert(equations<xor_net, ctnn::binary_cross_entropy>().view() ==
              "forward\n"
              "  z¹ = W¹ x + b¹   [W¹: 8×2, b¹: 8, z¹: 8]\n"
              "  a¹ = tanh(z¹)\n"
              "  z² = W² a¹ + b²   [W²: 1×8, b²: 1, z²: 1]\n"
              "  a² = σ(z²)\n"
              "  C = Σ (softplus(z²) − t ⊙ z²)   (binary_cross_entropy)\n"
              "backward\n"
              "  δ² = a² − t   (binary_cross_entropy fused with sigmoid)\n"
              "  ∂W² = δ² a¹ᵀ   [1×8]\n"
              "  ∂b² = δ²   [1]\n"
              "  δa¹ = W²ᵀ δ²   [8]\n"
              "  δ¹ = tanh'(z¹) ⊙ δa¹   (tanh'(z) = 1 − a²)\n"
              "  ∂W¹ = δ¹ xᵀ   [8×2]\n"
              "  ∂b¹ = δ¹   [8]\n"
              "  ∇ₓC = W¹ᵀ δ¹   [2]   (on request)\n");

// The measuring pass sizes the string exactly: no slack, no truncation.
constexpr auto xor_text = equations<xor_net, ctnn::binary_cross_entropy>();
static_assert(xor_text.size() == xor_text.capacity());
static_assert(xor_text.c_str()[xor_text.size()] == '\0');

// The same net under squared error: ∂C/∂a² = a² − t, then the sigmoid's own step through σ'.
static_assert(equations<xor_net, ctnn::squared_error>().contains(
    "\nbackward\n  δa² = a² − t   (squared_error)\n  δ² = σ'(z²) ⊙ δa²   (σ'(z) = a(1 − a))\n"));
static_assert(
    equations<xor_net, ctnn::squared_error>().contains("\n  C = ½‖a² − t‖²   (squared_error)\n"));

// ---- 784-128-10, relu and softmax cross-entropy ----

using mnist_net = ctnn::network<ctnn::input<784>, ctnn::dense<128>, ctnn::relu, ctnn::dense<10>>;
using mnist_softmax =
    ctnn::network<ctnn::input<784>, ctnn::dense<128>, ctnn::relu, ctnn::dense<10>, ctnn::softmax>;

constexpr auto mnist_text = equations<mnist_net, ctnn::softmax_cross_entropy>();
static_assert(mnist_text.contains("\n  z¹ = W¹ x + b¹   [W¹: 128×784, b¹: 128, z¹: 128]\n"));
static_assert(mnist_text.contains("\n  a¹ = relu(z¹)\n"));
static_assert(mnist_text.contains("\n  z² = W² a¹ + b²   [W²: 10×128, b²: 10, z²: 10]\n"));
// No activation after the last layer: the loss reads z² itself.
static_assert(mnist_text.contains("[W²: 10×128, b²: 10, z²: 10]\n  C = −⟨t, log softmax(z²)⟩"));
static_assert(mnist_text.contains("\n  C = −⟨t, log softmax(z²)⟩   (softmax_cross_entropy)\n"));
static_assert(mnist_text.contains(
    "\n  δ² = softmax(z²) − t   (softmax_cross_entropy on logits, for Σt = 1)\n"));
static_assert(mnist_text.contains("\n  ∂W² = δ² a¹ᵀ   [10×128]\n  ∂b² = δ²   [10]\n"));
static_assert(mnist_text.contains("\n  δ¹ = relu'(z¹) ⊙ δa¹   (relu'(z) = [z > 0])\n"));
static_assert(mnist_text.contains("\n  ∇ₓC = W¹ᵀ δ¹   [784]   (on request)\n"));
static_assert(equations<mnist_softmax, ctnn::softmax_cross_entropy>().contains(
    "\n  δ² = a² − t   (softmax_cross_entropy fused with softmax, for Σt = 1)\n"));

// ---- every activation's derivative, and the other loss cases ----

using zoo =
    ctnn::network<ctnn::input<3>, ctnn::dense<4>, ctnn::leaky_relu<std::ratio<1, 10>>,
                  ctnn::dense<5>, ctnn::elu<std::ratio<3, 2>>, ctnn::dense<6>, ctnn::softmax,
                  ctnn::dense<2>, ctnn::mish, ctnn::dense<2>, ctnn::gelu, ctnn::dense<3>,
                  ctnn::swish, ctnn::dense<3>, ctnn::softplus, ctnn::dense<4>, ctnn::sigmoid,
                  ctnn::dense<2>, ctnn::dense<3>, ctnn::identity, ctnn::dense<2>, ctnn::softmax>;
constexpr auto zoo_text = equations<zoo, ctnn::squared_error>();
static_assert(zoo_text.contains(
    "\n  δ¹ = leaky_relu'(z¹) ⊙ δa¹   (leaky_relu'(z) = [z > 0] + 1/10 [z ≤ 0])\n"));
static_assert(
    zoo_text.contains("\n  δ² = elu'(z²) ⊙ δa²   (elu'(z) = [z > 0] + (a + 3/2) [z ≤ 0])\n"));
static_assert(zoo_text.contains("\n  δ³ = a³ ⊙ (δa³ − ⟨δa³, a³⟩)   (softmax)\n"));
static_assert(zoo_text.contains(
    "\n  δ⁴ = mish'(z⁴) ⊙ δa⁴   (mish'(z) = τ + z(1 − τ²)σ(z), τ = tanh(softplus(z)))\n"));
static_assert(zoo_text.contains("\n  δ⁵ = gelu'(z⁵) ⊙ δa⁵   (gelu'(z) = Φ(z) + z φ(z))\n"));
static_assert(zoo_text.contains("\n  δ⁶ = swish'(z⁶) ⊙ δa⁶   (swish'(z) = σ(z) + a(1 − σ(z)))\n"));
static_assert(zoo_text.contains("\n  δ⁷ = softplus'(z⁷) ⊙ δa⁷   (softplus'(z) = σ(z))\n"));
static_assert(zoo_text.contains("\n  δ⁸ = σ'(z⁸) ⊙ δa⁸   (σ'(z) = a(1 − a))\n"));
// Layer 9 has no activation: layer 10 reads z⁹, and δ⁹ comes straight from W¹⁰ᵀ.
static_assert(zoo_text.contains("\n  z⁹ = W⁹ a⁸ + b⁹   [W⁹: 2×4, b⁹: 2, z⁹: 2]\n  z¹⁰ = W¹⁰ z⁹ + b¹⁰"));
static_assert(zoo_text.contains("\n  ∂W¹⁰ = δ¹⁰ z⁹ᵀ   [3×2]\n  ∂b¹⁰ = δ¹⁰   [3]\n  δ⁹ = W¹⁰ᵀ δ¹⁰   [2]\n"));
static_assert(zoo_text.contains("\n  a¹⁰ = z¹⁰   (no activation)\n"));  // an explicit identity
static_assert(zoo_text.contains("\n  δ¹⁰ = δa¹⁰   (no activation)\n"));
static_assert(zoo_text.contains("\n  z¹¹ = W¹¹ a¹⁰ + b¹¹   [W¹¹: 2×3, b¹¹: 2, z¹¹: 2]\n"));
// Squared error through softmax: δa¹¹ = a¹¹ − t, then softmax's own step.
static_assert(zoo_text.contains("\nbackward\n  δa¹¹ = a¹¹ − t   (squared_error)\n"
                                "  δ¹¹ = a¹¹ ⊙ (δa¹¹ − ⟨δa¹¹, a¹¹⟩)   (softmax)\n"));
static_assert(zoo_text.contains("\n  δa¹⁰ = W¹¹ᵀ δ¹¹   [3]\n"));

using tanh_out = ctnn::network<ctnn::input<2>, ctnn::dense<3>, ctnn::tanh>;
static_assert(equations<tanh_out, ctnn::squared_error>().view().ends_with(
    "backward\n"
    "  δa¹ = a¹ − t   (squared_error)\n"
    "  δ¹ = tanh'(z¹) ⊙ δa¹   (tanh'(z) = 1 − a²)\n"
    "  ∂W¹ = δ¹ xᵀ   [3×2]\n"
    "  ∂b¹ = δ¹   [3]\n"
    "  ∇ₓC = W¹ᵀ δ¹   [2]   (on request)\n"));

using logits = ctnn::network<ctnn::input<2>, ctnn::dense<3>>;
static_assert(equations<logits, ctnn::binary_cross_entropy>().contains(
    "\n  δ¹ = σ(z¹) − t   (binary_cross_entropy on logits)\n"));
static_assert(equations<logits, ctnn::squared_error>().contains(
    "\n  δ¹ = z¹ − t   (squared_error)\n"));

// ---- two-digit layer numbers ----

using deep =
    ctnn::network<ctnn::input<1>, ctnn::dense<2>, ctnn::dense<2>, ctnn::dense<2>, ctnn::dense<2>,
                  ctnn::dense<2>, ctnn::dense<2>, ctnn::dense<2>, ctnn::dense<2>, ctnn::dense<2>,
                  ctnn::dense<2>, ctnn::dense<2>, ctnn::dense<3>>;
constexpr auto deep_text = equations<deep, ctnn::squared_error>();
static_assert(deep_text.contains("\n  z¹² = W¹² z¹¹ + b¹²   [W¹²: 3×2, b¹²: 3, z¹²: 3]\n"));
static_assert(deep_text.contains("\n  δ¹¹ = W¹²ᵀ δ¹²   [2]\n"));
static_assert(deep_text.contains("\n  ∂W¹⁰ = δ¹⁰ z⁹ᵀ   [2×2]\n"));
static_assert(deep_text.contains("\n  δ¹⁰ = W¹¹ᵀ δ¹¹   [2]\n"));

// ---- the DOT graph is a constant too ----

constexpr auto xor_dot = dot<xor_net, ctnn::binary_cross_entropy>();
static_assert(xor_dot.view().starts_with("digraph ctnn {\n"));
static_assert(xor_dot.view().ends_with("}\n"));
static_assert(xor_dot.size() == xor_dot.capacity());
// Ids: n<k> for node k (z¹ is node 1 after x), d<k> for its δ: δ² of node 3, δa¹ of node 2.
static_assert(xor_dot.contains("\n  n1 [label=\"z¹ = W¹ x + b¹\\n[8]\"];\n"));
static_assert(xor_dot.contains("\n  d3 [label=\"δ²\\n[1]\", color=\"#c0392b\"];\n"));
static_assert(xor_dot.contains("\n  C -> d3 [style=dashed, color=\"#c0392b\"];\n"));
static_assert(xor_dot.contains("\n  d3 -> d2 [style=dashed, color=\"#c0392b\"];\n"));

}  // namespace
