// Twin of graph_output_not_node_ko.cpp: the second output is a node, so this compiles.
#include <ctnn/ctnn.hpp>

namespace op = ctnn::op;
using x = op::input<"x", 3>;
using net = ctnn::graph<ctnn::outputs<op::dense<"d", 4, x>, op::dense<"e", 4, x>>>;
static_assert(net::output_count == 2);
int main() { return static_cast<int>(net::output_count); }
