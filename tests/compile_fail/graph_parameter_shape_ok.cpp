// Twin of graph_parameter_shape_ko.cpp: both inputs have 3 values, so the two "w" nodes share one
// 4×3 block (and its bias), and this compiles.
#include <ctnn/ctnn.hpp>

namespace op = ctnn::op;
using x = op::input<"x", 3>;
using u = op::input<"u", 3>;
using y = op::add<op::dense<"w", 4, x>, op::dense<"w", 4, u>>;
using net = ctnn::graph<ctnn::outputs<y>>;
static_assert(net::parameter_count == 4 * 3 + 4);
int main() { return static_cast<int>(net::parameter_count); }
