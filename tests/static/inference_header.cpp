// Compiling is passing: <ctnn/inference.hpp> alone runs a chain and a graph (in constant
// evaluation here, as a baked net can), and pulls in none of the headers a program that only
// runs a net should not pay for: zlib, <thread>, <filesystem>, <fstream>.
#include <array>
#include <ctnn/inference.hpp>

namespace {

using chain = ctnn::network<ctnn::input<3>, ctnn::dense<4>, ctnn::tanh, ctnn::dense<2>, ctnn::softmax>;

namespace op = ctnn::op;
using x = op::input<"x", 3>;
using h = op::tanh<op::dense<"fc1", 4, x>>;
using dag = ctnn::graph<ctnn::outputs<op::dense<"head", 2, op::add<h, op::relu<op::dense<"fc2", 4, h>>>>>>;

template <class Net>
constexpr ctnn::parameters<Net, double> seeded() {
  ctnn::parameters<Net, double> p{};
  ctnn::initialize(p, 7);
  return p;
}

// The chain's softmax outputs sum to 1, from the parameters and from inference_weights alike.
constexpr bool chain_runs() {
  const auto p = seeded<chain>();
  const std::array<double, 3> in{0.5, -1.0, 2.0};
  const auto y = ctnn::forward(p, in);
  const ctnn::inference_weights<chain, double> w(p);
  const auto yw = ctnn::forward(w, in);
  const double sum = y[0] + y[1];
  return sum > 1 - 1e-12 && sum < 1 + 1e-12 && y[0] == yw[0] && y[1] == yw[1];
}
static_assert(chain_runs());

// The DAG's output is linear in its head: scaling the head's weights and bias by 2 doubles it.
constexpr bool dag_runs() {
  auto p = seeded<dag>();
  const std::array<double, 3> in{0.25, 1.0, -0.5};
  const auto y = ctnn::forward(p, in);
  const auto head = p.template layer<"head">();
  for (auto& v : head.weights()) v *= 2;
  for (auto& v : head.biases()) v *= 2;
  const auto y2 = ctnn::forward(p, in);
  return y[0] != 0 && y2[0] == 2 * y[0] && y2[1] == 2 * y[1];
}
static_assert(dag_runs());

}  // namespace

#ifdef ZLIB_H
#error "<ctnn/inference.hpp> includes zlib"
#endif
#if defined(__GLIBCXX__)
#if defined(_GLIBCXX_THREAD)
#error "<ctnn/inference.hpp> includes <thread>"
#endif
#if defined(_GLIBCXX_FILESYSTEM)
#error "<ctnn/inference.hpp> includes <filesystem>"
#endif
#if defined(_GLIBCXX_FSTREAM)
#error "<ctnn/inference.hpp> includes <fstream>"
#endif
#endif
