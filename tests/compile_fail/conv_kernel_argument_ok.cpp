// The twin of conv_kernel_argument_ko.cpp: the kernel before the input.
#include <ctnn/ctnn.hpp>

namespace op = ctnn::op;
using x = op::input<"x", 1, 8, 8>;
using c = op::conv2d<"c1", 4, op::kernel<3>, x>;
using y = op::dense<"head", 10, op::flatten<c>>;
using net = ctnn::graph<ctnn::outputs<y>>;
static_assert(std::is_same_v<ctnn::core::shape_of<c>, ctnn::shape<4, 6, 6>>);
int main() { return static_cast<int>(net::parameter_count); }
