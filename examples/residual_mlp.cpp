// A residual MLP on Fashion-MNIST: a graph, not a chain. The first layer's activations h are read
// twice by every residual block (r = h + relu(W h + b)), and the head reads the last block and
// the first layer again (a long skip, through concat). Trained with ctnn::fit, AdamW with a
// cosine decay, as the MLP demo (examples/fashion_mnist.cpp); the last line is the same
//   result: test_accuracy=<x> train_seconds=<s> samples_per_second=<n>
//
// Usage: residual_mlp [--epochs N] [--batch N] [--threads N] [--seed S] [--data DIR]
//                     [--limit N] [--plot FILE] [--equations yes]
//
// The graph has 20 nodes; its compile time is watched in docs/compile-times.md.

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctnn/ctnn.hpp>
#include <exception>
#include <iostream>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "arguments.hpp"
#include "fashion_data.hpp"

namespace {

// [graph]
namespace op = ctnn::op;
using x = op::input<"x", 784>;
using h = op::relu<op::dense<"fc1", 128, x>>;
template <ctnn::name Name, class In>
using block = op::add<In, op::relu<op::dense<Name, 128, In>>>;  // In + relu(W In + b)
using r = block<"block5", block<"block4", block<"block3", block<"block2", block<"block1", h>>>>>;
using logits = op::dense<"head", 10, op::concat<r, h>>;
using net = ctnn::graph<ctnn::outputs<logits>>;
// [graph]
static_assert(net::node_count == 20);

struct options {
  std::size_t epochs = 15;
  std::size_t batch = 64;
  std::size_t threads = 1;
  std::uint64_t seed = 1;
  std::string data = "/usr/share/datasets/fashion-mnist";
  std::size_t limit = 0;
  std::string plot = "residual_mlp_curves.svg";
  bool equations = false;
};

constexpr const char* usage =
    "usage: residual_mlp [--epochs N] [--batch N] [--threads N] [--seed S] [--data DIR]\n"
    "                    [--limit N] [--plot FILE] [--equations yes]\n";
const examples::arguments args{"residual_mlp", usage};

options parse(int argc, char** argv) {
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
    else if (arg == "--batch") o.batch = args.count("--batch", value, false);
    else if (arg == "--threads") o.threads = args.count("--threads", value, false);
    else if (arg == "--seed") o.seed = args.count("--seed", value, true);
    else if (arg == "--data") o.data = value;
    else if (arg == "--limit") o.limit = args.count("--limit", value, true);
    else if (arg == "--plot") o.plot = value;
    else if (arg == "--equations") o.equations = std::string_view(value) == "yes";
    else args.bad("unknown option '" + std::string(arg) + "'");
  }
  return o;
}

int run(const options& o) {
  const examples::data_set d = examples::load({o.data, o.limit, o.seed, true, "residual_mlp"});
  auto p = std::make_unique<ctnn::parameters<net, float>>();
  ctnn::initialize(*p, o.seed);
  const ctnn::softmax_cross_entropy loss;
  if (o.equations) std::cout << ctnn::inspect::equations<net, ctnn::softmax_cross_entropy>() << "\n";

  // [fit]
  ctnn::fit_options fo;
  fo.epochs = o.epochs;
  fo.batch_size = o.batch;
  fo.seed = o.seed;
  fo.validation_fraction = 0.1;
  fo.threads = o.threads;
  const ctnn::labelled_data<float> train{d.train.x.values, d.train.t.values};
  const ctnn::cosine_lr schedule(1e-3, ctnn::fit_steps(d.train.x.rows, fo));
  auto opt = std::make_unique<ctnn::adamw<net, float>>(ctnn::adamw_options{.weight_decay = 0.2});
  const ctnn::fit_result r = ctnn::fit(*p, loss, *opt, schedule, train, fo);
  // [fit]

  const ctnn::evaluation test = ctnn::evaluate(*p, loss, std::span<const float>(d.test.x.values),
                                               std::span<const float>(d.test.t.values));
  std::size_t stepped = 0;
  for (const auto& e : r.history) stepped += e.samples;
  std::printf("\n%s, %zu training samples, %zu test samples\n", d.name.c_str(), d.train.x.rows,
              d.test.x.rows);
  std::printf("residual MLP (784-128, 5 blocks of 128, head on [r, h]), %zu nodes, %zu parameters, "
              "adamw, lr 0.001 (cosine), batch %zu, SIMD %s\n",
              net::node_count, p->size(), o.batch, ctnn::simd_enabled ? "on" : "off");
  std::printf("test loss %.4f, test accuracy %.4f\n", test.loss, test.accuracy);
  std::printf("training: %zu epochs, %zu samples in %.2f s (%.0f samples/s in the steps)\n",
              r.history.size(), stepped, r.train_seconds, r.samples_per_second());
  try {
    ctnn::write_training_curves(o.plot, r.history, "Fashion-MNIST, residual MLP");
    std::printf("curves: %s\n", o.plot.c_str());
  } catch (const std::exception& e) {
    std::printf("curves not written: %s\n", e.what());
  }
  std::printf("result: test_accuracy=%.4f train_seconds=%.2f samples_per_second=%.0f\n",
              test.accuracy, r.seconds, r.samples_per_second());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "residual_mlp: %s\n", e.what());
    return 1;
  }
}
