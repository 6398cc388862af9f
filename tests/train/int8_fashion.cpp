// The int8 path on real data: a 784-128-10 ReLU MLP trained with fit on 20,000 Fashion-MNIST
// images (standardised pixels, 2 epochs of Adam), calibrated on 500 training images, quantized,
// and scored on the 10,000 test images: its accuracy within 0.5 points of the float net's, and
// most of its answers the float net's answers. Skipped, with a message, when the Debian package
// dataset-fashion-mnist is absent (scripts/setup.sh installs it).

#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <ctnn/ctnn.hpp>
#include <filesystem>
#include <memory>
#include <span>

namespace {

using net = ctnn::network<ctnn::input<784>, ctnn::dense<128>, ctnn::relu, ctnn::dense<10>>;

std::size_t label(std::span<const float> v) {
  return static_cast<std::size_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

TEST_CASE("int8 weights keep a trained Fashion-MNIST MLP's test accuracy within 0.5 points") {
  const std::filesystem::path dir = "/usr/share/datasets/fashion-mnist";
  const char* names[] = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"};
  for (const char* name : names)
    if (!std::filesystem::exists(dir / name)) {
      MESSAGE("SKIPPED: " << (dir / name).string()
                          << " is absent; install the Debian package dataset-fashion-mnist");
      return;
    }
  using ctnn::io::image_scale;
  auto train = ctnn::io::read_idx_images<float>(dir / names[0], image_scale::unit_interval);
  auto train_labels = ctnn::io::read_idx_labels(dir / names[1]);
  auto test = ctnn::io::read_idx_images<float>(dir / names[2], image_scale::unit_interval);
  const auto test_labels = ctnn::io::read_idx_labels(dir / names[3]);
  const std::size_t n = 20000;
  train.rows = n;
  train.values.resize(n * 784);
  train_labels.resize(n);
  const auto stats = ctnn::io::fit_standardisation(train);
  ctnn::io::standardise(train, stats);
  ctnn::io::standardise(test, stats);
  const auto targets = ctnn::io::one_hot<float>(train_labels, 10);

  const auto p = std::make_unique<ctnn::parameters<net, float>>();
  ctnn::initialize(*p, 1);
  const auto opt = std::make_unique<ctnn::adam<net, float>>(ctnn::adam_options{});
  ctnn::fit_options fo;
  fo.epochs = 2;
  fo.batch_size = 64;
  fo.validation_fraction = 0;
  fo.progress = ctnn::progress_style::none;
  ctnn::fit(*p, ctnn::softmax_cross_entropy{}, *opt, ctnn::constant_lr(1e-3), ctnn::labelled_data<float>{train.values, targets.values}, fo);

  const auto row = [](const ctnn::io::matrix<float>& m, std::size_t r) {
    return std::span<const float, 784>(m.values.data() + r * 784, 784);
  };
  const auto w = std::make_unique<ctnn::inference_weights<net, float>>(*p);
  ctnn::quantization_ranges<net> ranges;
  for (std::size_t r = 0; r < 500; ++r) ctnn::observe(ranges, *w, row(train, r));
  const auto q = std::make_unique<ctnn::quantized_weights<net>>(*p, ranges);

  std::size_t float_right = 0, int8_right = 0, agree = 0;
  for (std::size_t r = 0; r < test.rows; ++r) {
    const std::size_t a = label(ctnn::forward(*w, row(test, r)));
    const std::size_t b = label(ctnn::forward(*q, row(test, r)));
    float_right += a == test_labels[r];
    int8_right += b == test_labels[r];
    agree += a == b;
  }
  const double float_accuracy = double(float_right) / double(test.rows);
  const double int8_accuracy = double(int8_right) / double(test.rows);
  MESSAGE("float " << float_accuracy << ", int8 " << int8_accuracy << ", same answer on "
                   << agree << " of " << test.rows);
  CHECK(float_accuracy > 0.82);  // the net learned something worth keeping
  CHECK(std::abs(int8_accuracy - float_accuracy) <= 0.005);
  CHECK(agree >= test.rows * 99 / 100);
}

}  // namespace
