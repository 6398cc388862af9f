// A 3 × 3 max pool dilated by 3 along the height spans 7 rows of a 5-row image: the window does
// not fit. The error names the max_pool2d node, the padded input (5 × 6) and the span (7 × 5).
// errors: 1
// expect: window_of<ctnn::op::max_pool2d<ctnn::op::input<(ctnn::name<2> ?\{"x"\}|\{\{120, 0\}\}), 2, 5, 6> ?, ctnn::op::kernel<3> ?, ctnn::op::dilation<3, 2> ?> ?>
// expect: padded_input_is<5, 6>::kernel_spans<7, 5>::check<false>
// expect: the window does not fit: its span dilation\*\(kernel-1\)\+1 must be at most the input's height and width plus twice the padding
#include <ctnn/ctnn.hpp>

namespace op = ctnn::op;
using x = op::input<"x", 2, 5, 6>;
using p = op::max_pool2d<x, op::kernel<3>, op::dilation<3, 2>>;
using y = op::dense<"head", 2, op::flatten<p>>;
using net = ctnn::graph<ctnn::outputs<y>>;
int main() { return static_cast<int>(net::parameter_count); }
