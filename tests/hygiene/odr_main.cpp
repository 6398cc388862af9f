// Link test (STYLE.md, "Header hygiene"): odr_a.cpp and odr_b.cpp each include the whole library
// and instantiate the same network's initialize, forward and loss_and_gradient; this file does
// too, through odr.hpp. That the three link into one program is most of the test: a function or
// variable defined in a header without `inline` (or outside a template) is a "multiple
// definition" link error here, while a one-file unit test links fine. Running both halves then
// checks that they computed the same, non-trivial numbers.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <ctnn/ctnn.hpp>

#include "odr.hpp"

namespace {

bool all_finite(const std::vector<float>& v) {
  return std::all_of(v.begin(), v.end(), [](float e) { return std::isfinite(e); });
}
bool any_nonzero(const std::vector<float>& v) {
  return std::any_of(v.begin(), v.end(), [](float e) { return e != 0.0f; });
}

}  // namespace

TEST_CASE("two translation units that include ctnn link together and agree") {
  const odr::outcome a = odr::run_in_a();
  const odr::outcome b = odr::run_in_b();

  // Not vacuous: both halves ran the network and produced sizes and values worth comparing.
  REQUIRE(a.parameters.size() == odr::net::parameter_count);
  REQUIRE(a.output.size() == 2);
  REQUIRE(a.gradient.size() == odr::net::parameter_count);
  REQUIRE(a.input_gradient.size() == 3);
  CHECK(std::isfinite(a.loss));
  CHECK(a.loss > 0.0f);
  for (const auto* v : {&a.parameters, &a.output, &a.gradient, &a.input_gradient}) {
    CHECK(all_finite(*v));
    CHECK(any_nonzero(*v));
  }

  // Same network, seed and sample: bit for bit the same results.
  CHECK(a.parameters == b.parameters);
  CHECK(a.output == b.output);
  CHECK(a.gradient == b.gradient);
  CHECK(a.input_gradient == b.input_gradient);
  CHECK(a.loss == b.loss);
  CHECK(a == b);
}
