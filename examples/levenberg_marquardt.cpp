// Levenberg–Marquardt against Adam on a small regression net: scikit-learn's diabetes data (442
// patients, 10 features, a disease-progression score; Debian's python3-sklearn ships it), a
// 10-16-1 tanh net, squared error, the same initial weights for both. Adam runs fit (mini-batches
// of 32); LM runs fit_levenberg_marquardt (one full-batch step per epoch). Prints both fits, then
// how many epochs and seconds (time in steps) each needed to reach Adam's final training loss, and
// each one's best validation loss and when, and writes both curves to one SVG. The last line is
//   result: lm_epochs=<n> adam_epochs=<n> epochs_ratio=<x> lm_seconds=<s> adam_seconds=<s> seconds_ratio=<x>
// for the training loss (the ratios are Adam's over LM's).
//
// Usage: levenberg_marquardt [--data DIR] [--adam-epochs N] [--lm-epochs N] [--seed S] [--plot FILE]
//   --data  the directory holding diabetes_data_raw.csv.gz and diabetes_target.csv.gz
//           (default: python3-sklearn's, /usr/lib/python3/dist-packages/sklearn/datasets/data)

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctnn/ctnn.hpp>
#include <ctnn/train/fit_full_batch.hpp>
#include <exception>
#include <numeric>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

using net = ctnn::network<ctnn::input<10>, ctnn::dense<16>, ctnn::tanh, ctnn::dense<1>>;

struct options {
  std::string data = "/usr/lib/python3/dist-packages/sklearn/datasets/data";
  std::size_t adam_epochs = 400;
  std::size_t lm_epochs = 60;
  std::uint64_t seed = 1;
  std::string plot = "levenberg_marquardt_curves.svg";
};

constexpr const char* usage =
    "usage: levenberg_marquardt [--data DIR] [--adam-epochs N] [--lm-epochs N] [--seed S] [--plot FILE]\n";

std::size_t parse_count(std::string_view flag, std::string_view v) {
  std::size_t n = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc{} || end != v.data() + v.size() || n == 0)
    throw std::invalid_argument(std::string(flag) + " needs a positive whole number, got '" + std::string(v) + "'");
  return n;
}

options parse(int argc, char** argv) {
  options o;
  for (int k = 1; k < argc; ++k) {
    const std::string_view arg = argv[k];
    if (arg == "--help" || arg == "-h") {
      std::fputs(usage, stdout);
      std::exit(0);
    }
    if (k + 1 >= argc) throw std::invalid_argument(std::string(arg) + " needs a value\n" + usage);
    const char* value = argv[++k];
    if (arg == "--data") o.data = value;
    else if (arg == "--adam-epochs") o.adam_epochs = parse_count(arg, value);
    else if (arg == "--lm-epochs") o.lm_epochs = parse_count(arg, value);
    else if (arg == "--seed") o.seed = parse_count(arg, value);
    else if (arg == "--plot") o.plot = value;
    else throw std::invalid_argument("unknown option " + std::string(arg) + "\n" + usage);
  }
  return o;
}

// The data, shuffled and split 342 / 100, each column standardised on the training rows.
struct split {
  std::vector<double> x_train, t_train, x_val, t_val;
};

split load(const options& o) {
  const auto x = ctnn::io::read_csv<double>(o.data + "/diabetes_data_raw.csv.gz", {.delimiter = ' '});
  const auto t = ctnn::io::read_csv<double>(o.data + "/diabetes_target.csv.gz", {.delimiter = ' '});
  if (x.values.cols != 10 || t.values.cols != 1 || x.values.rows != t.values.rows)
    throw std::runtime_error("diabetes data: expected 10 feature columns and 1 target column of equal length");
  const std::size_t n = x.values.rows, train = n - 100;
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937_64(o.seed));
  split s;
  for (std::size_t r = 0; r < n; ++r) {
    const std::size_t from = order[r];
    auto& xs = r < train ? s.x_train : s.x_val;
    auto& ts = r < train ? s.t_train : s.t_val;
    for (std::size_t c = 0; c < 10; ++c) xs.push_back(x.values.values[from * 10 + c]);
    ts.push_back(t.values.values[from]);
  }
  const auto standardise = [&](std::vector<double>& fit_on, std::vector<double>& other, std::size_t cols) {
    const std::size_t rows = fit_on.size() / cols;
    for (std::size_t c = 0; c < cols; ++c) {
      double mean = 0, var = 0;
      for (std::size_t r = 0; r < rows; ++r) mean += fit_on[r * cols + c];
      mean /= double(rows);
      for (std::size_t r = 0; r < rows; ++r) var += (fit_on[r * cols + c] - mean) * (fit_on[r * cols + c] - mean);
      const double sd = std::sqrt(var / double(rows));
      for (auto* v : {&fit_on, &other})
        for (std::size_t r = 0; r < v->size() / cols; ++r) (*v)[r * cols + c] = ((*v)[r * cols + c] - mean) / sd;
    }
  };
  standardise(s.x_train, s.x_val, 10);
  standardise(s.t_train, s.t_val, 1);
  return s;
}

// The first epoch (1-based) whose loss is at most `target`, and the step time up to it; 0 if none.
struct reached {
  std::size_t epoch = 0;
  double seconds = 0;
};
reached first_at_most(const std::vector<double>& loss, const std::vector<double>& seconds, double target) {
  double total = 0;
  for (std::size_t k = 0; k < loss.size(); ++k) {
    total += seconds[k];
    if (loss[k] <= target) return {k + 1, total};
  }
  return {};
}

int run(const options& o) {
  const split s = load(o);
  const ctnn::labelled_data<double> train{s.x_train, s.t_train}, val{s.x_val, s.t_val};
  std::printf("diabetes: %zu training and %zu validation samples, 10 features; net 10-16-1 tanh (%zu parameters)\n",
              s.t_train.size(), s.t_val.size(), net::parameter_count);
  ctnn::parameters<net, double> start;
  ctnn::initialize(start, o.seed);

  // Adam: its training loss over the whole training set after each epoch (not the running mean
  // of its batches), so that both methods are measured the same way.
  auto p = start;
  auto ws = std::make_unique<ctnn::workspace<net, double>>();
  std::vector<double> adam_train, adam_val, adam_seconds;
  ctnn::adam<net, double> adam;
  std::printf("\nAdam (learning rate 0.01, batches of 32):\n");
  ctnn::fit_options adam_options;
  adam_options.epochs = o.adam_epochs;
  adam_options.batch_size = 32;
  adam_options.seed = o.seed;
  adam_options.progress = ctnn::progress_style::none;
  adam_options.on_epoch_end = [&](const ctnn::epoch_stats& e) {
    adam_train.push_back(double(ctnn::loss_batch(p, ctnn::squared_error{}, train.inputs, train.targets, *ws)));
    adam_val.push_back(e.validation_loss);
    adam_seconds.push_back(e.samples_per_second > 0 ? double(e.samples) / e.samples_per_second : 0.0);
    if (e.epoch % 50 == 0 || e.epoch == e.epochs)
      std::printf("  epoch %zu  loss %.5f  val_loss %.5f\n", e.epoch, adam_train.back(), e.validation_loss);
    return ctnn::fit_control::proceed;
  };
  const auto adam_fit = ctnn::fit(p, ctnn::squared_error{}, adam, ctnn::constant_lr{0.01}, train, val, adam_options);
  static_cast<void>(adam_fit);

  std::printf("\nLevenberg-Marquardt (full batch, damping mu*I, Marquardt's rule on mu; \"lr\" shows mu):\n");
  p = start;
  ctnn::levenberg_marquardt<net, double> lm(s.t_train.size());
  ctnn::lm_fit_options lm_options;
  lm_options.epochs = o.lm_epochs;
  lm_options.progress = ctnn::progress_style::lines;
  const auto lm_fit = ctnn::fit_levenberg_marquardt(p, lm, train, val, lm_options);
  std::vector<double> lm_train, lm_val, lm_seconds;
  for (const auto& e : lm_fit.history) {
    lm_train.push_back(e.train_loss);
    lm_val.push_back(e.validation_loss);
    lm_seconds.push_back(e.samples_per_second > 0 ? double(e.samples) / e.samples_per_second : 0.0);
  }

  const double train_target = adam_train.back();
  const reached adam_t = first_at_most(adam_train, adam_seconds, train_target);
  const reached lm_t = first_at_most(lm_train, lm_seconds, train_target);
  std::printf("\nto Adam's final training loss %.5f: Adam %zu epochs %.4f s, LM %zu epochs %.4f s (time in steps)\n",
              train_target, adam_t.epoch, adam_t.seconds, lm_t.epoch, lm_t.seconds);
  // Both overfit 342 samples with 193 parameters: the validation loss has a minimum on the way.
  const auto best = [](const std::vector<double>& v, const std::vector<double>& seconds) {
    const auto at = std::size_t(std::min_element(v.begin(), v.end()) - v.begin());
    return first_at_most(v, seconds, v[at]);
  };
  const reached adam_v = best(adam_val, adam_seconds), lm_v = best(lm_val, lm_seconds);
  std::printf("best validation loss: Adam %.5f at epoch %zu (%.4f s), LM %.5f at epoch %zu (%.4f s)\n",
              adam_val[adam_v.epoch - 1], adam_v.epoch, adam_v.seconds, lm_val[lm_v.epoch - 1], lm_v.epoch,
              lm_v.seconds);

  const std::vector<ctnn::plot_panel> panels{
      {"training loss",
       {{"Adam", adam_train, "#1f77b4", false}, {"Levenberg-Marquardt", lm_train, "#d62728", false}}},
      {"validation loss",
       {{"Adam", adam_val, "#1f77b4", true}, {"Levenberg-Marquardt", lm_val, "#d62728", true}}}};
  ctnn::write_line_charts(o.plot, panels, "diabetes, 10-16-1 tanh: Adam and Levenberg-Marquardt");
  std::printf("curves: %s\n", o.plot.c_str());
  if (lm_t.epoch == 0) {
    std::printf("result: LM did not reach Adam's final training loss in %zu epochs\n", o.lm_epochs);
    return 1;
  }
  std::printf("result: lm_epochs=%zu adam_epochs=%zu epochs_ratio=%.1f lm_seconds=%.4f adam_seconds=%.4f "
              "seconds_ratio=%.1f\n",
              lm_t.epoch, adam_t.epoch, double(adam_t.epoch) / double(lm_t.epoch), lm_t.seconds, adam_t.seconds,
              lm_t.seconds > 0 ? adam_t.seconds / lm_t.seconds : 0.0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "levenberg_marquardt: %s\n", e.what());
    return 2;
  }
}
