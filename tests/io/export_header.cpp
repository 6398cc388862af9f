// export_header: a generated header, compiled by the same compiler with the same flags into a
// separate program, reproduces the in-memory network bit for bit; and the committed fixture
// data/xor_model.hpp (a trained XOR net, written by the exporter) is exactly what the exporter
// writes today, gives the XOR truth table, and works in constant evaluation.
//
// Built by tests/meson.build with CTNN_TEST_CXX (the compile command of our tests, without the
// source) and CTNN_TEST_DATA_DIR (this folder's data/).

#include <doctest/doctest.h>

#include <array>
#include <cstdio>
#include <ctnn/ctnn.hpp>
#include <ctnn/io/export_header.hpp>
#include <random>
#include <ratio>
#include <sstream>

#include "data/xor_model.hpp"
#include "test_files.hpp"

#ifndef CTNN_TEST_CXX
#error "tests/io/export_header.cpp needs -DCTNN_TEST_CXX=\"<compiler and flags>\" (see tests/meson.build)"
#endif
#ifndef CTNN_TEST_DATA_DIR
#error "tests/io/export_header.cpp needs -DCTNN_TEST_DATA_DIR=\"<tests/io/data>\" (see tests/meson.build)"
#endif

namespace {

// The fixture works in constant evaluation: its values are the exporter's exact literals, and a
// forward pass runs in a static_assert.
static_assert(xor_model::parameters.size() == 17);
static_assert(xor_model::parameters[0] == 0x1.44f7acp+1f);
static_assert(xor_model::parameters.layer<1>().bias(0) == 0x1.18ff8ep+1f);
static_assert(ctnn::forward(xor_model::parameters, std::array<float, 2>{1, 0})[0] > 0.99f);
static_assert(ctnn::forward(xor_model::parameters, std::array<float, 2>{1, 1})[0] < 0.01f);

using leaky_net = ctnn::network<ctnn::input<3>, ctnn::linear<3, 5>, ctnn::leaky_relu<std::ratio<1, 10>>,
                                ctnn::dense<4>, ctnn::softmax>;
using smooth_net = ctnn::network<ctnn::input<2>, ctnn::dense<6>, ctnn::elu<std::ratio<1, 2>>,
                                 ctnn::dense<3>, ctnn::gelu, ctnn::dense<2>, ctnn::swish>;

// A GRU over 4 steps of 3 values, its last hidden state into a dense head.
namespace recurrent {
using x = ctnn::op::input<"x", 4, 3>;
using y = ctnn::op::dense<"head", 2, ctnn::last_hidden<ctnn::recurrent<ctnn::gru_cell<"gru", 3, 5>, 4, x>>>;
using net = ctnn::graph<ctnn::outputs<y>>;
}  // namespace recurrent

template <class Net, class T>
ctnn::parameters<Net, T> random_values(unsigned seed) {
  ctnn::parameters<Net, T> p;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1.5, 1.5);
  for (std::size_t k = 0; k < p.size(); ++k) p[k] = static_cast<T>(u(rng));
  p[1] = T(-0.0);
  p[2] = std::numeric_limits<T>::denorm_min() * 3;  // a subnormal survives too
  return p;
}

// The lines the generated program prints: every parameter, then forward() of each input.
template <class Net, class T, std::size_t N>
std::string expected_lines(const ctnn::parameters<Net, T>& p, const std::array<std::array<T, Net::input_size>, N>& xs) {
  std::string out;
  char line[64];
  for (std::size_t k = 0; k < p.size(); ++k) {
    std::snprintf(line, sizeof line, "%a\n", double(p[k]));
    out += line;
  }
  for (const auto& x : xs)
    for (T y : ctnn::forward(p, x)) {
      std::snprintf(line, sizeof line, "%a\n", double(y));
      out += line;
    }
  return out;
}

std::string read_text(const std::filesystem::path& file) {
  const auto b = io_test::read_bytes(file);
  return std::string(b.begin(), b.end());
}

}  // namespace

TEST_CASE("a generated header, compiled into another program, reproduces the network bit for bit") {
  io_test::temp_dir dir;
  const auto leaky = random_values<leaky_net, float>(1);
  const auto smooth = random_values<smooth_net, double>(2);
  ctnn::io::export_header(dir / "leaky_model.hpp", leaky, "leaky_model");
  ctnn::io::export_header(dir / "smooth_model.hpp", smooth, "models::smooth");
  const auto gru = random_values<recurrent::net, float>(3);
  ctnn::io::export_header(dir / "gru_model.hpp", gru, "gru_model");

  const std::array<std::array<float, 3>, 3> xs_leaky = {{{0.5f, -1, 2}, {-3, 0.25f, 1}, {0, 0, 0}}};
  const std::array<std::array<double, 2>, 3> xs_smooth = {{{0.5, -1}, {-3, 0.25}, {2, 2}}};
  const std::array<std::array<float, 12>, 2> xs_gru = {{{0.5f, -1, 2, 0, 1, 1, -2, 0.25f, 3, 1, 0, -1}, {}}};
  io_test::write_text(dir / "main.cpp", R"(#include "leaky_model.hpp"
#include "smooth_model.hpp"
#include "gru_model.hpp"
#include <cstdio>
template <class P, class X>
void print(const P& p, const X& xs) {
  for (std::size_t k = 0; k < p.size(); ++k) std::printf("%a\n", double(p[k]));
  for (const auto& x : xs)
    for (auto y : ctnn::forward(p, x)) std::printf("%a\n", double(y));
}
int main() {
  static_assert(std::is_same_v<leaky_model::scalar, float> && std::is_same_v<models::smooth::scalar, double>);
  const std::array<std::array<float, 3>, 3> xs_leaky = {{{0.5f, -1, 2}, {-3, 0.25f, 1}, {0, 0, 0}}};
  const std::array<std::array<double, 2>, 3> xs_smooth = {{{0.5, -1}, {-3, 0.25}, {2, 2}}};
  print(leaky_model::parameters, xs_leaky);
  print(models::smooth::parameters, xs_smooth);
  const std::array<std::array<float, 12>, 2> xs_gru = {{{0.5f, -1, 2, 0, 1, 1, -2, 0.25f, 3, 1, 0, -1}, {}}};
  print(gru_model::parameters, xs_gru);
}
)");
  const std::string compile = std::string(CTNN_TEST_CXX) + " -o '" + (dir / "main").string() +
                              "' '" + (dir / "main.cpp").string() + "' 2> '" +
                              (dir / "compile.log").string() + "'";
  const int compiled = std::system(compile.c_str());
  INFO("compile command: ", compile, "\ncompiler output:\n", read_text(dir / "compile.log"));
  REQUIRE(compiled == 0);
  const std::string run = "'" + (dir / "main").string() + "' > '" + (dir / "out.txt").string() + "'";
  REQUIRE(std::system(run.c_str()) == 0);
  CHECK(read_text(dir / "out.txt") == expected_lines(leaky, xs_leaky) + expected_lines(smooth, xs_smooth) +
                                          expected_lines(gru, xs_gru));
}

TEST_CASE("the generated text: types spelled as written, exact literals, non-finite values") {
  auto p = random_values<leaky_net, float>(3);
  p[0] = 1.0f;
  p[3] = -std::numeric_limits<float>::infinity();
  p[4] = std::numeric_limits<float>::quiet_NaN();
  const std::string text = ctnn::io::header_text(p, "n");
  CHECK(text.find("using network = ctnn::network<ctnn::input<3>, ctnn::linear<3, 5>, "
                  "ctnn::leaky_relu<std::ratio<1, 10>>, ctnn::dense<4>, ctnn::softmax>;\n") != std::string::npos);
  CHECK(text.find("using scalar = float;\n") != std::string::npos);
  CHECK(text.find("    0x1p+0f, -0x0p+0f, 0x0.000006p-126f, -std::numeric_limits<scalar>::infinity(),\n"
                  "    std::numeric_limits<scalar>::quiet_NaN(),") != std::string::npos);
  const auto d = random_values<smooth_net, double>(4);
  const std::string dtext = ctnn::io::header_text(d, "m");
  CHECK(dtext.find("ctnn::elu<std::ratio<1, 2>>, ctnn::dense<3>, ctnn::gelu, ctnn::dense<2>, ctnn::swish>;") != std::string::npos);
  CHECK(dtext.find("using scalar = double;") != std::string::npos);
  // step and sign (forward only) export like every other activation of ctnn's.
  using threshold_net = ctnn::network<ctnn::input<2>, ctnn::dense<3>, ctnn::step, ctnn::dense<1>,
                                      ctnn::sign>;
  const auto s = random_values<threshold_net, float>(5);
  CHECK(ctnn::io::header_text(s, "t").find("ctnn::dense<3>, ctnn::step, ctnn::dense<1>, ctnn::sign>;") !=
        std::string::npos);
}

TEST_CASE("a namespace name that is not an identifier is refused") {
  io_test::temp_dir dir;
  const auto p = random_values<leaky_net, float>(5);
  for (const char* bad : {"", "2model", "a-b", "a::", "::a", "a:::b", "a b"}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(ctnn::io::export_header(dir / "h.hpp", p, bad),
                         doctest::Contains("is not a valid C++ namespace name"), ctnn::io::file_error);
  }
  CHECK_NOTHROW(ctnn::io::export_header(dir / "h.hpp", p, "_a1::b2"));
}

TEST_CASE("the committed XOR fixture is the exporter's output and computes XOR") {
  // Re-exporting the fixture's own values must give the file byte for byte, so the fixture can
  // never drift from what the exporter writes.
  CHECK(ctnn::io::header_text(xor_model::parameters, "xor_model") ==
        read_text(std::filesystem::path(CTNN_TEST_DATA_DIR) / "xor_model.hpp"));
  // The outputs the generating program printed after training (scalar and SIMD exp differ by a
  // few ulps, hence the tolerance), and the truth table.
  const std::array<float, 4> trained = {0x1.a1309ep-13f, 0x1.fefce8p-1f, 0x1.ff01dap-1f, 0x1.4e2fecp-9f};
  const std::array<std::array<float, 2>, 4> xs = {{{0, 0}, {0, 1}, {1, 0}, {1, 1}}};
  for (std::size_t s = 0; s < 4; ++s) {
    const float y = ctnn::forward(xor_model::parameters, xs[s])[0];
    CHECK(y == doctest::Approx(trained[s]).epsilon(1e-5));
    CHECK((y > 0.5f) == (s == 1 || s == 2));
  }
}
