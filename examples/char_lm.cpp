// A character-level language model trained with truncated backpropagation through time
// (ctnn::fit_stream) on real English text that a Debian package ships: the quotations of the
// `fortunes` package (/usr/share/games/fortunes, installed by scripts/setup.sh). A GRU reads the
// text one character at a time in windows of 32 steps, its state carried from window to window;
// a dense layer on every step predicts the next character. It reports, on the last 10% of the
// text (held out), the bits per character of the net against those of a unigram and a bigram
// model fitted on the same training part, and the entropies of the text's own unigram and bigram
// statistics; then it generates text one character at a time with the trained weights, from the
// same parameters run as a one-step net (ctnn::parameters_by_name). It ends with
//   result: bits_per_char=<x> unigram=<u> bigram=<b> train_seconds=<s> chars_per_second=<n>
//
// Usage: char_lm [--epochs N] [--streams N] [--lr X] [--threads N] [--seed S] [--limit N]
//                [--text FILE|DIR] [--sample N]
// Without the fortunes package it says how to install it and reads the GPL's text
// (/usr/share/common-licenses/GPL-3, in every Debian system) instead.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctnn/ctnn.hpp>
#include <ctnn/nn/recurrent.hpp>
#include <ctnn/train/fit_stream.hpp>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "arguments.hpp"

namespace {

// The alphabet: newline and printable ASCII (96 symbols). Tabs become spaces; other bytes (the
// few non-ASCII letters, control characters) are left out of the text.
constexpr std::size_t symbols = 96;
constexpr int symbol_of(unsigned char c) {
  if (c == '\n') return 0;
  if (c == '\t') c = ' ';
  if (c >= 32 && c < 127) return c - 31;
  return -1;
}
constexpr char char_of(std::size_t s) { return s == 0 ? '\n' : static_cast<char>(s + 31); }

// [graph]
namespace op = ctnn::op;
constexpr std::size_t hidden = 256;
// A window of W one-hot characters and the carried state → a GRU → the next character's logits
// at every step; the objective sums the steps' cross-entropies.
template <std::size_t W>
struct language_model {
  using x = op::input<"x", W, symbols>;
  using start = op::input<"start", hidden>;
  using gru = ctnn::recurrent<ctnn::gru_cell<"gru", symbols, hidden>, W, x, start>;
  using logits = op::dense_rows<"head", symbols, ctnn::hidden_sequence<gru>>;
  using net = ctnn::graph<ctnn::inputs<x, start>, ctnn::outputs<logits, ctnn::final_state<gru>>,
                          ctnn::objective<op::step_softmax_cross_entropy<logits>>>;
};
constexpr std::size_t window = 32;
using net = language_model<window>::net;    // trained on windows of 32 steps
using one_step = language_model<1>::net;   // the same blocks, one step at a time
// [graph]

struct options {
  std::size_t epochs = 3;
  std::size_t streams = 64;
  double lr = 3e-3;
  std::size_t threads = 2;
  std::uint64_t seed = 1;
  std::size_t limit = 0;
  std::string text = "/usr/share/games/fortunes";
  std::size_t sample = 400;
};

options parse(int argc, char** argv) {
  const char* usage =
      "usage: char_lm [--epochs N] [--streams N] [--lr X] [--threads N] [--seed S] [--limit N]\n"
      "               [--text FILE|DIR] [--sample N]\n";
  const examples::arguments args{"char_lm", usage};
  options o;
  for (int k = 1; k < argc; ++k) {
    const std::string_view arg = argv[k];
    if (arg == "--help" || arg == "-h") {
      std::printf("%s", usage);
      std::exit(0);
    }
    if (k + 1 >= argc) args.bad("unknown option or missing value: '" + std::string(arg) + "'");
    const char* value = argv[++k];
    if (arg == "--epochs") o.epochs = args.count("--epochs", value, false);
    else if (arg == "--streams") o.streams = args.count("--streams", value, false);
    else if (arg == "--lr") o.lr = args.real("--lr", value, 0, 1, true);
    else if (arg == "--threads") o.threads = args.count("--threads", value, false);
    else if (arg == "--seed") o.seed = args.count("--seed", value, true);
    else if (arg == "--limit") o.limit = args.count("--limit", value, true);
    else if (arg == "--text") o.text = value;
    else if (arg == "--sample") o.sample = args.count("--sample", value, true);
    else args.bad("unknown option '" + std::string(arg) + "'");
  }
  if (o.lr == 0) args.bad("--lr must be above 0");
  return o;
}

// The text as symbols: a file, or every regular file of a directory in name order (the
// fortunes' index files, *.dat, left out).
std::vector<std::uint8_t> read_text(const std::string& where) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  if (fs::is_directory(where)) {
    for (const auto& e : fs::directory_iterator(where))
      if (e.is_regular_file() && !e.is_symlink() && e.path().extension() != ".dat") files.push_back(e.path());
    std::sort(files.begin(), files.end());
  } else {
    files.emplace_back(where);
  }
  std::vector<std::uint8_t> text;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + f.string());
    for (auto it = std::istreambuf_iterator<char>(in); it != std::istreambuf_iterator<char>(); ++it) {
      const int s = symbol_of(static_cast<unsigned char>(*it));
      if (s >= 0) text.push_back(static_cast<std::uint8_t>(s));
    }
  }
  return text;
}

// Bits per symbol of `test` under add-one smoothed unigram and bigram models fitted on `train`,
// and the entropies of the whole text's own unigram and bigram (conditional) statistics.
struct baselines {
  double unigram = 0, bigram = 0, unigram_entropy = 0, bigram_entropy = 0;
};
baselines count_baselines(std::span<const std::uint8_t> train, std::span<const std::uint8_t> test,
                          std::span<const std::uint8_t> all) {
  baselines b;
  std::vector<double> uni(symbols, 1.0), bi(symbols * symbols, 1.0);
  for (std::size_t i = 0; i < train.size(); ++i) {
    uni[train[i]] += 1;
    if (i > 0) bi[train[i - 1] * symbols + train[i]] += 1;
  }
  double total = 0;
  for (double u : uni) total += u;
  std::vector<double> row(symbols, 0.0);
  for (std::size_t a = 0; a < symbols; ++a)
    for (std::size_t c = 0; c < symbols; ++c) row[a] += bi[a * symbols + c];
  for (std::size_t i = 1; i < test.size(); ++i) {
    b.unigram -= std::log2(uni[test[i]] / total);
    b.bigram -= std::log2(bi[test[i - 1] * symbols + test[i]] / row[test[i - 1]]);
  }
  b.unigram /= double(test.size() - 1);
  b.bigram /= double(test.size() - 1);
  std::vector<double> u(symbols, 0.0), pair(symbols * symbols, 0.0);
  for (std::size_t i = 0; i < all.size(); ++i) {
    u[all[i]] += 1;
    if (i > 0) pair[all[i - 1] * symbols + all[i]] += 1;
  }
  const double n = double(all.size()), pairs = double(all.size() - 1);
  for (std::size_t a = 0; a < symbols; ++a) {
    if (u[a] > 0) b.unigram_entropy -= u[a] / n * std::log2(u[a] / n);
    double from = 0;
    for (std::size_t c = 0; c < symbols; ++c) from += pair[a * symbols + c];
    for (std::size_t c = 0; c < symbols; ++c)
      if (pair[a * symbols + c] > 0)
        b.bigram_entropy -= pair[a * symbols + c] / pairs * std::log2(pair[a * symbols + c] / from);
  }
  return b;
}

// Inputs (one-hot of each character) and targets (one-hot of the next) of a stretch of text.
struct steps {
  std::vector<float> x, t;
};
steps one_hot_steps(std::span<const std::uint8_t> text) {
  steps s;
  const std::size_t n = text.size() - 1;
  s.x.assign(n * symbols, 0.0f);
  s.t.assign(n * symbols, 0.0f);
  for (std::size_t i = 0; i < n; ++i) {
    s.x[i * symbols + text[i]] = 1;
    s.t[i * symbols + text[i + 1]] = 1;
  }
  return s;
}

// Text from the trained weights, one character at a time: the one-step net's next-character
// distribution at temperature 0.8, the state carried; starts from `prompt`.
std::string generate(const ctnn::parameters<one_step, float>& p, std::string_view prompt,
                     std::size_t count, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::array<float, symbols> x{};
  std::array<float, hidden> state{};
  std::array<float, symbols> logits{};
  std::string out(prompt);
  const auto advance = [&](std::size_t symbol) {
    x.fill(0);
    x[symbol] = 1;
    auto [y, next] = ctnn::forward(p, std::tuple{std::span<const float, symbols>(x),
                                                 std::span<const float, hidden>(state)});
    logits = y;
    state = next;
  };
  for (char c : prompt) advance(std::size_t(symbol_of(static_cast<unsigned char>(c))));
  for (std::size_t k = 0; k < count; ++k) {
    constexpr double temperature = 0.8;
    const float top = *std::max_element(logits.begin(), logits.end());
    std::array<double, symbols> weight{};
    for (std::size_t s = 0; s < symbols; ++s) weight[s] = std::exp((logits[s] - top) / temperature);
    std::discrete_distribution<std::size_t> pick(weight.begin(), weight.end());
    const std::size_t s = pick(rng);
    out += char_of(s);
    advance(s);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) try {
  const options o = parse(argc, argv);
  std::string source = o.text;
  if (!std::filesystem::exists(source)) {
    std::printf("%s not found: install Debian's `fortunes` package (scripts/setup.sh does) for the "
                "full text; using the GPL's text instead\n",
                source.c_str());
    source = "/usr/share/common-licenses/GPL-3";
  }
  std::vector<std::uint8_t> text = read_text(source);
  if (o.limit > 0 && text.size() > o.limit) text.resize(o.limit);
  if (text.size() < 20 * window) throw std::runtime_error("the text is too short: " + std::to_string(text.size()) + " characters");
  const std::size_t held = text.size() / 10;
  const std::span<const std::uint8_t> all(text), train_text = all.first(text.size() - held),
                                       test_text = all.last(held);
  const baselines base = count_baselines(train_text, test_text, all);
  const steps train = one_hot_steps(train_text), test = one_hot_steps(test_text);

  auto p = std::make_unique<ctnn::parameters<net, float>>();
  ctnn::initialize(*p, o.seed);
  // [fit]
  ctnn::fit_options fo;
  fo.epochs = o.epochs;
  fo.batch_size = o.streams;  // streams side by side, each carrying its state
  fo.threads = o.threads;
  fo.seed = o.seed;
  fo.clip_norm = 5;
  const ctnn::stream_data<float> train_stream{train.x, train.t}, test_stream{test.x, test.t};
  const ctnn::cosine_lr schedule(o.lr, ctnn::fit_stream_steps<net>(train_text.size() - 1, fo));
  auto opt = std::make_unique<ctnn::adam<net, float>>();
  const ctnn::fit_result r = ctnn::fit_stream(*p, *opt, schedule, train_stream, fo, &test_stream);
  // [fit]
  // The held-out text as one stream from a zero state: every character predicted once.
  auto ws = std::make_unique<ctnn::workspace<net, float>>();
  const double bits = ctnn::stream_loss(*p, test_stream, 1, *ws) / std::log(2.0);

  std::printf("\n%s: %zu characters (%zu held out), alphabet of %zu\n", source.c_str(), text.size(),
              held, symbols);
  std::printf("GRU %zu hidden over windows of %zu characters, head on every step, %zu parameters; "
              "adam, lr %g (cosine), clip 5, %zu streams, %zu thread(s)\n",
              hidden, window, p->size(), o.lr, o.streams, o.threads);
  std::printf("held-out bits per character: GRU %.3f, bigram model %.3f, unigram model %.3f\n", bits,
              base.bigram, base.unigram);
  std::printf("entropy of the whole text's statistics: unigram %.3f, bigram (conditional) %.3f bits\n",
              base.unigram_entropy, base.bigram_entropy);
  std::size_t chars = 0;
  for (const auto& e : r.history) chars += e.samples * window;
  std::printf("training: %zu epochs, %zu characters in %.2f s\n", r.history.size(), chars, r.train_seconds);

  const auto q = std::make_unique<ctnn::parameters<one_step, float>>(ctnn::parameters_by_name<one_step>(*p));
  if (o.sample > 0)
    std::printf("sample:\n----\n%s\n----\n", generate(*q, "The ", o.sample, o.seed).c_str());
  std::printf("result: bits_per_char=%.3f unigram=%.3f bigram=%.3f train_seconds=%.2f chars_per_second=%.0f\n",
              bits, base.unigram, base.bigram, r.train_seconds,
              r.train_seconds > 0 ? double(chars) / r.train_seconds : 0.0);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "char_lm: %s\n", e.what());
  return 1;
}
