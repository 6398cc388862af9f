// Model files of graphs that are not chains: the architecture signature lists the nodes and their
// edges (so a file of another graph is refused, naming both), native files and safetensors round
// trip bit for bit, safetensors names tensors after the parameter blocks ("fc1.weight") and keeps
// a shared block once, and the header export spells the graph as a type that compiles to the same
// outputs (checked in io/export_header.cpp by compiling it; here its text).

#include <doctest/doctest.h>

#include <array>
#include <bit>
#include <cstring>
#include <ctnn/ctnn.hpp>
#include <fstream>
#include <random>
#include <ratio>
#include <sstream>
#include <string>

#include "test_files.hpp"

namespace {

namespace op = ctnn::op;
using x = op::input<"x", 4>;
using h = op::relu<op::dense<"fc1", 8, x>>;
using r = op::add<h, op::tanh<op::dense<"fc2", 8, h>>>;
using shared = op::dense<"fc2", 8, op::sigmoid<r>>;  // fc2 again: shares its W and b
using y = op::dense<"head", 3, op::concat<shared, op::slice<h, 2, 6>>>;
using residual = ctnn::graph<ctnn::outputs<y>>;
// The same nodes with another edge: the head reads r instead of the shared node.
using other = ctnn::graph<ctnn::outputs<op::dense<"head", 3, op::concat<r, op::slice<h, 2, 6>>>>>;

static_assert(ctnn::io::architecture_signature<residual> ==
              "graph:0=input<x,4>;1=dense<fc1,8>(0);2=relu(1);3=dense<fc2,8>(2);4=tanh(3);"
              "5=add(2,4);6=sigmoid(5);7=dense<fc2,8>(6);8=slice<2,6>(2);9=concat(7,8);"
              "10=dense<head,3>(9);out(10)");
static_assert(ctnn::io::architecture_signature<residual> != ctnn::io::architecture_signature<other>);
// fc1 (8×4 + 8), fc2 once (8×8 + 8), head (3×12 + 3).
static_assert(residual::parameter_count == 40 + 72 + 39);

template <class Net, class T>
ctnn::parameters<Net, T> random_bits(unsigned seed) {
  ctnn::parameters<Net, T> p;
  std::mt19937_64 rng(seed);
  for (std::size_t k = 0; k < p.size(); ++k)
    p[k] = std::bit_cast<T>(static_cast<ctnn::io::detail::bits_of<T>>(rng()));
  return p;
}

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const ctnn::io::file_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a graph's native model file round-trips bit for bit, and another graph's is refused") {
  io_test::temp_dir dir;
  const auto p = random_bits<residual, float>(1);
  ctnn::io::save_model(dir / "res.ctnn", p);
  ctnn::parameters<residual, float> q;
  ctnn::io::load_model(dir / "res.ctnn", q);
  CHECK(std::memcmp(p.data(), q.data(), p.size() * sizeof(float)) == 0);

  ctnn::parameters<other, float> o;
  const auto untouched = o;
  const std::string message = error_of([&] { ctnn::io::load_model(dir / "res.ctnn", o); });
  CHECK(message.find("was saved for network graph:0=input<x,4>") != std::string::npos);
  CHECK(message.find("10=dense<head,3>(9)") != std::string::npos);
  CHECK(message.find("7=concat(5,6)") != std::string::npos);  // this program's graph
  CHECK(o == untouched);
}

TEST_CASE("safetensors of a graph: one tensor per parameter block, named after it") {
  io_test::temp_dir dir;
  const auto p = random_bits<residual, double>(2);
  ctnn::io::save_safetensors(dir / "res.safetensors", p);
  std::ifstream in(dir / "res.safetensors", std::ios::binary);
  std::stringstream all;
  all << in.rdbuf();
  const std::string file = all.str();
  // fc1 and head once each, fc2 once although two nodes use it; shapes [out, in] and [out].
  CHECK(file.find(R"("fc1.weight":{"dtype":"F64","shape":[8, 4])") != std::string::npos);
  CHECK(file.find(R"("fc1.bias":{"dtype":"F64","shape":[8])") != std::string::npos);
  CHECK(file.find(R"("fc2.weight":{"dtype":"F64","shape":[8, 8])") != std::string::npos);
  CHECK(file.find(R"("head.weight":{"dtype":"F64","shape":[3, 12])") != std::string::npos);
  std::size_t count = 0;
  for (std::size_t at = file.find("fc2.weight"); at != std::string::npos; at = file.find("fc2.weight", at + 1))
    ++count;
  CHECK(count == 1);
  ctnn::parameters<residual, double> q;
  ctnn::io::load_safetensors(dir / "res.safetensors", q);
  CHECK(std::memcmp(p.data(), q.data(), p.size() * sizeof(double)) == 0);
  // The blocks sit where the graph's layout puts them: fc2.weight after fc1's two blocks.
  CHECK(q.layer<"fc2">().w == q.data() + 40);
}

TEST_CASE("the exported header spells the graph node by node") {
  ctnn::parameters<residual, float> p;
  ctnn::initialize(p, 3);
  const std::string text = ctnn::io::header_text(p, "exported");
  CHECK(text.find("using n0 = ctnn::op::input<\"x\", 4>;") != std::string::npos);
  CHECK(text.find("using n1 = ctnn::op::dense<\"fc1\", 8, n0>;") != std::string::npos);
  CHECK(text.find("using n2 = ctnn::op::activation<ctnn::relu, n1>;") != std::string::npos);
  CHECK(text.find("using n5 = ctnn::op::add<n2, n4>;") != std::string::npos);
  CHECK(text.find("using n8 = ctnn::op::slice<n2, 2, 6>;") != std::string::npos);
  CHECK(text.find("using n9 = ctnn::op::concat<n7, n8>;") != std::string::npos);
  CHECK(text.find("using network = ctnn::graph<ctnn::inputs<n0>, ctnn::outputs<n10>>;") != std::string::npos);
  CHECK(text.find("// fc2.weight [8 x 8], row-major") != std::string::npos);
}

// A recurrent net: the signature names the cell's kind (a GRU file is refused by an LSTM net of
// the same sizes and names), the native file round-trips.
namespace recurrent {
using x = op::input<"x", 4, 3>;
template <class Cell>
using net = ctnn::graph<ctnn::outputs<op::dense<"head", 2, ctnn::last_hidden<ctnn::recurrent<Cell, 4, x>>>>>;
using gru = net<ctnn::gru_cell<"cell", 3, 5>>;
using rnn = net<ctnn::rnn_cell<"cell", 3, 5>>;
static_assert(ctnn::io::architecture_signature<gru> ==
              "graph:0=input<x,4,3>;1=unroll_gru<cell,4,3,5,0>(0);2=slice<3,4>(1);3=reshape<5>(2);"
              "4=dense<head,2>(3);out(4)");
}  // namespace recurrent

TEST_CASE("a recurrent net's model file round-trips, and a file of another cell kind is refused") {
  io_test::temp_dir dir;
  const auto p = random_bits<recurrent::gru, float>(4);
  ctnn::io::save_model(dir / "gru.ctnn", p);
  ctnn::parameters<recurrent::gru, float> q;
  ctnn::io::load_model(dir / "gru.ctnn", q);
  CHECK(std::memcmp(p.data(), q.data(), p.size() * sizeof(float)) == 0);
  ctnn::parameters<recurrent::rnn, float> o;
  const std::string message = error_of([&] { ctnn::io::load_model(dir / "gru.ctnn", o); });
  CHECK(message.find("1=unroll_gru<cell,4,3,5,0>(0)") != std::string::npos);
  CHECK(message.find("1=unroll_rnn_tanh<cell,4,3,5,0>(0)") != std::string::npos);
}
