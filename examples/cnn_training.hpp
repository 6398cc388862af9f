#pragma once
// What the Fashion-MNIST CNN examples share (fashion_cnn.cpp, fashion_cnn_bn.cpp): the
// command line, the training with ctnn::fit (AdamW, cosine decay), and the report, which ends with
// the MLP demo's line:
//   result: test_accuracy=<x> train_seconds=<s> samples_per_second=<n>
// Each program defines its graph and calls cnn_main<net>(argc, argv, its description).
//
// Usage: <program> [--epochs N] [--batch N] [--lr X] [--threads N]
//                  [--seed S] [--weight-decay X] [--data DIR] [--limit N] [--plot FILE]
//
// Without the data set (Debian package dataset-fashion-mnist) it says how to install it and
// trains on a synthetic task of the same shape instead.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctnn/ctnn.hpp>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "arguments.hpp"
#include "fashion_data.hpp"

namespace examples {

struct cnn_options {
  std::size_t epochs = 12;
  std::size_t batch = 64;
  double lr = 2e-3;
  std::size_t threads = 2;
  std::uint64_t seed = 1;
  double weight_decay = 0.2;
  std::string data = "/usr/share/datasets/fashion-mnist";
  std::size_t limit = 0;
  std::string plot;
};

// A program: its name, what it prints about its net, and its defaults.
struct cnn_program {
  const char* name;
  const char* description;  // the net, for the report
  const char* plot_title;
  cnn_options defaults;
};

inline cnn_options parse_cnn_options(int argc, char** argv, const cnn_program& program) {
  const std::string usage = std::string("usage: ") + program.name +
                            " [--epochs N] [--batch N] [--lr X] [--threads N] [--seed S]\n"
                            "       [--weight-decay X] [--data DIR] [--limit N] [--plot FILE]\n";
  const arguments args{program.name, usage.c_str()};
  cnn_options o = program.defaults;
  for (int k = 1; k < argc; ++k) {
    const std::string_view arg = argv[k];
    if (arg == "--help" || arg == "-h") {
      std::printf("%s", usage.c_str());
      std::exit(0);
    }
    if (k + 1 >= argc) args.bad("unknown option or missing value: '" + std::string(arg) + "'");
    const char* value = argv[++k];
    if (arg == "--epochs") o.epochs = args.count("--epochs", value, false);
    else if (arg == "--batch") o.batch = args.count("--batch", value, false);
    else if (arg == "--lr") o.lr = args.real("--lr", value, 0, 1, true);
    else if (arg == "--weight-decay") o.weight_decay = args.real("--weight-decay", value, 0, 1, true);
    else if (arg == "--threads") o.threads = args.count("--threads", value, false);
    else if (arg == "--seed") o.seed = args.count("--seed", value, true);
    else if (arg == "--data") o.data = value;
    else if (arg == "--limit") o.limit = args.count("--limit", value, true);
    else if (arg == "--plot") o.plot = value;
    else args.bad("unknown option '" + std::string(arg) + "'");
  }
  if (o.lr == 0) args.bad("--lr must be above 0");
  return o;
}

template <class Net>
int train_cnn(const cnn_options& o, const data_set& d, const cnn_program& program) {
  auto p = std::make_unique<ctnn::parameters<Net, float>>();
  ctnn::initialize(*p, o.seed);
  const ctnn::softmax_cross_entropy loss;

  // [fit]
  ctnn::fit_options fo;
  fo.epochs = o.epochs;
  fo.batch_size = o.batch;
  fo.seed = o.seed;
  fo.validation_fraction = 0.1;
  fo.threads = o.threads;
  const ctnn::labelled_data<float> train{d.train.x.values, d.train.t.values};
  const ctnn::cosine_lr schedule(o.lr, ctnn::fit_steps(d.train.x.rows, fo));
  auto opt = std::make_unique<ctnn::adamw<Net, float>>(ctnn::adamw_options{.weight_decay = o.weight_decay});
  const ctnn::fit_result r = ctnn::fit(*p, loss, *opt, schedule, train, fo);
  // [fit]

  // Evaluation: batch norm with its running statistics, no dropout (the evaluation rule).
  const ctnn::evaluation test = ctnn::evaluate(*p, loss, std::span<const float>(d.test.x.values),
                                               std::span<const float>(d.test.t.values));
  std::size_t stepped = 0;
  for (const auto& e : r.history) stepped += e.samples;
  std::printf("\n%s, %zu training samples, %zu test samples\n", d.name.c_str(), d.train.x.rows,
              d.test.x.rows);
  std::printf("%s, %zu parameters, adamw (decay %g), lr %g (cosine), batch %zu, %zu thread(s), "
              "SIMD %s\n",
              program.description, p->size(), o.weight_decay, o.lr, o.batch, o.threads,
              ctnn::simd_enabled ? "on" : "off");
  std::printf("test loss %.4f, test accuracy %.4f\n", test.loss, test.accuracy);
  std::printf("training: %zu epochs, %zu samples in %.2f s (%.0f samples/s in the steps)\n",
              r.history.size(), stepped, r.train_seconds, r.samples_per_second());
  try {
    ctnn::write_training_curves(o.plot, r.history, program.plot_title);
    std::printf("curves: %s\n", o.plot.c_str());
  } catch (const std::exception& e) {
    std::printf("curves not written: %s\n", e.what());
  }
  std::printf("result: test_accuracy=%.4f train_seconds=%.2f samples_per_second=%.0f\n",
              test.accuracy, r.seconds, r.samples_per_second());
  return 0;
}

template <class Net>
int cnn_main(int argc, char** argv, const cnn_program& program) {
  const cnn_options o = parse_cnn_options(argc, argv, program);
  try {
    const data_set d = load({o.data, o.limit, o.seed, true, program.name});
    return train_cnn<Net>(o, d, program);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", program.name, e.what());
    return 1;
  }
}

}  // namespace examples
