// Twin of pool_window_ko.cpp: dilated by 2 along the height the 3 × 3 window spans 5 rows, which
// fit (stride 3, the kernel's: output 2 × 1 × 1).
#include <ctnn/ctnn.hpp>

namespace op = ctnn::op;
using x = op::input<"x", 2, 5, 6>;
using p = op::max_pool2d<x, op::kernel<3>, op::dilation<2, 2>>;
using y = op::dense<"head", 2, op::flatten<p>>;
using net = ctnn::graph<ctnn::outputs<y>>;
static_assert(std::is_same_v<ctnn::core::shape_of<p>, ctnn::shape<2, 1, 1>>);
int main() { return static_cast<int>(net::parameter_count); }
