// A new activation in one type: `soft_clip`, f(z) = z / (1 + |z|), a smooth squashing into
// (-1, 1) whose tails approach ±1 polynomially rather than exponentially (tanh's). An elementwise
// activation states its name, its value and its derivative, as templates over V written with
// ctnn::math, so one formula serves scalars, SIMD packs and constant evaluation. Nothing else in
// ctnn changes: network<...> takes it as a layer, op::activation<soft_clip, x> as a graph node,
// and the derivation, the fusion into dense kernels, model files and printouts take it from there.
//
// The program checks backprop through it against central differences (at compile time in a
// static_assert, and at run time on a chain and on a residual graph), checks that the scalar and
// the SIMD forward passes agree, trains a small net with Adam, and prints the equations that
// name the activation. It exits with status 1 and a message on stderr when a check fails. The
// last line is
//   result: worst_gradient_error=<e> loss_before=<a> loss_after=<b>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <ctnn/ctnn.hpp>
#include <iostream>
#include <string_view>

// [activation]
// soft_clip: f(z) = z / (1 + |z|);  f'(z) = 1 / (1 + |z|)².
struct soft_clip : ctnn::elementwise_activation {
  static constexpr std::string_view name = "soft_clip";  // in equations and model files
  template <class V> static constexpr V value(const V& z) {
    return z / (V(1) + ctnn::math::abs(z));
  }
  // derivative(z, a) gets z and a = value(z); this one needs z only.
  template <class V> static constexpr V derivative(const V& z, const V&) {
    const V s = V(1) / (V(1) + ctnn::math::abs(z));
    return s * s;
  }
};
// [activation]

namespace {

namespace op = ctnn::op;

// A chain: the activation is a layer like ctnn::tanh.
using chain = ctnn::network<ctnn::input<3>, ctnn::dense<6>, soft_clip, ctnn::dense<2>>;

// A graph: the activation is a node, op::activation<soft_clip, x>, here in a residual block.
template <class X>
using soft_clip_node = op::activation<soft_clip, X>;
using x = op::input<"x", 3>;
using h = soft_clip_node<op::dense<"fc1", 8, x>>;
using y = op::dense<"head", 2, op::add<h, soft_clip_node<op::dense<"fc2", 8, h>>>>;
using residual = ctnn::graph<ctnn::outputs<y>, ctnn::objective<op::squared_error<y>>>;

// The gradient check in the compiler: the same seeded weights as at run time, every entry.
constexpr double compile_time_error = [] {
  ctnn::parameters<chain, double> p;
  ctnn::initialize(p, /*seed=*/3);
  const std::array<double, 3> x0{0.4, -1.3, 0.8};
  const std::array<double, 2> t0{0.25, -0.5};
  return ctnn::gradient_check(p, ctnn::squared_error{}, x0, t0).worst_error;
}();
static_assert(compile_time_error < 1e-6, "backprop through soft_clip agrees with central differences");

int failures = 0;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "custom_activation: check failed: %s\n", what);
    ++failures;
  }
}

// The lines of `text` that contain `word`.
void print_lines_with(std::string_view text, std::string_view word) {
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    if (line.find(word) != std::string_view::npos) std::cout << line << '\n';
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
  }
}

}  // namespace

int main() {
  // The value and the derivative at a few points, on scalars.
  check(soft_clip::value(3.0) == 0.75 && soft_clip::value(-1.0) == -0.5, "soft_clip values");
  check(soft_clip::derivative(1.0, 0.5) == 0.25, "soft_clip derivative");

  // Run-time gradient checks (double): the chain, then the graph with the activation twice.
  const std::array<double, 3> x0{0.4, -1.3, 0.8};
  const std::array<double, 2> t0{0.25, -0.5};
  ctnn::parameters<chain, double> pc;
  ctnn::initialize(pc, 3);
  const ctnn::gradient_check_report rc = ctnn::gradient_check(pc, ctnn::squared_error{}, x0, t0);
  ctnn::parameters<residual, double> pr;
  ctnn::initialize(pr, 5);
  const ctnn::gradient_check_report rr = ctnn::gradient_check(pr, x0, t0);
  const double worst = std::max(rc.worst_error, rr.worst_error);
  check(rc.worst_error < 1e-6, "gradient check of the chain");
  check(rr.worst_error < 1e-6, "gradient check of the residual graph");
  std::printf("gradient check: chain %.2e over %zu entries (%.2e in the compiler), residual graph "
              "%.2e over %zu entries\n",
              rc.worst_error, rc.checked, compile_time_error, rr.worst_error, rr.checked);

  // The same forward pass on the scalar architecture and on the default SIMD one.
  const auto simd_out = ctnn::forward(pr, x0);
  const auto scalar_out = ctnn::forward<ctnn::simd::scalar_arch>(pr, x0);
  for (std::size_t k = 0; k < simd_out.size(); ++k)
    check(std::fabs(simd_out[k] - scalar_out[k]) < 1e-12, "scalar and SIMD forward passes agree");

  // Train the chain (float) on 64 samples of a smooth target, full batch, with Adam.
  constexpr std::size_t n = 64;
  std::array<float, n * 3> inputs{};
  std::array<float, n * 2> targets{};
  for (std::size_t s = 0; s < n; ++s) {
    float* in = &inputs[s * 3];
    for (std::size_t i = 0; i < 3; ++i) in[i] = std::sin(0.37f * float(s * 3 + i) + 0.5f);
    targets[s * 2] = 0.5f * in[0] * in[1];
    targets[s * 2 + 1] = 0.4f * (in[2] - in[0]);
  }
  ctnn::parameters<chain, float> p;
  ctnn::initialize(p, 7);
  ctnn::gradient<chain, float> scratch;
  ctnn::workspace<chain, float> ws;
  ctnn::adam<chain, float> opt;
  const float before = ctnn::loss_batch(p, ctnn::squared_error{}, inputs, targets, ws);
  for (int step = 0; step < 300; ++step)
    ctnn::train_step_batch(p, ctnn::squared_error{}, inputs, targets, opt, 1e-2, scratch, ws);
  const float after = ctnn::loss_batch(p, ctnn::squared_error{}, inputs, targets, ws);
  check(std::isfinite(after) && after < 0.5f * before, "training lowered the loss");

  // The generated passes, as equations: the lines that name the activation.
  constexpr auto& equations = ctnn::inspect::equations<chain, ctnn::squared_error>();
  static_assert(equations.contains("soft_clip(z¹)"));
  std::cout << "equations of the chain that mention soft_clip:\n";
  print_lines_with(equations.view(), soft_clip::name);
  std::cout << "equations of the residual graph that mention soft_clip:\n";
  print_lines_with(ctnn::inspect::equations<residual>().view(), soft_clip::name);

  std::printf("result: worst_gradient_error=%.2e loss_before=%.6f loss_after=%.6f\n", worst,
              static_cast<double>(before), static_cast<double>(after));
  if (failures > 0) {
    std::fprintf(stderr, "custom_activation: %d check(s) failed\n", failures);
    return 1;
  }
  return 0;
}
