// op::add of two nodes of different shapes: the error names the add node, both operands and their
// shapes.
// expect: operands_of<ctnn::op::add<
// expect: left<ctnn::op::dense<(ctnn::name<2> ?\{"a"\}|\{\{97, 0\}\}), 3, ctnn::op::input<(ctnn::name<2> ?\{"x"\}|\{\{120, 0\}\}), 5> ?>, ctnn::shape<3> ?>
// expect: right<ctnn::op::dense<(ctnn::name<2> ?\{"b"\}|\{\{98, 0\}\}), 4, ctnn::op::input<(ctnn::name<2> ?\{"x"\}|\{\{120, 0\}\}), 5> ?>, ctnn::shape<4> ?>
// expect: the operands of an elementwise op \(add, sub, mul\) must have one shape
#include <ctnn/ctnn.hpp>

namespace op = ctnn::op;
using x = op::input<"x", 5>;
using y = op::add<op::dense<"a", 3, x>, op::dense<"b", 4, x>>;
using net = ctnn::graph<ctnn::outputs<y>>;
int main() { return static_cast<int>(net::parameter_count); }
