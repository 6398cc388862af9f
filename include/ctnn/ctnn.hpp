#pragma once
// ctnn: compile-time neural networks. The public entry header: the whole library (a program
// that only runs a net can include inference.hpp instead).
//
//   #include <ctnn/ctnn.hpp>
//   using net = ctnn::network<ctnn::input<2>, ctnn::dense<8>, ctnn::tanh, ctnn::dense<1>, ctnn::sigmoid>;
//   ctnn::parameters<net, float> p;
//   ctnn::initialize(p, /*seed=*/1);
//   auto y = ctnn::forward(p, std::array<float, 2>{0.f, 1.f});
//
// or any graph of ops (ctnn::op::..., core/graph.hpp):
//   using x = ctnn::op::input<"x", 784>;
//   using h = ctnn::op::relu<ctnn::op::dense<"fc1", 256, x>>;
//   using net = ctnn::graph<ctnn::op::dense<"head", 10, ctnn::op::add<h, ctnn::op::relu<ctnn::op::dense<"fc2", 256, h>>>>>;

#include "inference.hpp"  // the net and its passes; below: training, files, threads, printing
#include "inspect/dot.hpp"
#include "inspect/equations.hpp"
#include "inspect/fixed_string.hpp"
#include "io/csv.hpp"
#include "io/dataset.hpp"
#include "io/export_header.hpp"
#include "io/file_error.hpp"
#include "io/idx.hpp"
#include "io/matrix.hpp"
#include "io/model_file.hpp"
#include "io/safetensors.hpp"
#include "nn/diagonal_hessian.hpp"
#include "nn/gradient_check.hpp"
#include "nn/hessian.hpp"
#include "nn/jacobian.hpp"
#include "nn/tangent.hpp"
#include "optim/adagrad.hpp"
#include "optim/adam.hpp"
#include "optim/clip.hpp"
#include "optim/hessian_free.hpp"
#include "optim/levenberg_marquardt.hpp"
#include "optim/optimizer.hpp"
#include "optim/rmsprop.hpp"
#include "optim/schedule.hpp"
#include "optim/sgd.hpp"
#include "parallel/data_parallel.hpp"
#include "parallel/thread_pool.hpp"
#include "train/epoch_stats.hpp"
#include "train/fit.hpp"
#include "train/fit_full_batch.hpp"
#include "train/fit_stream.hpp"
#include "train/metrics.hpp"
#include "train/progress.hpp"
#include "train/svg_plot.hpp"
#include "train/train_step.hpp"
