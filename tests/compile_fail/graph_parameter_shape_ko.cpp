// Two dense nodes named "w" share one parameter block, but one reads 3 values and the other 5: the
// block's W would be 4×3 and 4×5. The error names both nodes and both shapes.
// expect: parameter<ctnn::core::parameter<(ctnn::name<2> ?\{"w"\}|\{\{119, 0\}\}), (ctnn::name<7> ?\{"weight"\}|\{\{119, 101, 105, 103, 104, 116, 0\}\}), ctnn::shape<4, 3> ?>, ctnn::op::dense<(ctnn::name<2> ?\{"w"\}|\{\{119, 0\}\}), 4, ctnn::op::input<(ctnn::name<2> ?\{"x"\}|\{\{120, 0\}\}), 3> ?> ?>
// expect: differs_in_shape_from<ctnn::core::parameter<(ctnn::name<2> ?\{"w"\}|\{\{119, 0\}\}), (ctnn::name<7> ?\{"weight"\}|\{\{119, 101, 105, 103, 104, 116, 0\}\}), ctnn::shape<4, 5> ?>, ctnn::op::dense<(ctnn::name<2> ?\{"w"\}|\{\{119, 0\}\}), 4, ctnn::op::input<(ctnn::name<2> ?\{"u"\}|\{\{117, 0\}\}), 5> ?> ?>
// expect: two nodes name the same parameter block with different shapes
#include <ctnn/ctnn.hpp>

namespace op = ctnn::op;
using x = op::input<"x", 3>;
using u = op::input<"u", 5>;
using y = op::add<op::dense<"w", 4, x>, op::dense<"w", 4, u>>;
using net = ctnn::graph<ctnn::outputs<y>>;
int main() { return static_cast<int>(net::parameter_count); }
