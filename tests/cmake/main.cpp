// Built against ctnn::ctnn alone (tests/cmake/check_cmake.sh): trains a small net on a thread
// pool, reads a missing gzip file (zlib linked), and prints whether SIMD is on, which the script
// compares with the package's setting.
#include <cmath>
#include <cstdio>
#include <ctnn/ctnn.hpp>
#include <vector>

int main() {
  using net = ctnn::network<ctnn::input<2>, ctnn::dense<8>, ctnn::tanh, ctnn::dense<1>>;
  ctnn::parameters<net, float> p;
  ctnn::initialize(p, 7);
  ctnn::sgd<net, float> opt;
  const std::vector<float> x{0, 0, 0, 1, 1, 0, 1, 1}, t{0, 1, 1, 0};
  ctnn::thread_pool pool(2);
  ctnn::parallel_workspace<net, float> pws(pool);
  ctnn::gradient<net, float> g;
  float first = 0, last = 0;
  for (int step = 0; step < 200; ++step) {
    last = ctnn::train_step_batch(pool, p, ctnn::squared_error{}, std::span<const float>(x),
                                  std::span<const float>(t), opt, 0.5, g, pws);
    if (step == 0) first = last;
  }
  bool zlib_reached = false;
  try {
    (void)ctnn::io::read_idx_labels("no-such-file.gz");
  } catch (const ctnn::io::file_error&) {
    zlib_reached = true;
  }
  std::printf("simd_enabled=%d loss %.4f -> %.4f\n", ctnn::simd_enabled ? 1 : 0, first, last);
  return std::isfinite(last) && last < first && zlib_reached ? 0 : 1;
}
