// Model files of a convolutional graph: the architecture signature names each conv and pool with
// its window (so a file of another window is refused), native files and safetensors round-trip
// bit for bit with PyTorch's tensor names and shapes (conv weights Out × C × KH × KW), and the
// exported header spells every node with all its numbers, as a type that computes the same.

#include <doctest/doctest.h>

#include <bit>
#include <cstring>
#include <fstream>
#include <sstream>
#include <ctnn/ctnn.hpp>
#include <random>
#include <ratio>
#include <string>

#include "test_files.hpp"

namespace {

namespace op = ctnn::op;
using x = op::input<"x", 2, 9, 8>;
using c = op::conv2d<"c1", 3, op::kernel<3>, x, op::padding<1>, op::stride<2, 1>>;
using m = op::max_pool2d<op::relu<c>, op::kernel<2>>;
using d = op::conv2d<"c2", 4, op::kernel<1, 2>, m, op::no_bias, op::dilation<1, 2>>;
using a = op::avg_pool2d<d, op::kernel<2>, op::stride<1>, op::padding<1>>;
using y = op::dense<"head", 5, op::flatten<op::concat<a, a>>>;
using cnn = ctnn::graph<ctnn::outputs<y, op::global_avg_pool<a>>>;
// c1 with another stride: another architecture, whose file must be refused.
using other = ctnn::graph<ctnn::outputs<op::global_avg_pool<op::conv2d<"c1", 3, op::kernel<3>, x, op::padding<1>>>>>;

// c: 3 × 5 × 8; m: 3 × 2 × 4; d: 4 × 2 × 2 (kernel 1 × 2 dilated to a span of 3); a: 4 × 3 × 3.
static_assert(std::is_same_v<ctnn::core::shape_of<a>, ctnn::shape<4, 3, 3>>);
static_assert(cnn::parameter_count == (3 * 2 * 9 + 3) + (4 * 3 * 2) + (5 * 72 + 5));
static_assert(ctnn::io::architecture_signature<cnn> ==
              "graph:0=input<x,2,9,8>;1=conv2d<c1,3,3,3,2,1,1,1,1,1>(0);2=relu(1);"
              "3=max_pool2d<2,2,2,2,0,0,1,1>(2);4=conv2d<c2,4,1,2,1,1,0,0,1,2>(3);"
              "5=avg_pool2d<2,2,1,1,1,1,1,1>(4);6=concat(5,5);7=reshape<72>(6);"
              "8=dense<head,5>(7);9=global_avg_pool(5);out(8,9)");

template <class Net, class T>
ctnn::parameters<Net, T> random_bits(unsigned seed) {
  ctnn::parameters<Net, T> p;
  std::mt19937_64 rng(seed);
  for (std::size_t k = 0; k < p.size(); ++k)
    p[k] = std::bit_cast<T>(static_cast<ctnn::io::detail::bits_of<T>>(rng()));
  return p;
}

}  // namespace

TEST_CASE("a CNN's native model file and safetensors round-trip bit for bit") {
  io_test::temp_dir dir;
  const auto p = random_bits<cnn, double>(5);
  ctnn::io::save_model(dir / "cnn.ctnn", p);
  ctnn::parameters<cnn, double> q;
  ctnn::io::load_model(dir / "cnn.ctnn", q);
  CHECK(std::memcmp(p.data(), q.data(), sizeof(double) * p.size()) == 0);
  ctnn::parameters<other, double> o;
  std::string message;
  try {
    ctnn::io::load_model(dir / "cnn.ctnn", o);
  } catch (const ctnn::io::file_error& e) {
    message = e.what();
  }
  CHECK(message.find("1=conv2d<c1,3,3,3,2,1,1,1,1,1>(0)") != std::string::npos);
  CHECK(message.find("1=conv2d<c1,3,3,3,1,1,1,1,1,1>(0)") != std::string::npos);

  ctnn::io::save_safetensors(dir / "cnn.safetensors", p);
  ctnn::parameters<cnn, double> r;
  ctnn::io::load_safetensors(dir / "cnn.safetensors", r);
  CHECK(std::memcmp(p.data(), r.data(), sizeof(double) * p.size()) == 0);
}

TEST_CASE("safetensors names the conv blocks as nn.Conv2d does, with their 4-D shapes") {
  io_test::temp_dir dir;
  ctnn::parameters<cnn, float> p;
  ctnn::initialize(p, 2);
  ctnn::io::save_safetensors(dir / "named.safetensors", p);
  std::ifstream in(dir / "named.safetensors", std::ios::binary);
  std::stringstream all;
  all << in.rdbuf();
  const std::string header = all.str();
  CHECK(header.find(R"("c1.weight":{"dtype":"F32","shape":[3, 2, 3, 3])") != std::string::npos);
  CHECK(header.find(R"("c1.bias":{"dtype":"F32","shape":[3])") != std::string::npos);
  CHECK(header.find(R"("c2.weight":{"dtype":"F32","shape":[4, 3, 1, 2])") != std::string::npos);
  CHECK(header.find("c2.bias") == std::string::npos);  // op::no_bias: no block
}

TEST_CASE("the exported header spells each conv and pool with its whole window") {
  ctnn::parameters<cnn, float> p;
  ctnn::initialize(p, 3);
  const std::string text = ctnn::io::header_text(p, "exported");
  CHECK(text.find("using n1 = ctnn::op::conv2d<\"c1\", 3, ctnn::op::kernel<3, 3>, n0, "
                  "ctnn::op::stride<2, 1>, ctnn::op::padding<1, 1>, ctnn::op::dilation<1, 1>>;") !=
        std::string::npos);
  CHECK(text.find("using n3 = ctnn::op::max_pool2d<n2, ctnn::op::kernel<2, 2>, "
                  "ctnn::op::stride<2, 2>, ctnn::op::padding<0, 0>, ctnn::op::dilation<1, 1>>;") !=
        std::string::npos);
  CHECK(text.find("using n4 = ctnn::op::conv2d<\"c2\", 4, ctnn::op::kernel<1, 2>, n3, "
                  "ctnn::op::stride<1, 1>, ctnn::op::padding<0, 0>, ctnn::op::dilation<1, 2>, "
                  "ctnn::op::no_bias>;") != std::string::npos);
  CHECK(text.find("using n9 = ctnn::op::global_avg_pool<n5>;") != std::string::npos);
  CHECK(text.find("// c1.weight [3 x 2 x 3 x 3]") != std::string::npos);
}

// The spelling above, as a type: the same architecture, and the same outputs bit for bit.
namespace spelled {
using n0 = op::input<"x", 2, 9, 8>;
using n1 = op::conv2d<"c1", 3, op::kernel<3, 3>, n0, op::stride<2, 1>, op::padding<1, 1>,
                      op::dilation<1, 1>>;
using n2 = op::relu<n1>;
using n3 = op::max_pool2d<n2, op::kernel<2, 2>, op::stride<2, 2>, op::padding<0, 0>, op::dilation<1, 1>>;
using n4 = op::conv2d<"c2", 4, op::kernel<1, 2>, n3, op::stride<1, 1>, op::padding<0, 0>,
                      op::dilation<1, 2>, op::no_bias>;
using n5 = op::avg_pool2d<n4, op::kernel<2, 2>, op::stride<1, 1>, op::padding<1, 1>, op::dilation<1, 1>>;
using n8 = op::dense<"head", 5, op::flatten<op::concat<n5, n5>>>;
using network = ctnn::graph<ctnn::outputs<n8, op::global_avg_pool<n5>>>;
}  // namespace spelled

static_assert(ctnn::io::architecture_signature<spelled::network> ==
              ctnn::io::architecture_signature<cnn>);

TEST_CASE("the spelled graph loads the file and computes the same outputs") {
  io_test::temp_dir dir;
  ctnn::parameters<cnn, float> p;
  ctnn::initialize(p, 4);
  ctnn::io::save_model(dir / "spelled.ctnn", p);
  ctnn::parameters<spelled::network, float> q;
  ctnn::io::load_model(dir / "spelled.ctnn", q);
  std::array<float, 2 * 9 * 8> in;
  for (std::size_t k = 0; k < in.size(); ++k) in[k] = float(k % 7) * 0.25f - 0.7f;
  const auto [y0, g0] = ctnn::forward(p, in);
  const auto [y1, g1] = ctnn::forward(q, in);
  CHECK(std::memcmp(y0.data(), y1.data(), sizeof(float) * y0.size()) == 0);
  CHECK(std::memcmp(g0.data(), g1.data(), sizeof(float) * g0.size()) == 0);
}

namespace {
// Batch norm's running statistics are blocks of the model: files carry them; its momentum and
// epsilon, and dropout's probability, are part of the architecture.
using normed_x = op::input<"x", 2, 5, 5>;
template <class Momentum, class P>
using normed_graph = ctnn::graph<ctnn::outputs<op::dense<
    "head", 3,
    op::flatten<op::dropout<op::batch_norm<"bn", op::conv2d<"c", 4, op::kernel<3>, normed_x>, Momentum>, P>>>>>;
using normed = normed_graph<std::ratio<1, 10>, std::ratio<1, 4>>;
}  // namespace

TEST_CASE("a net with batch norm and dropout round-trips its running statistics through both files") {
  io_test::temp_dir dir;
  const auto p = random_bits<normed, double>(9);  // any bits, NaNs included, come back as they were
  ctnn::io::save_model(dir / "normed.ctnn", p);
  ctnn::io::save_safetensors(dir / "normed.safetensors", p);
  ctnn::parameters<normed, double> q, s;
  ctnn::io::load_model(dir / "normed.ctnn", q);
  ctnn::io::load_safetensors(dir / "normed.safetensors", s);
  CHECK(std::memcmp(p.data(), q.data(), sizeof(double) * p.size()) == 0);
  CHECK(std::memcmp(p.data(), s.data(), sizeof(double) * p.size()) == 0);
  CHECK(ctnn::io::architecture_signature<normed> !=
        ctnn::io::architecture_signature<normed_graph<std::ratio<1, 5>, std::ratio<1, 4>>>);
  CHECK(ctnn::io::architecture_signature<normed> !=
        ctnn::io::architecture_signature<normed_graph<std::ratio<1, 10>, std::ratio<1, 2>>>);
  ctnn::parameters<normed_graph<std::ratio<1, 5>, std::ratio<1, 4>>, double> other_momentum;
  CHECK_THROWS(ctnn::io::load_model(dir / "normed.ctnn", other_momentum));
}
