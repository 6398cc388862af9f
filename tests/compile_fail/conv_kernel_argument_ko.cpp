// conv2d with its kernel after the input instead of before it: the error says where the kernel
// goes, naming the argument found in its place.
// errors: 1
// expect: window_of<ctnn::op::conv2d<(ctnn::name<3> ?\{"c1"\}|\{\{99, 49, 0\}\}), 4, ctnn::op::input<(ctnn::name<2> ?\{"x"\}|\{\{120, 0\}\}), 1, 8, 8> ?, ctnn::op::kernel<3> ?> ?>
// expect: kernel_argument_is<ctnn::op::input<(ctnn::name<2> ?\{"x"\}|\{\{120, 0\}\}), 1, 8, 8> ?>::check<false>
// expect: a window node's kernel is written op::kernel<h, w>
#include <ctnn/ctnn.hpp>

namespace op = ctnn::op;
using x = op::input<"x", 1, 8, 8>;
using c = op::conv2d<"c1", 4, x, op::kernel<3>>;
using y = op::dense<"head", 10, op::flatten<c>>;
using net = ctnn::graph<ctnn::outputs<y>>;
int main() { return static_cast<int>(net::parameter_count); }
