// The twin of recurrent_state_width_ko.cpp: a start of 16 values, [h, c].
#include <ctnn/ctnn.hpp>
#include <ctnn/nn/recurrent.hpp>

namespace op = ctnn::op;
using x = op::input<"x", 5, 3>;
using start = op::input<"start", 16>;
using layer = ctnn::recurrent<ctnn::lstm_cell<"lstm", 3, 8>, 5, x, start>;
using net = ctnn::graph<ctnn::inputs<x, start>, ctnn::outputs<op::dense<"head", 2, ctnn::last_hidden<layer>>>>;
int main() { return static_cast<int>(net::parameter_count); }
