// The ctnn side of tests/io/pytorch_interop.py: loads a safetensors file written from a PyTorch
// nn.Sequential, runs forward, the mean softmax cross-entropy and its gradients on the batch in
// a text file, prints them for the script to compare with PyTorch's, and saves the parameters
// back (so the script can check ctnn's writer with its own reader).
//
//   pytorch_interop <model.safetensors> <batch.txt> <roundtrip.safetensors>
// batch.txt: n, then n rows of 4 inputs, then n rows of 3 targets. Output lines:
//   y <3 values> (per sample) / loss <value> / grad <key> <values> / dx <4 values> (per sample)

#include <cstdio>
#include <ctnn/ctnn.hpp>
#include <ctnn/io/safetensors.hpp>
#include <exception>
#include <fstream>
#include <vector>

using net = ctnn::network<ctnn::input<4>, ctnn::dense<8>, ctnn::tanh, ctnn::dense<6>, ctnn::relu,
                          ctnn::dense<3>>;

int main(int argc, char** argv) try {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s model.safetensors batch.txt roundtrip.safetensors\n", argv[0]);
    return 2;
  }
  ctnn::parameters<net, double> p;
  ctnn::io::load_safetensors(argv[1], p);
  std::ifstream in(argv[2]);
  std::size_t n = 0;
  in >> n;
  std::vector<double> x(n * 4), t(n * 3), y(n * 3), dx(n * 4);
  for (auto& v : x) in >> v;
  for (auto& v : t) in >> v;
  if (!in || n == 0) {
    std::fprintf(stderr, "cannot read the batch from %s\n", argv[2]);
    return 2;
  }
  ctnn::workspace<net, double> ws;
  ctnn::gradient<net, double> g;
  ctnn::forward_batch(p, x, y, ws);
  const double loss = ctnn::loss_and_gradient_batch(p, ctnn::softmax_cross_entropy{}, x, t, g, ws, dx);
  for (std::size_t s = 0; s < n; ++s)
    std::printf("y %.17g %.17g %.17g\n", y[3 * s], y[3 * s + 1], y[3 * s + 2]);
  std::printf("loss %.17g\n", loss);
  for (const auto& slot : ctnn::io::detail::sequential_tensors<net>()) {
    std::printf("grad %s", slot.name.c_str());
    for (std::size_t k = 0; k < slot.count; ++k) std::printf(" %.17g", g[slot.offset + k]);
    std::printf("\n");
  }
  for (std::size_t s = 0; s < n; ++s)
    std::printf("dx %.17g %.17g %.17g %.17g\n", dx[4 * s], dx[4 * s + 1], dx[4 * s + 2], dx[4 * s + 3]);
  ctnn::io::save_safetensors(argv[3], p);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "%s\n", e.what());
  return 1;
}
