// Twin of graph_add_shape_ko.cpp: both operands have 3 values, so this compiles.
#include <ctnn/ctnn.hpp>

namespace op = ctnn::op;
using x = op::input<"x", 5>;
using y = op::add<op::dense<"a", 3, x>, op::dense<"b", 3, x>>;
using net = ctnn::graph<ctnn::outputs<y>>;
static_assert(net::parameter_count == 2 * (5 * 3 + 3));
int main() { return static_cast<int>(net::parameter_count); }
