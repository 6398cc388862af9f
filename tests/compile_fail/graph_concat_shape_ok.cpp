// Twin of graph_concat_shape_ko.cpp: u holds 6 values, as 2×3 like x, so the inner dimensions
// agree and this compiles (the result is 4×3).
#include <ctnn/ctnn.hpp>
#include <type_traits>

namespace op = ctnn::op;
using x = op::input<"x", 6>;
using u = op::input<"u", 6>;
using y = op::concat<op::reshape<x, ctnn::shape<2, 3>>, op::reshape<u, ctnn::shape<2, 3>>>;
using net = ctnn::graph<ctnn::outputs<y>>;
static_assert(std::is_same_v<ctnn::core::shape_of<y>, ctnn::shape<4, 3>>);
int main() { return static_cast<int>(net::output_size); }
