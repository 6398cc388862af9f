// Twin of graph_unused_input_ko.cpp: the output reads u too, so this compiles.
#include <ctnn/ctnn.hpp>

namespace op = ctnn::op;
using x = op::input<"x", 3>;
using u = op::input<"u", 2>;
using y = op::dense<"d", 4, op::concat<x, u>>;
using net = ctnn::graph<ctnn::inputs<x, u>, ctnn::outputs<y>>;
static_assert(net::input_count == 2);
int main() { return static_cast<int>(net::input_count); }
