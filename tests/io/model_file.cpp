// The native model file: bit-exact round trips, the documented layout, every refusal with a
// message that names the file and the problem, loads that leave the destination alone on error,
// and atomic writes (a failed save leaves the old file and no temporary file behind).

#include <doctest/doctest.h>
#include <sys/resource.h>

#include <bit>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <ctnn/ctnn.hpp>
#include <ctnn/io/model_file.hpp>
#include <random>
#include <ratio>
#include <utility>

#include "test_files.hpp"

namespace {

using xor_net = ctnn::network<ctnn::input<2>, ctnn::dense<8>, ctnn::tanh, ctnn::dense<1>, ctnn::sigmoid>;
using leaky_net = ctnn::network<ctnn::input<3>, ctnn::dense<5>, ctnn::leaky_relu<std::ratio<1, 10>>,
                                ctnn::linear<5, 4>, ctnn::softmax>;
using deep_net = ctnn::network<ctnn::input<4>, ctnn::dense<6>, ctnn::elu<std::ratio<1, 2>>,
                               ctnn::dense<6>, ctnn::gelu, ctnn::dense<2>>;

// The signature is a compile-time string built from the stage list.
static_assert(ctnn::io::architecture_signature<xor_net> == "input<2>,dense<8>,tanh,dense<1>,sigmoid");
static_assert(ctnn::io::architecture_signature<leaky_net> ==
              "input<3>,dense<5>,leaky_relu<1/10>,dense<4>,softmax");
static_assert(ctnn::io::architecture_signature<deep_net> ==
              "input<4>,dense<6>,elu<1/2>,dense<6>,gelu,dense<2>");
// Same function, same parameters: linear<I, O> is dense<O>, an explicit identity adds nothing.
static_assert(ctnn::io::architecture_signature<ctnn::network<ctnn::input<2>, ctnn::linear<2, 3>, ctnn::identity>> ==
              "input<2>,dense<3>");
static_assert(ctnn::io::architecture_hash<xor_net> != ctnn::io::architecture_hash<leaky_net>);

// Every bit pattern matters, so fill with random bits (NaNs with payloads, denormals, -0 included).
template <class Net, class T>
ctnn::parameters<Net, T> random_bits(unsigned seed) {
  ctnn::parameters<Net, T> p;
  std::mt19937_64 rng(seed);
  for (std::size_t k = 0; k < p.size(); ++k)
    p[k] = std::bit_cast<T>(static_cast<ctnn::io::detail::bits_of<T>>(rng()));
  p[0] = T(-0.0);
  return p;
}

template <class Net, class T>
bool same_bits(const ctnn::parameters<Net, T>& a, const ctnn::parameters<Net, T>& b) {
  return std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
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

std::uint32_t le32(const io_test::bytes& b, std::size_t at) {
  return std::uint32_t(b[at]) | std::uint32_t(b[at + 1]) << 8 | std::uint32_t(b[at + 2]) << 16 |
         std::uint32_t(b[at + 3]) << 24;
}
std::uint64_t le64(const io_test::bytes& b, std::size_t at) {
  return std::uint64_t(le32(b, at)) | std::uint64_t(le32(b, at + 4)) << 32;
}

std::size_t files_in(const std::filesystem::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

template <class Net, class T>
void check_round_trip(unsigned seed) {
  io_test::temp_dir dir;
  const auto p = random_bits<Net, T>(seed);
  ctnn::io::save_model(dir / "m.ctnn", p);
  ctnn::parameters<Net, T> q = random_bits<Net, T>(seed + 1);
  REQUIRE_FALSE(same_bits(p, q));
  ctnn::io::load_model(dir / "m.ctnn", q);
  CHECK(same_bits(p, q));
}

}  // namespace

TEST_CASE("CRC-32 is zlib's (the standard check value of \"123456789\")") {
  const std::string text = "123456789";
  const auto* b = reinterpret_cast<const unsigned char*>(text.data());
  CHECK(ctnn::io::detail::crc32({b, text.size()}) == 0xCBF43926u);
  CHECK(ctnn::io::detail::crc32({}) == 0u);
}

TEST_CASE("round trips are bit-exact for float and double") {
  check_round_trip<xor_net, float>(1);
  check_round_trip<xor_net, double>(2);
  check_round_trip<leaky_net, float>(3);
  check_round_trip<leaky_net, double>(4);
  check_round_trip<deep_net, float>(5);
  check_round_trip<deep_net, double>(6);
}

TEST_CASE("the file has the documented layout") {
  io_test::temp_dir dir;
  const auto p = random_bits<xor_net, double>(7);
  ctnn::io::save_model(dir / "m.ctnn", p);
  const auto b = io_test::read_bytes(dir / "m.ctnn");
  const std::string signature = "input<2>,dense<8>,tanh,dense<1>,sigmoid";
  REQUIRE(b.size() == 32 + signature.size() + 33 * 8 + 4);
  CHECK(std::string(b.begin(), b.begin() + 4) == "CTNN");
  CHECK(le32(b, 4) == 1);
  CHECK(le32(b, 8) == 8);
  CHECK(le32(b, 12) == signature.size());
  CHECK(le64(b, 16) == 33);
  // FNV-1a 64, computed here byte by byte from its definition.
  std::uint64_t h = 14695981039346656037u;
  for (char c : signature) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211u;
  CHECK(le64(b, 24) == h);
  CHECK(std::string(b.begin() + 32, b.begin() + 32 + std::ptrdiff_t(signature.size())) == signature);
  const std::size_t data = 32 + signature.size();
  CHECK(le64(b, data) == std::bit_cast<std::uint64_t>(p[0]));
  CHECK(le64(b, data + 8 * 32) == std::bit_cast<std::uint64_t>(p[32]));
  // The trailer is the CRC of everything before it: compare with the table-free bitwise CRC.
  std::uint32_t crc = 0xFFFFFFFFu;
  for (std::size_t k = 0; k + 4 < b.size(); ++k) {
    crc ^= b[k];
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  CHECK(le32(b, b.size() - 4) == (crc ^ 0xFFFFFFFFu));
}

TEST_CASE("refusals name the file and the problem, and leave the destination unchanged") {
  io_test::temp_dir dir;
  const auto file = dir / "x.ctnn";
  const std::string where = "ctnn::io::load_model: '" + file.string() + "': ";
  const auto saved = random_bits<xor_net, float>(8);
  ctnn::io::save_model(file, saved);
  const auto good = io_test::read_bytes(file);
  const auto sentinel = random_bits<xor_net, float>(9);
  auto dest = sentinel;
  const auto load = [&] { return error_of([&] { ctnn::io::load_model(file, dest); }); };

  SUBCASE("another network") {
    auto other = random_bits<leaky_net, float>(10);
    const auto before = other;
    CHECK(error_of([&] { ctnn::io::load_model(file, other); }) ==
          where + "the file was saved for network input<2>,dense<8>,tanh,dense<1>,sigmoid but this "
                  "program's network is input<3>,dense<5>,leaky_relu<1/10>,dense<4>,softmax");
    CHECK(same_bits(other, before));
  }
  SUBCASE("same widths, another activation") {
    using relu_net = ctnn::network<ctnn::input<2>, ctnn::dense<8>, ctnn::relu, ctnn::dense<1>, ctnn::sigmoid>;
    ctnn::parameters<relu_net, float> other{};
    CHECK(error_of([&] { ctnn::io::load_model(file, other); }).find(
              "saved for network input<2>,dense<8>,tanh,") != std::string::npos);
  }
  SUBCASE("another scalar type") {
    auto d = random_bits<xor_net, double>(11);
    const auto before = d;
    CHECK(error_of([&] { ctnn::io::load_model(file, d); }) ==
          where + "the file stores float parameters, this program uses double");
    CHECK(same_bits(d, before));
    ctnn::io::save_model(file, d);
    CHECK(load() == where + "the file stores double parameters, this program uses float");
  }
  SUBCASE("a newer format version") {
    auto b = good;
    b[4] = 2;
    io_test::write_bytes(file, b);
    CHECK(load() == where + "the file has format version 2, newer than this program reads "
                            "(version 1); it was written by a newer ctnn");
  }
  SUBCASE("a big-endian header") {
    auto b = good;
    for (const std::size_t at : {std::size_t{4}, std::size_t{8}, std::size_t{12}})
      std::swap(b[at], b[at + 3]), std::swap(b[at + 1], b[at + 2]);
    io_test::write_bytes(file, b);
    CHECK(load() == where + "the header is big-endian (format version 1 byte-swapped); ctnn model "
                            "files are little-endian on every machine, so this file was not "
                            "written by ctnn's save_model");
  }
  SUBCASE("a truncated file") {
    auto b = good;
    b.resize(b.size() - 5);
    io_test::write_bytes(file, b);
    CHECK(load() == where + "the file is truncated: " + std::to_string(b.size()) +
                        " bytes, its header announces " + std::to_string(good.size()));
    b.resize(20);
    io_test::write_bytes(file, b);
    CHECK(load() == where + "the file is truncated: 20 bytes, it ends inside the 32-byte header");
    b.resize(2);
    io_test::write_bytes(file, b);
    CHECK(load().find("the file is truncated: 2 bytes") != std::string::npos);
  }
  SUBCASE("a flipped parameter bit") {
    auto b = good;
    b[32 + 40 + 17] ^= 0x10;
    io_test::write_bytes(file, b);
    CHECK(load() == where + "the checksum does not match: the file is corrupt");
  }
  SUBCASE("a damaged signature") {
    auto b = good;
    b[32 + 6] = '3';  // input<3>: a plausible but damaged signature
    io_test::write_bytes(file, b);
    CHECK(load() == where + "the header is corrupt (the architecture signature does not match its hash)");
  }
  SUBCASE("trailing bytes") {
    auto b = good;
    b.push_back(0);
    io_test::write_bytes(file, b);
    CHECK(load().find("1 unexpected bytes follow the end of the model") != std::string::npos);
  }
  SUBCASE("not a model file") {
    io_test::write_text(file, "this is a text file\n");
    CHECK(load() == where + "this is not a ctnn model file (it does not start with \"CTNN\")");
  }
  SUBCASE("no file, or a directory") {
    std::filesystem::remove(file);
    CHECK(load() == where + "the file does not exist");
    std::filesystem::create_directory(file);
    CHECK(load() == where + "this is a directory, not a file");
  }
  CHECK(same_bits(dest, sentinel));
}

TEST_CASE("a failed save leaves the old file whole and no temporary file behind") {
  io_test::temp_dir dir;
  const auto file = dir / "m.ctnn";
  const auto old = random_bits<deep_net, double>(12);
  ctnn::io::save_model(file, old);
  const auto old_bytes = io_test::read_bytes(file);
  const auto next = random_bits<deep_net, double>(13);

  SUBCASE("the write itself fails (file size limit: works for root too)") {
    // Beyond RLIMIT_FSIZE write() fails with EFBIG (and raises SIGXFSZ, ignored here).
    rlimit saved{};
    REQUIRE(getrlimit(RLIMIT_FSIZE, &saved) == 0);
    const auto previous_handler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit small = saved;
    small.rlim_cur = 100;
    REQUIRE(setrlimit(RLIMIT_FSIZE, &small) == 0);
    const std::string message = error_of([&] { ctnn::io::save_model(file, next); });
    setrlimit(RLIMIT_FSIZE, &saved);
    std::signal(SIGXFSZ, previous_handler);
    CHECK(message.find("ctnn::io::save_model: '" + file.string() +
                       "': writing the temporary file failed after ") == 0);
    CHECK(message.find("(the file was not changed; the temporary file was removed)") !=
          std::string::npos);
  }
  SUBCASE("the final rename fails (the destination is a directory)") {
    const auto as_dir = dir / "d.ctnn";
    std::filesystem::create_directory(as_dir);
    CHECK(error_of([&] { ctnn::io::save_model(as_dir, next); })
              .find("renaming the temporary file over the destination failed") != std::string::npos);
    CHECK(std::filesystem::is_directory(as_dir));
    std::filesystem::remove(as_dir);
  }
  SUBCASE("the directory does not exist") {
    CHECK(error_of([&] { ctnn::io::save_model(dir / "missing" / "m.ctnn", next); }) ==
          "ctnn::io::save_model: '" + (dir / "missing" / "m.ctnn").string() +
              "': the directory '" + (dir / "missing").string() + "' does not exist");
  }
  CHECK(io_test::read_bytes(file) == old_bytes);
  CHECK(files_in(dir / "") == 1);  // only m.ctnn: the temporary file is gone

  // And a save that succeeds replaces the file.
  ctnn::io::save_model(file, next);
  ctnn::parameters<deep_net, double> back{};
  ctnn::io::load_model(file, back);
  CHECK(same_bits(back, next));
  CHECK(files_in(dir / "") == 1);
}
