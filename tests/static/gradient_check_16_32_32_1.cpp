// Compiling is passing: the constexpr gradient check on a 16-32-32-1 tanh network (1,633
// parameters) within both compilers' default constexpr limits. A full check costs two loss
// evaluations per entry, far beyond clang's default -fconstexpr-steps=1048576, so the check
// samples 8 entries spread over every layer and the input (docs/compile-time-checks.md).
#include <array>
#include <ctnn/ctnn.hpp>

namespace {

// [check]
using net = ctnn::network<ctnn::input<16>, ctnn::dense<32>, ctnn::tanh, ctnn::dense<32>, ctnn::tanh,
                          ctnn::dense<1>>;

constexpr auto report = [] {
  ctnn::parameters<net, double> p;
  ctnn::initialize(p, /*seed=*/12345);  // the same weights at run time
  std::array<double, 16> x{};
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 0.1 * static_cast<double>(i) - 0.7;
  return ctnn::gradient_check(p, ctnn::squared_error{}, x, std::array<double, 1>{0.3},
                              {.max_entries = 8});
}();
static_assert(report.worst_error < 1e-6, "backprop agrees with central differences");
// [check]
static_assert(net::parameter_count == 1633);
static_assert(report.checked >= 8);

}  // namespace
