// A hand-written cell whose step reads a value fed back from outside its state: a third input,
// "previous_y", through which the cell's output would return to the next step. A step may read
// only x and its state: one error, naming the cell and the count of inputs its graph reads.
// errors: 1
// expect: cell_of<my_cell>::reads_inputs<3>::check<false>
// expect: a recurrent cell's graph may read only its input x and its state
#include <ctnn/ctnn.hpp>
#include <ctnn/nn/recurrent.hpp>

namespace op = ctnn::op;
struct my_cell {
  static constexpr auto label = ctnn::name("mine");
  static constexpr std::size_t input_size = 3, hidden_size = 4, state_size = 4, layer = 0;
  using x = op::input<"x", 3>;
  using state = op::input<"state", 4>;
  using previous_y = op::input<"previous_y", 4>;
  using next = op::tanh<op::add<op::dense<"mine", 4, op::concat<x, state>>, previous_y>>;
  static constexpr std::string_view kind = "mine";
  static constexpr std::string_view unroll_spelling = "my_cell";
  static constexpr std::string_view notation_from_zero = "mine over {n0} steps of {x0}";
  static constexpr std::string_view notation_from_start = "mine from {x1} over {n0} steps of {x0}";
};
using x = op::input<"x", 5, 3>;
using layer = ctnn::recurrent<my_cell, 5, x>;
using net = ctnn::graph<ctnn::outputs<op::dense<"head", 2, ctnn::last_hidden<layer>>>>;
int main() { return static_cast<int>(net::parameter_count); }
