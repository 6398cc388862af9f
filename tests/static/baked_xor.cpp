// Compiling is passing: a trained network baked into a header as constexpr data (the exporter's
// fixture, tests/io/data/xor_model.hpp) is evaluated by the compiler, on all four XOR inputs.
#include <array>
#include <ctnn/ctnn.hpp>

#include "../io/data/xor_model.hpp"

namespace {

constexpr float output(float a, float b) {
  return ctnn::forward(xor_model::parameters, std::array<float, 2>{a, b})[0];
}

static_assert(output(0, 0) < 0.05f);
static_assert(output(0, 1) > 0.95f);
static_assert(output(1, 0) > 0.95f);
static_assert(output(1, 1) < 0.05f);

// The baked net also trains at compile time: one gradient step on the (1, 1) sample lowers its
// loss.
constexpr bool a_step_helps() {
  auto p = xor_model::parameters;
  ctnn::gradient<xor_model::network, float> g{};
  const std::array<float, 2> x{1, 1};
  const std::array<float, 1> t{0};
  const float before = ctnn::loss_and_gradient(p, ctnn::binary_cross_entropy{}, x, t, g);
  for (std::size_t k = 0; k < p.size(); ++k) p[k] -= 0.5f * g[k];
  return ctnn::loss(p, ctnn::binary_cross_entropy{}, x, t) < before;
}
static_assert(a_step_helps());

}  // namespace
