// safetensors: PyTorch nn.Sequential names and shapes, bit-exact round trips, F32 <-> F64
// conversion, files written by hand the way other writers do, and a strict reader: every lying
// or malformed header is a file_error naming the file and the problem.

#include <doctest/doctest.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <ctnn/ctnn.hpp>
#include <ctnn/io/safetensors.hpp>
#include <random>
#include <ratio>

#include "test_files.hpp"

namespace {

using net = ctnn::network<ctnn::input<4>, ctnn::dense<8>, ctnn::relu, ctnn::dense<3>>;
using leaky_net = ctnn::network<ctnn::input<3>, ctnn::dense<5>, ctnn::leaky_relu<std::ratio<1, 10>>,
                                ctnn::dense<2>, ctnn::dense<4>, ctnn::softmax>;

template <class Net, class T>
ctnn::parameters<Net, T> random_values(unsigned seed) {
  ctnn::parameters<Net, T> p;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-2, 2);
  for (std::size_t k = 0; k < p.size(); ++k) p[k] = static_cast<T>(u(rng));
  return p;
}

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const ctnn::io::file_error& e) {
    return e.what();
  }
  return "(no file_error)";
}

// A safetensors file from a header text and data bytes, as any writer would lay it out.
io_test::bytes make_file(std::string header, const io_test::bytes& data, bool pad = true) {
  if (pad) header.append((8 - header.size() % 8) % 8, ' ');
  io_test::bytes out(8 + header.size() + data.size());
  for (int k = 0; k < 8; ++k) out[k] = static_cast<unsigned char>(std::uint64_t(header.size()) >> (8 * k));
  std::memcpy(out.data() + 8, header.data(), header.size());
  if (!data.empty()) std::memcpy(out.data() + 8 + header.size(), data.data(), data.size());
  return out;
}

void put_f32(io_test::bytes& out, float v) {
  const auto u = std::bit_cast<std::uint32_t>(v);
  for (int k = 0; k < 4; ++k) out.push_back(static_cast<unsigned char>(u >> (8 * k)));
}
void put_f64(io_test::bytes& out, double v) {
  const auto u = std::bit_cast<std::uint64_t>(v);
  for (int k = 0; k < 8; ++k) out.push_back(static_cast<unsigned char>(u >> (8 * k)));
}

// The header of `net` with the given dtype and offsets in the order weight0, bias0, weight2, bias2.
std::string net_header(const char* dtype, std::size_t size) {
  const std::size_t w0 = 32 * size, b0 = w0 + 8 * size, w2 = b0 + 24 * size, b2 = w2 + 3 * size;
  return std::string("{\"0.weight\":{\"dtype\":\"") + dtype + "\",\"shape\":[8,4],\"data_offsets\":[0," +
         std::to_string(w0) + "]},\"0.bias\":{\"dtype\":\"" + dtype + "\",\"shape\":[8],\"data_offsets\":[" +
         std::to_string(w0) + "," + std::to_string(b0) + "]},\"2.weight\":{\"dtype\":\"" + dtype +
         "\",\"shape\":[3,8],\"data_offsets\":[" + std::to_string(b0) + "," + std::to_string(w2) +
         "]},\"2.bias\":{\"dtype\":\"" + dtype + "\",\"shape\":[3],\"data_offsets\":[" +
         std::to_string(w2) + "," + std::to_string(b2) + "]}}";
}

}  // namespace

TEST_CASE("round trips are bit-exact; F32 and F64 files load into either scalar type") {
  io_test::temp_dir dir;
  const auto pf = random_values<leaky_net, float>(1);
  const auto pd = random_values<leaky_net, double>(2);
  ctnn::io::save_safetensors(dir / "f.safetensors", pf);
  ctnn::io::save_safetensors(dir / "d.safetensors", pd);
  ctnn::parameters<leaky_net, float> qf{};
  ctnn::parameters<leaky_net, double> qd{};
  ctnn::io::load_safetensors(dir / "f.safetensors", qf);
  ctnn::io::load_safetensors(dir / "d.safetensors", qd);
  CHECK(qf == pf);
  CHECK(qd == pd);
  // Across types: float -> double is exact, double -> float rounds as a cast does.
  ctnn::io::load_safetensors(dir / "f.safetensors", qd);
  ctnn::io::load_safetensors(dir / "d.safetensors", qf);
  for (std::size_t k = 0; k < pf.size(); ++k) {
    CHECK(qd[k] == double(pf[k]));
    CHECK(qf[k] == static_cast<float>(pd[k]));
  }
}

TEST_CASE("the file uses nn.Sequential names, shapes and W row-major, 8-byte aligned") {
  io_test::temp_dir dir;
  const auto p = random_values<net, float>(3);
  ctnn::io::save_safetensors(dir / "m.safetensors", p);
  const auto b = io_test::read_bytes(dir / "m.safetensors");
  std::uint64_t n = 0;
  for (int k = 7; k >= 0; --k) n = n << 8 | b[k];
  CHECK((8 + n) % 8 == 0);
  const std::string header(b.begin() + 8, b.begin() + 8 + std::ptrdiff_t(n));
  CHECK(header.find(R"("0.weight":{"dtype":"F32","shape":[8, 4],"data_offsets":[0,128]})") != std::string::npos);
  CHECK(header.find(R"("0.bias":{"dtype":"F32","shape":[8],"data_offsets":[128,160]})") != std::string::npos);
  CHECK(header.find(R"("2.weight":{"dtype":"F32","shape":[3, 8],"data_offsets":[160,256]})") != std::string::npos);
  CHECK(header.find(R"("2.bias":{"dtype":"F32","shape":[3],"data_offsets":[256,268]})") != std::string::npos);
  CHECK(header.find(R"("__metadata__":{"format":"pt","ctnn.network":"input<4>,dense<8>,relu,dense<3>"})") !=
        std::string::npos);
  CHECK(b.size() == 8 + n + 268);
  // 2.weight[1][5] = W(1, 5) of the second dense layer, at 160 + 4 * (1 * 8 + 5).
  float w;
  std::memcpy(&w, b.data() + 8 + n + 160 + 4 * 13, 4);
  CHECK(w == p.layer<1>().weight(1, 5));
  // Index 2 counts the relu module; a dense layer without activation takes one index.
  using three = ctnn::network<ctnn::input<2>, ctnn::dense<3>, ctnn::dense<3>, ctnn::tanh, ctnn::dense<1>>;
  const auto slots = ctnn::io::detail::graph_tensors<three>();
  REQUIRE(slots.size() == 6);
  CHECK(slots[2].name == "1.weight");
  CHECK(slots[4].name == "3.weight");
}

TEST_CASE("files laid out by other writers load: any key order, no metadata, escapes, F64") {
  io_test::temp_dir dir;
  // Tensor data in another order than the header's keys, values k/8 so they are exact.
  io_test::bytes data;
  for (int k = 0; k < 3; ++k) put_f64(data, 200 + k);        // 2.bias   [0, 24)
  for (int k = 0; k < 32; ++k) put_f64(data, k / 8.0);       // 0.weight [24, 280)
  for (int k = 0; k < 8; ++k) put_f64(data, -k / 8.0);       // 0.bias   [280, 344)
  for (int k = 0; k < 24; ++k) put_f64(data, 100 + k / 8.0); // 2.weight [344, 536)
  const std::string header =
      "{ \"2.bias\" : {\"shape\": [3], \"dtype\": \"F64\", \"data_offsets\": [0, 24]},\n"
      "  \"\\u0030.weight\": {\"dtype\": \"F64\", \"shape\": [8, 4], \"data_offsets\": [24, 280]},\n"
      "  \"0.bias\": {\"dtype\": \"F64\", \"shape\": [8], \"data_offsets\": [280, 344]},\n"
      "  \"2.weight\": {\"dtype\": \"F64\", \"shape\": [3, 8], \"data_offsets\": [344, 536]},\n"
      "  \"__metadata__\": {\"note\": \"tab\\tquote\\\" \\ud83d\\ude00\"} }";
  io_test::write_bytes(dir / "m.safetensors", make_file(header, data));
  ctnn::parameters<net, float> p{};
  ctnn::io::load_safetensors(dir / "m.safetensors", p);
  CHECK(p.layer<0>().weight(0, 0) == 0.0f);
  CHECK(p.layer<0>().weight(7, 3) == 31 / 8.0f);
  CHECK(p.layer<0>().bias(5) == -5 / 8.0f);
  CHECK(p.layer<1>().weight(2, 7) == 100 + 23 / 8.0f);
  CHECK(p.layer<1>().bias(2) == 202.0f);
}

TEST_CASE("lying or malformed headers are refused with the file and the problem named") {
  io_test::temp_dir dir;
  const auto file = dir / "bad.safetensors";
  const std::string where = "ctnn::io::load_safetensors: '" + file.string() + "': ";
  io_test::bytes data;
  for (int k = 0; k < 67; ++k) put_f32(data, float(k));
  const auto sentinel = random_values<net, float>(4);
  auto p = sentinel;
  const auto load = [&](const io_test::bytes& bytes) {
    io_test::write_bytes(file, bytes);
    return error_of([&] { ctnn::io::load_safetensors(file, p); });
  };
  const std::string good = net_header("F32", 4);
  auto replaced = [&](std::string from, std::string to) {
    std::string h = good;
    const auto at = h.find(from);
    REQUIRE(at != std::string::npos);
    return h.replace(at, from.size(), to);
  };
  REQUIRE(load(make_file(good, data)) == "(no file_error)");
  p = sentinel;

  SUBCASE("header length larger than the file") {
    auto b = make_file(good, data);
    b[3] = 1;  // + 2^24
    CHECK(load(b).find(where + "the header length ") == 0);
    CHECK(load(b).find("exceeds the file (" + std::to_string(b.size()) + " bytes)") != std::string::npos);
  }
  SUBCASE("shorter than the length field") {
    CHECK(load({1, 2, 3}) == where + "the file is truncated: 3 bytes, a safetensors file starts "
                                     "with an 8-byte header length");
  }
  SUBCASE("offsets past the end of the data (a truncated file)") {
    auto b = make_file(good, data);
    b.resize(b.size() - 4);
    CHECK(load(b) == where + "tensor '2.bias': data_offsets [256, 268] reach past the end of the "
                             "data (264 bytes): the file is truncated or its header is wrong");
  }
  SUBCASE("overlapping ranges") {
    CHECK(load(make_file(replaced("[128,160]", "[124,156]"), data)).find(where + "tensors '0.weight' and '0.bias' overlap") == 0);
  }
  SUBCASE("a gap in the data") {
    CHECK(load(make_file(replaced("[0,128]", "[0,124]"), data)).find("tensor '0.weight': shape [8, 4] of dtype F32 needs 128 bytes, but data_offsets [0, 124] hold 124") != std::string::npos);
    auto more = data;
    put_f32(more, 1);
    CHECK(load(make_file(good, more)) == where + "4 bytes after the last tensor belong to no tensor");
  }
  SUBCASE("shape product differs from the byte size") {
    CHECK(load(make_file(replaced("\"shape\":[8]", "\"shape\":[9]"), data)) ==
          where + "tensor '0.bias': shape [9] of dtype F32 needs 36 bytes, but data_offsets [128, 160] hold 32");
  }
  SUBCASE("a shape the network does not have") {
    std::string h = replaced("\"shape\":[8,4]", "\"shape\":[4,8]");
    CHECK(load(make_file(h, data)) == where + "tensor '0.weight' has shape [4, 8], network "
                                              "input<4>,dense<8>,relu,dense<3> expects [8, 4]");
  }
  SUBCASE("a missing and an extra tensor") {
    CHECK(load(make_file(replaced("\"2.bias\"", "\"3.bias\""), data)) ==
          where + "tensor '2.bias' (shape [3]) is missing; network input<4>,dense<8>,relu,dense<3> needs it");
    std::string h = good;
    h.insert(h.size() - 1, ",\"extra\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[268,268]}");
    CHECK(load(make_file(h, data)) == where + "unexpected tensor 'extra': network input<4>,dense<8>,relu,"
                                              "dense<3> has exactly 0.weight, 0.bias, 2.weight, 2.bias");
  }
  SUBCASE("an unsupported dtype") {
    CHECK(load(make_file(replaced("\"dtype\":\"F32\"", "\"dtype\":\"F16\""), data)) ==
          where + "tensor '0.weight' has dtype F16, which ctnn does not read (it reads F32 and F64)");
    CHECK(load(make_file(replaced("\"dtype\":\"F32\"", "\"dtype\":\"Q7\""), data)) ==
          where + "tensor '0.weight' has an unknown dtype Q7");
  }
  SUBCASE("saved for another network (ctnn's metadata)") {
    std::string h = good;
    h.insert(1, "\"__metadata__\":{\"ctnn.network\":\"input<4>,dense<8>,tanh,dense<3>\"},");
    CHECK(load(make_file(h, data)) == where + "the file was saved for network input<4>,dense<8>,tanh,"
                                              "dense<3> but this program's network is input<4>,dense<8>,relu,dense<3>");
  }
  SUBCASE("JSON this reader does not accept") {
    CHECK(load(make_file(replaced("[8]", "[true]"), data)).find("true, false and null have no meaning") != std::string::npos);
    CHECK(load(make_file(replaced("[8]", "[-8]"), data)).find("negative numbers") != std::string::npos);
    CHECK(load(make_file(replaced("[8]", "[8.0]"), data)).find("fractional numbers") != std::string::npos);
    CHECK(load(make_file(replaced("[8]", "[08]"), data)).find("a number with a leading zero") != std::string::npos);
    CHECK(load(make_file(replaced("[8]", "[8,]"), data)).find("unexpected character ']'") != std::string::npos);
    CHECK(load(make_file(replaced("\"0.bias\"", "\"0.weight\""), data)).find("duplicate key \"0.weight\"") != std::string::npos);
    CHECK(load(make_file(replaced("\"0.bias\"", "\"0.b\\qias\""), data)).find("unknown escape '\\q'") != std::string::npos);
    CHECK(load(make_file(replaced("\"0.bias\"", "\"0.\\ud800bias\""), data)).find("high surrogate without") != std::string::npos);
    CHECK(load(make_file(good + "x", data)) .find("unexpected text after the end") != std::string::npos);
    CHECK(load(make_file(std::string(40, '['), data)) == where + "the header does not start with '{' (not a safetensors file?)");
    CHECK(load(make_file("{" + std::string(20, '[') + std::string(20, ']') + "}", data)).find("expected a member name") != std::string::npos);
    CHECK(load(make_file("{\"a\":" + std::string(20, '[') + std::string(20, ']') + "}", data)).find("nesting deeper than 16 levels") != std::string::npos);
    // The byte offset counts from the start of the file (8 length bytes first).
    CHECK(load(make_file("{\"a\" 1}", data)) == where + "byte 13: invalid safetensors header: expected ':', found '1'");
  }
  SUBCASE("a double beyond float's range") {
    io_test::bytes d64;
    for (int k = 0; k < 67; ++k) put_f64(d64, k == 40 ? 1e300 : 0.0);
    std::string h = net_header("F64", 8);
    h.append((8 - h.size() % 8) % 8, ' ');
    // Element 40 of the data is the first of 2.weight (after 32 + 8 values of layer 0).
    CHECK(load(make_file(h, d64)) == where + "byte " + std::to_string(8 + h.size() + 8 * 40) +
                                         ": value 1.0000000000000001e+300 of tensor '2.weight' "
                                         "(element 0) is beyond the range of float");
  }
  CHECK(p == sentinel);
}
