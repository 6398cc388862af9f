// Input u is declared in ctnn::inputs<...> but no output (and no objective) depends on it.
// expect: ctnn::graph_error::input<ctnn::op::input<(ctnn::name<2> ?\{"u"\}|\{\{117, 0\}\}), 2> ?>::is_used_by_no_output
// expect: a declared input is used by no output and not by the objective
#include <ctnn/ctnn.hpp>

namespace op = ctnn::op;
using x = op::input<"x", 3>;
using u = op::input<"u", 2>;
using y = op::dense<"d", 4, x>;
using net = ctnn::graph<ctnn::inputs<x, u>, ctnn::outputs<y>>;
int main() { return static_cast<int>(net::input_count); }
