// A recurrent net on Fashion-MNIST: each image read row by row, 28 steps of 28 pixels, by a GRU
// with 128 hidden units, its last hidden state into a dense layer of 10 logits; trained with
// ctnn::fit (AdamW, cosine decay) as the CNN examples (examples/cnn_training.hpp). Backpropagation
// through time over the 28 steps is generated from the cell's graph (nn/recurrent.hpp). It ends
// with the line of the other demos:
//   result: test_accuracy=<x> train_seconds=<s> samples_per_second=<n>
//
// Usage: fashion_gru [--epochs N] [--batch N] [--lr X] [--threads N]
//                    [--seed S] [--weight-decay X] [--data DIR] [--limit N] [--plot FILE]
//
// Without the data set (Debian package dataset-fashion-mnist) it says how to install it and
// trains on a synthetic task of the same shape instead.

#include <ctnn/ctnn.hpp>
#include <ctnn/nn/recurrent.hpp>
#include <type_traits>

#include "cnn_training.hpp"

namespace {

// [graph]
namespace op = ctnn::op;
using rows = op::input<"x", 28, 28>;  // 28 steps of 28 pixels: the image's rows, top to bottom
using gru = ctnn::recurrent<ctnn::gru_cell<"gru", 28, 128>, 28, rows>;
using logits = op::dense<"fc", 10, ctnn::last_hidden<gru>>;
using net = ctnn::graph<ctnn::outputs<logits>>;
// [graph]
static_assert(std::is_same_v<ctnn::core::shape_of<gru>, ctnn::shape<28, 128>>);

const examples::cnn_program program{
    "fashion_gru",
    "GRU (28 rows of 28 pixels, 128 hidden) - 10",
    "Fashion-MNIST, GRU over rows",
    {.epochs = 12, .lr = 2e-3, .weight_decay = 0.01, .plot = "fashion_gru_curves.svg"}};

}  // namespace

int main(int argc, char** argv) { return examples::cnn_main<net>(argc, argv, program); }
