// op::concat joins along the outermost dimension: 2×3 and 2×4 values disagree in the inner one.
// The error names the concat node, both operands and their shapes.
// expect: operands_of<ctnn::op::concat<
// expect: left<ctnn::op::reshape<ctnn::op::input<(ctnn::name<2> ?\{"x"\}|\{\{120, 0\}\}), 6> ?, ctnn::shape<2, 3> ?>, ctnn::shape<2, 3> ?>
// expect: right<ctnn::op::reshape<ctnn::op::input<(ctnn::name<2> ?\{"u"\}|\{\{117, 0\}\}), 8> ?, ctnn::shape<2, 4> ?>, ctnn::shape<2, 4> ?>
// expect: concat joins its operands along their outermost dimension, so all other dimensions must agree
#include <ctnn/ctnn.hpp>

namespace op = ctnn::op;
using x = op::input<"x", 6>;
using u = op::input<"u", 8>;
using y = op::concat<op::reshape<x, ctnn::shape<2, 3>>, op::reshape<u, ctnn::shape<2, 4>>>;
using net = ctnn::graph<ctnn::outputs<y>>;
int main() { return static_cast<int>(net::output_size); }
