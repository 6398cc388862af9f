// The gradient law on recurrent nets (op::unroll of rnn_cell, gru_cell and lstm_cell): backprop
// through time against central differences of the objective in double (laws/graph_gradcheck.hpp),
// float and double, the SIMD and the scalar architecture (the drawn cells), batch and one-sample
// passes. The cells
// and sizes below were drawn once at random from hidden 1–40, T 1–16, input 1–6 (and kept, so
// that a failure reproduces), then completed with the corners: H = 1 and T = 1, H = 40, T = 16,
// a starting state with its gradient, stacked layers with a head on every step, a relu cell
// (kinks), and 45 samples in a tile of 64 (two chunks of the cell's passes, 32 and 13).

#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <ctnn/ctnn.hpp>
#include <ctnn/nn/recurrent.hpp>
#include <memory>

#include "graph_gradcheck.hpp"

namespace {

namespace op = ctnn::op;
using ctnn::gru_cell;
using ctnn::lstm_cell;
using ctnn::rnn_cell;

// Sequence to one: the last hidden state into a dense head, softmax cross-entropy.
template <class Cell, std::size_t T>
struct to_one {
  using x = op::input<"x", T, Cell::input_size>;
  using layer = ctnn::recurrent<Cell, T, x>;
  using y = op::dense<"head", 3, ctnn::last_hidden<layer>>;
  using net = ctnn::graph<ctnn::outputs<y>, ctnn::objective<op::softmax_cross_entropy<y>>>;
};
// From a given state (an input, which gets its gradient), ½ squared error on h_T and on the final
// state.
template <class Cell, std::size_t T>
struct from_state {
  using x = op::input<"x", T, Cell::input_size>;
  using start = op::input<"start", Cell::state_size>;
  using layer = ctnn::recurrent<Cell, T, x, start>;
  using y = op::dense<"head", 2, ctnn::last_hidden<layer>>;
  using net = ctnn::graph<ctnn::inputs<x, start>, ctnn::outputs<y, ctnn::final_state<layer>>,
                          ctnn::objective<op::add<op::squared_error<y>, op::squared_error<ctnn::final_state<layer>>>>>;
};
// Two stacked layers, a head on every step (sequence to sequence), ½ squared error.
template <class Cell0, class Cell1, std::size_t T>
struct stacked {
  using x = op::input<"x", T, Cell0::input_size>;
  using layer0 = ctnn::recurrent<Cell0, T, x>;
  using layer1 = ctnn::recurrent<Cell1, T, ctnn::hidden_sequence<layer0>>;
  using y = op::dense_rows<"head", 2, ctnn::hidden_sequence<layer1>>;
  using net = ctnn::graph<ctnn::outputs<y>, ctnn::objective<op::squared_error<y>>>;
};

template <class Net, class T, class Arch = ctnn::simd::default_arch, std::size_t Tile = 32>
void check_law(std::uint64_t seed, std::size_t n) {
  const auto p = laws::random_graph_parameters<Net, T>(seed);
  const auto data = laws::random_graph_data<Net, T>(n, seed + 5);
  const auto r = laws::check_graph_gradient_batch<Arch, Tile>(*p, data);
  CHECK_MESSAGE(r.ok(), r.describe());
  const auto one = laws::random_graph_data<Net, T>(1, seed + 9);
  const auto r1 = laws::check_graph_gradient<Arch>(*p, one);
  CHECK_MESSAGE(r1.ok(), r1.describe());
}

// Drawn: (gru, In 3, H 17, T 16), (lstm, In 5, H 23, T 4), (rnn, In 6, H 31, T 11), (gru, In 2,
// H 9, T 7).
template <class T, class Arch>
void drawn_cells() {
  check_law<typename to_one<gru_cell<"gru", 3, 17>, 16>::net, T, Arch>(101, 7);
  check_law<typename to_one<lstm_cell<"lstm", 5, 23>, 4>::net, T, Arch>(102, 5);
  check_law<typename to_one<rnn_cell<"rnn", 6, 31>, 11>::net, T, Arch>(103, 6);
  check_law<typename from_state<gru_cell<"gru", 2, 9>, 7>::net, T, Arch>(104, 6);
}
template <class T, class Arch>
void corner_cells() {
  check_law<typename to_one<rnn_cell<"rnn", 1, 1>, 1>::net, T, Arch>(201, 4);
  check_law<typename from_state<lstm_cell<"lstm", 2, 40>, 2>::net, T, Arch>(202, 3);
  check_law<typename stacked<gru_cell<"gru", 3, 5, 0>, gru_cell<"gru", 5, 6, 1>, 6>::net, T, Arch>(203, 5);
  check_law<typename to_one<rnn_cell<"rnn", 2, 6, 0, ctnn::relu>, 5>::net, T, Arch>(204, 5);
  check_law<typename to_one<lstm_cell<"lstm", 2, 3>, 3>::net, T, Arch, 64>(205, 45);
}

TEST_CASE_TEMPLATE("backprop through time matches central differences (drawn cells)", T, float, double) {
  drawn_cells<T, ctnn::simd::default_arch>();
}
TEST_CASE_TEMPLATE("backprop through time matches central differences (corners)", T, float, double) {
  corner_cells<T, ctnn::simd::default_arch>();
}
// The scalar architecture on the drawn cells (the corners add sizes, not code paths of their own
// to the scalar loops; a scalar-only build, -Dsimd=false, runs every case above on it anyway).
TEST_CASE_TEMPLATE("the scalar architecture passes the same law", T, float, double) {
  drawn_cells<T, ctnn::simd::scalar_arch>();
}

}  // namespace
