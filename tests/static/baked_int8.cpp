// Compiling is passing: the baked XOR net (tests/io/data/xor_model.hpp) is calibrated, quantized
// to int8 and run by the compiler, and quantization_error_bound proves, in constant evaluation,
// how far the int8 net can be from the float net: at the four XOR inputs, and anywhere on the
// unit square.
#include <array>
#include <ctnn/inference.hpp>
#include <span>

#include "../io/data/xor_model.hpp"

namespace {

using net = xor_model::network;
constexpr const auto& p = xor_model::parameters;

// Calibration on the four inputs the net was trained on.
constexpr ctnn::quantization_ranges<net> ranges = [] {
  const ctnn::inference_weights<net, float> w(p);
  ctnn::quantization_ranges<net> r;
  for (float a : {0.0f, 1.0f})
    for (float b : {0.0f, 1.0f}) ctnn::observe(r, w, std::array<float, 2>{a, b});
  return r;
}();
static_assert(ranges.samples == 4);

constexpr ctnn::quantized_weights<net> q(p, ranges);

constexpr float float_output(float a, float b) { return ctnn::forward(p, std::array<float, 2>{a, b})[0]; }
constexpr float int8_output(float a, float b) { return ctnn::forward(q, std::array<float, 2>{a, b})[0]; }
constexpr double bound_at(double a, double b) {
  const std::array<double, 2> x{a, b};
  return ctnn::quantization_error_bound(q, p, std::span<const double>(x), std::span<const double>(x));
}
constexpr double distance(float a, float b) {
  const double d = double(int8_output(a, b)) - double(float_output(a, b));
  return d < 0 ? -d : d;
}

// At each XOR input: the int8 net is within the bound (plus float rounding, about 1e-7, which the
// bound leaves out), the bound is small, and so the int8 net answers as the float net does.
static_assert(distance(0, 0) <= bound_at(0, 0) + 1e-6 && bound_at(0, 0) < 1e-3);
static_assert(distance(0, 1) <= bound_at(0, 1) + 1e-6 && bound_at(0, 1) < 1e-3);
static_assert(distance(1, 0) <= bound_at(1, 0) + 1e-6 && bound_at(1, 0) < 1e-3);
static_assert(distance(1, 1) <= bound_at(1, 1) + 1e-6 && bound_at(1, 1) < 1e-3);
static_assert(int8_output(0, 0) < 0.05f && int8_output(0, 1) > 0.95f);
static_assert(int8_output(1, 0) > 0.95f && int8_output(1, 1) < 0.05f);

// Anywhere on the unit square the int8 output is within 0.25 of the float output (the bound
// comes to 0.21 there: it adds worst cases), and at the centre the bound holds too.
constexpr double square = ctnn::quantization_error_bound(q, p, 0.0, 1.0);
static_assert(square < 0.25);
static_assert(distance(0.5f, 0.5f) <= square);
static_assert(distance(0.25f, 0.75f) <= square);

}  // namespace
