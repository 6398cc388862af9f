// The twin of quantization_bound_ko.cpp with tanh in place of step: the bound has a rule for it.
#include <array>
#include <ctnn/inference.hpp>

using net = ctnn::network<ctnn::input<3>, ctnn::dense<4>, ctnn::tanh, ctnn::dense<1>>;

constexpr auto params = [] {
  ctnn::parameters<net, float> p{};
  ctnn::initialize(p, 1);
  return p;
}();
constexpr auto ranges = [] {
  const ctnn::inference_weights<net, float> w(params);
  ctnn::quantization_ranges<net> r;
  ctnn::observe(r, w, std::array<float, 3>{0.5f, -1.0f, 1.0f});
  return r;
}();
constexpr ctnn::quantized_weights<net> q(params, ranges);
static_assert(ctnn::quantization_error_bound(q, params, -1.0, 1.0) >= 0);

int main() { return 0; }
