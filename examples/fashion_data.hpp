#pragma once
// Fashion-MNIST for the examples: the four IDX files of Debian's dataset-fashion-mnist, one-hot
// targets and pixels standardised with the training set's statistics; without the files, a
// synthetic task of the same shape (and a line saying how to install the data set).

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <ctnn/ctnn.hpp>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

namespace examples {

struct data_options {
  std::string data = "/usr/share/datasets/fashion-mnist";
  std::size_t limit = 0;  // 0: all samples
  std::uint64_t seed = 1;
  bool standardise = true;
  const char* program = "example";
};

struct split {
  ctnn::io::matrix<float> x, t;  // standardised inputs, one-hot targets
};

struct data_set {
  split train, test;
  std::string name;
};

inline std::vector<std::size_t> first(const std::vector<std::size_t>& v, std::size_t n) {
  return {v.begin(), v.begin() + std::ptrdiff_t(std::min(n, v.size()))};
}

inline void keep_rows(ctnn::io::matrix<float>& m, std::size_t n) {
  m.rows = std::min(n, m.rows);
  m.values.resize(m.rows * m.cols);
}

// A stand-in of the same shape: 10 classes, each a random 28x28 prototype; a sample is its
// class's prototype, faded by a random factor, over strong noise. Learnable, not trivially.
inline data_set synthetic(std::size_t train_n, std::size_t test_n, std::uint64_t seed) {
  ctnn::detail::random_generator rng(seed ^ 0xfa5410ull);
  std::vector<float> prototypes(10 * 784);
  for (float& v : prototypes) v = rng.uniform01() < 0.3 ? float(rng.uniform(0.5, 1.0)) : 0.0f;
  const auto make = [&](std::size_t n, split& s) {
    s.x = {n, 784, {}};
    std::vector<std::size_t> labels(n);
    s.x.values.reserve(n * 784);
    for (std::size_t i = 0; i < n; ++i) {
      labels[i] = static_cast<std::size_t>(rng.below(10));
      const float fade = float(rng.uniform(0.0, 0.25));
      for (std::size_t k = 0; k < 784; ++k)
        s.x.values.push_back(std::clamp(fade * prototypes[labels[i] * 784 + k] +
                                            float(rng.uniform(0.0, 1.0)), 0.0f, 1.0f));
    }
    s.t = ctnn::io::one_hot<float>(labels, 10);
  };
  data_set d;
  make(train_n, d.train);
  make(test_n, d.test);
  d.name = "synthetic stand-in";
  return d;
}

inline data_set load(const data_options& o) {
  namespace fs = std::filesystem;
  const fs::path dir = o.data;
  const fs::path files[] = {dir / "train-images-idx3-ubyte.gz", dir / "train-labels-idx1-ubyte.gz",
                            dir / "t10k-images-idx3-ubyte.gz", dir / "t10k-labels-idx1-ubyte.gz"};
  for (const auto& f : files) {
    std::error_code ec;
    if (!fs::exists(f, ec)) {
      std::printf(
          "%s: %s not found. Install the data set with\n"
          "    sudo apt-get install dataset-fashion-mnist\n"
          "(or pass --data DIR); training on a small synthetic task instead.\n\n",
          o.program, f.string().c_str());
      const std::size_t n = o.limit > 0 ? o.limit : 6000;
      data_set d = synthetic(n, std::max<std::size_t>(n / 6, 100), o.seed);
      if (o.standardise) {
        const auto stats = ctnn::io::fit_standardisation(d.train.x);
        ctnn::io::standardise(d.train.x, stats);
        ctnn::io::standardise(d.test.x, stats);
      }
      return d;
    }
  }
  using ctnn::io::image_scale;
  data_set d;
  d.name = "Fashion-MNIST";
  d.train.x = ctnn::io::read_idx_images<float>(files[0], image_scale::unit_interval);
  auto train_labels = ctnn::io::read_idx_labels(files[1]);
  d.test.x = ctnn::io::read_idx_images<float>(files[2], image_scale::unit_interval);
  auto test_labels = ctnn::io::read_idx_labels(files[3]);
  if (o.limit > 0) {
    keep_rows(d.train.x, o.limit);
    keep_rows(d.test.x, o.limit);
    train_labels = first(train_labels, o.limit);
    test_labels = first(test_labels, o.limit);
  }
  d.train.t = ctnn::io::one_hot<float>(train_labels, 10);
  d.test.t = ctnn::io::one_hot<float>(test_labels, 10);
  // Standardise each pixel with the training set's mean and spread (constant border pixels
  // become 0): the inputs then suit the He-initialised ReLU layers.
  if (o.standardise) {
    const auto stats = ctnn::io::fit_standardisation(d.train.x);
    ctnn::io::standardise(d.train.x, stats);
    ctnn::io::standardise(d.test.x, stats);
  }
  return d;
}

}  // namespace examples
