// A 5×5 kernel over a 4×4 image without padding: the window does not fit. The error names the
// conv2d node, the padded input's height and width (4, 4) and the kernel's span (5, 5).
// errors: 1
// expect: window_of<ctnn::op::conv2d<(ctnn::name<3> ?\{"c1"\}|\{\{99, 49, 0\}\}), 3, ctnn::op::kernel<5>, ctnn::op::input<(ctnn::name<2> ?\{"x"\}|\{\{120, 0\}\}), 1, 4, 4> ?> ?>
// expect: padded_input_is<4, 4>::kernel_spans<5, 5>::check<false>
// expect: the window does not fit: its span dilation\*\(kernel-1\)\+1 must be at most the input's height and width plus twice the padding
#include <ctnn/ctnn.hpp>

namespace op = ctnn::op;
using x = op::input<"x", 1, 4, 4>;
using c = op::conv2d<"c1", 3, op::kernel<5>, x>;
using y = op::dense<"head", 2, op::flatten<c>>;
using net = ctnn::graph<ctnn::outputs<y>>;
int main() { return static_cast<int>(net::parameter_count); }
