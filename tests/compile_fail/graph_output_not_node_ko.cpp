// An output that is not a node: ctnn::dense<4> is a layer of the chain API (network<...>), not a
// node of a graph.
// expect: ctnn::graph_error::output<ctnn::dense<4(, void)?> ?>::is_not_a_node
// expect: an output of the graph is not a node
#include <ctnn/ctnn.hpp>

namespace op = ctnn::op;
using x = op::input<"x", 3>;
using net = ctnn::graph<ctnn::outputs<op::dense<"d", 4, x>, ctnn::dense<4>>>;
int main() { return static_cast<int>(net::output_count); }
